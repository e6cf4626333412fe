/*
 * account.c - which system account a user's work runs as, and becoming it.
 *
 * Invariants: account_lookup() does every NSS lookup in the parent, so
 * account_become() in a child forked from a threaded process only makes
 * system calls.  After account_become() returns 0 the process cannot
 * regain root: setuid(0) is checked to fail.
 *
 * Threads: account_lookup from any one thread; account_become in a child.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "account.h"
#include "err.h"
#include "log.h"
#include "settings.h"

int
account_lookup(const struct settings *admin, const char *user,
    struct account *a, struct bk_err *err)
{
	const char *mode = settings_get(admin, "USER_ACCOUNTS");
	bool required = mode != NULL && strcmp(mode, "system") == 0;
	struct passwd *pw;
	int n = ACCOUNT_MAX_GROUPS;

	memset(a, 0, sizeof(*a));
	if (mode != NULL && strcmp(mode, "none") == 0)
		return 0;
	errno = 0;
	if (user == NULL || (pw = getpwnam(user)) == NULL) {
		if (!required)
			return 0;
		bk_err_set(err, BK_ECONFIG, "USER_ACCOUNTS=system: no system "
		    "account named %s", user != NULL ? user : "");
		goto refused;
	}
	if (pw->pw_uid == 0) {
		if (!required)
			return 0;
		bk_err_set(err, BK_ECONFIG, "USER_ACCOUNTS=system: the account "
		    "%s is root", user);
		goto refused;
	}
	if (geteuid() == pw->pw_uid)
		return 0;
	if (geteuid() != 0) {
		if (!required) {
			log_kv(LOG_INFO, "not root: work runs as the caller",
			    "setting", "USER_ACCOUNTS", (char *)NULL);
			return 0;
		}
		bk_err_set(err, BK_ECONFIG, "USER_ACCOUNTS=system: not root, "
		    "cannot switch to %s", user);
		goto refused;
	}
	if (getgrouplist(pw->pw_name, pw->pw_gid, a->groups, &n) == -1) {
		bk_err_set(err, BK_ECONFIG, "USER_ACCOUNTS: the account %s is "
		    "in more than %d groups", user, ACCOUNT_MAX_GROUPS);
		goto refused;
	}
	a->ngroups = n;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	snprintf(a->name, sizeof(a->name), "%s", pw->pw_name);
	a->drop = true;
	return 0;
refused:
	err->retryable = false;
	return -1;
}

int
account_become(const struct account *a, struct bk_err *err)
{
	struct rlimit no_core = { 0, 0 };

	if (!a->drop)
		return 0;
	if (setgroups((size_t)a->ngroups, a->groups) == -1 ||
	    setgid(a->gid) == -1 || setuid(a->uid) == -1)
		return bk_err_sys(err, BK_ECONFIG, "USER_ACCOUNTS: cannot "
		    "switch to the account %s", a->name);
	if (setuid(0) != -1 || geteuid() != a->uid || getegid() != a->gid)
		return bk_err_set(err, BK_ECONFIG, "USER_ACCOUNTS: could not "
		    "drop privileges for %s", a->name);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &no_core);
	if (chdir("/") == -1)
		return bk_err_sys(err, BK_EIO, "chdir /");
	return 0;
}
