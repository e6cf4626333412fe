/*
 * notify_join.c - Join (joaoapps): join://shoutrrr:APIKEY@join/?devices=
 * notifications.md §3.8: everything travels in the query, the body is
 * empty.  Rec: a 200 whose JSON says "success": false is a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct join {
	char	*key, *devices, *icon, *title;
};

static const char *const keys[] = { "devices", "icon", "title", NULL };
static const char *const schemes[] = { "join", NULL };

static int
join_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct join *j;
	const char *d;

	nsecret(u->pass);
	j = xcalloc(1, sizeof(*j));
	*priv = j;
	if (nurl_known_keys(u, keys, "join", err) == -1)
		return -1;
	if ((d = nurl_get(u, "devices")) == NULL || *d == '\0')
		return bk_err_set(err, BK_ECONFIG, "join: devices missing from "
		    "config URL");
	if (*u->pass == '\0')
		return bk_err_set(err, BK_ECONFIG, "join: API key missing from "
		    "config URL (join://shoutrrr:APIKEY@join/?devices=...)");
	j->key = xstrdup(u->pass);
	j->devices = xstrdup(d);
	j->icon = xstrdup(nurl_str(u, "icon", ""));
	j->title = xstrdup(nurl_str(u, "title", ""));
	return 0;
}

static int
join_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct join *j = priv;
	const char *title = *m->title != '\0' ? m->title : j->title;
	struct nq q[5];
	struct nreq rq = { 0 };
	struct nresp r;
	struct curl_slist *hd;
	char *qs, *url;
	size_t n = 0;
	json_t *s;
	int rc;

	q[n].key = "apikey", q[n++].val = j->key;
	q[n].key = "deviceIds", q[n++].val = j->devices;
	if (*j->icon != '\0')
		q[n].key = "icon", q[n++].val = j->icon;
	q[n].key = "text", q[n++].val = (char *)m->body;
	if (*title != '\0')
		q[n].key = "title", q[n++].val = (char *)title;
	qs = nq_encode(q, n);
	xasprintf(&url, "https://joinjoaomgcd.appspot.com/_ah/api/messaging/"
	    "v1/sendPush?%s", qs);
	hd = nhdr(NULL, "Content-Type", "text/plain");
	rq.method = "POST";
	rq.url = url;
	rq.headers = hd;
	if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0) {
		s = r.json != NULL ? json_object_get(r.json, "success") : NULL;
		if (r.status != 200)
			rc = nresp_fail(err, "join", &r);
		else if (json_is_false(s))
			rc = bk_err_set(err, BK_EPROTO, "join: %s",
			    json_string_value(json_object_get(r.json,
			    "errorMessage")) != NULL ? json_string_value(
			    json_object_get(r.json, "errorMessage")) :
			    "the server answered success: false");
	}
	nresp_free(&r);
	curl_slist_free_all(hd);
	xfree_secret(qs);
	xfree_secret(url);
	return rc;
}

static void
join_free(void *priv)
{
	struct join *j = priv;

	xfree_secret(j->key);
	free(j->devices);
	free(j->icon);
	free(j->title);
	free(j);
}

const struct notify_service notify_service_join = {
	.name = "join",
	.schemes = schemes,
	.parse = join_parse,
	.send = join_send,
	.free = join_free,
};
