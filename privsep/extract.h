/*
 * extract.h - parse a restore's tar stream, and extract it, in a child
 * process that has become the user (privsep/account.h).
 *
 * The parent keeps download, decryption and decompression and writes the
 * plain tar stream with extract_write(); the child parses it (a hostile
 * archive is parsed with the user's reach only) and either extracts it
 * into DIR or, for verify, only reads it through.  What the child may
 * create is fixed here, whatever the archive says: see extract.c and
 * docs/security.md ("Restore and verify").
 */
#ifndef BK_EXTRACT_H
#define BK_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct account;
struct bk_err;
struct extract;

/* Notes (skipped, refused, changed entries) the result names at most. */
#define EXTRACT_MAX_NOTES	100

struct extract_opts {
	const char	*dir;		/* absolute; NULL: verify, no writes */
	char *const	*only;		/* member paths to extract, or NULL */
	size_t		 nonly;
	bool		 overwrite;	/* a non-empty DIR is allowed */
	/* Names of regular files restored for which this is true are kept
	 * in the result (database dumps).  Optional. */
	bool		(*keep)(const char *path);
	/*
	 * An incremental chain, full first: nstreams tar streams (see
	 * extract_next), each ending with .panel-backup/paths.  After each,
	 * what the previous one listed and this one does not is removed
	 * (with DIR), and over an earlier archive entries are replaced,
	 * folders by files too.  0 or 1: one stream, no chain.
	 */
	bool		 chain;
	unsigned int	 nstreams;
};

struct extract_result {
	uint64_t	 members;	/* tar entries read */
	uint64_t	 files;
	uint64_t	 dirs;
	uint64_t	 links;		/* symbolic and hard */
	uint64_t	 bytes;		/* file content read (verify) or
					 * written (restore) */
	uint64_t	 skipped;	/* devices, FIFOs, sockets */
	uint64_t	 refused;	/* absolute, "..", through a link */
	uint64_t	 changed;	/* lost setuid/setgid/sticky bits */
	uint64_t	 removed;	/* deleted by a later archive of a chain */
	uint64_t	 left;		/* ... but kept: not ours, or not empty */
	char		*meta;		/* the last stream's .panel-backup/chain */
	char		**notes;	/* "PATH: why", the first few */
	size_t		 nnotes;
	char		**kept;		/* see extract_opts.keep */
	size_t		 nkept;
	uint64_t	*only_hits;	/* entries matched, per opts.only[i] */
};

/*
 * Fork the child: it becomes a (a->drop false: stays the caller, same
 * rules), opens DIR from "/" without following any link (creating what is
 * missing) and checks it may use it; returns once the child is ready, or
 * NULL with the child's error (BK_ECONFIG for a refused DIR).  o and
 * everything it points to must stay valid until extract_finish.
 */
struct extract	*extract_start(const struct account *a,
		    const struct extract_opts *o, struct bk_err *);


/* Tar stream bytes to the child, through a pipe (the caller ignores
 * SIGPIPE, as backupctl and the daemons do): 0, or -1 with err when the
 * child stopped. */
int		 extract_write(struct extract *, const void *, size_t,
		    struct bk_err *);

/* End of the tar stream (the stream stage's finish or abort). */
void		 extract_close_input(struct extract *);

/*
 * A chain (o->nstreams > 1): the stream written so far ends; 0 when the
 * child read it through (its .panel-backup/chain in *meta, malloc'd, or
 * NULL) and took a new input for the next one (extract_write).  -1 with the
 * child's error: call extract_finish for its result.
 */
int		 extract_next(struct extract *, char **meta, struct bk_err *);

/*
 * Close the input if still open, read the child's result and reap it.
 * 0 with res filled (free with extract_result_free) or -1 with the
 * child's error (the tar layer's, or "the extraction process stopped").
 * Frees x either way.
 */
int		 extract_finish(struct extract *, struct extract_result *res,
		    struct bk_err *);

/* Kill the child (when it still runs), reap it, free x.  NULL is a no-op. */
void		 extract_free(struct extract *);

void		 extract_result_free(struct extract_result *);

#endif
