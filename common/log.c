/*
 * log.c - logfmt lines to stderr.
 *
 * Threads: the level and program name are set once before threads start;
 * the context is thread-local; each line is formatted in a local buffer and
 * written with a single write(2).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

#define LINE_MAX_BYTES	4096

static char			 log_prog[64] = "panel-backup";
static enum log_level		 log_min = LOG_INFO;
static int			 log_fd = STDERR_FILENO;
static __thread char		 ctx_user[128];
static __thread char		 ctx_job[64];

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

void
log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	snprintf(log_prog, sizeof(log_prog), "%s",
	    slash != NULL ? slash + 1 : prog);
}

void
log_set_level(enum log_level lvl)
{
	log_min = lvl;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

void
log_set_context(const char *user, const char *job)
{
	snprintf(ctx_user, sizeof(ctx_user), "%s", user != NULL ? user : "");
	snprintf(ctx_job, sizeof(ctx_job), "%s", job != NULL ? job : "");
}

void
log_append_field(char *buf, size_t *len, size_t size, const char *key,
    const char *value)
{
	const char *p;
	bool quote = (*value == '\0');
	size_t n = *len;

	for (p = value; *p != '\0' && !quote; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p < 0x20)
			quote = true;
	if (n + 1 >= size)
		return;
	if (n > 0)
		buf[n++] = ' ';
	while (*key != '\0' && n < size - 2)
		buf[n++] = *key++;
	buf[n++] = '=';
	if (n < size - 1 && quote)
		buf[n++] = '"';
	for (p = value; *p != '\0' && n < size - 3; p++) {
		if (*p == '"' || *p == '\\') {
			buf[n++] = '\\';
			buf[n++] = *p;
		} else if (*p == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if ((unsigned char)*p < 0x20)
			buf[n++] = ' ';
		else
			buf[n++] = *p;
	}
	if (quote && n < size - 1)
		buf[n++] = '"';
	if (n >= size)
		n = size - 1;
	buf[n] = '\0';
	*len = n;
}

static void
log_emit(enum log_level lvl, const char *msg, va_list kv)
{
	char line[LINE_MAX_BYTES], ts[96], pid[24];
	struct timeval tv;
	struct tm tm;
	const char *k, *v;
	size_t len = 0;
	int saved = errno;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	line[0] = '\0';
	log_append_field(line, &len, sizeof(line), "time", ts);
	log_append_field(line, &len, sizeof(line), "level", level_names[lvl]);
	log_append_field(line, &len, sizeof(line), "prog", log_prog);
	log_append_field(line, &len, sizeof(line), "pid", pid);
	log_append_field(line, &len, sizeof(line), "msg", msg);
	if (ctx_user[0] != '\0')
		log_append_field(line, &len, sizeof(line), "user", ctx_user);
	if (ctx_job[0] != '\0')
		log_append_field(line, &len, sizeof(line), "job", ctx_job);
	while ((k = va_arg(kv, const char *)) != NULL) {
		v = va_arg(kv, const char *);
		log_append_field(line, &len, sizeof(line), k,
		    v != NULL ? v : "");
	}
	secret_redact(line, sizeof(line) - 1);
	len = strlen(line);
	line[len++] = '\n';
	(void)!write(log_fd, line, len);
	errno = saved;
}

static void
log_emit_kv(enum log_level lvl, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_emit(lvl, msg, ap);
	va_end(ap);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES / 2];
	va_list ap;

	if (lvl < log_min || log_fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit_kv(lvl, msg, (const char *)NULL);
}

void
log_kv(enum log_level lvl, const char *msg, ...)
{
	va_list ap;

	if (lvl < log_min || log_fd < 0)
		return;
	va_start(ap, msg);
	log_emit(lvl, msg, ap);
	va_end(ap);
}
