/*
 * test_settings.c - the dotenv reader, the settings table and its checks,
 * the secret registry, path confinement and file names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dotenv.h"
#include "err.h"
#include "names.h"
#include "path.h"
#include "secret.h"
#include "settings.h"
#include "tap.h"

static void
test_dotenv(void)
{
	const char *text =
	    "# a comment\n"
	    "\n"
	    "export PLAIN = value with spaces   # trailing comment\n"
	    "SINGLE='its $HOME \\n literal'\n"
	    "DOUBLE=\"line1\\nline2 \\\"q\\\" $HOME\"\n"
	    "MULTI=\"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
	    "\n"
	    "mQENBF...\n"
	    "-----END PGP PUBLIC KEY BLOCK-----\"\n"
	    "EMPTY=\n"
	    "HASH=a#b\n"
	    "DUP=1\n"
	    "DUP=2\n";
	struct kvlist kv;
	struct bk_err err;

	kvlist_init(&kv);
	ok(dotenv_parse(text, strlen(text), "t.env", &kv, &err) == 0,
	    "dotenv: a file with every form parses");
	ok(strcmp(kvlist_get(&kv, "PLAIN"), "value with spaces") == 0,
	    "dotenv: export prefix, blanks and a trailing comment");
	ok(strcmp(kvlist_get(&kv, "SINGLE"), "its $HOME \\n literal") == 0,
	    "dotenv: single quotes are literal (got %s)",
	    kvlist_get(&kv, "SINGLE"));
	ok(strcmp(kvlist_get(&kv, "DOUBLE"), "line1\nline2 \"q\" $HOME") == 0,
	    "dotenv: double quotes take escapes, no variable expansion");
	ok(strstr(kvlist_get(&kv, "MULTI"), "\n\nmQENBF...\n-----END") != NULL,
	    "dotenv: a double-quoted value spans several lines");
	ok(kvlist_find(&kv, "MULTI")->line == 6 &&
	    kvlist_find(&kv, "EMPTY")->line == 10,
	    "dotenv: line numbers count the lines of a multi-line value");
	ok(strcmp(kvlist_get(&kv, "EMPTY"), "") == 0 &&
	    strcmp(kvlist_get(&kv, "HASH"), "a#b") == 0,
	    "dotenv: empty values; '#' inside a word is not a comment");
	ok(strcmp(kvlist_get(&kv, "DUP"), "2") == 0,
	    "dotenv: a later duplicate wins");
	kvlist_free(&kv);

	kvlist_init(&kv);
	ok(dotenv_parse("A=1\nB=\"open\nC=3\n", 16, "u.env", &kv, &err) == -1 &&
	    strstr(err.msg, "u.env:2: unterminated") != NULL,
	    "dotenv: an unterminated quote names file and line (%s)", err.msg);
	kvlist_free(&kv);
	kvlist_init(&kv);
	ok(dotenv_parse("JUST A LINE\n", 12, "v.env", &kv, &err) == -1 &&
	    strstr(err.msg, "v.env:1") != NULL,
	    "dotenv: a line without '=' is an error (%s)", err.msg);
	kvlist_free(&kv);
}

/* Many keys, duplicates among them: the hash index must keep "last wins",
 * the first occurrence's place, every key findable, and the key cap. */
static void
test_dotenv_many(void)
{
	struct kvlist kv;
	struct bk_err err;
	struct buf b;
	char key[32];
	size_t i, bad = 0;

	buf_init(&b, 8 * 1024 * 1024);
	for (i = 0; i < 50000; i++)
		buf_printf(&b, "K%zu=first%zu\n", i, i);
	for (i = 0; i < 50000; i += 7)
		buf_printf(&b, "K%zu=second%zu\n", i, i);
	kvlist_init(&kv);
	ok(dotenv_parse(b.data, b.len, "many.env", &kv, &err) == 0 &&
	    kv.n == 50000, "dotenv: 50,000 keys with duplicates: %zu kept",
	    kv.n);
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "first%zu", i);
		if (i % 7 == 0)
			snprintf(key, sizeof(key), "second%zu", i);
		if (kvlist_get(&kv, kv.v[i].key) == NULL ||
		    strcmp(kvlist_get(&kv, kv.v[i].key), key) != 0)
			bad++;
	}
	ok(bad == 0 && strcmp(kv.v[49999].key, "K49999") == 0 &&
	    kv.v[7].line == 50000 + 2,
	    "dotenv: the last duplicate wins, in the first one's place (%zu "
	    "wrong)", bad);
	ok(kvlist_get(&kv, "K50000") == NULL && kvlist_find(&kv, "") == NULL,
	    "dotenv: an absent key is not found");
	kvlist_free(&kv);

	b.len = 0;
	for (i = 0; i <= DOTENV_MAX_KEYS; i++)
		buf_printf(&b, "K%zu=\n", i);
	kvlist_init(&kv);
	ok(dotenv_parse(b.data, b.len, "huge.env", &kv, &err) == -1 &&
	    strstr(err.msg, "huge.env:100001: more than 100000 keys") != NULL,
	    "dotenv: key %d+1 is refused naming file and line (%s)",
	    DOTENV_MAX_KEYS, err.msg);
	kvlist_free(&kv);
	buf_free(&b);
}

