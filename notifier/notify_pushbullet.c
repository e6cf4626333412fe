/*
 * notify_pushbullet.c - Pushbullet: pushbullet://TOKEN[/target...][/#chan]
 * notifications.md §3.13; Rec: with other targets no extra push to all
 * devices, and empty target fields are left out of the body.  One push
 * per target, in order; the first failure stops.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct pushbullet {
	char	*token, **targets, *title;
};

static const char *const keys[] = { "title", NULL };
static const char *const schemes[] = { "pushbullet", NULL };

static int
pb_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct pushbullet *p;
	char **seg;
	size_t n = 0, i;

	nsecret(u->hostname);
	p = xcalloc(1, sizeof(*p));
	*priv = p;
	if (nurl_known_keys(u, keys, "pushbullet", err) == -1)
		return -1;
	if (strlen(u->hostname) != 34)
		return bk_err_set(err, BK_ECONFIG, "pushbullet: token has "
		    "incorrect size (34 characters expected)");
	p->token = xstrdup(u->hostname);
	p->title = xstrdup(nurl_str(u, "title", ""));
	seg = nurl_list(u->path[0] == '/' ? u->path + 1 : u->path, '/');
	p->targets = xcalloc(strlen(u->path) + 3, sizeof(*p->targets));
	for (i = 0; seg[i] != NULL; i++)
		if (*seg[i] != '\0')
			p->targets[n++] = xstrdup(seg[i]);
	strv_free(seg);
	if (u->has_fragment)
		xasprintf(&p->targets[n++], "#%s", u->fragment);
	if (n == 0)
		p->targets[n++] = xstrdup("");
	return 0;
}

static int
pb_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct pushbullet *p = priv;
	struct curl_slist *hd;
	struct nresp r;
	json_t *doc, *e;
	const char *t;
	size_t i;
	int rc = 0;

	hd = nhdr(NULL, "Access-Token", p->token);
	for (i = 0; p->targets[i] != NULL && rc == 0; i++) {
		t = p->targets[i];
		doc = json_object();
		json_object_set_new(doc, "type", json_string("note"));
		json_object_set_new(doc, "title", json_string(*m->title != '\0'
		    ? m->title : p->title));
		json_object_set_new(doc, "body", json_string(m->body));
		if (t[0] == '#')
			njson_opt(doc, "channel_tag", t + 1);
		else if (strchr(t, '@') != NULL && strchr(strchr(t, '@'),
		    '.') != NULL)
			njson_opt(doc, "email", t);
		else
			njson_opt(doc, "device_iden", t);
		if ((rc = nhttp_json(ctx, "POST",
		    "https://api.pushbullet.com/v2/pushes", doc, hd, &r,
		    err)) == 0 && !nresp_json_ok(&r)) {
			e = r.json != NULL ? json_object_get(json_object_get(
			    r.json, "error"), "message") : NULL;
			if (e != NULL)
				rc = bk_err_set(err, BK_EPROTO, "pushbullet: "
				    "API error: %s", json_string_value(e));
			else
				rc = nresp_fail(err, "pushbullet", &r);
		}
		nresp_free(&r);
	}
	curl_slist_free_all(hd);
	return rc;
}

static void
pb_free(void *priv)
{
	struct pushbullet *p = priv;

	xfree_secret(p->token);
	if (p->targets != NULL)
		strv_free(p->targets);
	free(p->title);
	free(p);
}

const struct notify_service notify_service_pushbullet = {
	.name = "pushbullet",
	.schemes = schemes,
	.parse = pb_parse,
	.send = pb_send,
	.free = pb_free,
};
