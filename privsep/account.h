/*
 * account.h - the system account a panel user's work runs as, and the
 * one way a child process becomes it.
 *
 * USER_ACCOUNTS (admin): auto runs as the system account named like the
 * panel user when one exists and the caller is root; system requires
 * that (refused otherwise); none runs as the caller.  See
 * docs/security.md.
 */
#ifndef BK_ACCOUNT_H
#define BK_ACCOUNT_H

#include <stdbool.h>
#include <sys/types.h>

struct bk_err;
struct settings;

#define ACCOUNT_MAX_GROUPS	64

struct account {
	bool	 drop;		/* false: work runs as the caller */
	uid_t	 uid;
	gid_t	 gid;
	int	 ngroups;
	gid_t	 groups[ACCOUNT_MAX_GROUPS];
	char	 name[64];
};

/*
 * Look up the account user's work runs as (everything resolved here, in
 * the parent, so a forked child needs no NSS call).  0 with a->drop
 * telling whether a switch is needed; -1 (BK_ECONFIG naming
 * USER_ACCOUNTS, not retryable) when the setting cannot be honoured.
 */
int	account_lookup(const struct settings *admin, const char *user,
	    struct account *a, struct bk_err *);

/*
 * In a freshly forked child: take a's uid, gid and groups, keep no
 * capability, set NO_NEW_PRIVS, not dumpable, no core, cwd "/".  Checks
 * that root cannot be regained.  -1 with err when any step fails (the
 * child must then exit without doing the work).  A no-op when !a->drop.
 */
int	account_become(const struct account *a, struct bk_err *);

#endif
