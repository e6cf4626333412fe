/*
 * notify_bark.c - Bark (iOS push): bark://:devicekey@host[/path]?...
 * notifications.md §3.1.  The device key is the password; as the docs
 * show it as the user, a key in the user part is accepted too.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct bark {
	char		*key, *host, *path, *scheme, *title;
	char		*opt[6];	/* sound icon group url category copy */
	long long	 badge;
};

static const char *const optnames[] = { "sound", "icon", "group", "url",
    "category", "copy" };
static const char *const keys[] = { "title", "scheme", "sound", "badge",
    "icon", "group", "url", "category", "copy", NULL };
static const char *const schemes[] = { "bark", NULL };

static int
bark_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct bark *b;
	int sch;
	size_t i;

	nsecret(u->pass);
	nsecret(u->user);
	if (nurl_known_keys(u, keys, "bark", err) == -1)
		return -1;
	b = xcalloc(1, sizeof(*b));
	*priv = b;
	b->key = xstrdup(*u->pass != '\0' ? u->pass : u->user);
	if (*b->key == '\0')
		return bk_err_set(err, BK_ECONFIG, "bark: device key missing "
		    "(bark://:DEVICEKEY@host)");
	if (*u->hostname == '\0')
		return bk_err_set(err, BK_ECONFIG, "bark: host missing");
	if (nurl_enum(u, "scheme", "http,https", NULL, 1, &sch, "bark",
	    err) == -1 || nurl_int(u, "badge", 0, -2147483648LL, 2147483647LL,
	    &b->badge, "bark", err) == -1)
		return -1;
	b->scheme = xstrdup(sch == 0 ? "http" : "https");
	b->host = xstrdup(u->host);
	b->path = xstrdup(u->path);
	b->title = xstrdup(nurl_str(u, "title", ""));
	for (i = 0; i < 6; i++)
		b->opt[i] = xstrdup(nurl_str(u, optnames[i], ""));
	return 0;
}

static int
bark_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct bark *b = priv;
	struct nresp r;
	json_t *doc, *code;
	size_t pl = strlen(b->path), i;
	char *url;
	int rc;

	xasprintf(&url, "%s://%s%s%s%spush", b->scheme, b->host,
	    b->path[0] == '/' ? "" : "/", b->path,
	    pl > 0 && b->path[pl - 1] == '/' ? "" : (pl > 0 ? "/" : ""));
	doc = json_object();
	json_object_set_new(doc, "body", json_string(m->body));
	json_object_set_new(doc, "device_key", json_string(b->key));
	json_object_set_new(doc, "title", json_string(*m->title != '\0' ?
	    m->title : b->title));
	json_object_set_new(doc, "badge", json_integer(b->badge));
	for (i = 0; i < 6; i++)
		njson_opt(doc, optnames[i], b->opt[i]);
	rc = nhttp_json(ctx, "POST", url, doc, NULL, &r, err);
	free(url);
	if (rc == 0) {
		code = r.json != NULL ? json_object_get(r.json, "code") : NULL;
		if (!nresp_json_ok(&r))
			rc = nresp_fail(err, "bark", &r);
		else if (json_integer_value(code) != 200)
			rc = bk_err_set(err, BK_EPROTO, "bark: unknown error "
			    "(code %lld)", (long long)json_integer_value(code));
	}
	nresp_free(&r);
	return rc;
}

static void
bark_free(void *priv)
{
	struct bark *b = priv;
	size_t i;

	xfree_secret(b->key);
	free(b->host);
	free(b->path);
	free(b->scheme);
	free(b->title);
	for (i = 0; i < 6; i++)
		free(b->opt[i]);
	free(b);
}

const struct notify_service notify_service_bark = {
	.name = "bark",
	.schemes = schemes,
	.parse = bark_parse,
	.send = bark_send,
	.free = bark_free,
};
