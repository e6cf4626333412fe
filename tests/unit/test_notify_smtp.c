/*
 * test_notify_smtp.c - e-mail notifications against real SMTP servers on
 * loopback (tests/servers/smtp_server.py, Debian's aiosmtpd), reached as
 * "mail.test" through HTTP_CONNECT_TO with the test CA in HTTP_CA_FILE:
 * STARTTLS with AUTH PLAIN, LOGIN and CRAM-MD5, implicit TLS on 465, one
 * message per recipient, the delivered message read back (RFC 5322
 * headers, RFC 2047 subject, dot lines), a wrong password, and no
 * password in clear to a host that is not localhost.
 */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "log.h"
#include "notify.h"
#include "settings.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

static char dir[] = "/tmp/pb-smtp.XXXXXX";
static pid_t srv_pid;
static int p_starttls, p_implicit, p_plain;
static struct settings admin;
static int seen;	/* messages read so far */

#define TITLE	"Sauvegarde réussie pour alice"

static int
start_server(void)
{
	char path[600], pf[600];
	const char *root = getenv("PB_ROOT");
	json_t *j;
	int w;

	snprintf(path, sizeof(path), "%s/tests/servers/smtp_server.py",
	    root != NULL ? root : ".");
	srv_pid = tu_spawn((char *[]){ "/usr/bin/python3", path, "--dir", dir,
	    NULL });
	snprintf(pf, sizeof(pf), "%s/ports", dir);
	for (w = 0; w < 600; w++) {	/* readiness: the ports file */
		if ((j = json_load_file(pf, 0, NULL)) != NULL) {
			p_starttls = (int)json_integer_value(json_object_get(j,
			    "starttls"));
			p_implicit = (int)json_integer_value(json_object_get(j,
			    "implicit"));
			p_plain = (int)json_integer_value(json_object_get(j,
			    "plain"));
			json_decref(j);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

/* Messages delivered since the last call. */
static json_t *
delivered(void)
{
	json_t *arr = json_array(), *j;
	char path[700];

	for (;; seen++) {
		snprintf(path, sizeof(path), "%s/mail/%03d.json", dir, seen);
		if ((j = json_load_file(path, 0, NULL)) == NULL)
			break;
		json_array_append_new(arr, j);
	}
	return arr;
}

static int
send_to(const char *url, struct notify_result **res, size_t *n)
{
	struct notify_event ev;
	struct settings us;
	int failed;

	memset(&ev, 0, sizeof(ev));
	ev.kind = NOTIFY_SUCCEEDED;
	ev.user = "alice";
	ev.backup_name = "backup-1.tar.gz";
	ev.size = 1536;
	settings_defaults(&us, SET_USER);
	settings_set(&us, "NOTIFICATION_URLS", url);
	failed = notify_send(&admin, &us, &ev, res, n);
	settings_free(&us);
	return failed;
}

/* Whether addr stands in text as an address of its own, not as the tail
 * of a longer token (a random Message-ID can end in "...b@x.test"). */
static bool
names_address(const char *text, const char *addr)
{
	const char *p;

	for (p = strstr(text, addr); p != NULL; p = strstr(p + 1, addr))
		if (p == text || !isalnum((unsigned char)p[-1]))
			return true;
	return false;
}

static const char *
field(json_t *m, const char *k)
{
	const char *v = json_string_value(json_object_get(m, k));

	return v != NULL ? v : "";
}

static void
test_starttls_plain(void)
{
	struct notify_result *res;
	char b64[256], want[300], *url;
	json_t *mails, *m;
	const char *data;
	size_t n;
	int failed;

	xasprintf(&url, "smtp://tester:s3cret-pass@mail.test:587/?from="
	    "bk@x.test&fromname=B%%C3%%BCro+Backup&to=a@x.test,b@x.test&"
	    "clienthost=client.test");
	failed = send_to(url, &res, &n);
	free(url);
	mails = delivered();
	ok(failed == 0 && res[0].ok, "STARTTLS + AUTH PLAIN: sent (%s)",
	    res[0].error);
	ok(json_array_size(mails) == 2, "one message per recipient (%zu)",
	    json_array_size(mails));
	m = json_array_get(mails, 0);
	ok(strcmp(field(m, "listener"), "starttls") == 0 &&
	    json_is_true(json_object_get(m, "tls")) &&
	    strcmp(field(m, "login"), "tester") == 0,
	    "the session was upgraded with STARTTLS and authenticated");
	ok(strcmp(field(m, "ehlo"), "client.test") == 0, "EHLO names "
	    "clienthost (%s)", field(m, "ehlo"));
	ok(strcmp(field(m, "from"), "bk@x.test") == 0 && strcmp(
	    json_string_value(json_array_get(json_object_get(m, "to"), 0)),
	    "a@x.test") == 0, "envelope: MAIL FROM bk@x.test, RCPT TO "
	    "a@x.test");
	data = field(m, "data");
	printf("# %s\n", data);
	ok(strstr(data, "\r\nTo: a@x.test\r\n") != NULL &&
	    !names_address(data, "b@x.test"), "each copy names only its own "
	    "recipient");
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)TITLE,
	    strlen(TITLE), sodium_base64_VARIANT_ORIGINAL);
	snprintf(want, sizeof(want), "\r\nSubject: =?UTF-8?B?%s?=\r\n", b64);
	ok(strstr(data, want) != NULL, "the UTF-8 subject is RFC 2047 "
	    "encoded");
	ok(strstr(data, "From: =?UTF-8?B?QsO8cm8gQmFja3Vw?= <bk@x.test>\r\n")
	    != NULL, "From: encoded display name and address");
	ok(strncmp(data, "Date: ", 6) == 0 && strstr(data,
	    "\r\nMessage-ID: <") != NULL && strstr(data,
	    "\r\nMIME-Version: 1.0\r\n") != NULL && strstr(data,
	    "Content-Type: text/plain; charset=\"UTF-8\"\r\n") != NULL,
	    "Date, Message-ID, MIME-Version and Content-Type headers");
	ok(strstr(data, "\r\n\r\nBackup backup-1.tar.gz of alice\r\n.hidden "
	    "line\r\nSize: 1.5 KiB\r\n") != NULL, "the body arrives intact "
	    "with CRLF, a line starting with a dot included");
	ok(strcmp(json_string_value(json_array_get(json_object_get(
	    json_array_get(mails, 1), "to"), 0)), "b@x.test") == 0 &&
	    strstr(field(json_array_get(mails, 1), "data"), "To: b@x.test")
	    != NULL, "the second recipient gets its own copy");
	json_decref(mails);
	notify_results_free(res, n);
}

static void
test_mech(const char *auth, const char *port, const char *listener)
{
	struct notify_result *res;
	json_t *mails;
	char *url;
	size_t n;
	int failed;

	xasprintf(&url, "smtp://tester:s3cret-pass@mail.test:%s/?from="
	    "bk@x.test&to=ops@x.test%s%s", port, *auth ? "&auth=" : "", auth);
	failed = send_to(url, &res, &n);
	free(url);
	mails = delivered();
	ok(failed == 0 && json_array_size(mails) == 1 && strcmp(field(
	    json_array_get(mails, 0), "listener"), listener) == 0 &&
	    strcmp(field(json_array_get(mails, 0), "login"), "tester") == 0 &&
	    json_is_true(json_object_get(json_array_get(mails, 0), "tls")),
	    "%s on port %s: delivered over TLS, authenticated (%s)",
	    *auth ? auth : "default auth", port, res[0].error);
	json_decref(mails);
	notify_results_free(res, n);
}

static void
test_refusals(void)
{
	struct notify_result *res;
	json_t *mails;
	char *url;
	size_t n;
	int failed;

	failed = send_to("smtp://tester:wrong-password@mail.test:587/?from="
	    "bk@x.test&to=ops@x.test", &res, &n);
	mails = delivered();
	ok(failed == 1 && json_array_size(mails) == 0, "a wrong password "
	    "fails the URL, nothing delivered: %s", res[0].error);
	ok(strstr(res[0].error, "wrong-password") == NULL && strstr(res[0].url,
	    "wrong-password") == NULL, "the password is not in the error or "
	    "URL shown (%s)", res[0].url);
	json_decref(mails);
	notify_results_free(res, n);

	failed = send_to("smtp://tester:s3cret-pass@mail.test:2500/?from="
	    "bk@x.test&to=ops@x.test&usestarttls=no", &res, &n);
	mails = delivered();
	ok(failed == 1 && strstr(res[0].error, "unencrypted") != NULL &&
	    json_array_size(mails) == 0, "no password in clear to a remote "
	    "host: %s", res[0].error);
	json_decref(mails);
	notify_results_free(res, n);

	xasprintf(&url, "smtp://tester:s3cret-pass@localhost:%d/?from="
	    "bk@x.test&to=ops@x.test&usestarttls=no", p_plain);
	failed = send_to(url, &res, &n);
	free(url);
	mails = delivered();
	ok(failed == 0 && json_array_size(mails) == 1 && !json_is_true(
	    json_object_get(json_array_get(mails, 0), "tls")),
	    "cleartext AUTH PLAIN to localhost is allowed (%s)",
	    res[0].error);
	json_decref(mails);
	notify_results_free(res, n);
}

/* A server whose certificate no trusted CA signed: the error says where
 * trust comes from (HTTP_CA_FILE) and which URL options choose TLS. */
static void
test_untrusted(const char *ca)
{
	struct notify_result *res;
	size_t n;
	int failed;

	settings_set(&admin, "HTTP_CA_FILE", "/etc/ssl/certs/ca-certificates.crt");
	failed = send_to("smtp://mail.test:465/?from=bk@x.test&to=a@x.test&"
	    "encryption=ImplicitTLS", &res, &n);
	ok(failed == 1 && !res[0].ok && res[0].error != NULL &&
	    strstr(res[0].error, "HTTP_CA_FILE") != NULL &&
	    strstr(res[0].error, "encryption=") != NULL &&
	    strstr(res[0].error, "skiptlsverify") != NULL,
	    "an untrusted certificate names HTTP_CA_FILE and the URL's TLS "
	    "options: %s", res[0].error != NULL ? res[0].error : "");
	notify_results_free(res, n);
	settings_set(&admin, "HTTP_CA_FILE", ca);
}

int
main(void)
{
	char ct[512], ca[600];

	log_init("test_notify_smtp");
	log_set_fd(-1);
	curl_global_init(CURL_GLOBAL_ALL);
	if (sodium_init() == -1 || mkdtemp(dir) == NULL ||
	    start_server() == -1) {
		ok(0, "the SMTP server starts");
		return tap_done();
	}
	snprintf(ct, sizeof(ct), "mail.test:587:127.0.0.1:%d,"
	    "mail.test:465:127.0.0.1:%d,mail.test:2500:127.0.0.1:%d,"
	    "localhost:%d:127.0.0.1:%d", p_starttls, p_implicit, p_plain,
	    p_plain, p_plain);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	settings_set(&admin, "HTTP_CONNECT_TO", ct);
	settings_set(&admin, "HTTP_CA_FILE", ca);
	settings_set(&admin, "NOTIFICATION_TIMEOUT", "10s");
	settings_set(&admin, "NOTIFICATION_TEMPLATE_DIR", dir);
	tu_write_text(dir, "title_success",
	    "Sauvegarde réussie pour {{ .User }}");
	tu_write_text(dir, "body_success",
	    "Backup {{ .BackupName }} of {{ .User }}\n"
	    ".hidden line\nSize: {{ .Size }}\n");

	test_starttls_plain();
	test_mech("Login", "587", "starttls");
	test_mech("CRAMMD5", "587", "starttls");
	test_mech("", "465", "implicit");
	test_refusals();
	test_untrusted(ca);

	settings_free(&admin);
	tu_stop(srv_pid);
	tu_rmtree(dir);
	curl_global_cleanup();
	return tap_done();
}
