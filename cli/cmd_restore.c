/*
 * cmd_restore.c - `backupctl restore USER NAME --to DIR [--only PATH...]
 * [--overwrite]` and `backupctl verify USER NAME`, with --identity FILE
 * and --passphrase-file FILE for encrypted backups.
 *
 * A restore that skipped or refused any entry (a device node, a ".."
 * name, a path through a link: privsep/extract.c) fails with exit 1
 * after naming them, so nobody takes a partial restore for a whole one.
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
#include "restore.h"
#include "xmalloc.h"

/* The download's progress drawn as a queue job's (jobview.c): the same
 * bar, rate and ETA on a terminal, plain lines otherwise. */
struct bar {
	const char	*phase;
	struct timespec	 t0;
	bool		 tty;
	bool		 drawn;
	char		 last[256];
};

static void
on_tick(uint64_t done, uint64_t total, void *arg)
{
	struct bar *b = arg;
	struct timespec now;
	double el;
	json_t *job;

	clock_gettime(CLOCK_MONOTONIC, &now);
	el = (double)(now.tv_sec - b->t0.tv_sec) +
	    (double)(now.tv_nsec - b->t0.tv_nsec) / 1e9;
	/* Off a terminal (a log, a panel's capture) a download of a few
	 * seconds gets no progress lines: its outcome, and a failure's one
	 * line, are all such a reader needs. */
	if (!b->tty && el < 2.0)
		return;
	job = json_pack("{s:s, s:s, s:I}", "state", "running", "phase",
	    b->phase, "bytes_in", (json_int_t)done);
	if (total > 0) {
		json_object_set_new(job, "percent", json_integer(done >= total ?
		    100 : (json_int_t)(done * 100 / total)));
		if (done > 0)
			json_object_set_new(job, "eta_seconds", json_integer(
			    done >= total ? 0 : (json_int_t)((double)(total -
			    done) * el / (double)done + 0.5)));
	}
	jobview_progress(job, b->tty, b->last, sizeof(b->last));
	b->drawn = true;
	json_decref(job);
}

static void
print_dumps(const struct restore_result *res, const char *dir)
{
	size_t i;
	const char *p, *base;

	for (i = 0; i < res->ex.nkept; i++) {
		p = res->ex.kept[i];
		base = strchr(p, '/') + 1;
		if (strncmp(p, "mysql/", 6) == 0)
			printf("database dump %s/%s: load with  mariadb %.*s < "
			    "%s/%s\n", dir, p, (int)(strlen(base) - 4), base,
			    dir, p);
		else if (strncmp(p, "postgres/", 9) == 0)
			printf("database dump %s/%s: load with  pg_restore -d "
			    "%.*s %s/%s\n", dir, p, (int)(strlen(base) - 5),
			    base, dir, p);
		else
			printf("database backup %s/%s: load with  RESTORE "
			    "DATABASE ... FROM DISK = '%s/%s'\n", dir, p, dir,
			    p);
	}
}

static const char *
plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Name what was skipped, refused or changed; 1 when the restore failed. */
static int
report(const struct restore_opts *o, const struct restore_result *res)
{
	const struct extract_result *x = &res->ex;
	uint64_t bad = x->skipped + x->refused, all = bad + x->changed +
	    x->left;
	size_t i;
	char counts[256];

	for (i = 0; i < x->nnotes; i++)
		fprintf(stderr, "backupctl: %s\n", x->notes[i]);
	if (all > x->nnotes)
		fprintf(stderr, "backupctl: ... and %llu more not named\n",
		    (unsigned long long)(all - x->nnotes));
	snprintf(counts, sizeof(counts), "restored %llu %s, %llu %s, %llu "
	    "%s (%llu bytes) of %s into %s", (unsigned long long)x->files,
	    plural(x->files, "file", "files"), (unsigned long long)x->dirs,
	    plural(x->dirs, "folder", "folders"),
	    (unsigned long long)x->links, plural(x->links, "link", "links"),
	    (unsigned long long)x->bytes, o->name, o->to_dir);
	if (res->archives > 1)
		snprintf(counts + strlen(counts), sizeof(counts) -
		    strlen(counts), ", applying its chain: the full and %u "
		    "%s, %llu %s removed", res->archives - 1,
		    plural(res->archives - 1, "incremental", "incrementals"),
		    (unsigned long long)x->removed,
		    plural(x->removed, "entry", "entries"));
	if (bad > 0)
		return cli_fail(1, "%s; %llu skipped (%llu skipped, %llu "
		    "refused, named above)", counts, (unsigned long long)bad,
		    (unsigned long long)x->skipped,
		    (unsigned long long)x->refused);
	printf("%s\n", counts);
	return 0;
}

