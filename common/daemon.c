/*
 * daemon.c - option parsing, stop signals and retry backoff shared by
 * backup-scheduler, backup-worker, backup-notifier and backup.
 *
 * The signal handler only increments the counter it was given; everything
 * else runs on the caller's thread.  No state besides that counter.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "secret.h"
#include "settings.h"

static volatile sig_atomic_t	*stop_counter;

int
daemon_args(int argc, char **argv, const struct daemon_opt *extra,
    int max_operands, void (*usage)(FILE *), struct daemon_args *a,
    int *status)
{
	struct option opts[DAEMON_MAX_OPTS + 3];
	size_t n = 0, k;
	int ch;

	memset(a, 0, sizeof(*a));
	opts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (k = 0; extra != NULL && extra[k].name != NULL &&
	    k < DAEMON_MAX_OPTS; k++)
		opts[n++] = (struct option){ extra[k].name, extra[k].has_arg ?
		    required_argument : no_argument, NULL, 256 + (int)k };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (ch == 'c')
			a->config = optarg;
		else if (ch == 'h') {
			usage(stdout);
			*status = 0;
			return -1;
		} else if (ch >= 256 && ch < 256 + DAEMON_MAX_OPTS)
			a->val[ch - 256] = optarg != NULL ? optarg : "1";
		else {
			usage(stderr);
			*status = 2;
			return -1;
		}
	}
	if (argc - optind > max_operands) {
		usage(stderr);
		*status = 2;
		return -1;
	}
	a->first = optind;
	return 0;
}

int
daemon_config(const char *prog, const char *path, struct settings *admin,
    int *status)
{
	struct bk_err err;

	if (config_load_admin(config_path(path), admin, NULL, &err) == 0)
		return 0;
	secret_redact(err.msg, sizeof(err.msg));
	fprintf(stderr, "%s: %s\n", prog, err.msg);
	*status = bk_err_exit_status(&err);
	return -1;
}

static void
on_stop(int sig)
{
	(void)sig;
	if (stop_counter != NULL)
		(*stop_counter)++;
}

void
daemon_signals(volatile sig_atomic_t *counter)
{
	struct sigaction sa;

	stop_counter = counter;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int64_t
daemon_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
backoff_init(struct backoff *b, int64_t min_ms, int64_t max_ms)
{
	memset(b, 0, sizeof(*b));
	b->min_ms = b->cur_ms = min_ms;
	b->max_ms = max_ms;
}

bool
backoff_fail(struct backoff *b)
{
	bool first = !b->down;

	b->down = true;
	b->until_ms = daemon_mono_ms() + b->cur_ms;
	b->cur_ms = b->cur_ms * 2 > b->max_ms ? b->max_ms : b->cur_ms * 2;
	return first;
}

bool
backoff_ok(struct backoff *b)
{
	bool was = b->down;

	b->down = false;
	b->cur_ms = b->min_ms;
	b->until_ms = 0;
	return was;
}

bool
backoff_ready(const struct backoff *b)
{
	return !b->down || daemon_mono_ms() >= b->until_ms;
}

void
backoff_sleep(const struct backoff *b, volatile sig_atomic_t *stop)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	while (!backoff_ready(b) && (stop == NULL || *stop == 0))
		nanosleep(&ts, NULL);
}
