/*
 * notify_gotify.c - Gotify: gotify://host[:port][/subpath]/TOKEN[?...].
 * notifications.md §3.6; Rec: a subpath's trailing '/' is dropped, so
 * /gotify/ posts to /gotify/message, never //message.  The token shape
 * is checked when the URL is read, so `config check` reports it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct gotify {
	char		*url, *title;
	long long	 priority;
};

static const char *const keys[] = { "title", "priority", "disabletls",
    NULL };
static const char *const schemes[] = { "gotify", NULL };

static bool
token_ok(const char *t)
{
	size_t i;

	if (strlen(t) != 15 || t[0] != 'A')
		return false;
	for (i = 0; t[i] != '\0'; i++)
		if (!isalnum((unsigned char)t[i]) && strchr("._-", t[i]) ==
		    NULL)
			return false;
	return true;
}

static int
gotify_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct gotify *g;
	char *path, *slash, *tok;
	bool plain;
	size_t len;
	struct buf b;

	g = xcalloc(1, sizeof(*g));
	*priv = g;
	path = xstrdup(u->path);
	len = strlen(path);
	if (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	slash = strrchr(path, '/');
	tok = slash != NULL ? slash + 1 : path;
	nsecret(tok);
	if (nurl_known_keys(u, keys, "gotify", err) == -1 ||
	    nurl_bool(u, "disabletls", false, &plain, "gotify", err) == -1 ||
	    nurl_int(u, "priority", 0, -2147483648LL, 2147483647LL,
	    &g->priority, "gotify", err) == -1)
		goto fail;
	if (*u->host == '\0') {
		bk_err_set(err, BK_ECONFIG, "gotify: host missing");
		goto fail;
	}
	if (!token_ok(tok)) {
		bk_err_set(err, BK_ECONFIG, "gotify: invalid token (15 "
		    "characters starting with A expected as the last path "
		    "segment)");
		goto fail;
	}
	if (slash != NULL)
		*slash = '\0';
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	buf_init(&b, 1 << 16);
	buf_printf(&b, "%s://%s%s/message?token=", plain ? "http" : "https",
	    u->host, path);
	nq_escape(&b, tok, false);
	g->url = buf_take(&b);
	g->title = xstrdup(nurl_str(u, "title", "Shoutrrr notification"));
	xfree_secret(path);
	return 0;
fail:
	xfree_secret(path);
	return -1;
}

static int
gotify_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct gotify *g = priv;
	struct nresp r;
	json_t *doc, *e;
	int rc;

	doc = json_object();
	json_object_set_new(doc, "message", json_string(m->body));
	json_object_set_new(doc, "title", json_string(*m->title != '\0' ?
	    m->title : g->title));
	json_object_set_new(doc, "priority", json_integer(g->priority));
	if ((rc = nhttp_json(ctx, "POST", g->url, doc, NULL, &r, err)) == 0 &&
	    !nresp_json_ok(&r)) {
		e = r.json != NULL ? json_object_get(r.json, "error") : NULL;
		if (e != NULL)
			rc = bk_err_set(err, BK_EPROTO, "gotify: server "
			    "responded with %s (%lld): %s",
			    json_string_value(e),
			    (long long)json_integer_value(json_object_get(
			    r.json, "errorCode")), json_string_value(
			    json_object_get(r.json, "errorDescription")));
		else
			rc = nresp_fail(err, "gotify", &r);
	}
	nresp_free(&r);
	return rc;
}

static void
gotify_free(void *priv)
{
	struct gotify *g = priv;

	xfree_secret(g->url);
	free(g->title);
	free(g);
}

const struct notify_service notify_service_gotify = {
	.name = "gotify",
	.schemes = schemes,
	.parse = gotify_parse,
	.send = gotify_send,
	.free = gotify_free,
};
