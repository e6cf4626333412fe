/*
 * userfile.h - reading a file a user's setting names, with the user's
 * reach (KEY_FILE values, SSH identities, CA certificates, key files).
 *
 * See docs/security.md ("Who does what").
 */
#ifndef BK_USERFILE_H
#define BK_USERFILE_H

#include <stdbool.h>
#include <stddef.h>

struct account;
struct buf;
struct bk_err;
struct diag;
struct settings;

/* Files a setting names are small: values, keys, certificates. */
#define USERFILE_MAX		(1024 * 1024)
/* A child that has not answered by then is killed (a slow NFS mount, a
 * stuck FUSE file system of the user's). */
#define USERFILE_TIMEOUT_MS	10000

/*
 * Read path into out (appended; out's own ceiling also applies) from a
 * short-lived child that has become a (account_become).  The child opens
 * it O_RDONLY|O_NONBLOCK|O_NOCTTY and refuses anything but a regular
 * file of at most max bytes, so a FIFO, device, socket or folder fails
 * fast.  Errors name setting and path (as the user wrote it) and never
 * hold a byte of the content.
 *
 * With no account to become (a->drop false) while running as root, path
 * must be trusted (userfile_trusted), else it is refused naming
 * USER_ACCOUNTS.  Safe to call from a threaded process: after fork the
 * child makes system calls only.  BK_ECONFIG, not retryable, when the
 * file cannot be used; BK_ENOENT when it is missing.
 */
int	userfile_read(const struct account *a, const char *setting,
	    const char *path, size_t max, struct buf *out, struct bk_err *);

/*
 * 0 when no one but root can change what path resolves to: each
 * component of path and of its canonical form (the file or folder
 * itself included) is owned by root and not writable by group or others
 * (a sticky folder such as /tmp is allowed above the last component:
 * others cannot rename or remove root's entries in it).  -1 with err
 * (BK_ECONFIG) naming setting, the component and USER_ACCOUNTS
 * otherwise.
 */
int	userfile_trusted(const char *setting, const char *path,
	    struct bk_err *);

/* userfile_read as user_name's account (account_lookup first): for
 * modules that get the admin settings and a user name (storage/). */
int	userfile_read_for(const struct settings *admin, const char *user_name,
	    const char *setting, const char *path, size_t max, struct buf *out,
	    struct bk_err *);

/*
 * config_load_user with the user's KEY_FILE values read as the user:
 * looks up the account (account_lookup) and, when acct is not NULL,
 * hands it back for the rest of the work (destinations, key files).
 */
int	userfile_load_settings(const struct settings *admin, const char *user,
	    const char *env_file, struct account *acct, struct settings *,
	    struct diag *, struct bk_err *);

#endif
