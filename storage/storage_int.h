/*
 * storage_int.h - for storage_*.c backends only: the vtable.
 *
 * A backend is one file ending in
 *	const struct storage_backend storage_backend_x = { .name = "x", ... };
 * plus one line in storage.c's registry.  Only storage.c calls through
 * the vtable; it checks names, allocates priv, and frees handles.
 */
#ifndef BK_STORAGE_INT_H
#define BK_STORAGE_INT_H

#include "storage.h"

struct storage_backend {
	const char	*name;
	/* The user setting whose presence enables this backend. */
	const char	*enable_key;
	size_t		 priv_size;	/* storage.c allocates st->priv */
	size_t		 upload_size;	/* and up->priv for each upload */

	int	(*open)(struct storage *, const struct storage_config *,
		    struct bk_err *);
	void	(*close)(struct storage *);
	int	(*begin)(struct storage *, struct storage_upload *,
		    struct bk_err *);
	int	(*write)(struct storage_upload *, const void *, size_t,
		    struct bk_err *);
	int	(*commit)(struct storage_upload *, struct bk_err *);
	void	(*abort)(struct storage_upload *);
	int	(*list)(struct storage *, storage_list_fn *, void *,
		    struct bk_err *);
	int	(*remove)(struct storage *, const char *,
		    struct bk_err *);
	/* Bytes [off, off + len) (len STORAGE_TO_END: to the end), natively
	 * ranged; a server that answers a ranged request with the whole
	 * object must still give the sink only the range. */
	int	(*download)(struct storage *, const char *, uint64_t off,
		    uint64_t len, storage_sink_fn *, void *, struct bk_err *);
	int	(*stat)(struct storage *, const char *, struct storage_obj *,
		    struct bk_err *);
	int	(*cleanup)(struct storage *, struct bk_err *);	/* optional */
};

struct storage {
	const struct storage_backend	*be;
	void				*priv;
	char				*location;	/* set by open */
};

struct storage_upload {
	struct storage	*st;
	char		*name;
	uint64_t	 bytes;
	void		*priv;
};

/*
 * A sink in front of the caller's for a ranged download: gives it only
 * bytes [off, off + len) of what arrives, counting from the object's
 * start when whole says the server ignored the range (answered 200), and
 * from off otherwise.
 */
struct range_clip {
	storage_sink_fn	*sink;
	void		*arg;
	uint64_t	 skip;		/* still to drop */
	uint64_t	 left;		/* still to give (STORAGE_TO_END: no end) */
	uint64_t	 given;		/* given so far, also without an end */
};
void	range_clip_init(struct range_clip *, uint64_t off, uint64_t len,
	    bool whole, storage_sink_fn *, void *);
int	range_clip_sink(const void *, size_t, void *, struct bk_err *);
/* The value of an HTTP Range header for [off, off + len) ("bytes=A-B",
 * "bytes=A-"), or "" when the range is the whole object. */
void	range_header(char *buf, size_t size, uint64_t off, uint64_t len);

/* For open(): set the printable location (copied). */
void	storage_set_location(struct storage *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

extern const struct storage_backend storage_backend_local;
extern const struct storage_backend storage_backend_s3;
extern const struct storage_backend storage_backend_azure;
extern const struct storage_backend storage_backend_sftp;
extern const struct storage_backend storage_backend_webdav;
extern const struct storage_backend storage_backend_dropbox;

#endif
