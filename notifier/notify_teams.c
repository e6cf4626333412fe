/*
 * notify_teams.c - Microsoft Teams, both kinds of webhook
 * (notifications.md §3.17, Rec: support both):
 *   workflow (Power Automate):  teams://?host=<pct-encoded https URL>
 *	-> an Adaptive Card posted to that URL (200 or 202);
 *   legacy O365 connector:      teams://GROUP@TENANT/ALTID/OWNER?host=H,
 *	teams://GROUP@TENANT:ALTID@OWNER, or
 *	teams+https://H/webhookb2/GROUP@TENANT/IncomingWebhook/ALTID/OWNER
 *	-> a MessageCard (200).
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct teams {
	char	*url, *title, *color;
	bool	 workflow;
};

static const char *const keys[] = { "host", "title", "color", NULL };
static const char *const schemes[] = { "teams", NULL };

static bool
matches(const char *re, const char *s)
{
	regex_t rx;
	bool ok;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

#define UUID4	"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB]" \
		"[0-9a-fA-F]{3}-[0-9a-fA-F]{12}"

static int
legacy(struct teams *t, const char *host, const char *group,
    const char *tenant, const char *alt, const char *owner,
    struct bk_err *err)
{
	if (!matches(UUID4, group) || !matches(UUID4, tenant) ||
	    !matches(UUID4, owner))
		return bk_err_set(err, BK_ECONFIG, "teams: group, tenant and "
		    "group owner must hold a UUID");
	if (!matches("[A-Za-z0-9]{32}", alt))
		return bk_err_set(err, BK_ECONFIG, "teams: the webhook id must "
		    "hold 32 letters or digits");
	xasprintf(&t->url, "https://%s/%s/%s@%s/IncomingWebhook/%s/%s", host,
	    strcasecmp(host, "outlook.office.com") == 0 ? "webhook" :
	    "webhookb2", group, tenant, alt, owner);
	return 0;
}

static int
teams_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	const char *host;
	struct teams *t;
	char **seg = NULL, *at;
	int rc = -1;

	t = xcalloc(1, sizeof(*t));
	*priv = t;
	t->title = xstrdup(nurl_str(u, "title", ""));
	t->color = xstrdup(nurl_str(u, "color", ""));
	host = nurl_get(u, "host");
	nsecret(host);
	nsecret(u->pass);
	if (host != NULL && strncmp(host, "https://", 8) == 0) {
		/* Workflow: unknown keys are ignored, as the fork does. */
		if (!matches("^https://[^/]+\\.(logic\\.azure\\.[a-z.]+|"
		    "environment\\.api\\.powerplatform\\.com)(:[0-9]+)?/.*"
		    "workflows/", host))
			return bk_err_set(err, BK_ECONFIG, "teams: host is not "
			    "a Power Automate workflow URL");
		t->workflow = true;
		t->url = xstrdup(host);
		return 0;
	}
	if (nurl_known_keys(u, keys, "teams", err) == -1)
		return -1;
	seg = nurl_list(u->path[0] == '/' ? u->path + 1 : u->path, '/');
	if (u->custom) {
		if (strcmp(u->scheme, "teams+https") != 0 || seg[0] == NULL ||
		    seg[1] == NULL || seg[2] == NULL || seg[3] == NULL ||
		    seg[4] == NULL || (at = strchr(seg[1], '@')) == NULL) {
			bk_err_set(err, BK_ECONFIG, "teams: expected teams+"
			    "https://HOST/webhookb2/GROUP@TENANT/"
			    "IncomingWebhook/ALTID/OWNER");
			goto out;
		}
		*at = '\0';
		nsecret(seg[3]);
		rc = legacy(t, u->host, seg[1], at + 1, seg[3], seg[4], err);
		goto out;
	}
	if (host == NULL)
		host = "outlook.office.com";
	if (u->has_pass && (at = strchr(u->user, '@')) != NULL) {
		char *g = xstrndup(u->user, (size_t)(at - u->user));

		rc = legacy(t, host, g, at + 1, u->pass, u->hostname, err);
		free(g);
	} else if (seg[0] != NULL && seg[1] != NULL && *seg[1] != '\0') {
		nsecret(seg[0]);
		rc = legacy(t, host, u->user, u->hostname, seg[0], seg[1], err);
	} else
		bk_err_set(err, BK_ECONFIG, "teams: expected teams://?host="
		    "WORKFLOW_URL or teams://GROUP@TENANT/ALTID/OWNER");
