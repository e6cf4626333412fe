/*
 * notify_opsgenie.c - OpsGenie alerts: opsgenie://host[:port]/APIKEY?...
 * notifications.md §3.12; Rec: a message without title is cut at 130
 * runes, never inside a UTF-8 character.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct opsgenie {
	char	*url, *key, *title, *desc;
	json_t	*fields;	/* alias, responders, ... as sent */
};

static const char *const keys[] = { "alias", "description", "responders",
    "visibleto", "actions", "tags", "details", "entity", "source",
    "priority", "note", "user", "title", NULL };
static const char *const schemes[] = { "opsgenie", NULL };

static bool
is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == '-' ? s[i] != '-' : !(isdigit(
		    (unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static json_t *
entities(const char *list, const char *what, struct bk_err *err)
{
	json_t *arr = json_array(), *o;
	char **v = nurl_list(list, ','), *c;
	size_t i;

	for (i = 0; v[i] != NULL; i++) {
		if ((c = strchr(v[i], ':')) == NULL) {
			bk_err_set(err, BK_ECONFIG, "opsgenie: %s: \"%s\" is "
			    "not type:identifier", what, v[i]);
			goto fail;
		}
		*c++ = '\0';
		o = json_pack("{s:s}", "type", v[i]);
		if (is_uuid(c))
			json_object_set_new(o, "id", json_string(c));
		else if (strcmp(v[i], "team") == 0)
			json_object_set_new(o, "name", json_string(c));
		else if (strcmp(v[i], "user") == 0)
			json_object_set_new(o, "username", json_string(c));
		else {
			json_decref(o);
			bk_err_set(err, BK_ECONFIG, "opsgenie: %s: type \"%s\""
			    " needs a UUID identifier", what, v[i]);
			goto fail;
		}
		json_array_append_new(arr, o);
	}
	strv_free(v);
	return arr;
fail:
	strv_free(v);
	json_decref(arr);
	return NULL;
}

static int
og_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	static const char *const strs[] = { "alias", "entity", "source",
	    "priority", "user", "note" };
	struct opsgenie *o;
	const char *v;
	json_t *j, *d;
	char **l, *c;
	size_t i;

	o = xcalloc(1, sizeof(*o));
	*priv = o;
	o->key = xstrdup(u->path[0] == '/' ? u->path + 1 : u->path);
	nsecret(o->key);
	o->fields = json_object();
	if (nurl_known_keys(u, keys, "opsgenie", err) == -1)
		return -1;
	if (*u->hostname == '\0' || *o->key == '\0')
		return bk_err_set(err, BK_ECONFIG, "opsgenie: host or API key "
		    "missing (opsgenie://api.opsgenie.com/APIKEY)");
	xasprintf(&o->url, "https://%s:%s/v2/alerts", u->hostname,
	    *u->port != '\0' ? u->port : "443");
	o->title = xstrdup(nurl_str(u, "title", ""));
	o->desc = xstrdup(nurl_str(u, "description", ""));
	njson_opt(o->fields, "alias", nurl_get(u, "alias"));
	if ((v = nurl_get(u, "responders")) != NULL && *v != '\0') {
		if ((j = entities(v, "responders", err)) == NULL)
			return -1;
		json_object_set_new(o->fields, "responders", j);
	}
	if ((v = nurl_get(u, "visibleto")) != NULL && *v != '\0') {
		if ((j = entities(v, "visibleTo", err)) == NULL)
			return -1;
		json_object_set_new(o->fields, "visibleTo", j);
	}
	for (i = 0; i < 2; i++) {
		const char *k = i == 0 ? "actions" : "tags";

		if ((v = nurl_get(u, k)) == NULL || *v == '\0')
			continue;
		l = nurl_list(v, ',');
		j = json_array();
		for (size_t k2 = 0; l[k2] != NULL; k2++)
			json_array_append_new(j, json_string(l[k2]));
		strv_free(l);
		json_object_set_new(o->fields, k, j);
	}
	if ((v = nurl_get(u, "details")) != NULL && *v != '\0') {
		l = nurl_list(v, ',');
		d = json_object();
		for (i = 0; l[i] != NULL; i++) {
			c = strchr(l[i], ':');
			if (c == NULL || strchr(c + 1, ':') != NULL) {
				bk_err_set(err, BK_ECONFIG, "opsgenie: details: "
				    "\"%s\" is not key:value", l[i]);
				json_decref(d);
				strv_free(l);
				return -1;
			}
			*c = '\0';
			json_object_set_new(d, l[i], json_string(c + 1));
		}
		strv_free(l);
		json_object_set_new(o->fields, "details", d);
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		njson_opt(o->fields, strs[i], nurl_get(u, strs[i]));
	return 0;
}

static int
og_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct opsgenie *o = priv;
	const char *title = *m->title != '\0' ? m->title : o->title;
	struct curl_slist *hd;
	struct nresp r;
	json_t *doc;
	char *auth, *msg, *desc, *t;
	int rc;

	if (*title != '\0') {
		msg = xstrdup(title);
		desc = xstrdup(m->body);
	} else if (utf8_runes(m->body) > 130) {
		msg = xstrndup(m->body, utf8_prefix(m->body, 130));
		desc = xstrdup(m->body);
	} else {
		msg = xstrdup(m->body);
		desc = xstrdup("");
	}
	if (*o->desc != '\0') {
		xasprintf(&t, "%s%s%s", desc, *desc != '\0' ? "\n" : "",
		    o->desc);
		free(desc);
		desc = t;
	}
	doc = json_object();
	json_object_set_new(doc, "message", json_string(msg));
	njson_opt(doc, "description", desc);
	json_object_update(doc, o->fields);
	xasprintf(&auth, "GenieKey %s", o->key);
	hd = nhdr(NULL, "Authorization", auth);
	xfree_secret(auth);
	if ((rc = nhttp_json(ctx, "POST", o->url, doc, hd, &r, err)) == 0 &&
	    (r.status < 200 || r.status > 299))
		rc = nresp_fail(err, "opsgenie", &r);
	nresp_free(&r);
	curl_slist_free_all(hd);
	free(msg);
	free(desc);
	return rc;
}

static void
og_free(void *priv)
{
	struct opsgenie *o = priv;

	free(o->url);
	xfree_secret(o->key);
	free(o->title);
	free(o->desc);
	json_decref(o->fields);
	free(o);
}

const struct notify_service notify_service_opsgenie = {
	.name = "opsgenie",
	.schemes = schemes,
	.parse = og_parse,
	.send = og_send,
	.free = og_free,
};
