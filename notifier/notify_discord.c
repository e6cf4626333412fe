/*
 * notify_discord.c - Discord webhooks: discord://token@webhookid[/raw].
 * notifications.md §3.2, with the Rec fixes: batches hold at most 10
 * embeds and 6000 runes, counted afresh per batch, and all splitting
 * works in runes, so non-ASCII text is never cut inside a character.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

#define CHUNK_RUNES	2000
#define BATCH_RUNES	6000
#define BATCH_ITEMS	10

struct discord {
	char		*token, *id, *title, *username, *avatar;
	long long	 color;
	bool		 split, json;
};

static const char *const keys[] = { "title", "username", "avatar|avatarurl",
    "color", "colorerror", "colorwarn", "colorinfo", "colordebug",
    "splitlines", "json", NULL };
static const char *const schemes[] = { "discord", NULL };

static int
discord_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct discord *d;
	long long dummy;

	nsecret(u->user);
	if (nurl_known_keys(u, keys, "discord", err) == -1)
		return -1;
	d = xcalloc(1, sizeof(*d));
	*priv = d;
	if (*u->user == '\0')
		return bk_err_set(err, BK_ECONFIG, "discord: token missing "
		    "(discord://TOKEN@WEBHOOKID)");
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "discord: webhook id "
		    "missing (discord://TOKEN@WEBHOOKID)");
	if (*u->path != '\0' && strcmp(u->path, "/raw") != 0)
		return bk_err_set(err, BK_ECONFIG, "discord: illegal argument "
		    "in config URL (the path may only be /raw)");
	d->token = xstrdup(u->user);
	d->id = xstrdup(u->host);
	d->title = xstrdup(nurl_str(u, "title", ""));
	d->username = xstrdup(nurl_str(u, "username", ""));
	d->avatar = xstrdup(nurl_str(u, "avatar|avatarurl", ""));
	if (nurl_int(u, "color", 0x50D9ff, 0, 0xffffffffLL, &d->color,
	    "discord", err) == -1 ||
	    nurl_int(u, "colorerror", 0, 0, 0xffffffffLL, &dummy, "discord",
	    err) == -1 ||
	    nurl_int(u, "colorwarn", 0, 0, 0xffffffffLL, &dummy, "discord",
	    err) == -1 ||
	    nurl_int(u, "colorinfo", 0, 0, 0xffffffffLL, &dummy, "discord",
	    err) == -1 ||
	    nurl_int(u, "colordebug", 0, 0, 0xffffffffLL, &dummy, "discord",
	    err) == -1 ||
	    nurl_bool(u, "splitlines", true, &d->split, "discord", err) == -1 ||
	    nurl_bool(u, "json", strcmp(u->path, "/raw") == 0, &d->json,
	    "discord", err) == -1)
		return -1;
	if (strcmp(u->path, "/raw") == 0)
		d->json = true;
	return 0;
}

/* The chunks of the message, per the splitLines setting. */
static char **
chunks(const struct discord *d, const char *msg, size_t *n)
{
	char **v = NULL, *line;
	const char *p = msg, *nl;
	size_t len, cut, i, back;

	*n = 0;
	while (*p != '\0') {
		if (d->split) {
			nl = strchr(p, '\n');
			len = nl != NULL ? (size_t)(nl - p) : strlen(p);
			line = xstrndup(p, len);
			p += len + (nl != NULL);
			if (*line == '\0' || strcmp(line, "\r") == 0) {
				free(line);
				continue;
			}
			if (utf8_runes(line) > CHUNK_RUNES) {
				line[utf8_prefix(line, CHUNK_RUNES - 6)] = '\0';
				char *t;
				xasprintf(&t, "%s [...]", line);
				free(line);
				line = t;
			}
		} else {
			cut = utf8_prefix(p, CHUNK_RUNES);
			len = cut;
			if (p[cut] != '\0') {
				/* Look back up to 100 runes for a blank. */
				for (i = cut, back = 0; i > 0 && back < 100;
				    i--) {
					if (p[i - 1] == ' ' || p[i - 1] == '\n')
						break;
					if (((unsigned char)p[i - 1] & 0xc0) !=
					    0x80)
						back++;
				}
				if (i > 0 && back < 100 && (p[i - 1] == ' ' ||
				    p[i - 1] == '\n')) {
					len = i - 1;
					cut = i;
				}
			}
			line = xstrndup(p, len);
			p += cut;
		}
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = line;
	}
	return v;
}

static int
post(struct discord *d, struct nctx *ctx, const char *url, json_t *embeds,
    struct bk_err *err)
{
	struct nresp r;
	json_t *doc;
	int rc;

	doc = json_object();
	json_object_set_new(doc, "embeds", embeds);
	njson_opt(doc, "username", d->username);
	njson_opt(doc, "avatar_url", d->avatar);
	if ((rc = nhttp_json(ctx, "POST", url, doc, NULL, &r, err)) == 0 &&
	    (r.status < 200 || r.status > 299))
		rc = nresp_fail(err, "discord", &r);
	nresp_free(&r);
	return rc;
}

static int
discord_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct discord *d = priv;
	const char *title = *m->title != '\0' ? m->title : d->title;
	struct curl_slist *hd;
	struct nresp r;
	struct nreq rq = { 0 };
	json_t *embeds = NULL, *e;
	char **c, *url;
	size_t n, i, items = 0, runes = 0, len, max;
	int rc = 0;

	xasprintf(&url, "https://discord.com/api/webhooks/%s/%s", d->id,
	    d->token);
	if (d->json) {
		hd = nhdr(NULL, "Content-Type", "application/json");
		rq.method = "POST";
		rq.url = url;
		rq.headers = hd;
		rq.body = m->body;
		rq.len = strlen(m->body);
		if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0 &&
		    (r.status < 200 || r.status > 299))
			rc = nresp_fail(err, "discord", &r);
		nresp_free(&r);
		curl_slist_free_all(hd);
		free(url);
		return rc;
	}
	c = chunks(d, m->body, &n);
	max = d->split ? BATCH_ITEMS : BATCH_ITEMS - 1;
	for (i = 0; i < n && rc == 0; i++) {
		len = utf8_runes(c[i]);
		if (embeds != NULL && (items == max ||
		    runes + len > BATCH_RUNES)) {
			rc = post(d, ctx, url, embeds, err);
			embeds = NULL;
		}
		if (rc != 0)
			break;
		if (embeds == NULL) {
			embeds = json_array();
			items = runes = 0;
		}
		e = json_object();
		if (items == 0)
			njson_opt(e, "title", title);
		json_object_set_new(e, "description", json_string(c[i]));
		if (d->color != 0)
			json_object_set_new(e, "color",
			    json_integer(d->color));
		json_array_append_new(embeds, e);
		items++;
		runes += len;
	}
	if (embeds != NULL && rc == 0)
		rc = post(d, ctx, url, embeds, err);
	else
		json_decref(embeds);
	for (i = 0; i < n; i++)
		free(c[i]);
	free(c);
	free(url);
	return rc;
}

static void
discord_free(void *priv)
{
	struct discord *d = priv;

	xfree_secret(d->token);
	free(d->id);
	free(d->title);
	free(d->username);
	free(d->avatar);
	free(d);
}

const struct notify_service notify_service_discord = {
	.name = "discord",
	.schemes = schemes,
	.parse = discord_parse,
	.send = discord_send,
	.free = discord_free,
};
