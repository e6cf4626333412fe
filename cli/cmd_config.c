/*
 * cmd_config.c - `backupctl config check (USER | --env-file FILE)`,
 * `backupctl config reference` and `backupctl config example [--man]`.
 *
 * check prints every problem, one per line, naming the setting; exit 2 if
 * any is an error.  Checks that need a module's library (regexps, keys,
 * notification URLs) are that module's: job_check_settings() runs them.
 *
 * example prints the admin config file with every SET_ADMIN key commented
 * out at its default (deploy/panel-backup.conf.example); --man prints the
 * same keys as the mdoc settings section of panel-backup.conf(5).  Both
 * come from settings_table[] only, so tests can hold the committed files
 * to the table.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "cron.h"
#include "err.h"
#include "job_check.h"
#include "settings.h"
#include "userfile.h"
#include "sources.h"

/*
 * The scheduler refuses a schedule that fires more often than
 * MIN_SCHEDULE_INTERVAL_SECONDS (sched_table.c, the same test): no
 * scheduled backup would ever run, so it is an error here.  Manual
 * backups still run, which is why job_check_settings() does not refuse it.
 */
static void
check_schedule(const struct settings *admin, const struct settings *us,
    struct diag *diag)
{
	const char *expr = settings_get(us, "BACKUP_CRON_EXPRESSION");
	const char *tz = settings_get(us, "TZ");
	long long min = settings_int(admin, "MIN_SCHEDULE_INTERVAL_SECONDS");
	struct cron *c;
	struct bk_err err;
	int64_t gap;

	if (tz == NULL || *tz == '\0')
		tz = settings_get(admin, "TZ");
	if (min <= 0 || expr == NULL || *expr == '\0' ||
	    (c = cron_parse(expr, tz != NULL && *tz ? tz : NULL, &err)) == NULL)
		return;		/* a bad expression is reported already */
	gap = cron_min_interval(c, time(NULL));
	if (gap >= 0 && gap < min)
		diag_add(diag, DIAG_ERROR, "BACKUP_CRON_EXPRESSION", "\"%s\" "
		    "fires every %llds, more often than "
		    "MIN_SCHEDULE_INTERVAL_SECONDS=%lld allows: the scheduler "
		    "will not run it", expr, (long long)gap, min);
	cron_free(c);
}

/* A BACKUP_ARCHIVE that exists but is not a folder can never take a
 * backup (one that does not exist yet is made by the job). */
static void
check_archive(const struct settings *us, struct diag *diag)
{
	const char *dir = settings_get(us, "BACKUP_ARCHIVE");
	struct stat sb;

	if (dir != NULL && *dir == '/' && stat(dir, &sb) == 0 &&
	    !S_ISDIR(sb.st_mode))
		diag_add(diag, DIAG_ERROR, "BACKUP_ARCHIVE", "%s is a file, "
		    "not a folder", dir);
}

static int
config_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *env_file, *user;
	struct settings us;
	struct diag diag;
	struct bk_err err;
	int rc;

	if ((rc = cli_user_args(&cmd_config, argc, argv, &user, &env_file)) !=
	    0)
		return rc;
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	diag_init(&diag);
	if (userfile_load_settings(&ctx->admin, user, env_file,
	    NULL, &us, &diag, &err) == -1) {
		if (diag.n == 0)
			diag_add(&diag, DIAG_ERROR, "", "%s", err.msg);
	} else {
		job_check_settings(&ctx->admin, &us, user, &diag);
		/* What the job and the scheduler fail on later, with
		 * their own exit status: here, all at once. */
		check_schedule(&ctx->admin, &us, &diag);
		check_archive(&us, &diag);
		sources_check_present(&ctx->admin, &us, user, &diag);
		settings_free(&us);
	}
	diag_print(&diag, STDOUT_FILENO);
	rc = diag.errors > 0 ? 2 : 0;
	if (rc == 0)
		printf("ok: %s\n", env_file != NULL ? env_file : user);
	diag_free(&diag);
	return rc;
}

static const char *
example_type(const struct setting_def *d)
{
	switch (d->type) {
	case SET_STRING:	return "string";
	case SET_BOOL:		return "boolean (true/false)";
	case SET_INT:		return "integer";
	case SET_DURATION:	return "duration (30s, 5m, 6h, 7d)";
	case SET_ENUM:		return "one of";
	case SET_LIST:		return "comma-separated list";
	case SET_CRON:		return "cron expression";
	case SET_REGEXP:	return "regular expression";
	case SET_URL:		return "URL";
	case SET_SIZE:		return "size (0, 500M, 10G, 2T)";
	}
	return "string";
}

/* Help text as "# " lines of at most 76 columns. */
static void
example_wrap(const char *text, const char *lead)
{
	size_t col = 0, w;
	const char *p = text, *e;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		e = strchr(p, ' ');
		w = e != NULL ? (size_t)(e - p) : strlen(p);
		if (w == 0)
			break;
		if (col > 0 && col + 1 + w > 76) {
			printf("\n");
			col = 0;
		}
		if (col == 0)
			col = (size_t)printf("%s", lead);
		else
			col += (size_t)printf(" ");
		col += (size_t)printf("%.*s", (int)w, p);
		p += w;
	}
	if (col > 0)
		printf("\n");
}

