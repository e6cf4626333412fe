/*
 * notify_zulip.c - Zulip: zulip://BOTMAIL:BOTKEY@host[:port]/?stream=&topic=
 * notifications.md §3.19; Rec: the port is kept and the title becomes
 * the topic when none is set.  Limits are checked before sending.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

#define MAX_TOPIC	60
#define MAX_BODY	10000

struct zulip {
	char	*url, *mail, *key, *stream, *topic;
};

static const char *const schemes[] = { "zulip", NULL };

static int
zulip_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct zulip *z;

	nsecret(u->pass);
	z = xcalloc(1, sizeof(*z));
	*priv = z;
	if (*u->user == '\0')
		return bk_err_set(err, BK_ECONFIG, "zulip: bot mail missing "
		    "(zulip://bot%%40example.com:KEY@host)");
	if (!u->has_pass || *u->pass == '\0')
		return bk_err_set(err, BK_ECONFIG, "zulip: API key missing");
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "zulip: host missing");
	xasprintf(&z->url, "https://%s/api/v1/messages", u->host);
	z->mail = xstrdup(u->user);
	z->key = xstrdup(u->pass);
	z->stream = xstrdup(nurl_get_exact(u, "stream") != NULL ?
	    nurl_get_exact(u, "stream") : "");
	z->topic = xstrdup(nurl_get_exact(u, "topic") != NULL ?
	    nurl_get_exact(u, "topic") : "");
	if (utf8_runes(z->topic) > MAX_TOPIC)
		return bk_err_set(err, BK_ECONFIG, "zulip: topic longer than "
		    "%d characters", MAX_TOPIC);
	return 0;
}

static int
zulip_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct zulip *z = priv;
	struct curl_slist *hd;
	struct nreq rq = { 0 };
	struct nresp r;
	struct nq q[4];
	char *topic, *body;
	size_t n = 0;
	int rc;

	if (strlen(m->body) > MAX_BODY)
		return bk_err_set(err, BK_EPROTO, "zulip: message longer than "
		    "%d bytes", MAX_BODY);
	topic = xstrdup(*z->topic != '\0' ? z->topic : m->title);
	if (utf8_runes(topic) > MAX_TOPIC)
		topic[utf8_prefix(topic, MAX_TOPIC)] = '\0';
	q[n].key = "content", q[n++].val = (char *)m->body;
	q[n].key = "to", q[n++].val = z->stream;
	if (*topic != '\0')
		q[n].key = "topic", q[n++].val = topic;
	q[n].key = "type", q[n++].val = "stream";
	body = nq_encode(q, n);
	hd = nhdr(NULL, "Content-Type", "application/x-www-form-urlencoded");
	rq.method = "POST";
	rq.url = z->url;
	rq.headers = hd;
	rq.body = body;
	rq.len = strlen(body);
	rq.user = z->mail;
	rq.pass = z->key;
	if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0 && r.status != 200)
		rc = nresp_fail(err, "zulip", &r);
	nresp_free(&r);
	curl_slist_free_all(hd);
	free(body);
	free(topic);
	return rc;
}

static void
zulip_free(void *priv)
{
	struct zulip *z = priv;

	free(z->url);
	free(z->mail);
	xfree_secret(z->key);
	free(z->stream);
	free(z->topic);
	free(z);
}

const struct notify_service notify_service_zulip = {
	.name = "zulip",
	.schemes = schemes,
	.parse = zulip_parse,
	.send = zulip_send,
	.free = zulip_free,
};
