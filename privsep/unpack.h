/*
 * unpack.h - the restore rules, applied in the extraction process
 * (extract.c) after it became the user: a tar stream's members created
 * under DIR, opened from "/" without following links; nothing in the
 * archive is followed, and no owner, setuid bit or device node is
 * granted.  Library of extract.c only.
 */
#ifndef BK_UNPACK_H
#define BK_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct account;
struct extract_opts;
struct unpack_fixup;

struct unpack_counts {
	uint64_t	members, files, dirs, links, bytes;
	uint64_t	skipped, refused, changed;
	uint64_t	removed, left;	/* a chain's deletions (unpack_chain.c) */
};
struct unpack_chain;

struct unpack {
	const struct extract_opts *o;
	int		 root;		/* DIR; -1: read only (verify) */
	struct unpack_counts n;
	char		**notes;	/* "PATH: why", the first few */
	size_t		 nnotes;
	char		**kept;		/* see extract_opts.keep */
	size_t		 nkept;
	uint64_t	*hits;		/* entries matched, per o->only[i] */
	struct bk_err	 err;		/* after a -1 */
	unsigned int	 step;		/* a chain's archive: 0 the full */
	struct unpack_chain *chain;	/* unpack_chain.c's */
	/* Private to unpack.c. */
	char		*cpath;		/* the cached parent folder ... */
	int		 cfd;		/* ... and its descriptor */
	struct unpack_fixup *fix;	/* folders' modes and mtimes */
	size_t		 nfix;
	char		**set;		/* entries made (unpack_made) */
	size_t		 setcap, setlen;
};

/* Nothing allocated but hits; the process exits rather than free it. */
void	unpack_init(struct unpack *, const struct extract_opts *);

/*
 * Open dir (absolute) from "/" one component at a time, never through a
 * link, creating what is missing (0700); check it is empty (unless
 * o->overwrite) and that it may be written (by the account, or, with no
 * account, that the caller owns it).  -1 with u->err (BK_ECONFIG).
 */
int	unpack_root(struct unpack *, const char *dir, const struct account *);

/* Read the tar stream on fd to its end, extracting when u->root is set.
 * -1 with u->err (the tar layer's, or the restore folder's I/O). */
int	unpack_stream(struct unpack *, int fd);

/* Replace control characters (names come from the archive). */
void	unpack_printable(char *);

/* For unpack_chain.c. */
int	unpack_norm_path(const char *raw, char *out, size_t size,
	    const char **why);
bool	unpack_wanted(struct unpack *, const char *path, bool count);
/* Did this restore (any archive of its chain) create path? */
bool	unpack_made(const struct unpack *, const char *path);
int	unpack_open_folder(int root, const char *path, bool create);
void	unpack_forget_folder(struct unpack *);
void	unpack_fixups(struct unpack *);
void	unpack_note(struct unpack *, uint64_t *counter, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
