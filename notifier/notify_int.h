/*
 * notify_int.h - for notify_*.c services only: the parsed service URL,
 * the query ("props") helpers, the shared HTTP plumbing and the vtable.
 *
 * A service is one file ending in
 *	const struct notify_service notify_service_x = { .name = "x", ... };
 * plus one line in notify.c's registry.  Only notify.c calls through the
 * vtable: it parses the URL (nurl_parse), picks the service by scheme,
 * calls parse() once, send() once per event, free() at the end.
 *
 * parse() must secret_register() every token it finds before it can fail
 * on anything else, so no later log line or error can show it.
 */
#ifndef BK_NOTIFY_INT_H
#define BK_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "notify.h"

struct bk_err;
struct settings;

/* One decoded query pair, in URL order. */
struct nq {
	char	*key;
	char	*val;
};

/* A URL split by Go net/url's rules (notifications.md §1.2). */
struct nurl {
	char	*scheme;	/* lowercased, "generic+https" */
	char	*service;	/* before the first '+', "generic" */
	bool	 custom;	/* the scheme had a '+' */
	char	*user;		/* decoded; "" if absent */
	char	*pass;
	bool	 has_user;	/* there was an '@' */
	bool	 has_pass;	/* there was a ':' in the userinfo */
	char	*host;		/* host[:port], "Host" */
	char	*hostname;	/* no port, no brackets */
	char	*port;		/* digits or "" */
	char	*path;		/* decoded */
	char	*rawquery;	/* without '?' */
	struct nq *q;
	size_t	 nq;
	char	*fragment;	/* decoded */
	bool	 has_fragment;
};

int	nurl_parse(const char *, struct nurl *, struct bk_err *);
void	nurl_free(struct nurl *);
/* Parse a raw query into decoded pairs (Go's rules: ';' drops a pair). */
void	nq_parse(const char *raw, struct nq **, size_t *);
void	nq_free(struct nq *, size_t);
/* Go url.Values.Encode() of pairs (sorted by key, stable), allocated. */
char	*nq_encode(const struct nq *, size_t);
/* Go url.QueryEscape / PathEscape into b. */
void	nq_escape(struct buf *, const char *, bool path);

/*
 * Props.  A spec names one setting with its aliases: "avatar|avatarurl".
 * Keys match case-insensitively; the first occurrence wins.
 */
/* Every query key must be one of specs (NULL-terminated). */
int	nurl_known_keys(const struct nurl *, const char *const *specs,
	    const char *svc, struct bk_err *);
const char *nurl_get(const struct nurl *, const char *spec);
/* Case-sensitive lookup of one key. */
const char *nurl_get_exact(const struct nurl *, const char *key);
const char *nurl_str(const struct nurl *, const char *spec, const char *def);
int	nurl_bool(const struct nurl *, const char *spec, bool def, bool *,
	    const char *svc, struct bk_err *);
/* Go base-0 integer (0x, 0o, 0b, leading 0, '#' hex) within [min,max]. */
int	nurl_int(const struct nurl *, const char *spec, long long def,
	    long long min, long long max, long long *, const char *svc,
	    struct bk_err *);
/* Index of the value in choices ("None,Plain,CRAMMD5"), matched
 * case-insensitively; aliases ("urgent=4") match exactly. */
int	nurl_enum(const struct nurl *, const char *spec, const char *choices,
	    const char *aliases, int def, int *, const char *svc,
	    struct bk_err *);
/* A comma list (empty items kept); NULL-terminated, strv_free(). */
char	**nurl_list(const char *, char sep);
bool	 parse_go_int(const char *, long long *);

/* What a service sends: the rendered title and body. */
struct notify_msg {
	const char	*title;
	const char	*body;
};

/* Per target send state, owned by notify.c. */
struct nctx {
	const struct settings	*admin;
	long			 timeout_ms;	/* one request */
	int			 attempts;	/* per request, >= 1 */
	long			 max_wait_s;	/* Retry-After we honour */
	CURL			*h;		/* reused, reset per request */
	int			 requests;	/* counted, for tests */
};

struct nreq {
	const char		*method;	/* "POST" */
	const char		*url;
	struct curl_slist	*headers;	/* borrowed */
	const char		*body;		/* NULL: no body */
	size_t			 len;
	const char		*user;		/* Basic auth when not NULL */
	const char		*pass;
};

struct nresp {
	long		 status;
	struct buf	 body;
	json_t		*json;		/* the body parsed, or NULL */
};

/*
 * Send one request, retrying on 5xx, 429 and timeouts (Retry-After
 * honoured up to max_wait_s); a 4xx is returned at once.  -1 only when
 * no HTTP answer came; otherwise 0 and resp holds the last answer.
 */
int	nhttp_do(struct nctx *, const struct nreq *, struct nresp *,
	    struct bk_err *);
/* POST (or method) a JSON document with Content-Type: application/json;
 * takes a reference to doc. */
int	nhttp_json(struct nctx *, const char *method, const char *url,
	    json_t *doc, struct curl_slist *extra, struct nresp *,
	    struct bk_err *);
void	nresp_free(struct nresp *);
/* "{svc}: HTTP {status}: {first line of body}"; returns -1. */
int	nresp_fail(struct bk_err *, const char *svc, const struct nresp *);
/* JSON client rule: status < 400 and the body is JSON. */
bool	nresp_json_ok(const struct nresp *);
/* An RFC 9110 token (method, header name): one or more tchar. */
bool	nhttp_token(const char *);
/* A header field value: no CR, LF, NUL or other control but HTAB. */
bool	nhttp_value(const char *);
/* Add "Name: value" to a header list. */
struct curl_slist *nhdr(struct curl_slist *, const char *name,
	    const char *value);
/* Append s to a JSON object only when non-empty. */
void	njson_opt(json_t *, const char *key, const char *s);
/* Number of Unicode code points in s. */
size_t	 utf8_runes(const char *);
/* Byte length of the first n runes of s. */
size_t	 utf8_prefix(const char *, size_t n);
/* Register a secret found in a URL (ignores NULL and short strings). */
void	nsecret(const char *);

struct notify_service {
	const char		*name;
	const char *const	*schemes;	/* NULL-terminated */
	bool			 custom;	/* accepts svc+https:// */
	int	(*parse)(const struct nurl *, void **priv, struct bk_err *);
	int	(*send)(void *priv, const struct notify_msg *, struct nctx *,
		    struct bk_err *);
	void	(*free)(void *priv);
};

extern const struct notify_service notify_service_bark;
extern const struct notify_service notify_service_discord;
extern const struct notify_service notify_service_smtp;
extern const struct notify_service notify_service_generic;
extern const struct notify_service notify_service_googlechat;
extern const struct notify_service notify_service_gotify;
extern const struct notify_service notify_service_ifttt;
extern const struct notify_service notify_service_join;
extern const struct notify_service notify_service_matrix;
extern const struct notify_service notify_service_mattermost;
extern const struct notify_service notify_service_ntfy;
extern const struct notify_service notify_service_opsgenie;
extern const struct notify_service notify_service_pushbullet;
extern const struct notify_service notify_service_pushover;
extern const struct notify_service notify_service_rocketchat;
extern const struct notify_service notify_service_slack;
extern const struct notify_service notify_service_teams;
extern const struct notify_service notify_service_telegram;
extern const struct notify_service notify_service_zulip;

#endif
