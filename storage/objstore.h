/*
 * objstore.h - what the S3 and Azure backends share: one HTTP exchange
 * with a memory body (objstore_perform), backoff and the retry rule, the
 * folder prefix, and a pool that uploads parts of a stream in parallel
 * with bounded memory (objstore_pool).
 *
 * Threads: a pool runs its own worker threads; the part callback is
 * called from them, one call per worker at a time.
 */
#ifndef BK_OBJSTORE_H
#define BK_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "storage.h"

#define OBJ_ATTEMPTS	5	/* tries per request on transient errors */

struct obj_call {
	const char		*method;
	const char		*url;
	struct curl_slist	*headers;
	const void		*body;		/* request body or NULL */
	size_t			 len;
	storage_sink_fn		*sink;		/* 2xx body goes here */
	void			*sink_arg;
	/* A ranged GET (range_len > 0): the sink gets at most range_len
	 * bytes, and from range_off of the object even when the server
	 * ignored the Range header and sent all of it (200, not 206). */
	uint64_t		 range_off;
	uint64_t		 range_len;
};

struct obj_resp {
	long		 status;
	struct buf	 body;		/* non-2xx (or sink-less) body */
	char		 etag[160];
	char		 ms_error[96];	/* x-ms-error-code */
	long		 retry_after;	/* -1: none */
	uint64_t	 received;	/* 2xx body bytes that arrived */
	uint64_t	 given;		/* of them, handed to the sink */
	uint64_t	 length;	/* Content-Length (HEAD: the size) */
	time_t		 mtime;		/* Last-Modified, 0 if none */
};

void	objstore_resp_init(struct obj_resp *);
void	objstore_resp_free(struct obj_resp *);
/* One exchange.  0: a response arrived (look at status); -1: transport
 * failure or sink refusal, err set (retryable for resets/timeouts). */
int	objstore_perform(CURL *, const struct obj_call *, struct obj_resp *,
	    const char *what, struct bk_err *);
/* Sleep before attempt n (1-based retry count), honouring Retry-After. */
void	objstore_backoff(int attempt, long retry_after);
/* After failed attempt number attempt (0-based) of max: false when err is
 * NULL, not retryable or the last attempt; else back off and say true. */
bool	objstore_retry_wait(const struct bk_err *, int attempt, int max,
	    long retry_after);
/* One attempt of a request whose 2xx answer goes to sink (sink_arg):
 * the backend's own call, without retries of its own. */
typedef int	obj_send_fn(void *ctx, storage_sink_fn *sink, void *sink_arg,
		    struct obj_resp *, struct bk_err *);

/*
 * A request whose 2xx answer is an XML document with root element root,
 * streamed through libexpat (xmlread.h) into fn(arg): reset(arg), when
 * not NULL, runs before each attempt so a retried answer starts afresh.
 * Transient failures are retried up to attempts times; so is an error
 * document sent with a 2xx status (the server failed after answering
 * 200).  A bad document is BK_EPROTO, prefixed with where.
 */
int	objstore_xml(obj_send_fn *, void *ctx, int attempts, const char *root,
	    const char *(*fn)(void *, const char *, const char *, size_t),
	    void (*reset)(void *), void *arg, struct obj_resp *,
	    const char *where, struct bk_err *);

/* A folder setting (AWS_S3_PATH, AZURE_STORAGE_PATH; may be NULL) as a
 * key prefix: "" or "dir/sub/", without leading or doubled slashes at
 * the ends. */
char	*objstore_prefix(const char *setting);

/* The largest stream an upload of unknown length must hold: S3's largest
 * object, and far more than a panel's backup. */
#define OBJ_MAX_STREAM	((uint64_t)5 << 40)

/* Size of part n (1-based) when the stream length is unknown: base for
 * the first step parts, then doubled every step parts, capped at cap.
 * step is the largest that still lets max_parts parts hold total bytes
 * (when cap allows), so small backups keep small parts and memory, and
 * total never runs into max_parts. */
size_t	objstore_part_size(size_t base, unsigned n, unsigned max_parts,
	    size_t cap, uint64_t total);
/* The step above: parts per size before the size doubles. */
unsigned objstore_part_step(size_t base, unsigned max_parts, size_t cap,
	    uint64_t total);

/* Called once, before the first part is sent (create the upload). */
typedef int	obj_start_fn(void *ctx, struct bk_err *);
/* Send part n of len bytes using worker's connection.  Sets
 * err->retryable for transient failures; the pool retries those. */
typedef int	obj_part_fn(void *ctx, int worker, unsigned n,
		    const char *data, size_t len, struct bk_err *);

struct obj_pool;

/* Parts of base bytes growing as objstore_part_size() says for total. */
struct obj_pool	*objstore_pool_new(int workers, size_t base,
		    unsigned max_parts, size_t cap, uint64_t total,
		    obj_start_fn *,
		    obj_part_fn *, void *ctx);
int		 objstore_pool_write(struct obj_pool *, const void *, size_t,
		    struct bk_err *);
/* Flush and wait.  1: nothing was sent, *data and *len hold the whole
 * (small) stream for one plain upload; 0: every part succeeded; -1. */
int		 objstore_pool_finish(struct obj_pool *, const char **data,
		    size_t *len, struct bk_err *);
unsigned	 objstore_pool_parts(const struct obj_pool *);
/* Stops the workers (waits for parts in flight) and frees. */
void		 objstore_pool_free(struct obj_pool *);

#endif
