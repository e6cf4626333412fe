/*
 * test_notify_url.c - the service URL parser (Go net/url rules that users'
 * shoutrrr URLs depend on), the URL list splitting, the templates and the
 * default messages.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notify.h"
#include "notify_int.h"
#include "settings.h"
#include "tap.h"
#include "template.h"

static void
test_parser(void)
{
	struct bk_err err;
	struct nurl u;
	char **v;

	ok(nurl_parse("Slack+HTTPS://us%3Aer:pa:ss@x@Host.Example:8080/a%2Fb/c"
	    "?k=v+w&semi=a;b&Dup=1&dup=2&bad=%zz&flag#frag%23", &u, &err) == 0,
	    "a URL with every part parses");
	ok(strcmp(u.scheme, "slack+https") == 0 && strcmp(u.service, "slack")
	    == 0 && u.custom, "scheme lowercased, service before '+'");
	ok(strcmp(u.user, "us:er") == 0 && strcmp(u.pass, "pa:ss@x") == 0 &&
	    u.has_pass, "userinfo ends at the last '@', splits at the first "
	    "':' (%s / %s)", u.user, u.pass);
	ok(strcmp(u.host, "Host.Example:8080") == 0 && strcmp(u.hostname,
	    "Host.Example") == 0 && strcmp(u.port, "8080") == 0,
	    "host keeps its case; port split off");
	ok(strcmp(u.path, "/a/b/c") == 0, "the path is decoded before use "
	    "(%%2F is a separator)");
	ok(u.nq == 4 && strcmp(nurl_get(&u, "k"), "v w") == 0 &&
	    nurl_get(&u, "semi") == NULL && strcmp(nurl_get(&u, "DUP"), "1")
	    == 0 && nurl_get(&u, "bad") == NULL && strcmp(nurl_get(&u,
	    "flag"), "") == 0, "query: '+' is a space, ';' drops the pair, "
	    "keys case-insensitive, first wins, bad escapes dropped");
	ok(u.has_fragment && strcmp(u.fragment, "frag#") == 0,
	    "the fragment is decoded");
	nurl_free(&u);
	ok(nurl_parse("discord://tok@ho%40st", &u, &err) == -1,
	    "%%40 in the host is refused: %s", err.msg);
	nurl_free(&u);
	ok(nurl_parse("ntfy://host:8x/t", &u, &err) == -1 && strstr(err.msg,
	    "port") != NULL, "a port must be digits: %s", err.msg);
	nurl_free(&u);
	ok(nurl_parse("ntfy:host/t", &u, &err) == -1 && nurl_parse("://x",
	    &u, &err) == -1 && nurl_parse("ntfy://a\nb", &u, &err) == -1,
	    "no //, no scheme, control characters: refused");
	nurl_free(&u);
	v = notify_split_urls("smtp://h/?from=a@b.c&to=x@y.z,w@y.z, "
	    "matrix://:t@m/?rooms=!a:m,%23b:m ,ntfy://n/t");
	ok(v[0] != NULL && strcmp(v[0], "smtp://h/?from=a@b.c&to=x@y.z,w@y.z")
	    == 0 && v[1] != NULL && strcmp(v[1], "matrix://:t@m/?rooms=!a:m,"
	    "%23b:m") == 0 && v[2] != NULL && strcmp(v[2], "ntfy://n/t") == 0 &&
	    v[3] == NULL, "NOTIFICATION_URLS: commas inside a URL's query "
	    "stay with it");
	strv_free(v);
}

static void
test_templates(void)
{
	const struct tpl_field f[] = { { "User", "alice" }, { "Error", "" },
	    { "Size", "2 KiB" } };
	struct bk_err err;
	struct buf b;

	int rc;

	buf_init(&b, 4096);
	rc = tpl_render("{{ .User }}:{{.Size}}{{ if .Error }} E={{ .Error }}"
	    "{{ end }}{{ if .Size }} S{{ if .User }}U{{ end }}{{ end }}", f, 3,
	    &b, &err);
	ok(rc == 0 && strcmp(b.data, "alice:2 KiB SU") == 0,
	    "fields and nested if/end render: %s", b.data);
	buf_reset(&b);
	ok(tpl_render("x {{ .Nope }}", f, 3, &b, &err) == -1 && strstr(err.msg,
	    ".Nope") != NULL, "an unknown field is refused: %s", err.msg);
	ok(tpl_render("{{ if .User }}x", f, 3, &b, &err) == -1 &&
	    tpl_render("x }} {{ end }}", f, 3, &b, &err) == -1 &&
	    tpl_render("{{ .User ", f, 3, &b, &err) == -1,
	    "unbalanced if/end and unclosed {{ are refused");
	buf_free(&b);
}

static void
test_defaults(void)
{
	struct notify_event ev;
	char *title, *body;

	memset(&ev, 0, sizeof(ev));
	ev.kind = NOTIFY_SUCCEEDED;
	ev.user = "alice";
	ev.backup_name = "backup-2026.tar.zst";
	ev.destinations = "s3://bucket/alice";
	ev.size = 5 * 1024 * 1024 + 300 * 1024;
	ev.seconds = 83;
	ev.pruned = 2;
	notify_render(NULL, &ev, &title, &body);
	ok(strcmp(title, "Backup of alice succeeded") == 0, "success title: "
	    "%s", title);
	ok(strstr(body, "backup-2026.tar.zst") && strstr(body, "5.3 MiB") &&
	    strstr(body, "1m23s") && strstr(body, "s3://bucket/alice") &&
	    strstr(body, "pruned: 2"), "success body names backup, size, "
	    "duration, destination, pruned count");
	free(title);
	free(body);
	ev.kind = NOTIFY_FAILED;
	ev.error = "upload to s3://bucket/alice: HTTP 403";
	notify_render(NULL, &ev, &title, &body);
	ok(strcmp(title, "Backup of alice failed") == 0 && strstr(body,
	    "Error: upload to s3://bucket/alice: HTTP 403") != NULL,
	    "failure title and the error in the body");
	free(title);
	free(body);
	ev.kind = NOTIFY_MISSED;
	notify_render(NULL, &ev, &title, &body);
	ok(strstr(title, "missed") != NULL, "missed schedule: %s", title);
	free(title);
	free(body);
}

int
main(void)
{
	test_parser();
	test_templates();
	test_defaults();
	return tap_done();
}
