/*
 * test_notify_services.c - every notification service against a local
 * HTTPS recorder (tests/servers/recorder.py), reached through the
 * production path: HTTP_CONNECT_TO maps each real service host to the
 * recorder, HTTP_CA_FILE trusts its private CA.  Asserts method, host,
 * target, headers and body of each request against notifications.md, and
 * the delivery rules: retries on 500/429, no retry on 4xx, a hanging
 * service times out without blocking the others, levels, redaction.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "settings.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

static const char *const hosts[] = { "bark.test", "discord.com",
    "generic.test", "chat.googleapis.com", "gotify.test", "maker.ifttt.com",
    "joinjoaomgcd.appspot.com", "matrix.test", "mattermost.test:8443",
    "ntfy.test", "api.opsgenie.com", "api.pushbullet.com",
    "api.pushover.net", "rocketchat.test", "hooks.slack.com", "slack.com",
    "org.webhook.office.com", "prod-01.westeurope.logic.azure.com",
    "api.telegram.org", "zulip.test:8443", NULL };

static char dir[] = "/tmp/pb-notify.XXXXXX";
static pid_t rec_pid;
static int port;
static struct settings admin;

#define TITLE	"Backup of alice succeeded"
#define BODY	"Backup backup-1.tar.gz of alice\nSize: 1.5 KiB"

static int
start_recorder(void)
{
	char path[600], pf[600], *argv[64];
	const char *root = getenv("PB_ROOT");
	size_t i, n = 0;
	FILE *f;
	int w;

	snprintf(path, sizeof(path), "%s/tests/servers/recorder.py",
	    root != NULL ? root : ".");
	argv[n++] = "/usr/bin/python3";
	argv[n++] = path;
	argv[n++] = "--dir";
	argv[n++] = dir;
	for (i = 0; hosts[i] != NULL; i++) {
		argv[n++] = "--host";
		argv[n++] = xstrndup(hosts[i], strcspn(hosts[i], ":"));
	}
	argv[n] = NULL;
	rec_pid = tu_spawn(argv);
	for (i = 5; i < n; i += 2)
		free(argv[i]);
	snprintf(pf, sizeof(pf), "%s/port", dir);
	for (w = 0; w < 600; w++) {	/* readiness: the port file */
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
			return port > 0 ? 0 : -1;
		}
		usleep(50000);
	}
	return -1;
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	buf_append(arg, p, sz * n);
	return sz * n;
}

static json_t *
ctl(const char *what, const char *body)
{
	char url[256], ca[600];
	struct buf b;
	json_t *j;
	CURL *h;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/__ctl/%s", port,
	    what);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	buf_init(&b, 16 << 20);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
	j = json_loads(b.data, 0, NULL);
	buf_free(&b);
	return j;
}

static void
script(const char *match, const char *responses)
{
	char *s;

	xasprintf(&s, "{\"match\":\"%s\",\"responses\":%s}", match,
	    responses);
	json_decref(ctl("script", s));
	free(s);
}

static struct notify_event
event(enum notify_kind kind)
{
	struct notify_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.user = "alice";
	ev.backup_name = "backup-1.tar.gz";
	ev.size = 1536;
	ev.seconds = 3;
	ev.destinations = "local:/srv/backups";
	ev.error = "upload refused";
	return ev;
}

/* Send to urls (user settings), return the recorded requests. */
static json_t *
send_urls(const char *urls, int *failed, struct notify_result **res,
    size_t *n)
{
	struct notify_event ev = event(NOTIFY_SUCCEEDED);
	struct settings us;

	json_decref(ctl("reset", "{}"));
	settings_defaults(&us, SET_USER);
	settings_set(&us, "NOTIFICATION_URLS", urls);
	*failed = notify_send(&admin, &us, &ev, res, n);
	settings_free(&us);
	return ctl("log", NULL);
}

static const char *
hdr(json_t *req, const char *name)
{
	const char *v = json_string_value(json_object_get(json_object_get(req,
	    "headers"), name));

	return v != NULL ? v : "(none)";
}

