/*
 * cmd_run.c - `backupctl run USER` and `backupctl run --env-file FILE
 * [--user NAME]`: one backup now, in this process, without Redis; then the
 * user's notifications, as the notifier would send them.
 *
 * Prints a summary to stdout; logs (logfmt) go to stderr.  Exit status is
 * SPEC.md's: 0, 1 failed, 2 bad settings, 3 a destination unreachable.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "jobview.h"
#include "job.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "settings.h"
#include "userfile.h"
#include "xmalloc.h"
#include "yield.h"

static void
print_result(const struct job_result *res)
{
	char in[32], out[32];
	size_t i;

	jobview_bytes((unsigned long long)res->bytes_in, in, sizeof(in));
	jobview_bytes((unsigned long long)res->bytes_out, out, sizeof(out));

	for (i = 0; i < res->ndests; i++) {
		if (res->dests[i].name != NULL)
			printf("wrote %s to %s (%s)\n",
			    res->dests[i].name, res->dests[i].location, out);
		if (res->dests[i].pruned > 0)
			printf("pruned %u old backup%s at %s\n",
			    res->dests[i].pruned,
			    res->dests[i].pruned == 1 ? "" : "s",
			    res->dests[i].location);
		if (res->dests[i].prune_kept > 0)
			printf("kept %u expired backup%s at %s: a kept "
			    "restore point needs %s\n",
			    res->dests[i].prune_kept,
			    res->dests[i].prune_kept == 1 ? "" : "s",
			    res->dests[i].location,
			    res->dests[i].prune_kept == 1 ? "it" : "them");
	}
	if (res->kind != NULL && res->seq > 0)
		printf("incremental %u of chain %s\n", res->seq, res->chain);
	else if (res->kind != NULL && res->note != NULL && res->note[0])
		printf("full backup: %s\n", res->note);
	printf("%llu files, %s read, %u warning%s, %.1f s\n",
	    (unsigned long long)res->files, in, res->warnings,
	    res->warnings == 1 ? "" : "s", res->seconds);
	for (i = 0; i < res->nnotes; i++)
		printf("warning: %s\n", res->notes[i]);
}

/* The user's notifications, loaded again: the job's settings are gone. */
static void
send_notifications(struct cli_ctx *ctx, const char *user,
    const char *env_file, const struct job_result *res,
    const struct bk_err *err, int failed, time_t started)
{
	struct notify_event ev = { 0 };
	struct settings us;
	struct bk_err lerr;
	char dests[1024] = "";
	size_t i, len = 0;

	if (userfile_load_settings(&ctx->admin, user, env_file, NULL, &us,
	    NULL, &lerr) == -1)
		return;
	for (i = 0; i < res->ndests && len < sizeof(dests) - 2; i++)
		len += (size_t)snprintf(dests + len, sizeof(dests) - len,
		    "%s%s", len > 0 ? ", " : "",
		    res->dests[i].location != NULL ? res->dests[i].location :
		    res->dests[i].destination);
	ev.kind = failed ? NOTIFY_FAILED : NOTIFY_SUCCEEDED;
	ev.user = user;
	ev.backup_name = res->name;
	ev.destinations = dests;
	ev.error = failed ? err->msg : NULL;
	ev.size = res->bytes_out;
	ev.seconds = res->seconds;
	for (i = 0; i < res->ndests; i++)
		ev.pruned += res->dests[i].pruned;
	ev.started = started;
	ev.finished = time(NULL);
	(void)notify_event(&ctx->admin, &us, &ev);
	settings_free(&us);
}

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw != NULL ? pw->pw_name : "root";
}

/*
 * The user's pins (backupctl pin), which live in the queue: a pinned
 * backup is never pruned, by a worker's job or by this one.  Where no
 * REDIS_URL is set there is no queue and so no pin; where one is set but
 * cannot be read, the pins are unknown and this run prunes nothing ("*").
 * A NULL-ended list for job_spec.pinned.
 */
static char **
run_pins(const struct settings *admin, const char *user)
{
	struct queue *q;
	struct bk_err err;
	char **pins = NULL;
	size_t n = 0;

	if ((q = queue_open(admin, "backupctl-run", &err)) != NULL &&
	    queue_pinned_list(q, user, &pins, &n, &err) == 0) {
		queue_close(q);
		pins = xreallocarray(pins, n + 1, sizeof(*pins));
		pins[n] = NULL;
		return pins;
	}
	queue_close(q);
	if (!settings_is_set(admin, "REDIS_URL"))
		return NULL;
	fprintf(stderr, "backupctl: warning: cannot read %s's pins from the "
	    "queue (%s); this run prunes nothing\n", user, err.msg);
	pins = xcalloc(2, sizeof(*pins));
	pins[0] = xstrdup("*");
	return pins;
}

static void
pins_free(char **pins)
{
	size_t i;

	for (i = 0; pins != NULL && pins[i] != NULL; i++)
		free(pins[i]);
	free(pins);
}

static int
cmd_run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *env_file, *user;
	struct job_spec spec = { 0 };
	struct job_result res;
	struct bk_err err;
	char **pins;
	int rc;

	if ((rc = cli_user_args(&cmd_run, argc, argv, &user, &env_file)) != 0)
		return rc;
	if (user == NULL)
		user = login_name();
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	spec.user = user;
	spec.env_file = env_file;
	spec.admin = &ctx->admin;
	spec.start = time(NULL);
	pins = run_pins(&ctx->admin, user);
	spec.pinned = (const char *const *)pins;
	log_set_context(user, NULL);
	yield_job_init(&ctx->admin);	/* as a worker's job process */
	rc = job_run(&spec, &res, &err);
	if (rc == 0) {
		print_result(&res);
		log_kv(LOG_INFO, "backup succeeded", "name", res.name,
		    (char *)NULL);
	} else {
		if (res.ndests > 0)
			print_result(&res);
		fprintf(stderr, "backupctl: backup of %s failed: %s\n", user,
		    err.msg);
	}
	send_notifications(ctx, user, env_file, &res, &err, rc != 0,
	    spec.start);
	rc = rc == 0 ? 0 : bk_err_exit_status(&err);
	job_result_free(&res);
	pins_free(pins);
	return rc;
}

const struct cli_cmd cmd_run = {
	.name = "run",
	.usage = "run (USER | --env-file FILE [--user NAME])",
	.summary = "run one backup now, in this process, without Redis",
	.exec = cmd_run_exec,
};
