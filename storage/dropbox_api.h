/*
 * dropbox_api.h - the Dropbox HTTP API v2 as storage_dropbox.c needs it:
 * one client (refresh token -> short-lived access tokens), and one call
 * that does the retries every route needs (401 expired token, 429, 5xx,
 * dropped connections).
 *
 * Threads: a struct dbx is shared by the threads of one upload; the
 * token is guarded by its mutex.  A CURL handle belongs to one thread.
 */
#ifndef BK_DROPBOX_API_H
#define BK_DROPBOX_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "settings.h"
#include "storage.h"

struct bk_err;

enum dbx_host { DBX_API, DBX_CONTENT };

struct dbx {
	struct settings	 admin;		/* own copy: connect-to, CA file */
	char		*app_key;
	char		*app_secret;	/* may be NULL (PKCE apps) */
	char		*refresh;
	pthread_mutex_t	 lock;
	char		*token;		/* guarded by lock */
	time_t		 token_until;	/* CLOCK_MONOTONIC seconds */
	unsigned int	 backoff_ms;	/* first 5xx back-off (tests: less) */
};

struct dbx_req {
	enum dbx_host	 host;
	const char	*route;		/* "files/list_folder" */
	json_t		*arg;		/* borrowed; rpc body or API-Arg */
	bool		 rpc;		/* arg is the JSON body */
	const void	*body;		/* content-upload bytes */
	size_t		 len;
	storage_sink_fn	*sink;		/* content-download */
	void		*sink_arg;
	/* A ranged download (range_len > 0): bytes [range_off, range_off +
	 * range_len), with a Range header (also on a resumed attempt); an
	 * answer with the whole file (200) is clipped to the range. */
	uint64_t	 range_off;
	uint64_t	 range_len;
	/* out */
	long		 status;
	json_t		*result;	/* JSON result, or API-Result (owned) */
	json_t		*error;		/* 409: the "error" member (owned) */
	uint64_t	 received;	/* bytes given to sink */
	int		 retries;	/* 5xx/429/transport retries taken */
};

int	 dbx_init(struct dbx *, const struct settings *admin,
	    const char *key, const char *secret, const char *refresh);
void	 dbx_free(struct dbx *);
/* Make sure a valid access token exists (exchange the refresh token). */
int	 dbx_auth(struct dbx *, CURL *, struct bk_err *);
CURL	*dbx_handle(struct dbx *, struct bk_err *);

/*
 * Run one call.  Returns 0 on 2xx; -1 with err set otherwise.  On 409,
 * req->error holds the endpoint's error union for the caller to map and
 * err names the route and the error_summary.  req->result and req->error
 * must be released with dbx_req_done().
 */
int	 dbx_call(struct dbx *, CURL *, struct dbx_req *, struct bk_err *);
void	 dbx_req_done(struct dbx_req *);

/* The chain of union tags of an error, "path/conflict/file", as the
 * error_summary spells it (a bare string counts as a void member). */
const char *dbx_tags(const json_t *, char *, size_t);
/* Does the chain of v start with the tags in prefix ("path/not_found")? */
bool	 dbx_is(const json_t *v, const char *prefix);

#endif
