/*
 * notify_rocketchat.c - Rocket.Chat webhooks:
 * rocketchat://[user@]host[:port]/TOKENA/TOKENB[/channel|/@user|/#chan].
 * notifications.md §3.15: the query is ignored, and so is the title
 * (Rocket.Chat's webhook text carries the whole body).
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct rocketchat {
	char	*url, *user, *channel;
};

static const char *const schemes[] = { "rocketchat", NULL };

static int
rc_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct rocketchat *rc;
	char **seg;
	size_t n;

	rc = xcalloc(1, sizeof(*rc));
	*priv = rc;
	seg = nurl_list(u->path[0] == '/' ? u->path + 1 : u->path, '/');
	for (n = 0; seg[n] != NULL; n++)
		nsecret(seg[n]);
	if (*u->host == '\0' || n < 2 || *seg[0] == '\0' || *seg[1] == '\0') {
		strv_free(seg);
		return bk_err_set(err, BK_ECONFIG, "rocketchat: the URL needs "
		    "host and two tokens (rocketchat://host/TOKENA/TOKENB)");
	}
	xasprintf(&rc->url, "https://%s/hooks/%s/%s", u->host, seg[0],
	    seg[1]);
	rc->user = xstrdup(u->user);
	if (u->has_fragment && *u->fragment != '\0')
		xasprintf(&rc->channel, "#%s", u->fragment);
	else if (n > 2 && seg[2][0] == '@')
		rc->channel = xstrdup(seg[2]);
	else if (n > 2 && seg[2][0] != '\0')
		xasprintf(&rc->channel, "#%s", seg[2]);
	else
		rc->channel = xstrdup("");
	strv_free(seg);
	return 0;
}

static int
rc_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct rocketchat *rc = priv;
	struct nresp r;
	json_t *doc;
	int ret;

	doc = json_object();
	json_object_set_new(doc, "text", json_string(m->body));
	njson_opt(doc, "username", rc->user);
	njson_opt(doc, "channel", rc->channel);
	if ((ret = nhttp_json(ctx, "POST", rc->url, doc, NULL, &r, err)) ==
	    0 && r.status != 200)
		ret = nresp_fail(err, "rocketchat", &r);
	nresp_free(&r);
	return ret;
}

static void
rc_free(void *priv)
{
	struct rocketchat *rc = priv;

	xfree_secret(rc->url);
	free(rc->user);
	free(rc->channel);
	free(rc);
}

const struct notify_service notify_service_rocketchat = {
	.name = "rocketchat",
	.schemes = schemes,
	.parse = rc_parse,
	.send = rc_send,
	.free = rc_free,
};
