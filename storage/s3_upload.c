/*
 * s3_upload.c - the S3 backend's uploads: begin, write, commit, abort.
 *
 * An upload streams into objstore's pool: the first part's worth of bytes
 * is held back, so a backup smaller than one part is a single PUT;
 * anything larger becomes a multipart upload whose parts go out in
 * parallel, each with its SHA-256 signed, each retried on its own.
 *
 * Invariants: the object appears only when CompleteMultipartUpload
 * succeeds after every part did (an <Error> in a 200 answer counts as a
 * failure); any failure aborts the multipart upload, so no part outlives
 * a failed backup except when the abort itself fails (cleanup() in
 * storage_s3.c sweeps those).  Part ETags are kept by part number.
 *
 * Threads: the caller's thread plus the pool's workers, which call
 * s3_part() with one easy handle per worker; the ETag table is under the
 * upload's mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "s3_int.h"
#include "sigv4.h"
#include "xmalloc.h"
#include "xmlread.h"

int
s3_begin(struct storage *st, struct storage_upload *up, struct bk_err *err)
{
	struct s3_upload *u = up->priv;
	struct s3 *s = st->priv;

	u->s3 = s;
	u->key = s3_object_key(s, up->name);
	pthread_mutex_init(&u->mu, NULL);
	return 0;
}

/* CreateMultipartUpload's answer as it streams by: the UploadId. */
static const char *
upload_id_elem(void *arg, const char *path, const char *t, size_t len)
{
	char **id = arg;

	if (strcmp(path, "UploadId") == 0) {
		free(*id);
		*id = xstrndup(t, len);
	}
	return NULL;
}

static void
upload_id_reset(void *arg)
{
	char **id = arg;

	free(*id);
	*id = NULL;
}

static int
s3_start(void *ctx, struct bk_err *err)
{
	struct s3_upload *u = ctx;
	struct s3_req q = { .method = "POST", .key = u->key,
	    .query = "uploads=", .storage_class = true };
	struct s3_send c = { u->s3, &q };
	struct obj_resp r;
	char *id = NULL, where[300];
	int rc = -1;

	snprintf(where, sizeof(where), "S3 %s: CreateMultipartUpload",
	    u->s3->host);
	objstore_resp_init(&r);
	if (objstore_xml(s3_send, &c, OBJ_ATTEMPTS,
	    "InitiateMultipartUploadResult", upload_id_elem, upload_id_reset,
	    &id, &r, where, err) == -1)
		goto out;
	if (id == NULL || *id == '\0') {
		bk_err_set(err, BK_EPROTO, "S3 %s: CreateMultipartUpload "
		    "answer has no UploadId", u->s3->host);
		goto out;
	}
	u->upload_id = id;
	id = NULL;
	u->etags = xcalloc(S3_MAX_PARTS, sizeof(*u->etags));
	rc = 0;
out:
	free(id);
	objstore_resp_free(&r);
	return rc;
}

static int
s3_part(void *ctx, int worker, unsigned n, const char *data, size_t len,
    struct bk_err *err)
{
	struct s3_upload *u = ctx;
	struct obj_resp r;
	struct buf qs;
	char *etag;
	int rc;
	struct s3_req q = { .method = "PUT", .key = u->key, .body = data,
	    .len = len, .attempts = 1 };

	if (u->wh[worker] == NULL &&
	    (u->wh[worker] = http_easy(u->s3->admin, &u->s3->tls, err)) ==
	    NULL)
		return -1;
	buf_init(&qs, 4096);
	buf_printf(&qs, "partNumber=%u&uploadId=", n);
	sigv4_uri_encode(&qs, u->upload_id, false);
	q.query = qs.data;
	objstore_resp_init(&r);
	rc = s3_call(u->s3, u->wh[worker], &q, &r, err);
	if (rc == 0 && r.etag[0] == '\0') {
		bk_err_set(err, BK_EPROTO, "S3 %s: part %u: no ETag in the "
		    "answer", u->s3->host, n);
		rc = -1;
	}
	if (rc == 0) {
		etag = xstrdup(r.etag);
		pthread_mutex_lock(&u->mu);
		free(u->etags[n - 1]);
		u->etags[n - 1] = etag;
		if (n > u->netags)
			u->netags = n;
		pthread_mutex_unlock(&u->mu);
	}
	objstore_resp_free(&r);
	buf_free(&qs);
	return rc;
}

