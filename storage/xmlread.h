/*
 * xmlread.h - streaming reader of the XML answers of S3, Azure Blob and
 * WebDAV servers, on libexpat.
 *
 * The caller feeds the body as libcurl delivers it and is told, at the end
 * of every element below the root, the element's path of local names
 * ("Contents/Key", "response/propstat/prop/getcontentlength"; namespace
 * prefixes dropped) and its own text.  Nothing of the document is kept
 * beyond the open elements' names and the current text, so a listing costs
 * memory for what the caller keeps, not for a tree.
 *
 * Answers come from servers a tenant chooses: a DOCTYPE (and with it every
 * entity declaration) is refused, nesting, names, text and the body are
 * bounded, the input must be UTF-8, and a truncated document is an error.
 * An <Error> document where another root was expected becomes an error
 * carrying its Code and Message, whatever the HTTP status said.
 */
#ifndef BK_XMLREAD_H
#define BK_XMLREAD_H

#include <stdbool.h>
#include <stddef.h>

struct bk_err;
struct xr;

#define XR_BODY_MAX	(256u << 20)	/* PROPFIND of a 100,000-file folder:
					 * ~100 MB, streamed */
#define XR_DEPTH_MAX	32		/* our answers nest 5 deep */
#define XR_TEXT_MAX	(64u << 10)	/* a key, a token, a message */

/* End of an element below the root: path from below the root, own text
 * (NUL-terminated; "" when empty).  NULL to go on, or why the answer is
 * refused (the reader stops with that reason). */
typedef const char *xr_elem_fn(void *arg, const char *path,
		    const char *text, size_t len);

/* A reader expecting root element root (local name; NULL: any root). */
struct xr	*xr_new(const char *root, xr_elem_fn *, void *arg);
void		 xr_free(struct xr *);
/* Feed the next bytes.  -1 with err (BK_EPROTO) once the input is bad;
 * every later call fails the same way.  err->retryable only for text
 * after a complete document (a server that broke off an answer). */
int		 xr_feed(struct xr *, const void *, size_t, struct bk_err *);
/* The body ended: -1 with err if the document is incomplete, was an
 * error document (BK_EFAIL, "error document: Code: Message") or bad. */
int		 xr_finish(struct xr *, struct bk_err *);
/* The input was refused (xr_feed or xr_finish failed). */
bool		 xr_failed(const struct xr *);
/* The root element's local name, "" before it was seen. */
const char	*xr_root(const struct xr *);
/* A storage_sink_fn feeding the struct xr at arg. */
int		 xr_sink(const void *, size_t, void *arg, struct bk_err *);
/* new + feed + finish + free over one buffer. */
int		 xr_parse(const char *root, const void *, size_t, xr_elem_fn *,
		    void *arg, struct bk_err *);

/* For error bodies: fill code and msg (NUL-terminated, truncated to their
 * sizes; "" when absent) from the Code and Message below the root of buf.
 * Never fails: an unreadable body leaves both empty. */
void		 xr_error_fields(const void *buf, size_t len, char *code,
		    size_t codesz, char *msg, size_t msgsz);

#endif
