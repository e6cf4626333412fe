/*
 * err.h - the one error type of panel-backup.
 *
 * Functions return 0 or -1 (or a pointer or NULL) and fill a caller's
 * struct bk_err on failure.  Library code never logs its own failures: the
 * daemon or command that called it logs them once.  Messages name the
 * operation and the object, and pass through the secret registry
 * (secret.h) so a registered secret can never appear in one.
 */
#ifndef BK_ERR_H
#define BK_ERR_H

#include <stdbool.h>

enum bk_code {
	BK_OK = 0,
	BK_EIO,		/* local I/O failed */
	BK_ENOENT,	/* no such object, file, job */
	BK_EEXIST,	/* already exists */
	BK_EAUTH,	/* credentials refused */
	BK_ETIMEDOUT,	/* a peer did not answer in time */
	BK_EPROTO,	/* a peer answered something we cannot use */
	BK_ENOTSUP,	/* operation not offered by this backend */
	BK_ECANCELED,	/* stopped on request (signal, shutdown) */
	BK_ECORRUPT,	/* data failed an integrity check */
	BK_ECONFIG,	/* invalid settings or usage: exit status 2 */
	BK_EUNREACH,	/* a service could not be reached: exit status 3 */
	BK_EFAIL,	/* anything else that failed the job */
};

struct bk_err {
	enum bk_code	 code;
	int		 sys_errno;	/* errno at the failure, or 0 */
	bool		 retryable;	/* a later attempt may succeed */
	char		 msg[512];
};

/* Set err (may be NULL) and return -1.  retryable defaults from the code. */
int	bk_err_set(struct bk_err *, enum bk_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Like bk_err_set, appending ": strerror(errno)" and recording errno. */
int	bk_err_sys(struct bk_err *, enum bk_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to an existing message; keeps code and retryable. */
void	bk_err_prefix(struct bk_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	bk_err_clear(struct bk_err *);
/* The exit status SPEC.md gives this error: 1, 2 or 3. */
int	bk_err_exit_status(const struct bk_err *);
const char *bk_code_name(enum bk_code);
/* Default for retryable: timeouts, unreachable peers and I/O are transient. */
bool	bk_code_retryable(enum bk_code);

#endif
