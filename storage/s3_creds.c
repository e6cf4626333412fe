/*
 * s3_creds.c - where the S3 backend's signing keys come from.
 *
 * Either the user's static AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or
 * an EC2 instance profile: the role and its temporary keys are read from
 * the instance metadata service at the admin's AWS_IAM_ROLE_ENDPOINT
 * (with an IMDSv2 session token when the service offers one), cached, and
 * fetched again five minutes before they expire.
 *
 * The role is the host's, not the user's: it is used only when the admin
 * turned ALLOW_INSTANCE_CREDENTIALS on, only from the admin's endpoint (a
 * user's AWS_IAM_ROLE_ENDPOINT is refused), and never for a user who set
 * an AWS_ENDPOINT of their own, which would have the role's keys sign
 * requests sent to a server the user chose.
 *
 * Invariants: every key and token read is registered as a secret before
 * it is used, and freed with xfree_secret; callers get copies, so a
 * refresh never frees a key a request is still signing with.
 *
 * Threads: s3_creds_get() is called from the caller's thread and the
 * upload pool's workers; the cached keys sit under mu, held across a
 * refresh so only one thread fetches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "http.h"
#include "objstore.h"
#include "s3_creds.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

void
s3_creds_init(struct s3_creds *c, const struct settings *admin)
{
	pthread_mutex_init(&c->mu, NULL);
	c->admin = admin;
}

static bool
set(const char *v)
{
	return v != NULL && *v != '\0';
}

/* The user's AWS_ENDPOINT is their own server (not the admin's). */
static bool
custom_endpoint(const struct s3_creds *c, const struct settings *u)
{
	const char *mine = settings_get(u, "AWS_ENDPOINT"), *admin;

	if (!settings_is_set(u, "AWS_ENDPOINT"))
		return false;
	admin = settings_get(c->admin, "AWS_ENDPOINT");
	return admin == NULL || strcasecmp(mine, admin) != 0;
}

/* Only S3's own bucket-name characters: the name becomes part of the
 * host the role signs for ("b.s3.amazonaws.com"), and "16909060#" would
 * make it another host altogether. */
static bool
plain_bucket(const char *b)
{
	size_t n = strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-");

	return n >= 3 && n <= 63 && b[n] == '\0';
}

/* The host's instance role, when the admin allows it for this user. */
static int
instance_role(struct s3_creds *c, const struct settings *u,
    struct bk_err *err)
{
	const char *iam;

	if (c->admin == NULL || !settings_bool(c->admin,
	    "ALLOW_INSTANCE_CREDENTIALS"))
		return bk_err_set(err, BK_ECONFIG, "AWS_S3_BUCKET_NAME is set "
		    "but no credentials are: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY (the host's instance role is off: "
		    "ALLOW_INSTANCE_CREDENTIALS)");
	if (custom_endpoint(c, u))
		return bk_err_set(err, BK_ECONFIG, "AWS_ENDPOINT: a server of "
		    "your own needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: "
		    "the host's instance role only signs for the admin's "
		    "endpoint");
	if (!plain_bucket(settings_get(u, "AWS_S3_BUCKET_NAME")))
		return bk_err_set(err, BK_ECONFIG, "AWS_S3_BUCKET_NAME: only "
		    "a-z, 0-9, '.' and '-' (3 to 63) with the host's instance "
		    "role");
	iam = settings_get(c->admin, "AWS_IAM_ROLE_ENDPOINT");
	if (!set(iam))
		return bk_err_set(err, BK_ECONFIG, "AWS_IAM_ROLE_ENDPOINT: "
		    "not set in the admin config");
	c->iam_url = xstrdup(iam);
	return 0;
}

int
s3_creds_load(struct s3_creds *c, const struct settings *u,
    struct bk_err *err)
{
	const char *ak, *sk;