static bool
json_body_is(json_t *req, const char *expect)
{
	json_t *got = json_loads(json_string_value(json_object_get(req,
	    "body")), 0, NULL);
	json_t *want = json_loads(expect, 0, NULL);
	bool eq = got != NULL && want != NULL && json_equal(got, want);

	if (!eq)
		printf("#   body: %s\n#   want: %s\n", json_string_value(
		    json_object_get(req, "body")), expect);
	json_decref(got);
	json_decref(want);
	return eq;
}

static bool
str_is(const char *got, const char *want)
{
	if (got != NULL && strcmp(got, want) == 0)
		return true;
	printf("#   got:  %s\n#   want: %s\n", got != NULL ? got : "(null)",
	    want);
	return false;
}

/* One URL, n requests; checks request i's line and headers. */
struct expect {
	const char	*name;
	const char	*url;
	size_t		 nreq;
	const char	*method, *host, *target;
	const char	*h1, *v1, *h2, *v2;
	const char	*json;		/* or */
	const char	*raw;
};

static void
check(const struct expect *e)
{
	struct notify_result *res;
	json_t *log, *r;
	size_t n;
	int failed;

	log = send_urls(e->url, &failed, &res, &n);
	ok(failed == 0 && n == 1 && res[0].ok, "%s: sent and the service's "
	    "success reply accepted (%s)", e->name, n > 0 ? res[0].error : "");
	ok(json_array_size(log) == e->nreq, "%s: %zu request(s) (got %zu)",
	    e->name, e->nreq, json_array_size(log));
	r = json_array_get(log, 0);
	ok(r != NULL && str_is(json_string_value(json_object_get(r,
	    "method")), e->method) && str_is(json_string_value(
	    json_object_get(r, "host")), e->host) && str_is(
	    json_string_value(json_object_get(r, "target")), e->target),
	    "%s: %s https://%s%s", e->name, e->method, e->host, e->target);
	if (e->h1 != NULL)
		ok(str_is(hdr(r, e->h1), e->v1), "%s: header %s: %s", e->name,
		    e->h1, e->v1);
	if (e->h2 != NULL)
		ok(str_is(hdr(r, e->h2), e->v2), "%s: header %s: %s", e->name,
		    e->h2, e->v2);
	if (e->json != NULL)
		ok(r != NULL && json_body_is(r, e->json), "%s: JSON body as "
		    "specified", e->name);
	if (e->raw != NULL)
		ok(r != NULL && str_is(json_string_value(json_object_get(r,
		    "body")), e->raw), "%s: body byte for byte", e->name);
	notify_results_free(res, n);
	json_decref(log);
}

#define CT_JSON		"content-type", "application/json"
#define JT		"\"" TITLE "\""
#define JB		"\"Backup backup-1.tar.gz of alice\\nSize: 1.5 KiB\""
#define FORM_B		"Backup+backup-1.tar.gz+of+alice%0ASize%3A+1.5+KiB"
#define FORM_T		"Backup+of+alice+succeeded"

