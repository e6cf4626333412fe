/*
 * notify_telegram.c - Telegram bots: telegram://TOKEN@telegram?chats=...
 * notifications.md §3.18: one sendMessage per chat, in order; with a
 * title and no parse mode the text becomes HTML (title in bold, body
 * escaped).  Rec: no empty <b></b> line; a network error or an answer
 * that is not JSON with "ok": true is a failure.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

#define MAX_TEXT	4096

struct telegram {
	char	*url, **chats, *title;
	bool	 preview, notification;
	int	 mode;		/* None Markdown HTML MarkdownV2 */
};

static const char *const keys[] = { "chats|channels", "preview",
    "notification", "parsemode", "title", NULL };
static const char *const schemes[] = { "telegram", NULL };
static const char *const modes[] = { "", "Markdown", "HTML", "MarkdownV2" };

static int
tg_parse(const struct nurl *u, void **priv, struct bk_err *err)
{
	struct telegram *t;
	const char *chats;
	regex_t rx;
	char *tok;
	bool ok;

	nsecret(u->pass);
	t = xcalloc(1, sizeof(*t));
	*priv = t;
	xasprintf(&tok, "%s:%s", u->user, u->pass);
	nsecret(tok);
	if (regcomp(&rx, "^[0-9]+:[a-zA-Z0-9_-]+$", REG_EXTENDED |
	    REG_NOSUB) != 0) {
		xfree_secret(tok);
		return bk_err_set(err, BK_EIO, "telegram: regcomp");
	}
	ok = regexec(&rx, tok, 0, NULL, 0) == 0;
	regfree(&rx);
	xasprintf(&t->url, "https://api.telegram.org/bot%s/sendMessage", tok);
	xfree_secret(tok);
	if (!ok)
		return bk_err_set(err, BK_ECONFIG, "telegram: invalid bot token "
		    "(telegram://123456:ABC-def@telegram?chats=...)");
	if (nurl_known_keys(u, keys, "telegram", err) == -1 ||
	    nurl_bool(u, "preview", true, &t->preview, "telegram", err) ==
	    -1 || nurl_bool(u, "notification", true, &t->notification,
	    "telegram", err) == -1 || nurl_enum(u, "parsemode",
	    "None,Markdown,HTML,MarkdownV2", NULL, 0, &t->mode, "telegram",
	    err) == -1)
		return -1;
	if ((chats = nurl_get(u, "chats|channels")) == NULL || *chats == '\0')
		return bk_err_set(err, BK_ECONFIG, "telegram: chats missing "
		    "from config URL");
	t->chats = split_list(chats, NULL);
	t->title = xstrdup(nurl_str(u, "title", ""));
	return 0;
}

static void
html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&#34;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_append(b, s, 1);
		}
}

static int
tg_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct telegram *t = priv;
	const char *title = *m->title != '\0' ? m->title : t->title, *c;
	struct nresp r;
	struct buf text;
	json_t *doc;
	long long thread;
	char *chat;
	int mode = t->mode, rc = 0;
	size_t i;

	buf_init(&text, 1 << 20);
	if (mode == 0 && *title != '\0') {
		mode = 2;
		buf_puts(&text, "<b>");
		html_escape(&text, title);
		buf_puts(&text, "</b>\n");
		html_escape(&text, m->body);
	} else if (mode == 2) {
		if (*title != '\0') {
			buf_puts(&text, "<b>");
			html_escape(&text, title);
			buf_puts(&text, "</b>\n");
		}
		buf_puts(&text, m->body);
	} else
		buf_puts(&text, m->body);
	if (text.len > MAX_TEXT) {
		buf_free(&text);
		return bk_err_set(err, BK_EPROTO, "telegram: message exceeds "
		    "the max length (%d bytes)", MAX_TEXT);
	}
	for (i = 0; t->chats[i] != NULL && rc == 0; i++) {
		chat = xstrdup(t->chats[i]);
		doc = json_object();
		json_object_set_new(doc, "text", json_string(text.data));
		if ((c = strchr(chat, ':')) != NULL && parse_go_int(c + 1,
		    &thread)) {
			chat[c - chat] = '\0';
			json_object_set_new(doc, "chat_id", json_string(chat));
			json_object_set_new(doc, "message_thread_id",
			    json_integer(thread));
		} else
			json_object_set_new(doc, "chat_id", json_string(chat));
		if (mode != 0)
			json_object_set_new(doc, "parse_mode",
			    json_string(modes[mode]));
		json_object_set_new(doc, "disable_web_page_preview",
		    json_boolean(!t->preview));
		json_object_set_new(doc, "disable_notification",
		    json_boolean(!t->notification));
		json_object_set_new(doc, "reply_to_message_id",
		    json_integer(0));
		if ((rc = nhttp_json(ctx, "POST", t->url, doc, NULL, &r,
		    err)) == 0 && (!nresp_json_ok(&r) ||
		    !json_is_true(json_object_get(r.json, "ok")))) {
			c = r.json != NULL ? json_string_value(json_object_get(
			    r.json, "description")) : NULL;
			if (c != NULL)
				rc = bk_err_set(err, BK_EPROTO, "telegram: "
				    "chat %s: %s", t->chats[i], c);
			else
				rc = nresp_fail(err, "telegram", &r);
		}
		nresp_free(&r);
		free(chat);
	}
	buf_free(&text);
	return rc;
}

static void
tg_free(void *priv)
{
	struct telegram *t = priv;

	xfree_secret(t->url);
	if (t->chats != NULL)
		strv_free(t->chats);
	free(t->title);
	free(t);
}

const struct notify_service notify_service_telegram = {
	.name = "telegram",
	.schemes = schemes,
	.parse = tg_parse,
	.send = tg_send,
	.free = tg_free,
};