static int
restore_exec(struct cli_ctx *ctx, int argc, char **argv, int verify)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "identity", required_argument, NULL, 'i' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "env-file", required_argument, NULL, 'e' },
		{ "overwrite", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *cmd = verify ? &cmd_verify : &cmd_restore;
	struct restore_opts o = { 0 };
	struct bar bar = { .phase = verify ? "verify" : "restore" };
	struct restore_result res;
	struct bk_err err;
	char **only = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "t:o:i:p:e:w", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 't':
			o.to_dir = optarg;
			break;
		case 'o':
			only = xreallocarray(only, o.nonly + 1, sizeof(*only));
			only[o.nonly++] = optarg;
			break;
		case 'i':
			o.identity_file = optarg;
			break;
		case 'p':
			o.passphrase_file = optarg;
			break;
		case 'e':
			o.env_file = optarg;
			break;
		case 'w':
			o.overwrite = true;
			break;
		default:
			free(only);
			return cli_usage(cmd);
		}
	}
	o.only = only;
	if (optind + 2 != argc || (verify && (o.to_dir != NULL ||
	    o.overwrite)) ||
	    (!verify && o.to_dir == NULL)) {
		free(only);
		return cli_usage(cmd);
	}
	o.user = argv[optind];
	o.name = argv[optind + 1];
	if ((rc = cli_admin(ctx)) != 0) {
		free(only);
		return rc;
	}
	bar.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &bar.t0);
	o.tick = on_tick;
	o.tick_arg = &bar;
	rc = restore_run(&ctx->admin, &o, &res, &err);
	if (bar.tty && bar.drawn)
		fputc('\n', stderr);
	/* How --only was read: by ranges, or why the whole backup. */
	if (res.note != NULL)
		fprintf(stderr, "backupctl: %s\n", res.note);
	if (rc == -1) {
		rc = cli_fail(bk_err_exit_status(&err), "%s %s of %s: %s",
		    verify ? "verify" : "restore", o.name, o.user, err.msg);
	} else if (verify) {
		if (res.archives > 1)
			printf("%s: intact, with its whole chain: %u archives, "
			    "%llu members, %llu bytes of files, %llu bytes "
			    "stored%s\n", o.name, res.archives,
			    (unsigned long long)res.ex.members,
			    (unsigned long long)res.ex.bytes,
			    (unsigned long long)res.stored,
			    res.manifest_checked ? " (each matches the "
			    "backup job's record)" : "");
		else
			printf("%s: intact: %llu members, %llu bytes of files, "
			    "stored object %llu bytes, SHA-256 %s%s\n", o.name,
			    (unsigned long long)res.ex.members,
			    (unsigned long long)res.ex.bytes,
			    (unsigned long long)res.stored, res.sha256,
			    res.manifest_checked ? " (matches the backup "
			    "job's record)" : "");
		rc = 0;
	} else {
		rc = report(&o, &res);
		print_dumps(&res, o.to_dir);
	}
	restore_result_free(&res);
	free(only);
	return rc;
}

static int
cmd_restore_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return restore_exec(ctx, argc, argv, 0);
}

static int
cmd_verify_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return restore_exec(ctx, argc, argv, 1);
}

const struct cli_cmd cmd_restore = {
	.name = "restore",
	.usage = "restore USER NAME --to DIR [--only PATH]... [--overwrite] "
	    "[--identity FILE] [--passphrase-file FILE]",
	.summary = "download, decrypt, decompress and extract a backup",
	.exec = cmd_restore_exec,
};

const struct cli_cmd cmd_verify = {
	.name = "verify",
	.usage = "verify USER NAME [--identity FILE] [--passphrase-file FILE]",
	.summary = "read a backup through every layer; exit 0 if intact",
	.exec = cmd_verify_exec,
};
