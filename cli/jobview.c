/*
 * jobview.c - printing and following queue jobs for backupctl and backup.
 *
 * Following a job polls its record (HGETALL) every 200 ms: jobs take
 * minutes, a poll is one cheap read, and it needs no extra connection or
 * stream position.  Progress goes to stderr so stdout keeps only the id or
 * the JSON document.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"
#include "secret.h"
#include "settings.h"

struct queue *
jobview_open(const struct settings *admin, const char *prog, int *status)
{
	return queue_open_report(admin, prog, prog, status);
}

struct queue *
jobview_start(struct cli_ctx *ctx, const struct cli_cmd *cmd, int argc,
    char **argv, int nargs, const char **operands, bool *json, int *status)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, i;

	*json = false;
	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			*json = true;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd->usage);
			*status = 0;
			return NULL;
		default:
			*status = cli_usage(cmd);
			return NULL;
		}
	}
	if (argc - optind != nargs) {
		*status = cli_usage(cmd);
		return NULL;
	}
	for (i = 0; i < nargs; i++)
		operands[i] = argv[optind + i];
	if ((*status = cli_admin(ctx)) != 0)
		return NULL;
	return jobview_open(&ctx->admin, "backupctl", status);
}

int
jobview_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	printf("%s\n", s);
	free(s);
	return 0;
}

void
jobview_bytes(unsigned long long n, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

static const char *
str(json_t *job, const char *key)
{
	const char *s = json_string_value(json_object_get(job, key));

	return s != NULL ? s : "-";
}

void
jobview_print(FILE *f, json_t *job)
{
	char in[32], out[32];
	json_t *b = json_object_get(job, "backups");
	size_t i;

	jobview_bytes((unsigned long long)json_integer_value(json_object_get(
	    job, "bytes_in")), in, sizeof(in));
	jobview_bytes((unsigned long long)json_integer_value(json_object_get(
	    job, "bytes_out")), out, sizeof(out));
	fprintf(f, "job       %s\nuser      %s\nnode      %s\ntrigger   %s\n"
	    "state     %s\n", str(job, "id"), str(job, "user"),
	    str(job, "node"), str(job, "trigger"), str(job, "state"));
	if (strcmp(str(job, "kind"), "backup") != 0)
		fprintf(f, "kind      %s %s\n", str(job, "kind"),
		    str(job, "target"));
	if (json_is_string(json_object_get(job, "phase")))
		fprintf(f, "phase     %s\n", str(job, "phase"));
	if (json_is_integer(json_object_get(job, "percent")))
		fprintf(f, "progress  %lld%%\n", json_integer_value(
		    json_object_get(job, "percent")));
	if (json_is_string(json_object_get(job, "scheduled_for")))
		fprintf(f, "scheduled %s\n", str(job, "scheduled_for"));
	fprintf(f, "attempts  %lld of %lld\ncreated   %s\nstarted   %s\n"
	    "finished  %s\nbytes     %s read, %s written\n",
	    json_integer_value(json_object_get(job, "attempts")),
	    json_integer_value(json_object_get(job, "max_attempts")),
	    str(job, "created_at"), str(job, "started_at"),
	    str(job, "finished_at"), in, out);
	if (json_is_string(json_object_get(job, "next_retry_at")))
		fprintf(f, "retry at  %s\n", str(job, "next_retry_at"));
	if (json_is_string(json_object_get(job, "error")))
		fprintf(f, "error     %s\n", str(job, "error"));
	for (i = 0; i < json_array_size(b); i++)
		fprintf(f, "backup    %s\n",
		    json_string_value(json_array_get(b, i)));
}

void
jobview_header(FILE *f)
{
	fprintf(f, "%-40s %-12s %-10s %-9s %-20s %s\n", "JOB", "USER",
	    "STATE", "TRIGGER", "CREATED", "PHASE/ERROR");
}

void
jobview_line(FILE *f, json_t *job)
{
	fprintf(f, "%-40s %-12s %-10s %-9s %-20s %s\n", str(job, "id"),
	    str(job, "user"), str(job, "state"), str(job, "trigger"),
	    str(job, "created_at"), json_is_string(json_object_get(job,
	    "error")) ? str(job, "error") : json_is_string(json_object_get(
	    job, "phase")) ? str(job, "phase") : "");
}

/* Monotonic seconds, for the client-side rate. */
static double
mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* On a terminal: one line redrawn, a bar with percent when the job has an
 * expected total (percent, eta_seconds from the record), else the bytes;
 * the rate is what this client saw move in the last few seconds.
 * Otherwise plain lines, one per change of state or phase and one per
 * tenth of the way, so a log stays short. */
