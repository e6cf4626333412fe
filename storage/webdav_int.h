/*
 * webdav_int.h - shared by the two files of the WebDAV backend:
 * storage_webdav.c (settings, requests, the collection, listing,
 * download, delete) and webdav_upload.c (the streaming or spooled PUT and
 * the MOVE into place).  Not for anyone else.
 */
#ifndef BK_WEBDAV_INT_H
#define BK_WEBDAV_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "http.h"
#include "partial.h"
#include "storage_int.h"

struct buf;

#define WEBDAV_ATTEMPTS	3

struct webdav {
	const struct settings	*admin;
	struct http_tls		 tls;
	char			*base;		/* WEBDAV_URL, no trailing / */
	char			*coll;		/* collection URL, ends in / */
	char			*where;		/* coll without credentials */
	char			**segs;		/* encoded WEBDAV_PATH parts */
	size_t			 nsegs;
	const char		*user;
	const char		*pass;
	char			*tempdir;
	long			 auth;		/* CURLAUTH_* the server takes */
	bool			 coll_ready;
	int			 chunked;	/* -1 unknown, 0 refused, 1 ok */
	char			*active;	/* partial name being written */
};

struct webdav_upload {
	char			*tmpurl;
	char			*dsturl;
	/* streaming */
	CURLM			*m;
	CURL			*h;
	struct curl_slist	*hdrs;
	const unsigned char	*cur;
	size_t			 curlen;
	bool			 eof, paused, done, started;
	CURLcode		 res;
	/* spooled */
	int			 spool;
};

/* libcurl write callback appending to a struct buf (NULL: discard). */
size_t	 webdav_to_buf(char *, size_t, size_t, void *);
/* A handle for url with the shared set-up and the user's credentials. */
CURL	*webdav_easy(struct webdav *, const char *url, struct bk_err *);
/* The URL of name in the collection, escaped. */
char	*webdav_object_url(struct webdav *, const char *name);
/* A curl failure of "what" -> err naming the collection; -1. */
int	 webdav_curl_err(struct webdav *, CURLcode, const char *what,
	    struct bk_err *);
/* An HTTP status -> err naming the collection and what; -1. */
int	 webdav_status_err(struct webdav *, long status, const char *what,
	    struct bk_err *);
/* One request without a streamed body, retried with backoff: the HTTP
 * status (the caller judges it), or -1 with err. */
long	 webdav_req(struct webdav *, const char *method, const char *url,
	    struct curl_slist *hdrs, const char *body, struct buf *resp,
	    const char *what, struct bk_err *);
/* Make sure the collection exists (MKCOL level by level if not). */
int	 webdav_ensure_coll(struct webdav *, struct bk_err *);

/* The upload half of the vtable (webdav_upload.c). */
int	 webdav_begin(struct storage *, struct storage_upload *,
	    struct bk_err *);
int	 webdav_write(struct storage_upload *, const void *, size_t,
	    struct bk_err *);
int	 webdav_commit(struct storage_upload *, struct bk_err *);
void	 webdav_abort(struct storage_upload *);

#endif
