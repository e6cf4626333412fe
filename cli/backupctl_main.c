/*
 * backupctl_main.c - the operator's and panel's command line.
 *
 * Global options (--config FILE, --help) come before the subcommand; the
 * subcommand parses the rest.  See cli.h for the exit status rules.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cli.h"
#include "log.h"
#include "settings.h"

static const struct cli_cmd *const cmds[] = {
	&cmd_run,
	&cmd_config,
	&cmd_cron,
	&cmd_enqueue,
	&cmd_status,
	&cmd_jobs,
	&cmd_workers,
	&cmd_stats,
	&cmd_metrics,
	&cmd_health,
	&cmd_cancel,
	&cmd_notify,
	&cmd_decrypt,
	&cmd_list,
	&cmd_restore,
	&cmd_verify,
	&cmd_pin,
	&cmd_unpin,
	&cmd_queue,
	NULL,
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: backupctl [--config FILE] COMMAND [ARGS]\n\n"
	    "commands:\n");
	for (i = 0; cmds[i] != NULL; i++)
		fprintf(f, "  %-58s %s\n", cmds[i]->usage, cmds[i]->summary);
	fprintf(f, "\n--config FILE defaults to $PANEL_BACKUP_CONFIG, else "
	    "/etc/panel-backup/panel-backup.conf.\n"
	    "Exit status: 0 success, 1 failed, 2 bad usage or settings, "
	    "3 a service could not be reached.\n");
}

/* --help among a subcommand's arguments (up to a "--"). */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx = { 0 };
	int ch, i, rc;

	log_init("backupctl");
	/* A closed pipe (restore's tar reader, a closed stdout) is an
	 * error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() == -1 || curl_global_init(CURL_GLOBAL_ALL) != 0) {
		fprintf(stderr, "backupctl: cannot initialise libraries\n");
		return 1;
	}
	rc = -1;
	for (i = 0; cmds[i] != NULL; i++)
		if (strcmp(cmds[i]->name, argv[0]) == 0) {
			/* SUBCOMMAND --help: the same answer for every
			 * subcommand, before any of them parses options. */
			if (wants_help(argc, argv)) {
				printf("usage: backupctl %s\n", cmds[i]->usage);
				rc = 0;
				break;
			}
			optind = 0;	/* glibc: a full re-initialisation */
			rc = cmds[i]->exec(&ctx, argc, argv);
			break;
		}
	if (rc == -1) {
		fprintf(stderr, "backupctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		rc = 2;
	}
	if (ctx.admin_loaded)
		settings_free(&ctx.admin);
	curl_global_cleanup();
	return rc;
}