static const struct expect cases[] = {
	{ "bark", "bark://:DEVKEY123456@bark.test/?sound=alarm", 1, "POST",
	  "bark.test", "/push", CT_JSON, NULL, NULL,
	  "{\"body\":" JB ",\"device_key\":\"DEVKEY123456\",\"title\":" JT
	  ",\"badge\":0,\"sound\":\"alarm\"}", NULL },
	{ "discord", "discord://TOKENdiscord123@987654321?username=bk", 1,
	  "POST", "discord.com", "/api/webhooks/987654321/TOKENdiscord123",
	  CT_JSON, NULL, NULL,
	  "{\"embeds\":[{\"title\":" JT ",\"description\":\"Backup "
	  "backup-1.tar.gz of alice\",\"color\":5298687},{\"description\":"
	  "\"Size: 1.5 KiB\",\"color\":5298687}],\"username\":\"bk\"}", NULL },
	{ "generic json", "generic://generic.test/hook?template=json&"
	  "$context=bk&@X-Custom=yes&foo=bar+baz", 1, "POST", "generic.test",
	  "/hook?foo=bar+baz", "x-custom", "yes", CT_JSON,
	  "{\"title\":" JT ",\"message\":" JB ",\"context\":\"bk\"}", NULL },
	{ "generic+https", "generic+https://hookuser:hookpw77@generic.test/p?"
	  "template=json", 1, "POST", "generic.test", "/p?template=json",
	  "authorization", "Basic aG9va3VzZXI6aG9va3B3Nzc=", CT_JSON, NULL,
	  BODY },
	{ "googlechat", "googlechat://chat.googleapis.com/v1/spaces/SP/"
	  "messages?key=GKEYabc&token=GTOKxyz&threadKey=t1", 1, "POST",
	  "chat.googleapis.com", "/v1/spaces/SP/messages?key=GKEYabc&"
	  "token=GTOKxyz&threadKey=t1", CT_JSON, NULL, NULL,
	  "{\"text\":" JB "}", NULL },
	{ "gotify", "gotify://gotify.test/sub/AzyoeNS.D4iJLVa/?priority=3", 1,
	  "POST", "gotify.test", "/sub/message?token=AzyoeNS.D4iJLVa",
	  CT_JSON, NULL, NULL, "{\"message\":" JB ",\"title\":" JT
	  ",\"priority\":3}", NULL },
	{ "ifttt", "ifttt://IFTTTKEY123/?events=ev1,ev2&value1=v1&"
	  "titlevalue=3", 2, "POST", "maker.ifttt.com",
	  "/trigger/ev1/with/key/IFTTTKEY123", CT_JSON, NULL, NULL,
	  "{\"value1\":\"v1\",\"value2\":" JB ",\"value3\":" JT "}", NULL },
	{ "join", "join://shoutrrr:JOINKEY123@join/?devices=d1,d2", 1, "POST",
	  "joinjoaomgcd.appspot.com", "/_ah/api/messaging/v1/sendPush?"
	  "apikey=JOINKEY123&deviceIds=d1%2Cd2&text=" FORM_B "&title="
	  FORM_T, "content-type", "text/plain", NULL, NULL, NULL, "" },
	{ "mattermost", "mattermost://bkbot@mattermost.test:8443/MMTOKEN123/"
	  "town?icon=https://x.test/i.png", 1, "POST", "mattermost.test:8443",
	  "/hooks/MMTOKEN123", CT_JSON, NULL, NULL, "{\"text\":\"" TITLE
	  "\\nBackup backup-1.tar.gz of alice\\nSize: 1.5 KiB\",\"username\":"
	  "\"bkbot\",\"channel\":\"town\",\"icon_url\":\"https://x.test/i.png\""
	  "}", NULL },
	{ "ntfy", "ntfy://:NTFYTOKEN1@ntfy.test/alerts?priority=high&tags=a,b",
	  1, "POST", "ntfy.test", "/alerts", "title", TITLE, "priority",
	  "High", NULL, BODY },
	{ "opsgenie", "opsgenie://api.opsgenie.com/OGKEY-123?responders="
	  "team:ops,user:bob&tags=x,y", 1, "POST", "api.opsgenie.com",
	  "/v2/alerts", "authorization", "GenieKey OGKEY-123", CT_JSON,
	  "{\"message\":" JT ",\"description\":" JB ",\"responders\":[{\"type"
	  "\":\"team\",\"name\":\"ops\"},{\"type\":\"user\",\"username\":"
	  "\"bob\"}],\"tags\":[\"x\",\"y\"]}", NULL },
	{ "pushbullet", "pushbullet://o.ABCDEFGHIJKLMNOPQRSTUVWXYZ123456/dev1/"
	  "me@x.org/#chan", 3, "POST", "api.pushbullet.com", "/v2/pushes",
	  "access-token", "o.ABCDEFGHIJKLMNOPQRSTUVWXYZ123456", CT_JSON,
	  "{\"type\":\"note\",\"title\":" JT ",\"body\":" JB ",\"device_iden\""
	  ":\"dev1\"}", NULL },
	{ "pushover", "pushover://shoutrrr:POTOKEN123@POUSERKEY9/?devices="
	  "ph1,ph2&priority=1", 1, "POST", "api.pushover.net",
	  "/1/messages.json", "content-type",
	  "application/x-www-form-urlencoded", NULL, NULL, NULL,
	  "device=ph1%2Cph2&message=" FORM_B "&priority=1&title=" FORM_T
	  "&token=POTOKEN123&user=POUSERKEY9" },
	{ "rocketchat", "rocketchat://bk@rocketchat.test/TA1/TB2/@dave", 1,
	  "POST", "rocketchat.test", "/hooks/TA1/TB2", CT_JSON, NULL, NULL,
	  "{\"text\":" JB ",\"username\":\"bk\",\"channel\":\"@dave\"}",
	  NULL },
	{ "slack webhook", "slack://hook:T00000000-B00000000-"
	  "XXXXXXXXXXXXXXXXXXXXXXXX@webhook?color=good", 1, "POST",
	  "hooks.slack.com", "/services/T00000000/B00000000/"
	  "XXXXXXXXXXXXXXXXXXXXXXXX", CT_JSON, NULL, NULL,
	  "{\"text\":" JT ",\"attachments\":[{\"text\":\"Backup "
	  "backup-1.tar.gz of alice\",\"color\":\"good\"},{\"text\":\"Size: "
	  "1.5 KiB\",\"color\":\"good\"}]}", NULL },
	{ "slack bot", "slack://xoxb:123456789-987654321-"
	  "abcdefghijklmnopqrstuvwxyz@C0123456789", 1, "POST", "slack.com",
	  "/api/chat.postMessage", "authorization", "Bearer xoxb-123456789-"
	  "987654321-abcdefghijklmnopqrstuvwxyz", CT_JSON,
	  "{\"text\":" JT ",\"attachments\":[{\"text\":\"Backup "
	  "backup-1.tar.gz of alice\"},{\"text\":\"Size: 1.5 KiB\"}],"
	  "\"channel\":\"C0123456789\"}", NULL },
	{ "teams legacy", "teams+https://org.webhook.office.com/webhookb2/"
	  "11111111-2222-4333-8444-555555555555@66666666-7777-4888-9999-"
	  "aaaaaaaaaaaa/IncomingWebhook/0123456789abcdef0123456789abcdef/"
	  "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff?color=ff0000", 1, "POST",
	  "org.webhook.office.com", "/webhookb2/11111111-2222-4333-8444-"
	  "555555555555@66666666-7777-4888-9999-aaaaaaaaaaaa/IncomingWebhook/"
	  "0123456789abcdef0123456789abcdef/bbbbbbbb-cccc-4ddd-8eee-"
	  "ffffffffffff", CT_JSON, NULL, NULL,
	  "{\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/"
	  "extensions\",\"markdown\":true,\"title\":" JT ",\"summary\":" JT
	  ",\"themeColor\":\"ff0000\",\"sections\":[{\"text\":\"Backup "
	  "backup-1.tar.gz of alice\",\"startGroup\":false},{\"text\":\"Size: "
	  "1.5 KiB\",\"startGroup\":false}]}", NULL },
	{ "teams workflow", "teams://?host=https%3A%2F%2Fprod-01.westeurope."
	  "logic.azure.com%3A443%2Fworkflows%2Fabc%2Ftriggers%2Fmanual%2Fpaths"
	  "%2Finvoke%3Fapi-version%3D2016-06-01%26sig%3DSIGSECRET1&color=red",
	  1, "POST", "prod-01.westeurope.logic.azure.com",
	  "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01"
	  "&sig=SIGSECRET1", CT_JSON, NULL, NULL,
	  "{\"type\":\"message\",\"attachments\":[{\"contentType\":\"application"
	  "/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{"
	  "\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\","
	  "\"type\":\"AdaptiveCard\",\"version\":\"1.2\",\"body\":[{\"type\":"
	  "\"TextBlock\",\"text\":" JT ",\"weight\":\"Bolder\",\"size\":"
	  "\"Medium\",\"color\":\"attention\"},{\"type\":\"TextBlock\",\"text\":"
	  "\"Backup backup-1.tar.gz of alice\",\"wrap\":true},{\"type\":"
	  "\"TextBlock\",\"text\":\"Size: 1.5 KiB\",\"wrap\":true}]}}]}",
	  NULL },
	{ "telegram", "telegram://123456:ABC-def_ghi@telegram?chats=-1001,"
	  "-1002:42&preview=no", 2, "POST", "api.telegram.org",
	  "/bot123456:ABC-def_ghi/sendMessage", CT_JSON, NULL, NULL,
	  "{\"text\":\"<b>" TITLE "</b>\\nBackup backup-1.tar.gz of alice\\n"
	  "Size: 1.5 KiB\",\"chat_id\":\"-1001\",\"parse_mode\":\"HTML\","
	  "\"disable_web_page_preview\":true,\"disable_notification\":false,"
	  "\"reply_to_message_id\":0}", NULL },
	{ "zulip", "zulip://bot%40zulip.test:ZKEY12345@zulip.test:8443/?"
	  "stream=ops&topic=backups", 1, "POST", "zulip.test:8443",
	  "/api/v1/messages", "authorization",
	  "Basic Ym90QHp1bGlwLnRlc3Q6WktFWTEyMzQ1", "content-type",
	  "application/x-www-form-urlencoded", NULL, "content=" FORM_B
	  "&to=ops&topic=backups&type=stream" },
};

