/*
 * notify_googlechat.c - Google Chat webhooks (alias hangouts://):
 * googlechat://chat.googleapis.com/v1/spaces/S/messages?key=K&token=T.
 * notifications.md §3.5; Rec: other query parameters (threadKey,
 * messageReplyOption) are kept after key and token.  The title is not
 * part of Google Chat's simple message; the body carries it all.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct gchat {
	char	*url;
};

static const char *const schemes[] = { "googlechat", "hangouts", NULL };

static int
gchat_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	const char *key = nurl_get_exact(u, "key");
	const char *tok = nurl_get_exact(u, "token");
	struct gchat *g;
	struct nq *q;
	size_t n = 0, i;
	char *rest;
	struct buf b;

	nsecret(key);
	nsecret(tok);
	g = xcalloc(1, sizeof(*g));
	*priv = g;
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "googlechat: host missing");
	if (key == NULL || *key == '\0')
		return bk_err_set(err, BK_ECONFIG, "googlechat: key missing "
		    "from config URL");
	if (tok == NULL || *tok == '\0')
		return bk_err_set(err, BK_ECONFIG, "googlechat: token missing "
		    "from config URL");
	q = xcalloc(u->nq + 1, sizeof(*q));
	for (i = 0; i < u->nq; i++)
		if (strcmp(u->q[i].key, "key") != 0 &&
		    strcmp(u->q[i].key, "token") != 0) {
			q[n].key = xstrdup(u->q[i].key);
			q[n++].val = xstrdup(u->q[i].val);
		}
	rest = nq_encode(q, n);
	nq_free(q, n);
	buf_init(&b, 1 << 16);
	buf_printf(&b, "https://%s%s?key=", u->host, u->path);
	nq_escape(&b, key, false);
	buf_puts(&b, "&token=");
	nq_escape(&b, tok, false);
	if (*rest != '\0')
		buf_printf(&b, "&%s", rest);
	free(rest);
	g->url = buf_take(&b);
	return 0;
}

static int
gchat_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct gchat *g = priv;
	struct nresp r;
	json_t *doc;
	int rc;

	doc = json_object();
	json_object_set_new(doc, "text", json_string(m->body));
	if ((rc = nhttp_json(ctx, "POST", g->url, doc, NULL, &r, err)) == 0 &&
	    (r.status < 200 || r.status > 299))
		rc = nresp_fail(err, "googlechat", &r);
	nresp_free(&r);
	return rc;
}

static void
gchat_free(void *priv)
{
	struct gchat *g = priv;

	xfree_secret(g->url);
	free(g);
}

const struct notify_service notify_service_googlechat = {
	.name = "googlechat",
	.schemes = schemes,
	.parse = gchat_parse,
	.send = gchat_send,
	.free = gchat_free,
};
