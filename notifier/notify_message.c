/*
 * notify_message.c - the title and body of a notification: the event's
 * fields, the default templates and the admin's overrides.
 *
 * Override files live in NOTIFICATION_TEMPLATE_DIR, named after what they
 * replace (title_failure, body_success, ...).  A missed schedule falls
 * back to the failure templates, a test to the success ones.  A restore or
 * verify job has its own (title_restore_success, body_verify_failure, ...)
 * and never falls back to a backup's: it must not read as a backup run.
 * Each file is read per event (templates are small; an admin's edit
 * applies at once).  Fields (template.h syntax {{ .Field }}):
 *	User Result Kind BackupName Size SizeBytes Duration Destinations
 *	Pruned Error JobID Started Finished Node
 * Result is "succeeded", "failed", "missed" or "test"; Kind "backup",
 * "restore" or "verify" (BackupName: the backup it read, Size: the bytes
 * downloaded).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "settings.h"
#include "template.h"
#include "xmalloc.h"

#define TPL_MAX		(64 * 1024)

static const char def_title_success[] =
    "Backup of {{ .User }} succeeded";
static const char def_body_success[] =
    "The backup of user {{ .User }} succeeded.\n"
    "{{ if .BackupName }}Backup: {{ .BackupName }}\n{{ end }}"
    "{{ if .Size }}Size: {{ .Size }}\n{{ end }}"
    "{{ if .Duration }}Duration: {{ .Duration }}\n{{ end }}"
    "{{ if .Destinations }}Destination: {{ .Destinations }}\n{{ end }}"
    "Old backups pruned: {{ .Pruned }}\n"
    "{{ if .Finished }}Finished: {{ .Finished }}\n{{ end }}";
static const char def_title_failure[] =
    "Backup of {{ .User }} failed";
static const char def_body_failure[] =
    "The backup of user {{ .User }} failed.\n"
    "{{ if .Error }}Error: {{ .Error }}\n{{ end }}"
    "{{ if .BackupName }}Backup: {{ .BackupName }}\n{{ end }}"
    "{{ if .Destinations }}Destination: {{ .Destinations }}\n{{ end }}"
    "{{ if .Duration }}Duration: {{ .Duration }}\n{{ end }}"
    "{{ if .Started }}Started: {{ .Started }}\n{{ end }}"
    "{{ if .JobID }}Job: {{ .JobID }}\n{{ end }}";
/* Restore and verify jobs: "restore of NAME for USER succeeded: ..." */
static const char def_title_restore_success[] =
    "Restore of {{ .BackupName }} for {{ .User }} succeeded";
static const char def_body_restore_success[] =
    "restore of {{ .BackupName }} for {{ .User }} succeeded: the files are "
    "back{{ if .Size }} ({{ .Size }} downloaded){{ end }}.\n"
    "{{ if .Duration }}Duration: {{ .Duration }}\n{{ end }}"
    "{{ if .JobID }}Job: {{ .JobID }}\n{{ end }}";
static const char def_title_restore_failure[] =
    "Restore of {{ .BackupName }} for {{ .User }} failed";
static const char def_body_restore_failure[] =
    "restore of {{ .BackupName }} for {{ .User }} failed: {{ .Error }}\n"
    "{{ if .JobID }}Job: {{ .JobID }}\n{{ end }}";
static const char def_title_verify_success[] =
    "Verify of {{ .BackupName }} for {{ .User }} succeeded";
static const char def_body_verify_success[] =
    "verify of {{ .BackupName }} for {{ .User }} succeeded: every layer "
    "read through intact{{ if .Size }} ({{ .Size }}){{ end }}.\n"
    "{{ if .Duration }}Duration: {{ .Duration }}\n{{ end }}"
    "{{ if .JobID }}Job: {{ .JobID }}\n{{ end }}";
static const char def_title_verify_failure[] =
    "Verify of {{ .BackupName }} for {{ .User }} failed";
static const char def_body_verify_failure[] =
    "verify of {{ .BackupName }} for {{ .User }} failed: {{ .Error }}\n"
    "{{ if .JobID }}Job: {{ .JobID }}\n{{ end }}";
static const char def_title_missed[] =
    "Backup of {{ .User }} missed";
static const char def_body_missed[] =
    "A scheduled backup of user {{ .User }} did not run.\n"
    "{{ if .Error }}Reason: {{ .Error }}\n{{ end }}"
    "{{ if .Started }}Due at: {{ .Started }}\n{{ end }}";
static const char def_title_test[] =
    "Test notification for {{ .User }}";
static const char def_body_test[] =
    "This is a test notification of panel-backup for user {{ .User }}.\n"
    "If you can read it, your notification settings work.\n";

static void
human_size(char *dst, size_t size, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(dst, size, "%" PRIu64 " B", n);
	else
		snprintf(dst, size, "%.1f %s", v, unit[u]);
}

static void
human_duration(char *dst, size_t size, double s)
{
	long t = (long)(s + 0.5);

	if (s < 60)
		snprintf(dst, size, "%.1fs", s);
	else if (t < 3600)
		snprintf(dst, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(dst, size, "%ldh%02ldm%02lds", t / 3600,
		    t / 60 % 60, t % 60);
}

static void
rfc3339(char *dst, size_t size, time_t t)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		*dst = '\0';
		return;
	}
	strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The admin's file name, or NULL to use the default. */
static char *
read_override(const struct settings *admin, const char *name,
    struct bk_err *warn)
{
	const char *dir = admin != NULL ? settings_get(admin,
	    "NOTIFICATION_TEMPLATE_DIR") : NULL;
	char *path, chunk[4096];
	struct buf b;
	size_t n;
	FILE *f;