int
s3_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct s3_upload *u = up->priv;

	if (u->pool == NULL)
		u->pool = objstore_pool_new(S3_WORKERS, u->s3->part_size,
		    S3_MAX_PARTS, S3_MAX_PART, OBJ_MAX_STREAM, s3_start,
		    s3_part, u);
	return objstore_pool_write(u->pool, p, n, err);
}

static void
s3_upload_free(struct s3_upload *u)
{
	unsigned i;
	int w;

	objstore_pool_free(u->pool);
	u->pool = NULL;
	for (w = 0; w < S3_WORKERS; w++)
		http_easy_free(u->wh[w]);
	if (u->etags != NULL)
		for (i = 0; i < u->netags; i++)
			free(u->etags[i]);
	free(u->etags);
	free(u->upload_id);
	free(u->key);
	pthread_mutex_destroy(&u->mu);
}

static const char *
ignore_elem(void *arg, const char *path, const char *t, size_t len)
{
	return NULL;
}

static int
s3_complete(struct s3_upload *u, unsigned parts, struct bk_err *err)
{
	struct s3_req q = { .method = "POST", .key = u->key };
	struct s3_send c = { u->s3, &q };
	struct obj_resp r;
	struct buf body, qs;
	char where[300];
	unsigned i;
	int rc = -1;

	buf_init(&body, (size_t)S3_MAX_PARTS * 256);
	buf_puts(&body, "<CompleteMultipartUpload>");
	for (i = 0; i < parts; i++) {
		if (u->etags[i] == NULL) {
			bk_err_set(err, BK_EFAIL, "S3 %s: part %u missing",
			    u->s3->host, i + 1);
			buf_free(&body);
			return -1;
		}
		buf_printf(&body, "<Part><PartNumber>%u</PartNumber><ETag>%s"
		    "</ETag></Part>", i + 1, u->etags[i]);
	}
	buf_puts(&body, "</CompleteMultipartUpload>");
	buf_init(&qs, 4096);
	buf_puts(&qs, "uploadId=");
	sigv4_uri_encode(&qs, u->upload_id, false);
	q.query = qs.data;
	q.body = body.data;
	q.len = body.len;
	/* S3 may answer 200 with an <Error> body: objstore_xml retries
	 * that, as the transient failure it is. */
	snprintf(where, sizeof(where), "S3 %s: CompleteMultipartUpload",
	    u->s3->host);
	objstore_resp_init(&r);
	rc = objstore_xml(s3_send, &c, OBJ_ATTEMPTS,
	    "CompleteMultipartUploadResult", ignore_elem, NULL, NULL, &r, where,
	    err);
	objstore_resp_free(&r);
	buf_free(&qs);
	buf_free(&body);
	return rc;
}

int
s3_commit(struct storage_upload *up, struct bk_err *err)
{
	struct s3_upload *u = up->priv;
	const char *data;
	size_t len;
	int rc;

	if (u->pool == NULL)
		u->pool = objstore_pool_new(1, 1, S3_MAX_PARTS, S3_MAX_PART,
		    OBJ_MAX_STREAM, s3_start, s3_part, u);
	rc = objstore_pool_finish(u->pool, &data, &len, err);
	if (rc == 1) {
		struct s3_req q = { .method = "PUT", .key = u->key,
		    .query = "", .body = data, .len = len,
		    .storage_class = true };
		struct obj_resp r;

		objstore_resp_init(&r);
		rc = s3_call(u->s3, u->s3->h, &q, &r, err);
		objstore_resp_free(&r);
	} else if (rc == 0)
		rc = s3_complete(u, objstore_pool_parts(u->pool), err);
	if (rc == -1 && u->upload_id != NULL)
		s3_abort_id(u->s3, u->key, u->upload_id);
	s3_upload_free(u);
	return rc;
}

void
s3_abort(struct storage_upload *up)
{
	struct s3_upload *u = up->priv;

	objstore_pool_free(u->pool);	/* waits for parts in flight */
	u->pool = NULL;
	if (u->upload_id != NULL)
		s3_abort_id(u->s3, u->key, u->upload_id);
	s3_upload_free(u);
}

int
s3_abort_id(struct s3 *s, const char *key, const char *id)
{
	struct s3_req q = { .method = "DELETE", .key = key, .attempts = 2 };
	struct obj_resp r;
	struct buf qs;
	int rc;

	buf_init(&qs, 4096);
	buf_puts(&qs, "uploadId=");
	sigv4_uri_encode(&qs, id, false);
	q.query = qs.data;
	objstore_resp_init(&r);
	rc = s3_call(s, s->h, &q, &r, NULL);
	objstore_resp_free(&r);
	buf_free(&qs);
	return rc;
}
