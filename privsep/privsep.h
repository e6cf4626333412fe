/*
 * privsep.h - reading a user's path sources with that user's privileges.
 *
 * USER_ACCOUNTS (admin): auto reads as the system account named like the
 * panel user when one exists and the worker can switch to it; system
 * requires that (the job fails otherwise); none reads as the worker.  See
 * docs/security.md.
 */
#ifndef BK_PRIVSEP_H
#define BK_PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

struct bk_err;
struct exclude;
struct settings;
struct tarw;
struct privsep;

/*
 * Decide how user's sources are read and, when that is as another
 * account, start the reader process now (call it while the job is still
 * single-threaded: before destinations and the pipeline start).  ex is
 * kept (not owned) for every path added.  NULL with err (BK_ECONFIG
 * naming USER_ACCOUNTS) when the setting cannot be honoured.
 */
struct privsep	*privsep_start(const struct settings *admin, const char *user,
		    struct exclude *ex, struct bk_err *);

struct chain_state;
/*
 * The same, for an incremental chain (chain.h): paths are left out when
 * prev (may be NULL) holds them unchanged, and every path the reader saw
 * (with the user's privileges) is added to seen (unsorted).  The reader
 * is forked with prev in its memory; both stay the caller's.
 */
struct privsep	*privsep_start_chain(const struct settings *admin,
		    const char *user, struct exclude *ex,
		    const struct chain_state *prev, struct chain_state *seen,
		    struct bk_err *);

/* From now on no path is left out (the job became a full backup). */
void		 privsep_chain_full(struct privsep *);

/*
 * Archive path under member: a folder's tree, or one regular file.
 * Returns 1 when path is missing (or neither; nothing written), 0 when
 * archived, -1 on error.
 */
int		 privsep_add_path(struct privsep *, struct tarw *,
		    const char *path, const char *member, struct bk_err *);

/* True when paths are read by a process with the user's uid and gids. */
bool		 privsep_dropped(const struct privsep *);

/* The reader process, or 0 when paths are read in-process (the job's
 * time limit kills it, worker/deadline.c). */
pid_t		 privsep_reader_pid(const struct privsep *);

/* Stop the reader (killed if it is still busy) and free. */
void		 privsep_free(struct privsep *);

#endif
