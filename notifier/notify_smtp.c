/*
 * notify_smtp.c - e-mail through libcurl's SMTP:
 * smtp://[user[:pass]@]host[:port]/?from=a@b&to=c@d[,e@f][&...]
 * notifications.md §3.3 with its Rec improvements: a proper RFC 5322
 * message (Date, Message-ID, RFC 2047 UTF-8 subject and display name,
 * CRLF, 8bit), one transaction per recipient on one connection, and
 * PLAIN/LOGIN never sent in clear to a host that is not localhost (Go's
 * rule): then STARTTLS is required instead of tried.
 * Encryption: ImplicitTLS (or Auto on port 465) = smtps://; otherwise
 * STARTTLS when offered (usestarttls=yes), required (requirestarttls=yes)
 * or never (usestarttls=no).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

enum { A_NONE, A_PLAIN, A_CRAMMD5, A_UNKNOWN, A_OAUTH2, A_LOGIN };
enum { E_NONE, E_EXPLICIT, E_IMPLICIT, E_AUTO };

struct smtp {
	char	*url, *host, *user, *pass, *from, *fromname, **to, *subject;
	char	*clienthost;
	int	 auth;
	bool	 implicit, starttls, require, html, insecure;
};

static const char *const keys[] = { "fromaddress|from", "fromname",
    "toaddresses|to", "subject|title", "auth", "encryption",
    "usestarttls|starttls", "usehtml", "clienthost", "requirestarttls",
    "skiptlsverify", NULL };
static const char *const schemes[] = { "smtp", NULL };

static char *
plus_for_space(const char *s)
{
	char *d = xstrdup(s), *p;

	for (p = d; *p != '\0'; p++)
		if (*p == ' ')
			*p = '+';
	return d;
}

static bool
is_local(const char *h)
{
	return strcmp(h, "localhost") == 0 || strcmp(h, "127.0.0.1") == 0 ||
	    strcmp(h, "::1") == 0;
}

static int
smtp_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct smtp *s;
	const char *v;
	char name[256];
	long port;
	int enc;
	size_t i;

	nsecret(u->pass);
	s = xcalloc(1, sizeof(*s));
	*priv = s;
	if (nurl_known_keys(u, keys, "smtp", err) == -1 ||
	    nurl_enum(u, "auth", "None,Plain,CRAMMD5,Unknown,OAuth2,Login",
	    NULL, A_UNKNOWN, &s->auth, "smtp", err) == -1 ||
	    nurl_enum(u, "encryption", "None,ExplicitTLS,ImplicitTLS,Auto",
	    NULL, E_AUTO, &enc, "smtp", err) == -1 ||
	    nurl_bool(u, "usestarttls|starttls", true, &s->starttls, "smtp",
	    err) == -1 || nurl_bool(u, "usehtml", false, &s->html, "smtp",
	    err) == -1 || nurl_bool(u, "requirestarttls", false, &s->require,
	    "smtp", err) == -1 || nurl_bool(u, "skiptlsverify", false,
	    &s->insecure, "smtp", err) == -1)
		return -1;
	if (*u->hostname == '\0')
		return bk_err_set(err, BK_ECONFIG, "smtp: host missing");
	if ((v = nurl_get(u, "fromaddress|from")) == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "smtp: fromAddress missing "
		    "from config URL (?from=...)");
	s->from = plus_for_space(v);
	if ((v = nurl_get(u, "toaddresses|to")) == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "smtp: toAddress missing "
		    "from config URL (?to=...)");
	s->to = split_list(v, NULL);
	for (i = 0; s->to[i] != NULL; i++) {
		char *t = plus_for_space(s->to[i]);

		if (strchr(t, '@') == NULL || strpbrk(t, "<>\r\n") != NULL) {
			free(t);
			return bk_err_set(err, BK_ECONFIG, "smtp: \"%s\" is not "
			    "an e-mail address", s->to[i]);
		}
		free(s->to[i]);
		s->to[i] = t;
	}
	if (strchr(s->from, '@') == NULL || strpbrk(s->from, "<>\r\n"))
		return bk_err_set(err, BK_ECONFIG, "smtp: from \"%s\" is not an "
		    "e-mail address", s->from);
	port = *u->port != '\0' ? strtol(u->port, NULL, 10) : 25;
	if (port <= 0 || port > 65535)
		return bk_err_set(err, BK_ECONFIG, "smtp: bad port");
	s->implicit = enc == E_IMPLICIT || (enc == E_AUTO && port == 465);
	if (s->auth == A_UNKNOWN)
		s->auth = *u->user != '\0' ? A_PLAIN : A_NONE;
	s->host = xstrdup(u->hostname);
	s->user = xstrdup(u->user);
	s->pass = xstrdup(u->pass);
	s->fromname = xstrdup(nurl_str(u, "fromname", ""));
	s->subject = xstrdup(nurl_str(u, "subject|title", ""));
	v = nurl_str(u, "clienthost", "localhost");
	if (strcmp(v, "auto") == 0) {
		if (gethostname(name, sizeof(name)) == -1)
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		v = name;
	}
	/* It becomes the EHLO argument: one word, no line breaks. */
	if (*v == '\0' || !nhttp_value(v) || strpbrk(v, " \t/?#@%") != NULL)
		return bk_err_set(err, BK_ECONFIG, "smtp: clienthost: not a "
		    "host name");
	s->clienthost = xstrdup(v);
	xasprintf(&s->url, "%s://%s%s%s:%ld/%s", s->implicit ? "smtps" :
	    "smtp", strchr(s->host, ':') ? "[" : "", s->host,
	    strchr(s->host, ':') ? "]" : "", port, s->clienthost);
	return 0;
}

