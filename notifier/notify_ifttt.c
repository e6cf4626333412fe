/*
 * notify_ifttt.c - IFTTT Webhooks: ifttt://KEY/?events=a,b&value1=...
 * notifications.md §3.7; Rec: titlevalue works (the title goes into
 * value N).  One POST per event, in order; the first failure stops.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct ifttt {
	char		*key, **events, *value[3], *title;
	long long	 msgval, titleval;
};

static const char *const keys[] = { "events", "value1", "value2", "value3",
    "messagevalue", "titlevalue", "title", NULL };
static const char *const schemes[] = { "ifttt", NULL };

static int
ifttt_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	static const char *const vn[] = { "value1", "value2", "value3" };
	struct ifttt *f;
	const char *ev;
	int i;

	nsecret(u->hostname);
	f = xcalloc(1, sizeof(*f));
	*priv = f;
	if (nurl_known_keys(u, keys, "ifttt", err) == -1 ||
	    nurl_int(u, "messagevalue", 2, -1000, 1000, &f->msgval, "ifttt",
	    err) == -1 || nurl_int(u, "titlevalue", 0, -1000, 1000,
	    &f->titleval, "ifttt", err) == -1)
		return -1;
	if (*u->hostname == '\0')
		return bk_err_set(err, BK_ECONFIG, "ifttt: webhook key missing "
		    "(ifttt://KEY/?events=...)");
	if ((ev = nurl_get(u, "events")) == NULL || *ev == '\0')
		return bk_err_set(err, BK_ECONFIG, "ifttt: events missing from "
		    "config URL");
	if (f->msgval < 1 || f->msgval > 3)
		return bk_err_set(err, BK_ECONFIG, "ifttt: messagevalue must "
		    "be 1, 2 or 3");
	if (f->titleval < 0 || f->titleval > 3)
		return bk_err_set(err, BK_ECONFIG, "ifttt: titlevalue must be "
		    "0, 1, 2 or 3");
	if (f->titleval == f->msgval)
		return bk_err_set(err, BK_ECONFIG, "ifttt: titlevalue cannot "
		    "be the same as messagevalue");
	f->key = xstrdup(u->hostname);
	f->events = nurl_list(ev, ',');
	for (i = 0; i < 3; i++)
		f->value[i] = xstrdup(nurl_str(u, vn[i], ""));
	f->title = xstrdup(nurl_str(u, "title", ""));
	return 0;
}

static int
ifttt_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct ifttt *f = priv;
	const char *v[3];
	struct nresp r;
	struct buf b;
	json_t *doc;
	size_t i;
	int rc = 0;

	for (i = 0; f->events[i] != NULL && rc == 0; i++) {
		v[0] = f->value[0];
		v[1] = f->value[1];
		v[2] = f->value[2];
		if (f->titleval > 0)
			v[f->titleval - 1] = *m->title != '\0' ? m->title :
			    f->title;
		v[f->msgval - 1] = m->body;
		doc = json_object();
		json_object_set_new(doc, "value1", json_string(v[0]));
		json_object_set_new(doc, "value2", json_string(v[1]));
		json_object_set_new(doc, "value3", json_string(v[2]));
		buf_init(&b, 1 << 16);
		buf_puts(&b, "https://maker.ifttt.com/trigger/");
		nq_escape(&b, f->events[i], true);
		buf_puts(&b, "/with/key/");
		nq_escape(&b, f->key, true);
		if ((rc = nhttp_json(ctx, "POST", b.data, doc, NULL, &r,
		    err)) == 0 && (r.status < 200 || r.status > 299)) {
			rc = nresp_fail(err, "ifttt", &r);
			bk_err_prefix(err, "event \"%s\"", f->events[i]);
		}
		nresp_free(&r);
		buf_free(&b);
	}
	return rc;
}

static void
ifttt_free(void *priv)
{
	struct ifttt *f = priv;
	int i;

	xfree_secret(f->key);
	if (f->events != NULL)
		strv_free(f->events);
	for (i = 0; i < 3; i++)
		free(f->value[i]);
	free(f->title);
	free(f);
}

const struct notify_service notify_service_ifttt = {
	.name = "ifttt",
	.schemes = schemes,
	.parse = ifttt_parse,
	.send = ifttt_send,
	.free = ifttt_free,
};
