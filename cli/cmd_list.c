/*
 * cmd_list.c - `backupctl list USER [--json]`: the backups at every
 * destination of USER, newest first.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "userfile.h"
#include "jobview.h"

static void
rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
cmd_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "env-file", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env_file = NULL, *user;
	struct catalog cat;
	struct settings us;
	struct bk_err err;
	json_t *arr, *doc;
	char when[32], size[32];
	int ch, json = 0, rc;
	size_t i;

	while ((ch = getopt_long(argc, argv, "je:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'e':
			env_file = optarg;
			break;
		default:
			return cli_usage(&cmd_list);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_list);
	user = argv[optind];
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if (userfile_load_settings(&ctx->admin, user, env_file,
	    NULL, &us, NULL, &err) == -1)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	rc = catalog_load(&ctx->admin, &us, user, &cat, &err);
	settings_free(&us);
	if (rc == -1) {
		catalog_free(&cat);
		return cli_fail(bk_err_exit_status(&err), "list %s: %s", user,
		    err.msg);
	}
	for (i = 0; i < cat.nerrors; i++)
		fprintf(stderr, "backupctl: warning: %s\n", cat.errors[i]);
	if (json) {
		arr = json_array();
		for (i = 0; i < cat.n; i++) {
			rfc3339(cat.v[i].time, when, sizeof(when));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:s, s:s, s:s, s:i}", "name", cat.v[i].name,
			    "destination", cat.v[i].destination, "location",
			    cat.v[i].location, "size", (json_int_t)cat.v[i].size,
			    "time", when, "kind", cat.v[i].kind, "chain",
			    cat.v[i].chain, "seq", (int)cat.v[i].seq));
			/* A broken chain is said, not hidden: the panel
			 * greys such a point out. */
			if (cat.v[i].missing != NULL) {
				json_t *o = json_array_get(arr,
				    json_array_size(arr) - 1);

				json_object_set_new(o, "broken", json_true());
				json_object_set_new(o, "missing",
				    json_string(cat.v[i].missing));
			}
		}
		doc = json_pack("{s:o}", "backups", arr);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else {
		/* Sizes as everywhere in human output (jobview_bytes);
		 * --json has the bytes. */
		if (cat.n > 0)
			printf("%-48s %-8s %10s  %-20s  %-11s  %s\n", "NAME",
			    "DEST", "SIZE", "TIME", "KIND", "CHAIN");
		for (i = 0; i < cat.n; i++) {
			rfc3339(cat.v[i].time, when, sizeof(when));
			jobview_bytes((unsigned long long)cat.v[i].size, size,
			    sizeof(size));
			printf("%-48s %-8s %10s  %-20s  %-11s  %s%s%s\n",
			    cat.v[i].name, cat.v[i].destination, size, when,
			    cat.v[i].kind, cat.v[i].chain,
			    cat.v[i].missing != NULL ? "  BROKEN: missing " :
			    "", cat.v[i].missing != NULL ? cat.v[i].missing :
			    "");
		}
	}
	rc = cat.nerrors > 0 ? 1 : 0;
	catalog_free(&cat);
	return rc;
}

const struct cli_cmd cmd_list = {
	.name = "list",
	.usage = "list USER [--json]",
	.summary = "the backups at every destination of USER, newest first",
	.exec = cmd_list_exec,
};