static void
test_second_requests(void)
{
	struct notify_result *res;
	json_t *log;
	size_t n;
	int failed;

	/* Telegram: the forum topic becomes message_thread_id. */
	log = send_urls(cases[18].url, &failed, &res, &n);
	ok(json_body_is(json_array_get(log, 1), "{\"text\":\"<b>" TITLE
	    "</b>\\nBackup backup-1.tar.gz of alice\\nSize: 1.5 KiB\","
	    "\"chat_id\":\"-1002\",\"message_thread_id\":42,\"parse_mode\":"
	    "\"HTML\",\"disable_web_page_preview\":true,"
	    "\"disable_notification\":false,\"reply_to_message_id\":0}"),
	    "telegram: the second chat gets its own request with the thread");
	notify_results_free(res, n);
	json_decref(log);
	/* Pushbullet: e-mail and channel targets. */
	log = send_urls(cases[11].url, &failed, &res, &n);
	ok(json_body_is(json_array_get(log, 1), "{\"type\":\"note\",\"title\""
	    ":" JT ",\"body\":" JB ",\"email\":\"me@x.org\"}") &&
	    json_body_is(json_array_get(log, 2), "{\"type\":\"note\","
	    "\"title\":" JT ",\"body\":" JB ",\"channel_tag\":\"chan\"}"),
	    "pushbullet: e-mail target and #channel target");
	notify_results_free(res, n);
	json_decref(log);
	/* ntfy: Basic auth with the access token, raw body. */
	log = send_urls(cases[9].url, &failed, &res, &n);
	ok(str_is(hdr(json_array_get(log, 0), "authorization"),
	    "Basic Ok5URllUT0tFTjE=") && str_is(hdr(json_array_get(log, 0),
	    "tags"), "a,b"), "ntfy: Basic auth from :token, Tags header");
	notify_results_free(res, n);
	json_decref(log);
}