out:
	if (seg != NULL)
		strv_free(seg);
	return rc;
}

static const char *
card_color(const char *c)
{
	static const char *const map[][2] = { { "red", "attention" },
	    { "attention", "attention" }, { "danger", "attention" },
	    { "orange", "warning" }, { "yellow", "warning" },
	    { "warning", "warning" }, { "warn", "warning" },
	    { "green", "good" }, { "good", "good" }, { "success", "good" },
	    { "blue", "accent" }, { "accent", "accent" }, { "dark", "dark" },
	    { "light", "light" } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(c, map[i][0]) == 0)
			return map[i][1];
	return "default";
}

static bool
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static json_t *
workflow_doc(const struct teams *t, const char *title, const char *body)
{
	json_t *blocks = json_array();
	char **lines = nurl_list(body, '\n');
	size_t i;

	if (*title != '\0')
		json_array_append_new(blocks, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "type", "TextBlock", "text", title, "weight",
		    "Bolder", "size", "Medium", "color", card_color(t->color)));
	for (i = 0; lines[i] != NULL; i++)
		if (!blank(lines[i]))
			json_array_append_new(blocks, json_pack("{s:s, s:s, "
			    "s:b}", "type", "TextBlock", "text", lines[i],
			    "wrap", 1));
	strv_free(lines);
	return json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:o}}]}",
	    "type", "message", "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl",
	    "content", "$schema",
	    "http://adaptivecards.io/schemas/adaptive-card.json", "type",
	    "AdaptiveCard", "version", "1.2", "body", blocks);
}

static json_t *
legacy_doc(const struct teams *t, const char *title, const char *body)
{
	json_t *doc, *sections = json_array();
	char **lines = nurl_list(body, '\n'), *summary;
	size_t i;

	doc = json_pack("{s:s, s:s, s:b}", "@type", "MessageCard", "@context",
	    "http://schema.org/extensions", "markdown", 1);
	njson_opt(doc, "title", title);
	if (*title != '\0')
		summary = xstrdup(title);
	else
		summary = xstrndup(lines[0], strlen(lines[0]) > 20 ?
		    utf8_prefix(lines[0], 21) : strlen(lines[0]));
	njson_opt(doc, "summary", summary);
	free(summary);
	njson_opt(doc, "themeColor", t->color);
	for (i = 0; lines[i] != NULL; i++)
		json_array_append_new(sections, json_pack("{s:s, s:b}", "text",
		    lines[i], "startGroup", 0));
	json_object_set_new(doc, "sections", sections);
	strv_free(lines);
	return doc;
}

static int
teams_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct teams *t = priv;
	const char *title = *m->title != '\0' ? m->title : t->title;
	struct nresp r;
	int rc;

	rc = nhttp_json(ctx, "POST", t->url, t->workflow ? workflow_doc(t,
	    title, m->body) : legacy_doc(t, title, m->body), NULL, &r, err);
	if (rc == 0 && r.status != 200 && !(t->workflow && r.status == 202))
		rc = nresp_fail(err, "teams", &r);
	nresp_free(&r);
	return rc;
}

static void
teams_free(void *priv)
{
	struct teams *t = priv;

	xfree_secret(t->url);
	free(t->title);
	free(t->color);
	free(t);
}

const struct notify_service notify_service_teams = {
	.name = "teams",
	.schemes = schemes,
	.custom = true,
	.parse = teams_parse,
	.send = teams_send,
	.free = teams_free,
};
