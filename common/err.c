/*
 * err.c - struct bk_err helpers.
 *
 * Every message is passed through secret_redact() before it is stored, so a
 * caller that formats a URL or a command line into an error cannot leak a
 * registered secret.  Thread-safe: only the caller's struct is written.
 *
 * Retryable: from the code, except that a system error another attempt
 * cannot change (not a directory, permission denied, a read-only file
 * system, a loop of links) is permanent whatever the code: retrying a job
 * whose destination folder is a file only delays the one clear error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "secret.h"

static const char *const code_names[] = {
	[BK_OK] = "ok",
	[BK_EIO] = "io",
	[BK_ENOENT] = "not_found",
	[BK_EEXIST] = "exists",
	[BK_EAUTH] = "auth",
	[BK_ETIMEDOUT] = "timeout",
	[BK_EPROTO] = "protocol",
	[BK_ENOTSUP] = "not_supported",
	[BK_ECANCELED] = "canceled",
	[BK_ECORRUPT] = "corrupt",
	[BK_ECONFIG] = "config",
	[BK_EUNREACH] = "unreachable",
	[BK_EFAIL] = "failed",
};

const char *
bk_code_name(enum bk_code code)
{
	if ((unsigned)code < sizeof(code_names) / sizeof(code_names[0]) &&
	    code_names[code] != NULL)
		return code_names[code];
	return "unknown";
}

bool
bk_code_retryable(enum bk_code code)
{
	switch (code) {
	case BK_EIO:
	case BK_ETIMEDOUT:
	case BK_EUNREACH:
	case BK_EPROTO:
	case BK_EFAIL:
		return true;
	default:
		return false;
	}
}

static bool
errno_permanent(int sys)
{
	switch (sys) {
	case ENOTDIR:
	case EISDIR:
	case EACCES:
	case EPERM:
	case EROFS:
	case ELOOP:
		return true;
	default:
		return false;
	}
}

static void
err_vset(struct bk_err *err, enum bk_code code, int sys, const char *fmt,
    va_list ap)
{
	size_t len;

	err->code = code;
	err->sys_errno = sys;
	err->retryable = bk_code_retryable(code) && !errno_permanent(sys);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (sys != 0) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		    strerror(sys));
	}
	secret_redact(err->msg, sizeof(err->msg));
}

int
bk_err_set(struct bk_err *err, enum bk_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
bk_err_sys(struct bk_err *err, enum bk_code code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

void
bk_err_prefix(struct bk_err *err, const char *fmt, ...)
{
	char head[256], old[sizeof(err->msg)];
	size_t hl;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	hl = strlen(head);
	if (hl > sizeof(err->msg) - 3)
		hl = sizeof(err->msg) - 3;
	memcpy(err->msg, head, hl);
	memcpy(err->msg + hl, ": ", 2);
	memcpy(err->msg + hl + 2, old, sizeof(err->msg) - hl - 3);
	err->msg[sizeof(err->msg) - 1] = '\0';
	secret_redact(err->msg, sizeof(err->msg));
}

void
bk_err_clear(struct bk_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

int
bk_err_exit_status(const struct bk_err *err)
{
	switch (err->code) {
	case BK_OK:
		return 0;
	case BK_ECONFIG:
		return 2;
	case BK_EUNREACH:
		return 3;
	default:
		return 1;
	}
}
