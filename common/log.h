/*
 * log.h - one logfmt line format for every program.
 *
 *   time=2026-11-26T13:11:26.123Z level=info prog=backup-worker pid=42
 *   msg="backup written" user=alice job=01J... name=backup-....tar.gz
 *
 * Lines go to stderr (journald) with one write(2) each, so threads never
 * interleave.  Every line passes through secret_redact().  The user and job
 * of the calling thread are added when set with log_set_context().
 */
#ifndef BK_LOG_H
#define BK_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void	log_init(const char *prog);
void	log_set_level(enum log_level);
int	log_parse_level(const char *, enum log_level *);
/* Write to fd instead of stderr (tests, the CLI's quiet mode: -1 = off). */
void	log_set_fd(int);
/* Thread-local context; NULL clears.  Strings are copied. */
void	log_set_context(const char *user, const char *job);

/* printf-style message, no extra fields. */
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* msg plus key/value string pairs, NULL-terminated. */
void	log_kv(enum log_level, const char *msg, ...)
	    __attribute__((sentinel));

#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)

/* Append key=value to buf (len used of size), quoting as logfmt needs. */
void	log_append_field(char *buf, size_t *len, size_t size,
	    const char *key, const char *value);

#endif