static int
has(const struct diag *d, enum diag_level lvl, const char *key,
    const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == lvl && strcmp(d->v[i].setting, key) == 0 &&
		    strstr(d->v[i].msg, needle) != NULL)
			return 1;
	return 0;
}

static void
test_settings(void)
{
	const char *text =
	    "BACKUP_COMPRESSION=zip\n"
	    "BACKUP_RETENTION_DAYS=ten\n"
	    "AWS_PART_SIZE=2\n"
	    "BACKUP_PRUNING_LEEWAY=90\n"
	    "AWS_ENDPOINT_INSECURE=maybe\n"
	    "BACKUP_ARCHVE=/x\n"
	    "REDIS_URL=redis://x\n"
	    "NOTIFICATION_LEVEL=\n"
	    "GPG_PASSPHRASE=correct horse battery\n";
	struct settings s;
	struct kvlist kv;
	struct diag d;
	struct bk_err err;
	char msg[128];
	int64_t ms;

	kvlist_init(&kv);
	diag_init(&d);
	dotenv_parse(text, strlen(text), "x.env", &kv, &err);
	ok(settings_load(&s, &kv, SET_USER, NULL, &d) == -1,
	    "settings: a file with errors fails to load");
	ok(has(&d, DIAG_ERROR, "BACKUP_COMPRESSION", "not one of gz,zst,none"),
	    "settings: an unknown choice names the setting and the choices");
	ok(has(&d, DIAG_ERROR, "BACKUP_RETENTION_DAYS", "not a whole number"),
	    "settings: a non-numeric integer is an error");
	ok(has(&d, DIAG_ERROR, "AWS_PART_SIZE", "out of range (5 to 5120)"),
	    "settings: out of range names the range");
	ok(has(&d, DIAG_ERROR, "BACKUP_PRUNING_LEEWAY", "not a duration"),
	    "settings: a duration without unit is an error");
	ok(has(&d, DIAG_ERROR, "AWS_ENDPOINT_INSECURE", "not a boolean"),
	    "settings: a bad boolean is an error");
	ok(has(&d, DIAG_WARN, "BACKUP_ARCHVE", "did you mean BACKUP_ARCHIVE"),
	    "settings: an unknown key is a warning with the nearest name");
	ok(has(&d, DIAG_WARN, "REDIS_URL", "not read from user settings"),
	    "settings: an admin key in a user file is ignored with a warning");
	ok(strcmp(settings_get(&s, "NOTIFICATION_LEVEL"), "error") == 0 &&
	    !settings_is_set(&s, "NOTIFICATION_LEVEL"),
	    "settings: an empty value means unset (the default applies)");
	ok(strcmp(settings_get(&s, "BACKUP_CRON_EXPRESSION"), "@daily") == 0,
	    "settings: defaults of SPEC.md (cron @daily)");
	snprintf(msg, sizeof(msg), "passphrase is correct horse battery!");
	secret_redact(msg, sizeof(msg));
	ok(strstr(msg, "correct horse") == NULL && strstr(msg, "[redacted]"),
	    "secrets: a secret setting is redacted everywhere (%s)", msg);
	settings_free(&s);
	kvlist_free(&kv);
	diag_free(&d);

	ok(parse_duration_ms("1h30m", &ms) == 0 && ms == 5400000,
	    "durations: 1h30m");
	ok(parse_duration_ms("30s", &ms) == 0 && ms == 30000 &&
	    parse_duration_ms("2h", &ms) == 0 && ms == 7200000 &&
	    parse_duration_ms("1m", &ms) == 0 && ms == 60000,
	    "durations: 30s, 2h, 1m");
	ok(parse_duration_ms("5", &ms) == -1 && parse_duration_ms("m", &ms)
	    == -1 && parse_duration_ms("1x", &ms) == -1,
	    "durations: no unit, no number or a bad unit are refused");
}

