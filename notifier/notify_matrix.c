/*
 * notify_matrix.c - Matrix: matrix://[user]:password@host[:port]/?rooms=
 * notifications.md §3.9, the fork's way (Rec): client API v3, the token
 * in an Authorization: Bearer header, PUT .../send/m.room.message/TXN
 * with a unique transaction id, and no join for "!room" ids.  Without a
 * user the password is the access token.  Without rooms, every joined
 * room gets the message.  One room failing does not stop the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

struct matrix {
	char	*base, *user, *pass, **rooms, *title;
};

static const char *const keys[] = { "rooms|room", "disabletls", "title",
    NULL };
static const char *const schemes[] = { "matrix", NULL };

static int
matrix_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct matrix *x;
	const char *r;
	bool plain;
	size_t i;

	nsecret(u->pass);
	x = xcalloc(1, sizeof(*x));
	*priv = x;
	if (nurl_known_keys(u, keys, "matrix", err) == -1 ||
	    nurl_bool(u, "disabletls", false, &plain, "matrix", err) == -1)
		return -1;
	if (*u->host == '\0')
		return bk_err_set(err, BK_ECONFIG, "matrix: host missing");
	if (*u->pass == '\0')
		return bk_err_set(err, BK_ECONFIG, "matrix: password or access "
		    "token missing (matrix://user:password@host or "
		    "matrix://:token@host)");
	xasprintf(&x->base, "%s://%s/_matrix/client/v3", plain ? "http" :
	    "https", u->host);
	x->user = xstrdup(u->user);
	x->pass = xstrdup(u->pass);
	x->title = xstrdup(nurl_str(u, "title", ""));
	r = nurl_get(u, "rooms|room");
	x->rooms = split_list(r != NULL ? r : "", NULL);
	for (i = 0; x->rooms[i] != NULL; i++)
		if (x->rooms[i][0] != '!' && x->rooms[i][0] != '#') {
			char *t;

			xasprintf(&t, "#%s", x->rooms[i]);
			free(x->rooms[i]);
			x->rooms[i] = t;
		}
	return 0;
}

static int
call(struct nctx *ctx, const char *method, const char *url,
    const char *token, json_t *doc, struct nresp *r, struct bk_err *err)
{
	struct curl_slist *hd = NULL;
	struct nreq rq = { 0 };
	char *auth, *body = NULL;
	json_t *e;
	int rc;

	hd = nhdr(hd, "Content-Type", "application/json");
	if (token != NULL) {
		xasprintf(&auth, "Bearer %s", token);
		hd = nhdr(hd, "Authorization", auth);
		xfree_secret(auth);
	}
	if (doc != NULL) {
		body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(doc);
	}
	rq.method = method;
	rq.url = url;
	rq.headers = hd;
	rq.body = body;
	rq.len = body != NULL ? strlen(body) : 0;
	rc = nhttp_do(ctx, &rq, r, err);
	curl_slist_free_all(hd);
	if (body != NULL)
		xfree_secret(body);
	if (rc == 0 && !nresp_json_ok(r)) {
		e = r->json != NULL ? json_object_get(r->json, "error") : NULL;
		if (e != NULL)
			rc = bk_err_set(err, BK_EPROTO, "matrix: %s: %s (%s)",
			    method, json_string_value(e), json_string_value(
			    json_object_get(r->json, "errcode")));
		else
			rc = nresp_fail(err, "matrix", r);
	}
	return rc;
}

static char *
room_url(const char *base, const char *what, const char *room,
    const char *tail)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	buf_printf(&b, "%s/%s/", base, what);
	nq_escape(&b, room, true);
	buf_puts(&b, tail);
	return buf_take(&b);
}

static int
send_room(struct matrix *x, struct nctx *ctx, const char *token,
    const char *room, const char *text, struct bk_err *err)
{
	unsigned char rnd[8];
	char hex[17], *url, tail[96];
	struct nresp r;
	const char *id = room;
	char *joined = NULL;
	struct timespec ts;
	json_t *doc;
	int rc;

	if (room[0] != '!') {
		url = room_url(x->base, "join", room, "");
		rc = call(ctx, "POST", url, token, json_object(), &r, err);
		free(url);
		if (rc == 0) {
			id = json_string_value(json_object_get(r.json,
			    "room_id"));
			if (id == NULL)
				rc = bk_err_set(err, BK_EPROTO, "matrix: join "
				    "%s: no room_id in the answer", room);
			else
				id = joined = xstrdup(id);
		}
		nresp_free(&r);
		if (rc != 0)
			return -1;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tail, sizeof(tail), "/send/m.room.message/%lld%09ld-%s",
	    (long long)ts.tv_sec, ts.tv_nsec, hex);
	url = room_url(x->base, "rooms", id, tail);
	doc = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", text);
	rc = call(ctx, "PUT", url, token, doc, &r, err);
	nresp_free(&r);
	free(url);
	free(joined);
	return rc;
}

static int
matrix_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct matrix *x = priv;
	const char *title = *m->title != '\0' ? m->title : x->title;
	struct bk_err first, e;
	struct nresp r;
	char *token = NULL, *url, *text, **rooms = NULL;
	json_t *doc, *arr, *v;
	size_t i, nerr = 0, idx;
	int rc;

	memset(&first, 0, sizeof(first));
	if (*x->user != '\0') {
		xasprintf(&url, "%s/login", x->base);
		doc = json_pack("{s:s, s:{s:s, s:s}, s:s}", "type",
		    "m.login.password", "identifier", "type", "m.id.user",
		    "user", x->user, "password", x->pass);
		rc = call(ctx, "POST", url, NULL, doc, &r, err);
		free(url);
		if (rc == 0 && json_string_value(json_object_get(r.json,
		    "access_token")) == NULL)
			rc = bk_err_set(err, BK_EAUTH, "matrix: login: no "
			    "access_token in the answer");
		if (rc == 0) {
			token = xstrdup(json_string_value(json_object_get(
			    r.json, "access_token")));
			nsecret(token);
		}
		nresp_free(&r);
		if (rc != 0)
			return -1;
	} else
		token = xstrdup(x->pass);
	if (x->rooms[0] == NULL) {
		xasprintf(&url, "%s/joined_rooms", x->base);
		rc = call(ctx, "GET", url, token, NULL, &r, err);
		free(url);
		if (rc == 0) {
			arr = json_object_get(r.json, "joined_rooms");
			rooms = xcalloc(json_array_size(arr) + 1,
			    sizeof(*rooms));
			json_array_foreach(arr, idx, v)
				if (json_string_value(v) != NULL)
					rooms[idx] = xstrdup(
					    json_string_value(v));
		}
		nresp_free(&r);
		if (rc != 0) {
			xfree_secret(token);
			return -1;
		}
	}
	if (*title != '\0')
		xasprintf(&text, "%s\n\n%s", title, m->body);
	else
		text = xstrdup(m->body);
	for (i = 0; rooms != NULL ? rooms[i] != NULL : x->rooms[i] != NULL;
	    i++)
		if (send_room(x, ctx, token, rooms != NULL ? rooms[i] :
		    x->rooms[i], text, &e) == -1 && nerr++ == 0)
			first = e;
	if (nerr > 0)
		bk_err_set(err, first.code, "matrix: %zu error(s) sending "
		    "message, with initial error: %s", nerr, first.msg);
	if (rooms != NULL)
		strv_free(rooms);
	free(text);
	xfree_secret(token);
	return nerr > 0 ? -1 : 0;
}

static void
matrix_free(void *priv)
{
	struct matrix *x = priv;

	free(x->base);
	free(x->user);
	xfree_secret(x->pass);
	if (x->rooms != NULL)
		strv_free(x->rooms);
	free(x->title);
	free(x);
}

const struct notify_service notify_service_matrix = {
	.name = "matrix",
	.schemes = schemes,
	.parse = matrix_parse,
	.send = matrix_send,
	.free = matrix_free,
};
