/*
 * notify_generic.c - any webhook: generic://host/path?... (https, or
 * http with disabletls=yes) and generic+https://host/path?...
 * notifications.md §3.4.  Config keys are exact lowercase and, in the
 * generic+ form, forwarded like every other key (as shoutrrr U does);
 * "@Name" keys become headers, "$name" keys extra JSON fields, "__key"
 * forwards a config key's name.  Rec: the URL's title is used when the
 * message has none.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct generic {
	char			*url, *user, *pass, *method, *ctype;
	char			*title, *titlekey, *messagekey;
	bool			 json, auth;
	struct curl_slist	*headers;
	json_t			*extras;
};

static const char *const config[] = { "contenttype", "disabletls",
    "template", "title", "titlekey", "messagekey", "method", NULL };
static const char *const schemes[] = { "generic", NULL };

static bool
is_config(const char *k)
{
	size_t i;

	for (i = 0; config[i] != NULL; i++)
		if (strcmp(config[i], k) == 0)
			return true;
	return false;
}

/* "@userAgent" -> "User-Agent" (Go's rules, §3.4). */
static char *
header_name(const char *k)
{
	struct buf b;
	size_t i;
	char c;

	buf_init(&b, 4096);
	for (i = 0; k[i] != '\0'; i++) {
		c = k[i];
		if (i > 0 && isupper((unsigned char)c) && k[i - 1] != '-')
			buf_puts(&b, "-");
		if (i == 0 || k[i - 1] == '-')
			c = (char)toupper((unsigned char)c);
		buf_append(&b, &c, 1);
	}
	return buf_take(&b);
}

static int
generic_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	const char *tls = "https", *tpl = "", *v, *sch;
	struct nq *fwd = NULL;
	struct generic *g;
	size_t nf = 0, i;
	bool disable = false;
	char *q, *name;

	nsecret(u->pass);
	g = xcalloc(1, sizeof(*g));
	*priv = g;
	g->extras = json_object();
	g->method = xstrdup("POST");
	g->ctype = xstrdup("application/json");
	g->titlekey = xstrdup("title");
	g->messagekey = xstrdup("message");
	g->title = xstrdup("");
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "generic: host missing");
	if (u->custom) {
		sch = u->scheme + strlen("generic+");
		if (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0)
			return bk_err_set(err, BK_ECONFIG, "generic: scheme "
			    "\"%s\" is not http or https", sch);
		tls = sch;
	}
	for (i = 0; i < u->nq; i++) {
		const char *k = u->q[i].key;

		v = u->q[i].val;
		if (k[0] == '@' && k[1] != '\0') {
			name = header_name(k + 1);
			if (!nhttp_token(name) || !nhttp_value(v)) {
				bk_err_set(err, BK_ECONFIG, "generic: header "
				    "%s: %s", nhttp_token(name) ? name :
				    "(a bad name)", nhttp_token(name) ?
				    "the value holds a control character" :
				    "the name is not an HTTP token");
				free(name);
				goto fail;
			}
			g->headers = nhdr(g->headers, name, v);
			free(name);
		} else if (k[0] == '$' && k[1] != '\0')
			json_object_set_new(g->extras, k + 1, json_string(v));
		else if (!u->custom && is_config(k)) {
			if (nurl_get_exact(u, k) != v)
				continue;	/* first value wins */
			if (strcmp(k, "disabletls") == 0) {
				if (nurl_bool(u, "disabletls", false, &disable,
				    "generic", err) == -1)
					goto fail;
			} else if (strcmp(k, "template") == 0)
				tpl = v;
			else {
				char **dst = strcmp(k, "contenttype") == 0 ?
				    &g->ctype : strcmp(k, "title") == 0 ?
				    &g->title : strcmp(k, "titlekey") == 0 ?
				    &g->titlekey : strcmp(k, "messagekey") ==
				    0 ? &g->messagekey : &g->method;
				free(*dst);
				*dst = xstrdup(v);
			}
		} else {
			fwd = xreallocarray(fwd, nf + 1, sizeof(*fwd));
			fwd[nf].key = xstrdup(strncmp(k, "__", 2) == 0 &&
			    is_config(k + 2) ? k + 2 : k);
			fwd[nf++].val = xstrdup(v);
		}
	}
	/* They end up in the request line and headers. */
	if (!nhttp_token(g->method)) {
		bk_err_set(err, BK_ECONFIG, "generic: method: not an HTTP "
		    "token (letters, digits, !#$%%&'*+-.^_`|~)");
		goto fail;
	}
	if (!nhttp_value(g->ctype)) {
		bk_err_set(err, BK_ECONFIG, "generic: contenttype: holds a "
		    "control character");
		goto fail;
	}
	if (!u->custom && disable)
		tls = "http";
	if (strcmp(tpl, "json") == 0 || strcmp(tpl, "JSON") == 0)
		g->json = true;
	else if (*tpl != '\0') {
		bk_err_set(err, BK_ECONFIG, "generic: template \"%s\" is not "
		    "known (only json)", tpl);
		goto fail;
	}
	q = nq_encode(fwd, nf);
	xasprintf(&g->url, "%s://%s%s%s%s", tls, u->host, u->path,
	    *q != '\0' ? "?" : "", q);
	free(q);
	nq_free(fwd, nf);
	if (u->has_user) {
		g->auth = true;
		g->user = xstrdup(u->user);
		g->pass = xstrdup(u->pass);
	}
	return 0;
fail:
	nq_free(fwd, nf);
	return -1;
}

static int
generic_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct generic *g = priv;
	struct curl_slist *hd = NULL, *e;
	struct nreq rq = { 0 };
	struct nresp r;
	const char *title = *m->title != '\0' ? m->title : g->title;
	char *body;
	json_t *doc;
	int rc;

	if (g->json) {
		doc = json_object();
		if (*title != '\0')
			json_object_set_new(doc, g->titlekey,
			    json_string(title));
		json_object_set_new(doc, g->messagekey, json_string(m->body));
		json_object_update(doc, g->extras);
		body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(doc);
	} else
		body = xstrdup(m->body);
	hd = nhdr(hd, "Content-Type", g->ctype);
	hd = nhdr(hd, "Accept", g->ctype);
	for (e = g->headers; e != NULL; e = e->next)
		hd = curl_slist_append(hd, e->data);
	rq.method = g->method;
	rq.url = g->url;
	rq.headers = hd;
	rq.body = body;
	rq.len = strlen(body);
	if (g->auth) {
		rq.user = g->user;
		rq.pass = g->pass;
	}
	if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0 && (r.status < 200 ||
	    r.status > 299))
		rc = nresp_fail(err, "generic", &r);
	nresp_free(&r);
	curl_slist_free_all(hd);
	free(body);
	return rc;
}

static void
generic_free(void *priv)
{
	struct generic *g = priv;

	free(g->url);
	free(g->user);
	xfree_secret(g->pass);
	free(g->method);
	free(g->ctype);
	free(g->title);
	free(g->titlekey);
	free(g->messagekey);
	curl_slist_free_all(g->headers);
	json_decref(g->extras);
	free(g);
}

const struct notify_service notify_service_generic = {
	.name = "generic",
	.schemes = schemes,
	.custom = true,
	.parse = generic_parse,
	.send = generic_send,
	.free = generic_free,
};