/* The facts line: type, range or choices, secret, user override. */
static void
example_facts(const struct setting_def *d, char *out, size_t n)
{
	int k;

	if (d->type == SET_ENUM)
		k = snprintf(out, n, "type: one of %s", d->choices);
	else if (d->type == SET_INT)
		k = snprintf(out, n, "type: integer %lld..%lld", d->min,
		    d->max);
	else
		k = snprintf(out, n, "type: %s", example_type(d));
	if (k < 0 || (size_t)k >= n)
		return;
	if (d->flags & SET_SECRET)
		k += snprintf(out + k, n - (size_t)k, "; secret (keep this "
		    "file 0640 root:panel-backup)");
	if ((size_t)k < n && (d->flags & SET_USER))
		(void)snprintf(out + k, n - (size_t)k, "; a user's .env may "
		    "override it");
}

/* A value as one dotenv token: quoted when it holds blanks or '#'. */
static void
example_value(const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, " \t#'\"") != NULL)
		printf("'%s'", v);
	else
		printf("%s", v);
}

static void
config_example_conf(void)
{
	const struct setting_def *d;
	const char *group = NULL;
	char facts[256];
	size_t i;

	printf("# panel-backup.conf - the administrator's settings of "
	    "panel-backup\n"
	    "# (default path /etc/panel-backup/panel-backup.conf, or "
	    "$PANEL_BACKUP_CONFIG).\n"
	    "#\n"
	    "# Generated by `backupctl config example` from the settings "
	    "table: every\n"
	    "# admin key, commented out at its default.  KEY=VALUE lines, "
	    "dotenv quoting.\n"
	    "# Per-user settings belong in USERS_DIR/<user>.env, not here.  "
	    "See\n"
	    "# panel-backup.conf(5) and docs/operations.md.\n");
	for (i = 0; i < settings_count; i++) {
		d = &settings_table[i];
		if (!(d->flags & SET_ADMIN))
			continue;
		if (group == NULL || strcmp(group, d->group) != 0) {
			group = d->group;
			printf("\n# ---- %s ----\n", group);
		}
		example_facts(d, facts, sizeof(facts));
		printf("\n");
		example_wrap(d->help, "# ");
		example_wrap(facts, "# ");
		printf("#%s=", d->name);
		example_value(d->def);
		printf("\n");
	}
}

/* Roff text: backslashes escaped, option dashes as \-, no leading dot. */
static void
man_text(const char *s)
{
	const char *p;

	if (*s == '.' || *s == '\'')
		printf("\\&");
	for (p = s; *p != '\0'; p++) {
		if (*p == '\\')
			printf("\\e");
		else if (*p == '-' && (p == s || p[-1] == ' ' || p[-1] == '-' ||
		    p[-1] == '(' || p[1] == '-'))
			printf("\\-");
		else
			putchar(*p);
	}
}

static void
config_example_man(void)
{
	const struct setting_def *d;
	const char *group = NULL;
	char facts[256];
	size_t i;

	printf(".\\\" Generated by `backupctl config example --man` from "
	    "the settings table.\n");
	for (i = 0; i < settings_count; i++) {
		d = &settings_table[i];
		if (!(d->flags & SET_ADMIN))
			continue;
		if (group == NULL || strcmp(group, d->group) != 0) {
			if (group != NULL)
				printf(".El\n");
			group = d->group;
			printf(".Ss ");
			man_text(group);
			printf("\n.Bl -tag -width Ds\n");
		}
		example_facts(d, facts, sizeof(facts));
		printf(".It Ev %s\n%c", d->name, toupper((unsigned char)
		    d->help[0]));
		man_text(d->help + 1);
		printf(".\nT");
		man_text(facts + 1);
		printf(".\n");
		if (d->def != NULL) {
			printf("Default:\n.Ql \\&");
			man_text(d->def);
			printf(" .\n");
		}
	}
	if (group != NULL)
		printf(".El\n");
}

static int
config_example(int argc, char **argv)
{
	if (argc == 1) {
		config_example_conf();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		config_example_man();
		return 0;
	}
	return cli_usage(&cmd_config);
}

static int
cmd_config_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_config);
	if (strcmp(argv[1], "check") == 0)
		return config_check(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "reference") == 0) {
		settings_write_reference(STDOUT_FILENO);
		return 0;
	}
	if (strcmp(argv[1], "example") == 0)
		return config_example(argc - 1, argv + 1);
	return cli_usage(&cmd_config);
}

const struct cli_cmd cmd_config = {
	.name = "config",
	.usage = "config check (USER | --env-file FILE) | config reference | "
	    "config example [--man]",
	.summary = "validate settings; print the settings reference or an "
	    "example admin config",
	.exec = cmd_config_exec,
};
