/*
 * notify_mattermost.c - Mattermost incoming webhooks:
 * mattermost://[username@]host[:port]/TOKEN[/channel][?icon=...].
 * notifications.md §3.10; Rec: the port is kept; the title leads the
 * text (as the fork does).
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct mattermost {
	char	*url, *user, *channel, *icon, *title;
};

static const char *const keys[] = { "icon|icon_emoji|icon_url", "title",
    NULL };
static const char *const schemes[] = { "mattermost", NULL };

static int
mm_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct mattermost *mm;
	char **seg;

	mm = xcalloc(1, sizeof(*mm));
	*priv = mm;
	seg = nurl_list(u->path[0] == '/' ? u->path + 1 : u->path, '/');
	nsecret(seg[0]);
	if (nurl_known_keys(u, keys, "mattermost", err) == -1)
		goto fail;
	if (*u->host == '\0' || seg[0][0] == '\0') {
		bk_err_set(err, BK_ECONFIG, "mattermost: the URL does not "
		    "include enough arguments "
		    "(mattermost://[user@]host/TOKEN[/channel])");
		goto fail;
	}
	xasprintf(&mm->url, "https://%s/hooks/%s", u->host, seg[0]);
	mm->channel = xstrdup(seg[1] != NULL ? seg[1] : "");
	mm->user = xstrdup(u->user);
	mm->icon = xstrdup(nurl_str(u, "icon|icon_emoji|icon_url", ""));
	mm->title = xstrdup(nurl_str(u, "title", ""));
	strv_free(seg);
	return 0;
fail:
	strv_free(seg);
	return -1;
}

static int
mm_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct mattermost *mm = priv;
	const char *title = *m->title != '\0' ? m->title : mm->title;
	struct nresp r;
	json_t *doc;
	char *text;
	int rc;

	if (*title != '\0')
		xasprintf(&text, "%s\n%s", title, m->body);
	else
		text = xstrdup(m->body);
	doc = json_object();
	json_object_set_new(doc, "text", json_string(text));
	njson_opt(doc, "username", mm->user);
	njson_opt(doc, "channel", mm->channel);
	if (strstr(mm->icon, "http://") != NULL ||
	    strstr(mm->icon, "https://") != NULL)
		njson_opt(doc, "icon_url", mm->icon);
	else
		njson_opt(doc, "icon_emoji", mm->icon);
	if ((rc = nhttp_json(ctx, "POST", mm->url, doc, NULL, &r, err)) == 0 &&
	    r.status != 200)
		rc = nresp_fail(err, "mattermost", &r);
	nresp_free(&r);
	free(text);
	return rc;
}

static void
mm_free(void *priv)
{
	struct mattermost *mm = priv;

	xfree_secret(mm->url);
	free(mm->user);
	free(mm->channel);
	free(mm->icon);
	free(mm->title);
	free(mm);
}

const struct notify_service notify_service_mattermost = {
	.name = "mattermost",
	.schemes = schemes,
	.parse = mm_parse,
	.send = mm_send,
	.free = mm_free,
};
