/*
 * s3_int.h - shared by the files of the S3 backend: storage_s3.c
 * (settings, signed requests, listing, download, delete, cleanup) and
 * s3_upload.c (single PUT or multipart upload).  Not for anyone else.
 */
#ifndef BK_S3_INT_H
#define BK_S3_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "http.h"
#include "objstore.h"
#include "s3_creds.h"
#include "storage_int.h"

#define S3_WORKERS	4
#define S3_MAX_PARTS	10000
#define S3_MAX_PART	((size_t)5 << 30)

struct s3 {
	const struct settings	*admin;
	char		*bucket;
	char		*prefix;	/* "" or "dir/sub/" */
	char		*scheme;
	char		*host;		/* endpoint host[:port] */
	char		*req_host;	/* Host: of requests */
	char		*path_base;	/* "/bucket" or "" */
	char		*region;
	char		*storage_class;
	size_t		 part_size;
	char		*ca_pem;
	struct http_tls	 tls;
	CURL		*h;
	struct s3_creds	 creds;
};

struct s3_upload {
	struct s3	*s3;
	char		*key;
	char		*upload_id;
	struct obj_pool	*pool;
	CURL		*wh[S3_WORKERS];
	pthread_mutex_t	 mu;
	char		**etags;	/* by part number - 1 */
	unsigned	 netags;
};

struct s3_req {
	const char		*method;
	const char		*key;		/* full key, or NULL: bucket */
	const char		*query;		/* encoded, or "" */
	const void		*body;
	size_t			 len;
	const char		*range;		/* "bytes=A-[B]" or NULL */
	uint64_t		 range_off;	/* see struct obj_call */
	uint64_t		 range_len;
	bool			 storage_class;
	storage_sink_fn		*sink;
	void			*sink_arg;
	int			 attempts;
};

/* One request, retried on transient failures unless its answer goes to
 * a sink (the caller resumes those); a non-2xx answer is an error. */
int	 s3_call(struct s3 *, CURL *, const struct s3_req *,
	    struct obj_resp *, struct bk_err *);
/* obj_send_fn of S3: one attempt of req q (objstore_xml's ctx). */
struct s3_send {
	struct s3		*s;
	const struct s3_req	*q;
};
int	 s3_send(void *ctx, storage_sink_fn *, void *sink_arg,
	    struct obj_resp *, struct bk_err *);
/* An error answer -> one line naming the host and the setting; -1. */
int	 s3_fail(struct s3 *, const struct obj_resp *, const char *what,
	    struct bk_err *);
/* The key of a backup name: the folder prefix and the name. */
char	*s3_object_key(struct s3 *, const char *name);

/* The upload half of the vtable (s3_upload.c). */
int	 s3_begin(struct storage *, struct storage_upload *, struct bk_err *);
int	 s3_write(struct storage_upload *, const void *, size_t,
	    struct bk_err *);
int	 s3_commit(struct storage_upload *, struct bk_err *);
void	 s3_abort(struct storage_upload *);
/* Abort multipart upload id of key (best effort, no error). */
int	 s3_abort_id(struct s3 *, const char *key, const char *id);

#endif
