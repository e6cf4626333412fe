/*
 * storage.h - one interface to every destination: upload as a stream,
 * list, delete, download.
 *
 * The contract every backend honours (tests/storage/conformance.c checks
 * it):
 *  - An upload is invisible under its final name until storage_commit()
 *    returns 0; storage_abort(), a failed commit, or a crash leave nothing
 *    under that name (a temporary name or an uncommitted multipart upload
 *    at most, which the next run of the same job removes).
 *  - storage_list() calls the callback exactly once per object directly in
 *    the destination folder, in no particular order, and stops at the first
 *    non-zero return, which it returns.
 *  - storage_delete() of a missing name fails with BK_ENOENT.
 *  - storage_download() of a missing name fails with BK_ENOENT.
 *  - storage_download_range() sends exactly the bytes [off, off + len)
 *    that exist (none when off is at or past the end), asking the server
 *    for only those where it can; storage_stat() gives the size and time
 *    a listing would.  Both fail with BK_ENOENT for a missing name.
 *
 * Threads: one struct storage per thread.  storage/ knows nothing of jobs
 * or Redis: it gets settings and returns errors.
 */
#ifndef BK_STORAGE_H
#define BK_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bk_err;
struct settings;
struct storage;
struct storage_upload;

/* What a backend gets to open a destination.  All borrowed. */
struct storage_config {
	const struct settings	*user;		/* the user's settings */
	const struct settings	*admin;		/* the admin config */
	const char		*user_name;
	const char		*files_root;	/* SET_IN_FILES base */
	const char		*state_dir;	/* known_hosts and the like */
};

struct storage_obj {
	const char	*name;		/* base name in the folder */
	uint64_t	 size;
	time_t		 mtime;		/* 0 if the backend has none */
};

typedef int	storage_list_fn(const struct storage_obj *, void *);
/* Download sink: 0 to go on, -1 to stop (err set by the sink). */
typedef int	storage_sink_fn(const void *, size_t, void *,
		    struct bk_err *);

/* Backends enabled by settings (their required key is set), in a fixed
 * order; NULL-terminated array of backend names, static storage. */
size_t		 storage_enabled(const struct settings *user,
		    const char **names, size_t max);
/* Open backend `name` ("local", "s3", "webdav", "sftp", "azure",
 * "dropbox", "mem"). */
int		 storage_open(struct storage **, const char *name,
		    const struct storage_config *, struct bk_err *);
void		 storage_close(struct storage *);
const char	*storage_name(const struct storage *);
/* Where it writes, without secrets, e.g. "s3://bucket/path". */
const char	*storage_location(const struct storage *);

int		 storage_begin(struct storage *, const char *name,
		    struct storage_upload **, struct bk_err *);
int		 storage_write(struct storage_upload *, const void *, size_t,
		    struct bk_err *);
/* Make the upload visible; frees the handle whatever the outcome. */
int		 storage_commit(struct storage_upload *, struct bk_err *);
/* Drop the upload and whatever it left; frees the handle.  NULL is ok. */
void		 storage_abort(struct storage_upload *);

int		 storage_list(struct storage *, storage_list_fn *, void *,
		    struct bk_err *);
int		 storage_delete(struct storage *, const char *name,
		    struct bk_err *);
int		 storage_download(struct storage *, const char *name,
		    storage_sink_fn *, void *, struct bk_err *);
/* Bytes [off, off + len) of name into the sink, in order;
 * STORAGE_TO_END as len: to the end.  storage_download() is off 0 to the
 * end.  BK_ENOTSUP where the backend cannot read a part. */
#define STORAGE_TO_END	UINT64_MAX
int		 storage_download_range(struct storage *, const char *name,
		    uint64_t off, uint64_t len, storage_sink_fn *, void *,
		    struct bk_err *);
/* Size and mtime of name; o->name is name (borrowed). */
int		 storage_stat(struct storage *, const char *name,
		    struct storage_obj *o, struct bk_err *);
/* Remove leftovers of uploads that died (temporary names).  Optional. */
int		 storage_cleanup(struct storage *, struct bk_err *);

/* A name a backend may store: no '/', not "." or "..", no NUL, <= 255. */
bool		 storage_name_ok(const char *);

#endif