static void
test_matrix(void)
{
	struct notify_result *res;
	json_t *log, *r;
	size_t n;
	int failed;

	log = send_urls("matrix://bot:MATRIXPW123@matrix.test/?rooms="
	    "%23room:matrix.test,!direct:matrix.test", &failed, &res, &n);
	ok(failed == 0 && json_array_size(log) == 4, "matrix: login, join, "
	    "two sends (%zu requests)", json_array_size(log));
	r = json_array_get(log, 0);
	ok(str_is(json_string_value(json_object_get(r, "target")),
	    "/_matrix/client/v3/login") && json_body_is(r, "{\"type\":"
	    "\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\","
	    "\"user\":\"bot\"},\"password\":\"MATRIXPW123\"}"),
	    "matrix: password login");
	r = json_array_get(log, 1);
	ok(str_is(json_string_value(json_object_get(r, "target")),
	    "/_matrix/client/v3/join/%23room:matrix.test") &&
	    str_is(hdr(r, "authorization"), "Bearer MATRIXACCESSTOKEN1"),
	    "matrix: joins the alias with the Bearer token");
	r = json_array_get(log, 2);
	ok(str_is(json_string_value(json_object_get(r, "method")), "PUT") &&
	    strncmp(json_string_value(json_object_get(r, "target")),
	    "/_matrix/client/v3/rooms/%21joined:matrix.test/send/"
	    "m.room.message/", 50) == 0 && json_body_is(r, "{\"msgtype\":"
	    "\"m.text\",\"body\":\"" TITLE "\\n\\nBackup backup-1.tar.gz of "
	    "alice\\nSize: 1.5 KiB\"}"), "matrix: PUT to the joined room id "
	    "with a transaction id");
	r = json_array_get(log, 3);
	ok(r != NULL && strstr(json_string_value(json_object_get(r, "target")),
	    "/rooms/%21direct:matrix.test/send/") != NULL,
	    "matrix: a !room id is sent to without joining");
	notify_results_free(res, n);
	json_decref(log);
}