	if (settings_is_set(u, "AWS_IAM_ROLE_ENDPOINT"))
		return bk_err_set(err, BK_ECONFIG, "AWS_IAM_ROLE_ENDPOINT: not "
		    "a user setting: instance credentials are the host's (the "
		    "admin's endpoint, ALLOW_INSTANCE_CREDENTIALS); give "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	ak = settings_get(u, "AWS_ACCESS_KEY_ID");
	sk = settings_get(u, "AWS_SECRET_ACCESS_KEY");
	if (set(ak) && set(sk)) {
		c->ak = xstrdup(ak);
		c->sk = xstrdup(sk);
		secret_register(sk);
	} else if (set(ak) || set(sk))
		return bk_err_set(err, BK_ECONFIG, "%s: not set, but %s is: "
		    "give both", set(ak) ? "AWS_SECRET_ACCESS_KEY" :
		    "AWS_ACCESS_KEY_ID", set(ak) ? "AWS_ACCESS_KEY_ID" :
		    "AWS_SECRET_ACCESS_KEY");
	else
		return instance_role(c, u, err);
	return 0;
}

void
s3_creds_cleanup(struct s3_creds *c)
{
	free(c->ak);
	if (c->sk != NULL)
		xfree_secret(c->sk);
	if (c->token != NULL)
		xfree_secret(c->token);
	free(c->iam_url);
	pthread_mutex_destroy(&c->mu);
}

/* One request to the metadata service into out, with an optional header. */
static int
iam_get(struct s3_creds *c, const char *method, const char *url,
    const char *hdr, struct buf *out, long *status, struct bk_err *err)
{
	static const struct http_tls admin_ep = { .admin_endpoint = true };
	struct obj_call call = { .method = method, .url = url };
	struct obj_resp r;
	char what[512];
	CURL *h;
	int rc;

	/* The admin's endpoint (never a user's): no outbound policy. */
	if ((h = http_easy(c->admin, &admin_ep, err)) == NULL)
		return -1;
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	call.headers = hdr != NULL ? curl_slist_append(NULL, hdr) : NULL;
	objstore_resp_init(&r);
	/* The user's setting and its value (a URL, never a secret). */
	snprintf(what, sizeof(what), "AWS_IAM_ROLE_ENDPOINT (%s)", c->iam_url);
	rc = objstore_perform(h, &call, &r, what, err);
	curl_slist_free_all(call.headers);
	http_easy_free(h);
	*status = r.status;
	buf_reset(out);
	if (rc == 0)
		buf_append(out, r.body.data != NULL ? r.body.data : "",
		    r.body.len);
	objstore_resp_free(&r);
	return rc;
}

/* Take the keys of a credentials document; its expiry, else an hour. */
static void
iam_take(struct s3_creds *c, json_t *j)
{
	struct tm tm;
	const char *tok = json_string_value(json_object_get(j, "Token"));
	const char *exp = json_string_value(json_object_get(j,
	    "Expiration"));

	free(c->ak);
	if (c->sk != NULL)
		xfree_secret(c->sk);
	if (c->token != NULL)
		xfree_secret(c->token);
	c->ak = xstrdup(json_string_value(json_object_get(j, "AccessKeyId")));
	c->sk = xstrdup(json_string_value(json_object_get(j,
	    "SecretAccessKey")));
	c->token = tok != NULL ? xstrdup(tok) : NULL;
	secret_register(c->sk);
	if (c->token != NULL)
		secret_register(c->token);
	memset(&tm, 0, sizeof(tm));
	c->expires = time(NULL) + 3600;
	if (exp != NULL && strptime(exp, "%Y-%m-%dT%H:%M:%S", &tm) != NULL)
		c->expires = timegm(&tm);
}

/* Instance-profile credentials (IMDS, v2 token when offered). */
static int
iam_fetch(struct s3_creds *c, struct bk_err *err)
{
	char *url = NULL, *tokhdr = NULL, *role;
	const char *base = c->iam_url;
	struct buf b;
	long st = 0;
	json_t *j = NULL;
	int rc = -1;

	buf_init(&b, 1 << 20);
	xasprintf(&url, "%s/latest/api/token", base);
	if (iam_get(c, "PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: "
	    "21600", &b, &st, NULL) == 0 && st == 200 && b.len > 0 &&
	    b.len < 4096) {
		xasprintf(&tokhdr, "X-aws-ec2-metadata-token: %s", b.data);
		secret_register(b.data);
	}
	free(url);
	xasprintf(&url, "%s/latest/meta-data/iam/security-credentials/",
	    base);
	if (iam_get(c, "GET", url, tokhdr, &b, &st, err) == -1)
		goto out;
	if (st != 200 || b.len == 0) {
		bk_err_set(err, BK_EAUTH, "AWS_IAM_ROLE_ENDPOINT: %s: HTTP %ld, "
		    "no instance role", base, st);
		goto out;
	}
	role = xstrndup(b.data, strcspn(b.data, "\r\n"));
	free(url);
	xasprintf(&url, "%s/latest/meta-data/iam/security-credentials/%s",
	    base, role);
	free(role);
	if (iam_get(c, "GET", url, tokhdr, &b, &st, err) == -1)
		goto out;
	if (st != 200 || (j = json_loadb(b.data, b.len, 0, NULL)) == NULL ||
	    !json_is_string(json_object_get(j, "AccessKeyId")) ||
	    !json_is_string(json_object_get(j, "SecretAccessKey"))) {
		bk_err_set(err, BK_EAUTH, "AWS_IAM_ROLE_ENDPOINT: %s: HTTP %ld, "
		    "no usable credentials", base, st);
		goto out;
	}
	iam_take(c, j);
	rc = 0;
out:
	json_decref(j);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	free(url);
	if (tokhdr != NULL)
		xfree_secret(tokhdr);
	return rc;
}

int
s3_creds_get(struct s3_creds *c, char **ak, char **sk, char **token,
    struct bk_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	if (c->iam_url != NULL && (c->ak == NULL ||
	    time(NULL) > c->expires - 300))
		rc = iam_fetch(c, err);
	if (rc == 0) {
		*ak = xstrdup(c->ak);
		*sk = xstrdup(c->sk);
		*token = c->token != NULL ? xstrdup(c->token) : NULL;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}
