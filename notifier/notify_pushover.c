/*
 * notify_pushover.c - Pushover: pushover://shoutrrr:APITOKEN@USERKEY/?...
 * notifications.md §3.14: one form-encoded request for all devices;
 * priority 2 (emergency, which needs retry/expire) is left out as
 * shoutrrr does.  Rec: Pushover's "errors" list is part of the error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notify_int.h"
#include "xmalloc.h"

struct pushover {
	char		*token, *user, *devices, *title;
	long long	 priority;
};

static const char *const keys[] = { "devices", "priority", "title", NULL };
static const char *const schemes[] = { "pushover", NULL };

static int
po_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct pushover *p;

	nsecret(u->pass);
	nsecret(u->host);
	p = xcalloc(1, sizeof(*p));
	*priv = p;
	if (nurl_known_keys(u, keys, "pushover", err) == -1 ||
	    nurl_int(u, "priority", 0, -128, 127, &p->priority, "pushover",
	    err) == -1)
		return -1;
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "pushover: user missing from "
		    "config URL (pushover://shoutrrr:TOKEN@USERKEY/)");
	if (*u->pass == '\0')
		return bk_err_set(err, BK_ECONFIG, "pushover: token missing "
		    "from config URL (pushover://shoutrrr:TOKEN@USERKEY/)");
	p->token = xstrdup(u->pass);
	p->user = xstrdup(u->host);
	p->devices = xstrdup(nurl_str(u, "devices", ""));
	p->title = xstrdup(nurl_str(u, "title", ""));
	return 0;
}

static int
po_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct pushover *p = priv;
	const char *title = *m->title != '\0' ? m->title : p->title;
	struct curl_slist *hd;
	struct nreq rq = { 0 };
	struct nresp r;
	struct nq q[6];
	char prio[24], *body;
	json_t *errs;
	size_t n = 0;
	int rc;

	snprintf(prio, sizeof(prio), "%lld", p->priority);
	q[n].key = "device", q[n++].val = p->devices;
	q[n].key = "message", q[n++].val = (char *)m->body;
	if (p->priority >= -2 && p->priority <= 1)
		q[n].key = "priority", q[n++].val = prio;
	if (*title != '\0')
		q[n].key = "title", q[n++].val = (char *)title;
	q[n].key = "token", q[n++].val = p->token;
	q[n].key = "user", q[n++].val = p->user;
	body = nq_encode(q, n);
	hd = nhdr(NULL, "Content-Type", "application/x-www-form-urlencoded");
	rq.method = "POST";
	rq.url = "https://api.pushover.net/1/messages.json";
	rq.headers = hd;
	rq.body = body;
	rq.len = strlen(body);
	if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0 && r.status != 200) {
		errs = r.json != NULL ? json_object_get(r.json, "errors") :
		    NULL;
		if (json_array_size(errs) > 0 && json_string_value(
		    json_array_get(errs, 0)) != NULL)
			rc = bk_err_set(err, BK_EPROTO, "pushover: failed to "
			    "send notification to pushover device \"%s\", "
			    "response status %ld: %s", p->devices, r.status,
			    json_string_value(json_array_get(errs, 0)));
		else
			rc = nresp_fail(err, "pushover", &r);
	}
	nresp_free(&r);
	curl_slist_free_all(hd);
	xfree_secret(body);
	return rc;
}

static void
po_free(void *priv)
{
	struct pushover *p = priv;

	xfree_secret(p->token);
	xfree_secret(p->user);
	free(p->devices);
	free(p->title);
	free(p);
}

const struct notify_service notify_service_pushover = {
	.name = "pushover",
	.schemes = schemes,
	.parse = po_parse,
	.send = po_send,
	.free = po_free,
};