static void
test_delivery(void)
{
	struct notify_result *res;
	struct settings us;
	struct notify_event ev;
	json_t *log;
	time_t t0;
	size_t n;
	int failed;

	json_decref(ctl("reset", "{}"));
	script("ntfy.test", "[{\"status\":500,\"body\":\"oops\"}]");
	log = ctl("log", NULL);
	json_decref(log);
	settings_defaults(&us, SET_USER);
	settings_set(&us, "NOTIFICATION_URLS", "ntfy://ntfy.test/retry");
	ev = event(NOTIFY_TEST);
	failed = notify_send(&admin, &us, &ev, &res, &n);
	log = ctl("log", NULL);
	ok(failed == 0 && json_array_size(log) == 2, "a 500 is retried and "
	    "the second answer (200) counts: %zu requests",
	    json_array_size(log));
	notify_results_free(res, n);
	json_decref(log);

	json_decref(ctl("reset", "{}"));
	script("ntfy.test", "[{\"status\":429,\"headers\":{\"Retry-After\":"
	    "\"1\"}}]");
	t0 = time(NULL);
	failed = notify_send(&admin, &us, &ev, &res, &n);
	log = ctl("log", NULL);
	ok(failed == 0 && json_array_size(log) == 2 && time(NULL) - t0 >= 1,
	    "a 429 with Retry-After: 1 is retried after waiting");
	notify_results_free(res, n);
	json_decref(log);

	json_decref(ctl("reset", "{}"));
	script("ntfy.test", "[{\"status\":400,\"body\":\"{\\\"code\\\":40001,"
	    "\\\"error\\\":\\\"bad topic\\\",\\\"link\\\":\\\"x\\\"}\"}]");
	failed = notify_send(&admin, &us, &ev, &res, &n);
	log = ctl("log", NULL);
	ok(failed == 1 && json_array_size(log) == 1 && !res[0].ok &&
	    strstr(res[0].error, "bad topic") != NULL, "a 400 is not "
	    "retried and its error is reported: %s", res[0].error);
	notify_results_free(res, n);
	json_decref(log);

	/* A hanging service times out; the other URL is not held up. */
	json_decref(ctl("reset", "{}"));
	script("discord.com", "[{\"delay\":4},{\"delay\":4},{\"delay\":4}]");
	settings_set(&admin, "NOTIFICATION_TIMEOUT", "1s");
	settings_set(&us, "NOTIFICATION_URLS", "discord://HANGTOKEN77@1234, "
	    "ntfy://ntfy.test/second");
	t0 = time(NULL);
	failed = notify_send(&admin, &us, &ev, &res, &n);
	ok(failed == 1 && n == 2 && !res[0].ok && res[1].ok &&
	    strstr(res[0].error, "discord: ") == res[0].error &&
	    strstr(res[0].error, "Timeout") != NULL, "a hanging service "
	    "times out (%s), the next URL still gets its message",
	    res[0].error);
	ok(time(NULL) - t0 < 12, "the timeout bounds the wait (%lds)",
	    (long)(time(NULL) - t0));
	ok(strstr(res[0].url, "HANGTOKEN77") == NULL && strstr(res[0].error,
	    "HANGTOKEN77") == NULL, "the failing URL is reported redacted: "
	    "%s", res[0].url);
	settings_set(&admin, "NOTIFICATION_TIMEOUT", "5s");
	notify_results_free(res, n);

	/* Levels. */
	settings_set(&us, "NOTIFICATION_URLS", "ntfy://ntfy.test/levels");
	json_decref(ctl("reset", "{}"));
	ev = event(NOTIFY_SUCCEEDED);
	notify_event(&admin, &us, &ev);
	log = ctl("log", NULL);
	ok(json_array_size(log) == 0, "level error: a success sends nothing");
	json_decref(log);
	ev = event(NOTIFY_FAILED);
	notify_event(&admin, &us, &ev);
	ev = event(NOTIFY_MISSED);
	notify_event(&admin, &us, &ev);
	log = ctl("log", NULL);
	ok(json_array_size(log) == 2 && strstr(hdr(json_array_get(log, 0),
	    "title"), "failed") != NULL && strstr(hdr(json_array_get(log, 1),
	    "title"), "missed") != NULL, "level error: failed and missed are "
	    "sent");
	ok(strstr(json_string_value(json_object_get(json_array_get(log, 0),
	    "body")), "upload refused") != NULL, "the failure message carries "
	    "the error");
	json_decref(log);
	settings_set(&us, "NOTIFICATION_LEVEL", "info");
	json_decref(ctl("reset", "{}"));
	ev = event(NOTIFY_SUCCEEDED);
	notify_event(&admin, &us, &ev);
	log = ctl("log", NULL);
	ok(json_array_size(log) == 1, "level info: a success is sent");
	json_decref(log);
	settings_free(&us);
}