	if (dir == NULL || *dir == '\0')
		return NULL;
	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return NULL;
	buf_init(&b, TPL_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) == -1) {
			bk_err_set(warn, BK_ECONFIG, "NOTIFICATION_TEMPLATE_DIR"
			    ": %s is larger than %d bytes", name, TPL_MAX);
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	fclose(f);
	return buf_take(&b);
}

static char *
render_one(const struct settings *admin, const char *name, const char *alt,
    const char *def, const struct tpl_field *f, size_t nf,
    struct bk_err *warn, int *bad)
{
	struct bk_err e;
	struct buf out;
	char *tpl;

	buf_init(&out, 1 << 20);
	tpl = read_override(admin, name, warn);
	if (tpl == NULL && alt != NULL)
		tpl = read_override(admin, alt, warn);
	if (tpl != NULL && tpl_render(tpl, f, nf, &out, &e) == -1) {
		bk_err_set(warn, BK_ECONFIG, "NOTIFICATION_TEMPLATE_DIR: %s: "
		    "%s", name, e.msg);
		(*bad)++;
		buf_reset(&out);
		free(tpl);
		tpl = NULL;
	}
	if (tpl == NULL)
		(void)tpl_render(def, f, nf, &out, &e);
	free(tpl);
	return buf_take(&out);
}

int
notify_render_warn(const struct settings *admin,
    const struct notify_event *ev, char **title, char **body,
    struct bk_err *warn)
{
	static const char *const results[] = { "succeeded", "failed",
	    "missed", "test" };
	char size[32], sizeb[32], dur[32], pruned[16], started[32];
	char finished[32], node[256], *p;
	const char *tn, *bn, *ta = NULL, *ba = NULL, *td, *bd;
	int bad = 0;

	human_size(size, sizeof(size), ev->size);
	snprintf(sizeb, sizeof(sizeb), "%" PRIu64, ev->size);
	if (ev->seconds > 0)
		human_duration(dur, sizeof(dur), ev->seconds);
	else
		dur[0] = '\0';
	snprintf(pruned, sizeof(pruned), "%u", ev->pruned);
	rfc3339(started, sizeof(started), ev->started);
	rfc3339(finished, sizeof(finished), ev->finished);
	if (gethostname(node, sizeof(node)) == -1)
		node[0] = '\0';
	node[sizeof(node) - 1] = '\0';
	const struct tpl_field f[] = {
		{ "User", ev->user },
		{ "Result", results[ev->kind] },
		{ "Kind", ev->task != NULL ? ev->task : "backup" },
		{ "BackupName", ev->backup_name },
		{ "Size", ev->size > 0 ? size : "" },
		{ "SizeBytes", sizeb },
		{ "Duration", dur },
		{ "Destinations", ev->destinations },
		{ "Pruned", pruned },
		{ "Error", ev->error },
		{ "JobID", ev->job_id },
		{ "Started", started },
		{ "Finished", finished },
		{ "Node", node },
	};
	bool verify = ev->task != NULL && strcmp(ev->task, "verify") == 0;
	bool ok = ev->kind == NOTIFY_SUCCEEDED;

	if (ev->task != NULL && (ok || ev->kind == NOTIFY_FAILED)) {
		tn = verify ? ok ? "title_verify_success" :
		    "title_verify_failure" : ok ? "title_restore_success" :
		    "title_restore_failure";
		bn = verify ? ok ? "body_verify_success" :
		    "body_verify_failure" : ok ? "body_restore_success" :
		    "body_restore_failure";
		td = verify ? ok ? def_title_verify_success :
		    def_title_verify_failure : ok ? def_title_restore_success :
		    def_title_restore_failure;
		bd = verify ? ok ? def_body_verify_success :
		    def_body_verify_failure : ok ? def_body_restore_success :
		    def_body_restore_failure;
	} else switch (ev->kind) {
	case NOTIFY_SUCCEEDED:
		tn = "title_success", bn = "body_success";
		td = def_title_success, bd = def_body_success;
		break;
	case NOTIFY_MISSED:
		tn = "title_missed", bn = "body_missed";
		ta = "title_failure", ba = "body_failure";
		td = def_title_missed, bd = def_body_missed;
		break;
	case NOTIFY_TEST:
		tn = "title_test", bn = "body_test";
		ta = "title_success", ba = "body_success";
		td = def_title_test, bd = def_body_test;
		break;
	default:
		tn = "title_failure", bn = "body_failure";
		td = def_title_failure, bd = def_body_failure;
		break;
	}
	if (warn != NULL)
		bk_err_clear(warn);
	*title = render_one(admin, tn, ta, td, f, sizeof(f) / sizeof(f[0]),
	    warn, &bad);
	*body = render_one(admin, bn, ba, bd, f, sizeof(f) / sizeof(f[0]),
	    warn, &bad);
	/* A title is one line. */
	for (p = *title; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (p = *title + strlen(*title); p > *title && p[-1] == ' ';)
		*--p = '\0';
	for (p = *body + strlen(*body); p > *body && (p[-1] == '\n' ||
	    p[-1] == ' ' || p[-1] == '\r');)
		*--p = '\0';
	return bad > 0 ? -1 : 0;
}

void
notify_render(const struct settings *admin, const struct notify_event *ev,
    char **title, char **body)
{
	struct bk_err warn;

	if (notify_render_warn(admin, ev, title, body, &warn) == -1)
		log_kv(LOG_WARN, "notification template refused, using the "
		    "default", "error", warn.msg, (char *)NULL);
}
