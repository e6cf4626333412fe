/*
 * cmd_notify.c - `backupctl notify test (USER | --env-file FILE)`: send a
 * test notification to each of the user's NOTIFICATION_URLS, whatever
 * NOTIFICATION_LEVEL says, and report one line per URL (redacted):
 *	ok      slack   slack://hook:***@webhook
 *	failed  ntfy    ntfy://ntfy.sh/alerts: ntfy: HTTP 403: ...
 * Exit 0 if all went out, 1 if any failed, 2 for bad usage or settings.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "notify.h"
#include "settings.h"
#include "userfile.h"

static int
notify_test(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *env_file, *user;
	struct notify_result *res;
	struct notify_event ev;
	struct settings us;
	struct bk_err err;
	size_t n, i;
	int rc, failed;

	if ((rc = cli_user_args(&cmd_notify, argc, argv, &user, &env_file)) !=
	    0)
		return rc;
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if (userfile_load_settings(&ctx->admin, user, env_file,
	    NULL, &us, NULL, &err) == -1)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	memset(&ev, 0, sizeof(ev));
	ev.kind = NOTIFY_TEST;
	ev.user = user != NULL ? user : env_file;
	ev.started = ev.finished = time(NULL);
	failed = notify_send(&ctx->admin, &us, &ev, &res, &n);
	if (n == 0) {
		settings_free(&us);
		notify_results_free(res, n);
		return cli_fail(2, "NOTIFICATION_URLS: no URL set for %s",
		    ev.user);
	}
	for (i = 0; i < n; i++) {
		if (res[i].ok)
			printf("ok      %-10s %s\n", res[i].service, res[i].url);
		else
			printf("failed  %-10s %s: %s\n", res[i].service[0] ?
			    res[i].service : "-", res[i].url, res[i].error);
	}
	fflush(stdout);
	notify_results_free(res, n);
	settings_free(&us);
	return failed > 0 ? 1 : 0;
}

static int
cmd_notify_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "test") != 0)
		return cli_usage(&cmd_notify);
	return notify_test(ctx, argc - 1, argv + 1);
}

const struct cli_cmd cmd_notify = {
	.name = "notify",
	.usage = "notify test (USER | --env-file FILE)",
	.summary = "send a test notification to each NOTIFICATION_URLS entry",
	.exec = cmd_notify_exec,
};
