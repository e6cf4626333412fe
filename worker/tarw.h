/*
 * tarw.h - the tar writer at the head of the backup pipeline.
 *
 * pax archives through libarchive: regular files, directories (empty ones
 * too), symlinks stored as links and never followed, hard links as links,
 * modes, owners, mtimes.  Member names are "<prefix>/<path relative to the
 * source root>".  Output goes to pipeline_write().
 */
#ifndef BK_TARW_H
#define BK_TARW_H

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct bk_err;
struct exclude;
struct pipeline;
struct tarw;

struct tarw_stats {
	uint64_t	files;		/* members written */
	uint64_t	bytes;		/* file content bytes read */
	uint64_t	warnings;	/* skipped, unreadable, changed */
};

typedef void	tarw_tick_fn(const struct tarw_stats *, void *);
/* C.UTF-8 for uselocale() around libarchive calls that convert names
 * (pax paths are UTF-8); (locale_t)0 if the system has none. */
locale_t	 tarw_utf8_locale(void);
/* Where a tarw without a pipeline writes; 0, or -1 to fail the archive. */
typedef int	tarw_sink_fn(const void *, size_t, void *);

struct tarw	*tarw_new(struct pipeline *, struct bk_err *);
/* A tarw writing its stream to sink (a reader process, privsep.c). */
struct tarw	*tarw_new_sink(tarw_sink_fn *, void *, struct bk_err *);
/* Called about once a second while writing; optional. */
void		 tarw_set_tick(struct tarw *, tarw_tick_fn *, void *);
void		 tarw_set_cancel(struct tarw *, volatile int *);
/* Fail (BK_ECONFIG naming USER_ACCOUNTS) on any folder of a tree that is
 * not root's alone: for root reading with no account to switch to. */
void		 tarw_set_root_dirs_only(struct tarw *, bool);
/* Fail the archive (error naming setting, not retryable) once its tar
 * stream would pass max_bytes; 0: no limit. */
void		 tarw_set_limit(struct tarw *, uint64_t max_bytes,
		    const char *setting);
struct chain_state;
/* Incremental chains (chain.h): every member the walk meets is recorded
 * in seen (may be NULL) as this process saw it; with prev (may be NULL),
 * a member other than a folder that prev holds unchanged is not written.
 * Both are borrowed. */
void		 tarw_set_chain(struct tarw *, const struct chain_state *prev,
		    struct chain_state *seen);
struct chain_entry;
/* Record a dump (e, its SHA-256 in hex) as present; true when the chain's
 * previous archive has the same dump, so the incremental leaves it out. */
bool		 tarw_chain_dump(struct tarw *, const struct chain_entry *,
		    const char *sha256);
struct stat;
/* Record member as seen (sb: the reader's stat of it); true when the
 * incremental leaves it out.  For members added outside the walk. */
bool		 tarw_chain_skip(struct tarw *, const char *member,
		    const struct stat *);
/* Archive the tree at root under prefix.  A missing root is an error. */
int		 tarw_add_tree(struct tarw *, const char *root,
		    const char *prefix, struct exclude *, struct bk_err *);
/* Add one regular file of exactly size bytes read from fd. */
int		 tarw_add_fd(struct tarw *, const char *member, int fd,
		    uint64_t size, mode_t mode, time_t mtime, struct bk_err *);
/* End the current entry (write its padding): the stream so far is whole
 * members, ready to be spliced into another archive. */
int		 tarw_flush(struct tarw *, struct bk_err *);
/* Splice len bytes of whole tar members (another tarw's flushed output)
 * into the archive; with len 0 only checks for cancel and ticks. */
int		 tarw_write_raw(struct tarw *, const void *, size_t,
		    struct bk_err *);
void		 tarw_set_stats(struct tarw *, const struct tarw_stats *);
/* Write the end of the archive. */
int		 tarw_close(struct tarw *, struct bk_err *);
const struct tarw_stats *tarw_stats(const struct tarw *);
void		 tarw_free(struct tarw *);

#endif