static void
test_check(void)
{
	struct settings us;
	struct diag d;
	size_t i;
	bool leak = false;

	settings_defaults(&us, SET_USER);
	settings_set(&us, "NOTIFICATION_URLS", "discord://SECRETTOKEN99@, "
	    "nosuch://x/y, pushbullet://short, slack://hook:T00000000-"
	    "B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook?bogus=1, "
	    "smtp://mail.test/?from=a@b.c, ntfy://ntfy.test/fine");
	diag_init(&d);
	ok(notify_check_urls(&us, &d) == 5 && d.n == 5, "config check: five "
	    "bad URLs found, the good one passes (%zu)", d.n);
	for (i = 0; i < d.n; i++) {
		printf("# %s: %s\n", d.v[i].setting, d.v[i].msg);
		if (strstr(d.v[i].msg, "SECRETTOKEN99") != NULL ||
		    strstr(d.v[i].msg, "XXXXXXXXXXXXXXXXXXXXXXXX") != NULL)
			leak = true;
	}
	ok(d.n == 5 && strstr(d.v[0].msg, "webhook id") != NULL &&
	    strstr(d.v[1].msg, "unknown service") != NULL &&
	    strstr(d.v[2].msg, "incorrect size") != NULL &&
	    strstr(d.v[3].msg, "bogus") != NULL &&
	    strstr(d.v[4].msg, "toAddress missing") != NULL,
	    "config check says what is wrong with each");
	ok(!leak, "config check names the URLs without their secrets");
	diag_free(&d);
	settings_free(&us);
}

int
main(void)
{
	struct buf ct;
	char ca[600];
	size_t i;

	log_init("test_notify_services");
	log_set_fd(-1);
	curl_global_init(CURL_GLOBAL_ALL);
	if (sodium_init() == -1 || mkdtemp(dir) == NULL ||
	    start_recorder() == -1) {
		ok(0, "the recorder starts");
		return tap_done();
	}
	buf_init(&ct, 1 << 16);
	for (i = 0; hosts[i] != NULL; i++)
		buf_printf(&ct, "%s%s%s:127.0.0.1:%d", i > 0 ? "," : "",
		    hosts[i], strchr(hosts[i], ':') ? "" : ":443", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	settings_set(&admin, "HTTP_CONNECT_TO", ct.data);
	settings_set(&admin, "HTTP_CA_FILE", ca);
	settings_set(&admin, "NOTIFICATION_TIMEOUT", "5s");
	settings_set(&admin, "NOTIFICATION_TEMPLATE_DIR", dir);
	tu_write_text(dir, "title_success",
	    "Backup of {{ .User }} succeeded\n");
	tu_write_text(dir, "body_success",
	    "Backup {{ .BackupName }} of {{ .User }}\n"
	    "Size: {{ .Size }}\n");
	buf_free(&ct);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
	test_second_requests();
	test_matrix();
	test_delivery();
	test_check();

	settings_free(&admin);
	tu_stop(rec_pid);
	tu_rmtree(dir);
	curl_global_cleanup();
	return tap_done();
}
