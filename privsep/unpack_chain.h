/*
 * unpack_chain.h - a restore's part in incremental chains, in the
 * extraction process: the archive's own bookkeeping (.panel-backup/)
 * read and never extracted, and after each archive of a chain the paths
 * it no longer lists removed under DIR.  Library of extract.c only.
 */
#ifndef BK_UNPACK_CHAIN_H
#define BK_UNPACK_CHAIN_H

#include <stddef.h>

struct archive;
struct archive_entry;
struct unpack;

/* Members under this folder are the backup's bookkeeping. */
#define UNPACK_META_DIR		".panel-backup"

/*
 * e is the current header: 1 when it is bookkeeping (read, when it
 * matters, and skipped; the caller goes on with the next header), 0 when
 * it is the user's, -1 with c->err.
 */
int	unpack_chain_member(struct unpack *, struct archive *,
	    struct archive_entry *);

/*
 * A chain's archive was read through: every path the previous archive
 * listed and this one does not is removed (with DIR; deepest first, as
 * the user, nothing followed), then folders get their modes and mtimes.
 * -1 with c->err when the archive lists no paths (not from a chain).
 */
int	unpack_chain_step(struct unpack *);

/* The last archive's .panel-backup/chain (NULL, or len bytes), now the
 * caller's: the next archive's is its own. */
char	*unpack_chain_meta_take(struct unpack *, size_t *len);

/*
 * A chain's folder path (pfd/leaf) became something else: what the
 * previous archive listed under it is removed (deepest first, nothing
 * followed), then the folder.  -1 with errno EEXIST when it still holds
 * something no archive listed (the user's own, with --overwrite): kept.
 */
int	unpack_chain_clear(struct unpack *, int pfd, const char *leaf,
	    const char *path);

#endif