/* RFC 2047 B-encoding when s is not plain ASCII; words split between
 * characters, folded with CRLF SP. */
static void
encode_word(struct buf *b, const char *s)
{
	char out[128];
	size_t len = strlen(s), i, take, n;
	bool ascii = true;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\r' || s[i] == '\n')
			ascii = false;
	if (ascii && strstr(s, "=?") == NULL) {
		buf_puts(b, s);
		return;
	}
	for (i = 0; i < len; i += take) {
		take = len - i < 45 ? len - i : 45;
		while (i + take < len && ((unsigned char)s[i + take] & 0xc0) ==
		    0x80)
			take--;
		n = take;
		sodium_bin2base64(out, sizeof(out), (const unsigned char *)s +
		    i, n, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i > 0 ? "\r\n " : "", out);
	}
}

static void
crlf(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_puts(b, "\r\n");
		else if (*s != '\r')
			buf_append(b, s, 1);
	}
}

static char *
message(const struct smtp *s, const char *to, const char *title,
    const char *body)
{
	unsigned char rnd[12];
	char date[64], hex[25], bnd[25];
	const char *dom;
	struct buf b;
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(bnd, sizeof(bnd), rnd, sizeof(rnd));
	dom = strchr(s->from, '@') + 1;
	buf_init(&b, 4 << 20);
	buf_printf(&b, "Date: %s\r\nMessage-ID: <%lld.%s@%s>\r\nFrom: ", date,
	    (long long)now, hex, dom);
	if (*s->fromname != '\0') {
		encode_word(&b, s->fromname);
		buf_puts(&b, " ");
	}
	buf_printf(&b, "<%s>\r\nTo: %s\r\nSubject: ", s->from, to);
	encode_word(&b, *title != '\0' ? title : "Shoutrrr Notification");
	buf_puts(&b, "\r\nMIME-Version: 1.0\r\n");
	if (!s->html) {
		buf_puts(&b, "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n");
		crlf(&b, body);
		buf_puts(&b, "\r\n");
		return buf_take(&b);
	}
	buf_printf(&b, "Content-Type: multipart/alternative; boundary=%s\r\n"
	    "\r\n--%s\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", bnd, bnd);
	crlf(&b, body);
	buf_printf(&b, "\r\n--%s\r\nContent-Type: text/html; charset=\"UTF-8\""
	    "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<pre>", bnd);
	for (; *body != '\0'; body++)
		switch (*body) {
		case '<': buf_puts(&b, "&lt;"); break;
		case '>': buf_puts(&b, "&gt;"); break;
		case '&': buf_puts(&b, "&amp;"); break;
		case '\n': buf_puts(&b, "\r\n"); break;
		default: buf_append(&b, body, 1);
		}
	buf_printf(&b, "</pre>\r\n--%s--\r\n", bnd);
	return buf_take(&b);
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
on_read(char *dst, size_t sz, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = sz * n < u->left ? sz * n : u->left;

	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

static size_t
on_discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int
one(struct smtp *s, struct nctx *ctx, const char *to, const char *msg,
    struct bk_err *err)
{
	static const char *const opts[] = { NULL, "AUTH=PLAIN",
	    "AUTH=CRAM-MD5", NULL, "AUTH=XOAUTH2", "AUTH=LOGIN" };
	struct curl_slist *rcpt;
	struct upload up;
	char *from, *rb;
	CURLcode rc;
	long ssl;
	int attempt;

	xasprintf(&from, "<%s>", s->from);
	xasprintf(&rb, "<%s>", to);
	rcpt = curl_slist_append(NULL, rb);
	free(rb);
	ssl = !s->starttls ? CURLUSESSL_NONE : s->require ? CURLUSESSL_ALL :
	    CURLUSESSL_TRY;
	if ((s->auth == A_PLAIN || s->auth == A_LOGIN) && !s->implicit &&
	    !is_local(s->host)) {
		if (ssl == CURLUSESSL_NONE) {
			free(from);
			curl_slist_free_all(rcpt);
			return bk_err_set(err, BK_ECONFIG, "smtp: refusing to "
			    "send the password unencrypted to %s (use "
			    "STARTTLS or ImplicitTLS)", s->host);
		}
		ssl = CURLUSESSL_ALL;
	}
	for (attempt = 1;; attempt++) {
		curl_easy_setopt(ctx->h, CURLOPT_URL, s->url);
		curl_easy_setopt(ctx->h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(ctx->h, CURLOPT_USE_SSL, ssl);
		curl_easy_setopt(ctx->h, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(ctx->h, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(ctx->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(ctx->h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(ctx->h, CURLOPT_READDATA, &up);
		curl_easy_setopt(ctx->h, CURLOPT_WRITEFUNCTION, on_discard);
		curl_easy_setopt(ctx->h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)strlen(msg));
		curl_easy_setopt(ctx->h, CURLOPT_TIMEOUT_MS, ctx->timeout_ms);
		if (s->insecure) {
			curl_easy_setopt(ctx->h, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(ctx->h, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (s->auth != A_NONE) {
			curl_easy_setopt(ctx->h, CURLOPT_USERNAME, s->user);
			if (s->auth == A_OAUTH2)
				curl_easy_setopt(ctx->h,
				    CURLOPT_XOAUTH2_BEARER, s->pass);
			else
				curl_easy_setopt(ctx->h, CURLOPT_PASSWORD,
				    s->pass);
			curl_easy_setopt(ctx->h, CURLOPT_LOGIN_OPTIONS,
			    opts[s->auth]);
		}
		up.p = msg;
		up.left = strlen(msg);
		ctx->requests++;
		rc = curl_easy_perform(ctx->h);
		if (rc == CURLE_OK || attempt >= ctx->attempts ||
		    (rc != CURLE_OPERATION_TIMEDOUT &&
		    rc != CURLE_COULDNT_CONNECT) || http_refused(rc))
			break;
		sleep((unsigned)attempt);
	}
	free(from);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	if (rc == CURLE_USE_SSL_FAILED)
		return bk_err_set(err, BK_ECONFIG, "smtp: %s does not offer "
		    "STARTTLS, and the password or requirestarttls needs it",
		    s->host);
	if (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE) {
		/* Say where trust comes from and which URL options pick
		 * the TLS mode: the admin's bundle or the user's URL. */
		bk_err_set(err, BK_ECONFIG, "smtp: %s: the server's TLS "
		    "certificate is not trusted (%s): add its CA to the "
		    "admin's HTTP_CA_FILE, or change the URL's TLS options "
		    "(encryption=None|ExplicitTLS|ImplicitTLS, "
		    "usestarttls=no, skiptlsverify=yes)", s->host,
		    curl_easy_strerror(rc));
	} else
		http_curl_err(err, rc, "SMTP session");
	bk_err_prefix(err, "to %s", to);
	return -1;
}

static int
smtp_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct smtp *s = priv;
	char *msg;
	size_t i;
	int rc = 0;

	for (i = 0; s->to[i] != NULL && rc == 0; i++) {
		msg = message(s, s->to[i], *m->title != '\0' ? m->title :
		    s->subject, m->body);
		rc = one(s, ctx, s->to[i], msg, err);
		free(msg);
	}
	return rc;
}

static void
smtp_free(void *priv)
{
	struct smtp *s = priv;

	free(s->url);
	free(s->host);
	free(s->user);
	xfree_secret(s->pass);
	free(s->from);
	free(s->fromname);
	if (s->to != NULL)
		strv_free(s->to);
	free(s->subject);
	free(s->clienthost);
	free(s);
}

const struct notify_service notify_service_smtp = {
	.name = "smtp",
	.schemes = schemes,
	.parse = smtp_parse,
	.send = smtp_send,
	.free = smtp_free,
};
