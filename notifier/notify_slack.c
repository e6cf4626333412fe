/*
 * notify_slack.c - Slack: incoming webhooks (slack://hook:A-B-C@webhook,
 * legacy slack://[bot@]A/B/C) and the Web API with a bot or user token
 * (slack://xoxb:A-B-C@CHANNEL).  notifications.md §3.16: the title is
 * the top-level text, each line of the body one attachment.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

#define MAX_ATTACH	100

struct slack {
	char	*url, *bearer, *channel, *botname, *icon, *color, *title;
	char	*thread;
	bool	 api;
};

static const char *const keys[] = { "botname|username",
    "icon|icon_emoji|icon_url", "color", "title", "thread_ts", NULL };
static const char *const schemes[] = { "slack", NULL };

static int
slack_token(struct slack *s, const char *tok, struct bk_err *err)
{
	static const char re[] = "((xox.|hook)[-:]|:?)([A-Z0-9]{9,})([-/,])"
	    "([A-Z0-9]{9,})([-/,])([A-Za-z0-9]{24,})";
	regmatch_t m[8];
	regex_t rx;
	char *p[8];
	int i, rc = 0;

	if (regcomp(&rx, re, REG_EXTENDED) != 0)
		return bk_err_set(err, BK_EIO, "slack: regcomp");
	if (regexec(&rx, tok, 8, m, 0) != 0) {
		regfree(&rx);
		return bk_err_set(err, BK_ECONFIG, "slack: invalid slack token "
		    "format");
	}
	regfree(&rx);
	for (i = 0; i < 8; i++)
		p[i] = m[i].rm_so < 0 ? xstrdup("") : xstrndup(tok +
		    m[i].rm_so, (size_t)(m[i].rm_eo - m[i].rm_so));
	nsecret(p[7]);
	if (strcmp(p[4], p[6]) != 0)
		rc = bk_err_set(err, BK_ECONFIG, "slack: invalid webhook token "
		    "format (the separators differ)");
	else if (*p[2] == '\0' || strcmp(p[2], "hook") == 0)
		xasprintf(&s->url, "https://hooks.slack.com/services/%s/%s/%s",
		    p[3], p[5], p[7]);
	else {
		s->api = true;
		s->url = xstrdup("https://slack.com/api/chat.postMessage");
		xasprintf(&s->bearer, "Bearer %s-%s-%s-%s", p[2], p[3], p[5],
		    p[7]);
	}
	for (i = 0; i < 8; i++)
		xfree_secret(p[i]);
	return rc;
}

static int
slack_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct slack *s;
	char *tok;
	int rc;

	nsecret(u->pass);
	s = xcalloc(1, sizeof(*s));
	*priv = s;
	if (strlen(u->path) > 1) {
		xasprintf(&tok, "%s%s", u->hostname, u->path);
		s->botname = xstrdup(u->user);
		s->channel = xstrdup("webhook");
	} else {
		xasprintf(&tok, "%s:%s", u->user, u->pass);
		s->botname = xstrdup(nurl_str(u, "botname|username", ""));
		s->channel = xstrdup(u->hostname);
	}
	nsecret(tok);
	rc = slack_token(s, tok, err);
	xfree_secret(tok);
	if (rc == -1 || nurl_known_keys(u, keys, "slack", err) == -1)
		return -1;
	if (strlen(u->path) > 1 && nurl_get(u, "botname|username") != NULL) {
		free(s->botname);
		s->botname = xstrdup(nurl_get(u, "botname|username"));
	}
	s->icon = xstrdup(nurl_str(u, "icon|icon_emoji|icon_url", ""));
	s->color = xstrdup(nurl_str(u, "color", ""));
	s->title = xstrdup(nurl_str(u, "title", ""));
	s->thread = xstrdup(nurl_str(u, "thread_ts", ""));
	return 0;
}

static json_t *
attachments(const struct slack *s, const char *body)
{
	json_t *arr = json_array(), *a, *last = NULL;
	char **lines = nurl_list(body, '\n'), *t;
	size_t i, n;

	for (n = 0; lines[n] != NULL; n++)
		;
	if (n > 0 && *lines[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++) {
		if (i >= MAX_ATTACH) {
			xasprintf(&t, "%s\n%s", json_string_value(
			    json_object_get(last, "text")), lines[i]);
			json_object_set_new(last, "text", json_string(t));
			free(t);
			continue;
		}
		a = json_object();
		json_object_set_new(a, "text", json_string(lines[i]));
		njson_opt(a, "color", s->color);
		json_array_append_new(arr, a);
		last = a;
	}
	strv_free(lines);
	return arr;
}

static int
slack_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct slack *s = priv;
	struct curl_slist *hd = NULL;
	struct nresp r;
	json_t *doc;
	int rc;

	doc = json_object();
	json_object_set_new(doc, "text", json_string(*m->title != '\0' ?
	    m->title : s->title));
	njson_opt(doc, "username", s->botname);
	json_object_set_new(doc, "attachments", attachments(s, m->body));
	njson_opt(doc, "thread_ts", s->thread);
	if (s->api && strcmp(s->channel, "webhook") != 0)
		njson_opt(doc, "channel", s->channel);
	if (strstr(s->icon, "http://") != NULL ||
	    strstr(s->icon, "https://") != NULL)
		njson_opt(doc, "icon_url", s->icon);
	else
		njson_opt(doc, "icon_emoji", s->icon);
	if (s->api)
		hd = nhdr(hd, "Authorization", s->bearer);
	rc = nhttp_json(ctx, "POST", s->url, doc, hd, &r, err);
	curl_slist_free_all(hd);
	if (rc == 0 && s->api) {
		if (!nresp_json_ok(&r))
			rc = nresp_fail(err, "slack", &r);
		else if (!json_is_true(json_object_get(r.json, "ok")))
			rc = bk_err_set(err, BK_EPROTO, "slack: api response: "
			    "%s", json_string_value(json_object_get(r.json,
			    "error")) != NULL ? json_string_value(
			    json_object_get(r.json, "error")) : "not ok");
	} else if (rc == 0 && strcmp(r.body.data, "ok") != 0 &&
	    !(r.body.len == 0 && r.status == 200))
		rc = r.status == 200 ? bk_err_set(err, BK_EPROTO, "slack: "
		    "webhook response: %.200s", r.body.data) :
		    nresp_fail(err, "slack", &r);
	nresp_free(&r);
	return rc;
}

static void
slack_free(void *priv)
{
	struct slack *s = priv;

	xfree_secret(s->url);
	xfree_secret(s->bearer);
	free(s->channel);
	free(s->botname);
	free(s->icon);
	free(s->color);
	free(s->title);
	free(s->thread);
	free(s);
}

const struct notify_service notify_service_slack = {
	.name = "slack",
	.schemes = schemes,
	.parse = slack_parse,
	.send = slack_send,
	.free = slack_free,
};