void
jobview_progress(json_t *job, bool tty, char *last, size_t lastsz)
{
	static double t0, b0, rate;
	char in[32], rt[32], line[256], bar[33], eta[32] = "";
	const char *state = str(job, "state"), *phase = str(job, "phase");
	json_t *pj = json_object_get(job, "percent");
	json_t *ej = json_object_get(job, "eta_seconds");
	long long bi = json_integer_value(json_object_get(job, "bytes_in"));
	long long pct = json_is_integer(pj) ? json_integer_value(pj) : -1;
	double now = mono_s();
	int i;

	if (t0 == 0 || (double)bi < b0) {
		t0 = now;
		b0 = (double)bi;
	} else if (now - t0 >= 1.0) {
		rate = ((double)bi - b0) / (now - t0);
		t0 = now;
		b0 = (double)bi;
	}
	jobview_bytes((unsigned long long)bi, in, sizeof(in));
	/* no rate before a second of samples: "-", not a false 0 B/s */
	if (rate > 0)
		jobview_bytes((unsigned long long)rate, rt, sizeof(rt));
	else
		snprintf(rt, sizeof(rt), "-");
	if (json_is_integer(ej)) {
		long long e = json_integer_value(ej);

		snprintf(eta, sizeof(eta), "ETA %lld:%02lld", e / 60, e % 60);
	}
	if (tty) {
		if (strcmp(state, "running") != 0) {
			fprintf(stderr, "\r\033[K%s", state);
		} else if (pct >= 0) {
			for (i = 0; i < 30; i++)
				bar[i] = i < pct * 30 / 100 ? '#' : '.';
			bar[30] = '\0';
			fprintf(stderr, "\r\033[K[%s] %3lld%% %-8s %10s %9s/s %s",
			    bar, pct, phase, in, rt, eta);
		} else
			fprintf(stderr, "\r\033[K%-8s %10s read %9s/s", phase,
			    in, rt);
		fflush(stderr);
		return;
	}
	snprintf(line, sizeof(line), "%s %s %lld", state, phase,
	    pct >= 0 ? pct / 10 : -1);
	if (strcmp(line, last) == 0)
		return;
	snprintf(last, lastsz, "%s", line);
	if (strcmp(state, "running") == 0 && pct >= 0)
		fprintf(stderr, "running: %s %lld%% (%s read, %s/s) %s\n",
		    phase, pct, in, rt, eta);
	else if (strcmp(state, "running") == 0)
		fprintf(stderr, "running: %s (%s read)\n", phase, in);
	else if (strcmp(state, "retrying") == 0)
		fprintf(stderr, "retrying: %s\n", str(job, "error"));
	else
		fprintf(stderr, "%s\n", state);
}

int
jobview_wait(struct queue *q, const char *id, const char *prog,
    json_t **final)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	bool tty = isatty(2);
	char last[256] = "";
	struct bk_err err;
	json_t *job;
	const char *state;
	int misses = 0;

	for (;;) {
		job = queue_job_get(q, id, &err);
		if (job == NULL) {
			if (err.code == BK_EUNREACH && ++misses < 50) {
				nanosleep(&ts, NULL);
				continue;
			}
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			return bk_err_exit_status(&err);
		}
		misses = 0;
		jobview_progress(job, tty, last, sizeof(last));
		state = str(job, "state");
		if (strcmp(state, "succeeded") == 0 ||
		    strcmp(state, "failed") == 0 ||
		    strcmp(state, "canceled") == 0)
			break;
		json_decref(job);
		nanosleep(&ts, NULL);
	}
	if (tty)
		fputc('\n', stderr);
	if (strcmp(state, "failed") == 0)
		fprintf(stderr, "%s: job %s failed: %s\n", prog, id,
		    str(job, "error"));
	else if (strcmp(state, "canceled") == 0)
		fprintf(stderr, "%s: job %s canceled\n", prog, id);
	{
		int rc = strcmp(state, "succeeded") == 0 ? 0 : 1;

		if (final != NULL)
			*final = job;
		else
			json_decref(job);
		return rc;
	}
}