static void
test_secret_url(void)
{
	char buf[256], msg[256];

	secret_redact_url("smtp://user:hunter22@mail.example.com:587/?to=a",
	    buf, sizeof(buf));
	ok(strstr(buf, "hunter22") == NULL && strstr(buf, "user") == NULL &&
	    strstr(buf, "@mail.example.com:587/") != NULL,
	    "secrets: a URL's userinfo is hidden, the host is not (%s)", buf);
	snprintf(msg, sizeof(msg), "AZURE_STORAGE_ENDPOINT: \"https://a.blob."
	    "core.windows.net/?sv=2022-11-02&sp=rw&sig=SASMARK%%2Bx%%3D\": bad");
	secret_redact(msg, sizeof(msg));
	ok(strstr(msg, "SASMARK") == NULL && strstr(msg, "sp=rw") != NULL,
	    "secrets: a SAS sig= in any message is hidden (%s)", msg);
	snprintf(msg, sizeof(msg), "GET /b/k?X-Amz-Algorithm=AWS4&"
	    "X-Amz-Credential=AKIAMARK%%2F1&X-Amz-Signature=f00dMARK "
	    "&X-Amz-Security-Token=TOKMARK failed");
	secret_redact(msg, sizeof(msg));
	ok(strstr(msg, "MARK") == NULL && strstr(msg, "AWS4") != NULL,
	    "secrets: X-Amz-Credential, -Signature, -Security-Token hidden "
	    "(%s)", msg);
	snprintf(msg, sizeof(msg), "https://USERMARK@h.example/x?"
	    "access_token=ATMARK");
	secret_redact(msg, sizeof(msg));
	ok(strstr(msg, "MARK") == NULL, "secrets: a user-only userinfo and an "
	    "access_token are hidden (%s)", msg);
	secret_redact_url("https://hooks.example.com/x?token=abc123&user=u",
	    buf, sizeof(buf));
	ok(strstr(buf, "abc123") == NULL && strstr(buf, "user=u") != NULL,
	    "secrets: a token in a query is hidden (%s)", buf);
	snprintf(msg, sizeof(msg), "connect redis://:s3cretpw@127.0.0.1:1/0");
	secret_redact(msg, sizeof(msg));
	ok(strstr(msg, "s3cretpw") == NULL, "secrets: a URL password in any "
	    "message is hidden (%s)", msg);
}

static void
test_paths(void)
{
	char root[] = "/tmp/pb-paths.XXXXXX", p[512], *out = NULL;
	struct bk_err err;

	if (mkdtemp(root) == NULL)
		return;
	snprintf(p, sizeof(p), "%s/keys", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/keys/id", root);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/escape", root);
	symlink("/etc", p);
	ok(path_resolve_in(root, "keys/id", &out, &err) == 0 &&
	    strstr(out, "/keys/id") != NULL, "paths: x resolves in the files");
	free(out);
	ok(path_resolve_in(root, "/var/www/html/keys/id", &out, &err) == 0,
	    "paths: /var/www/html/x means the same file");
	free(out);
	ok(path_resolve_in(root, "../../etc/passwd", &out, &err) == -1 &&
	    err.code == BK_ECONFIG, "paths: .. out of the files is refused");
	ok(path_resolve_in(root, "escape/passwd", &out, &err) == -1 &&
	    err.code == BK_ECONFIG, "paths: a symlink out is refused (%s)",
	    err.msg);
	ok(path_resolve_in(root, "/etc/passwd", &out, &err) == -1,
	    "paths: an absolute path elsewhere is refused");
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	(void)!system(p);
	ok(path_valid_user("alice") && path_valid_user("web_1.x") &&
	    !path_valid_user("../root") && !path_valid_user("a/b") &&
	    !path_valid_user("") && !path_valid_user("-x"),
	    "paths: user names safe for paths and keys");
}

static void
test_names(void)
{
	struct bk_err err;
	struct tm tm = { .tm_year = 121, .tm_mon = 7, .tm_mday = 29,
	    .tm_hour = 4, .tm_min = 5, .tm_sec = 6, .tm_isdst = -1 };
	time_t t = mktime(&tm), when;
	bool has_time;
	char *n;

	n = names_render(NAMES_DEFAULT, "tar.gz", t, NULL, &err);
	ok(n != NULL && strcmp(n, "backup-2021-08-29T04-05-06.tar.gz") == 0,
	    "names: the default name (%s)", n);
	free(n);
	n = names_render("db-%A-%e%k%%.{{ .Extension }}", "tar.zst", t, NULL,
	    &err);
	ok(n != NULL && strcmp(n, "db-Sunday-%.tar.zst") == 0,
	    "names: unknown verbs are dropped as offen does (%s)", n);
	free(n);
	ok(names_render("x/%Y.tar", "tar", t, NULL, &err) == NULL &&
	    names_render("..", "tar", t, NULL, &err) == NULL,
	    "names: a name with / or .. is refused");
	ok(names_match(NAMES_DEFAULT, "backup-2021-08-29T04-05-06.tar.gz.age",
	    &when, &has_time) && has_time && when == t,
	    "names: a stored name is recognised and its time read back");
	ok(!names_match(NAMES_DEFAULT, "backup-notes.txt", &when, &has_time) &&
	    !names_match(NAMES_DEFAULT, "holiday.tar.gz", &when, &has_time),
	    "names: other files are not the template's");
	ok(names_match("static.tar", "static.tar.gpg", &when, &has_time) &&
	    !has_time, "names: a template without date verbs has no time");
}

int
main(void)
{
	test_dotenv();
	test_dotenv_many();
	test_settings();
	test_secret_url();
	test_paths();
	test_names();
	return tap_done();
}
