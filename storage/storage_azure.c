/*
 * storage_azure.c - Azure Blob Storage destinations (AZURE_STORAGE_*).
 *
 * Requests are signed here (SharedKey, azure_sign.c), or carry a SAS from
 * the connection string, or a managed-identity bearer token from the
 * admin's AZURE_IMDS_ENDPOINT, in that order of preference: account key,
 * connection string, managed identity.  An upload streams into objstore's
 * pool: a backup smaller than one block is one Put Blob; a larger one is
 * Put Block calls in parallel (each with its Content-MD5, each retried on
 * its own) and one Put Block List once all succeeded, which is the moment
 * the blob appears.  Uncommitted blocks are invisible and expire on
 * their own, so abort has nothing to delete.
 *
 * Threads: the caller's thread plus the pool's workers during an upload;
 * the managed-identity token is under tok_mu.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "azure_sign.h"
#include "err.h"
#include "http.h"
#include "listing.h"
#include "objstore.h"
#include "secret.h"
#include "settings.h"
#include "sigv4.h"
#include "storage_int.h"
#include "xmalloc.h"
#include "xmlread.h"

#define AZ_VERSION	"2021-12-02"
#define AZ_WORKERS	4
#define AZ_MAX_BLOCKS	50000
#define AZ_MAX_BLOCK	((size_t)4000 << 20)
#define AZ_BLOCK	((size_t)8 << 20)

struct az {
	const struct settings	*admin;
	char		*account;
	char		*key;		/* base64, or NULL */
	char		*sas;		/* from the connection string */
	char		*imds;		/* managed identity, or NULL */
	const char	*cred_setting;	/* for error messages */
	const char	*ep_setting;
	char		*origin;	/* scheme://host[:port] */
	char		*host;
	char		*base_path;	/* "/" or "/account/" */
	char		*container;
	char		*prefix;	/* "" or "dir/" */
	char		*tier;
	size_t		 block;
	CURL		*h;
	pthread_mutex_t	 tok_mu;
	char		*token;
	time_t		 token_exp;
};

struct az_upload {
	struct az	*az;
	char		*blob;
	struct obj_pool	*pool;
	CURL		*wh[AZ_WORKERS];
};

/* "{{ .AccountName }}" (any spacing) replaced by the account. */
static char *
expand_endpoint(const char *tmpl, const char *account)
{
	struct buf b;
	const char *p = tmpl, *o, *c;

	buf_init(&b, 1 << 16);
	while ((o = strstr(p, "{{")) != NULL && (c = strstr(o, "}}")) !=
	    NULL) {
		char *inner = xstrndup(o + 2, (size_t)(c - o - 2));
		char *t = inner, *e;

		while (*t == ' ')
			t++;
		e = t + strlen(t);
		while (e > t && e[-1] == ' ')
			*--e = '\0';
		buf_append(&b, p, (size_t)(o - p));
		if (strcmp(t, ".AccountName") == 0)
			buf_puts(&b, account);
		else
			buf_append(&b, o, (size_t)(c + 2 - o));
		free(inner);
		p = c + 2;
	}
	buf_puts(&b, p);
	if (b.len == 0 || b.data[b.len - 1] != '/')
		buf_puts(&b, "/");
	return buf_take(&b);
}

static int
split_endpoint(struct az *a, const char *url, struct bk_err *err)
{
	const char *s = strstr(url, "://"), *slash;

	if (s == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return bk_err_set(err, BK_ECONFIG, "%s: \"%s\": not an http(s) "
		    "URL", a->ep_setting, url);
	slash = strchr(s + 3, '/');
	a->origin = xstrndup(url, (size_t)(slash - url));
	a->host = xstrndup(s + 3, (size_t)(slash - s - 3));
	a->base_path = xstrdup(slash);
	return 0;
}

/* Connection string: AccountName, AccountKey, BlobEndpoint,
 * DefaultEndpointsProtocol, EndpointSuffix, SharedAccessSignature. */
static int
parse_connstr(struct az *a, const char *cs, char **endpoint,
    struct bk_err *err)
{
	char *copy = xstrdup(cs), *p = copy, *item, *proto = NULL,
	    *suffix = NULL, *blob = NULL;
	int dev = 0;

	while ((item = strsep(&p, ";")) != NULL) {
		char *eq = strchr(item, '=');

		if (eq == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(item, "AccountName") == 0 && a->account == NULL)
			a->account = xstrdup(eq);
		else if (strcmp(item, "AccountKey") == 0) {
			free(a->key);
			a->key = xstrdup(eq);
		} else if (strcmp(item, "BlobEndpoint") == 0)
			blob = eq;
		else if (strcmp(item, "DefaultEndpointsProtocol") == 0)
			proto = eq;
		else if (strcmp(item, "EndpointSuffix") == 0)
			suffix = eq;
		else if (strcmp(item, "SharedAccessSignature") == 0)
			a->sas = xstrdup(*eq == '?' ? eq + 1 : eq);
		else if (strcmp(item, "UseDevelopmentStorage") == 0)
			dev = strcmp(eq, "true") == 0;
	}
	if (dev && blob == NULL)
		blob = "http://127.0.0.1:10000/devstoreaccount1";
	if (blob != NULL)
		*endpoint = expand_endpoint(blob, a->account ? a->account : "");
	else if (a->account != NULL)
		xasprintf(endpoint, "%s://%s.blob.%s/", proto ? proto : "https",
		    a->account, suffix ? suffix : "core.windows.net");
	free(copy);
	if (a->key == NULL && a->sas == NULL)
		return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_CONNECTION_"
		    "STRING: has neither AccountKey nor SharedAccessSignature");
	if (a->key != NULL)
		secret_register(a->key);
	if (a->sas != NULL)
		secret_register(a->sas);
	return 0;
}

/*
 * What authorises requests, in this order of preference: the account
 * key, the connection string (which may name the endpoint too), the
 * admin's managed identity.
 */
static int
az_creds(struct az *a, const struct storage_config *cfg, char **endpoint,
    struct bk_err *err)
{
	const struct settings *u = cfg->user;
	const char *v, *key, *cs;
	unsigned char raw[256];
	size_t n;

	key = settings_get(u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY");
	cs = settings_get(u, "AZURE_STORAGE_CONNECTION_STRING");
	if (key != NULL && *key != '\0') {
		if (azure_b64_decode(key, raw, sizeof(raw), &n) == -1)
			return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_"
			    "PRIMARY_ACCOUNT_KEY: not a base64 account key");
		a->key = xstrdup(key);
		secret_register(key);
		a->cred_setting = "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY";
	} else if (cs != NULL && *cs != '\0') {
		a->cred_setting = "AZURE_STORAGE_CONNECTION_STRING";
		a->ep_setting = "AZURE_STORAGE_CONNECTION_STRING";
		return parse_connstr(a, cs, endpoint, err);
	} else {
		/* The host's identity: only if the admin allows it, and
		 * never towards an endpoint the user chose (its bearer token
		 * would go to the user's server). */
		if (cfg->admin == NULL || !settings_bool(cfg->admin,
		    "ALLOW_INSTANCE_CREDENTIALS"))
			return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_"
			    "PRIMARY_ACCOUNT_KEY: not set, nor a connection "
			    "string (the host's managed identity is off: "
			    "ALLOW_INSTANCE_CREDENTIALS)");
		if (settings_is_set(u, "AZURE_STORAGE_ENDPOINT") &&
		    strcmp(settings_get(u, "AZURE_STORAGE_ENDPOINT"),
		    settings_get(cfg->admin, "AZURE_STORAGE_ENDPOINT")) != 0)
			return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_"
			    "ENDPOINT: a server of your own needs AZURE_STORAGE_"
			    "PRIMARY_ACCOUNT_KEY or a connection string: the "
			    "host's managed identity token only goes to the "
			    "admin's endpoint");
		/* The name goes into the token's host: no "evil.example/". */
		v = settings_get(u, "AZURE_STORAGE_ACCOUNT_NAME");
		if (v == NULL || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789") != strlen(v) || strlen(v) < 3 ||
		    strlen(v) > 24)
			return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_"
			    "ACCOUNT_NAME: 3 to 24 lowercase letters and digits "
			    "with the host's managed identity");
		v = settings_get(cfg->admin, "AZURE_IMDS_ENDPOINT");
		if (v == NULL || *v == '\0')
			return bk_err_set(err, BK_ECONFIG, "AZURE_IMDS_"
			    "ENDPOINT: not set in the admin config");
		a->imds = xstrdup(v);
		a->cred_setting = "managed identity (AZURE_IMDS_ENDPOINT)";
	}
	return 0;
}

static int
az_open_settings(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct az *a = st->priv;
	const struct settings *u = cfg->user;
	const char *v;
	char *endpoint = NULL;
	int rc = -1;

	pthread_mutex_init(&a->tok_mu, NULL);
	a->admin = cfg->admin;
	a->ep_setting = "AZURE_STORAGE_ENDPOINT";
	v = settings_get(u, "AZURE_STORAGE_CONTAINER_NAME");
	if (v == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_CONTAINER_"
		    "NAME: not set");
	a->container = xstrdup(v);
	v = settings_get(u, "AZURE_STORAGE_ACCOUNT_NAME");
	if (v != NULL && *v != '\0')
		a->account = xstrdup(v);
	if (az_creds(a, cfg, &endpoint, err) == -1)
		goto out;
	if (a->account == NULL) {
		bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_ACCOUNT_NAME: not "
		    "set");
		goto out;
	}
	if (endpoint == NULL) {
		/* The user's own, else the admin's (the users' default). */
		v = settings_is_set(u, "AZURE_STORAGE_ENDPOINT") ||
		    cfg->admin == NULL ? settings_get(u,
		    "AZURE_STORAGE_ENDPOINT") : settings_get(cfg->admin,
		    "AZURE_STORAGE_ENDPOINT");
		endpoint = expand_endpoint(v != NULL ? v : "https://{{ "
		    ".AccountName }}.blob.core.windows.net/", a->account);
	}
	if (split_endpoint(a, endpoint, err) == -1)
		goto out;
	a->prefix = objstore_prefix(settings_get(u, "AZURE_STORAGE_PATH"));
	v = settings_get(u, "AZURE_STORAGE_ACCESS_TIER");
	if (v != NULL && *v != '\0')
		a->tier = xstrdup(v);
	a->block = AZ_BLOCK;
	if (getenv("PB_TEST_AZ_BLOCK_BYTES") != NULL)	/* tests only */
		a->block = (size_t)atol(getenv("PB_TEST_AZ_BLOCK_BYTES"));
	if ((a->h = http_easy(a->admin, NULL, err)) == NULL)
		goto out;
	storage_set_location(st, "azure://%s/%s/%s", a->account,
	    a->container, a->prefix);
	rc = 0;
out:
	free(endpoint);
	return rc;
}

static void
az_close(struct storage *st)
{
	struct az *a = st->priv;

	http_easy_free(a->h);
	free(a->account);
	if (a->key != NULL)
		xfree_secret(a->key);
	if (a->sas != NULL)
		xfree_secret(a->sas);
	if (a->token != NULL)
		xfree_secret(a->token);
	free(a->imds);
	free(a->origin);
	free(a->host);
	free(a->base_path);
	free(a->container);
	free(a->prefix);
	free(a->tier);
	pthread_mutex_destroy(&a->tok_mu);
}

/* A managed-identity token for storage, fetched or cached. */
static int
az_token(struct az *a, char **out, struct bk_err *err)
{
	static const struct http_tls admin_ep = { .admin_endpoint = true };
	struct obj_call c = { .method = "GET" };
	struct obj_resp r;
	json_t *j = NULL;
	char *url = NULL, what[512];
	CURL *h = NULL;
	int rc = 0;

	pthread_mutex_lock(&a->tok_mu);
	if (a->token != NULL && time(NULL) < a->token_exp - 300)
		goto done;
	objstore_resp_init(&r);
	xasprintf(&url, "%s%sapi-version=2018-02-01&resource=https%%3A%%2F%%2F"
	    "storage.azure.com%%2F", a->imds, strchr(a->imds, '?') ? "&" :
	    "?");
	c.url = url;
	c.headers = curl_slist_append(NULL, "Metadata: true");
	rc = -1;
	snprintf(what, sizeof(what), "AZURE_IMDS_ENDPOINT (%s)", a->imds);
	/* The admin's endpoint (never a user's): no outbound policy. */
	if ((h = http_easy(a->admin, &admin_ep, err)) != NULL &&
	    objstore_perform(h, &c, &r, what, err) == 0) {
		j = r.status == 200 ? json_loadb(r.body.data, r.body.len, 0,
		    NULL) : NULL;
		if (j == NULL || !json_is_string(json_object_get(j,
		    "access_token")))
			bk_err_set(err, BK_EAUTH, "AZURE_IMDS_ENDPOINT: %s: "
			    "HTTP %ld, no managed identity token", a->imds,
			    r.status);
		else {
			const char *exp = json_string_value(json_object_get(j,
			    "expires_on"));

			if (a->token != NULL)
				xfree_secret(a->token);
			a->token = xstrdup(json_string_value(
			    json_object_get(j, "access_token")));
			secret_register(a->token);
			a->token_exp = exp != NULL ? atol(exp) :
			    time(NULL) + 3600;
			rc = 0;
		}
	}
	json_decref(j);
	http_easy_free(h);
	curl_slist_free_all(c.headers);
	objstore_resp_free(&r);
	free(url);
done:
	if (rc == 0)
		*out = xstrdup(a->token);
	pthread_mutex_unlock(&a->tok_mu);
	return rc;
}

/* An error answer -> one line naming the host and the setting. */
static int
az_fail(struct az *a, const struct obj_resp *r, const char *what,
    struct bk_err *err)
{
	char body_code[128], msg[8];
	const char *code = r->ms_error;

	if (*code == '\0') {
		xr_error_fields(r->body.data, r->body.len, body_code,
		    sizeof(body_code), msg, sizeof(msg));
		code = body_code;
	}
	if (strcmp(code, "ContainerNotFound") == 0)
		bk_err_set(err, BK_ECONFIG, "AZURE_STORAGE_CONTAINER_NAME: "
		    "container \"%s\" does not exist on %s", a->container,
		    a->host);
	else if (strcmp(code, "BlobNotFound") == 0 || (r->status == 404 &&
	    *code == '\0'))
		bk_err_set(err, BK_ENOENT, "%s: no such blob", what);
	else if (r->status == 403 || r->status == 401)
		bk_err_set(err, BK_EAUTH, "%s: %s refused the credentials "
		    "(%s)", a->cred_setting, a->host, *code ? code :
		    "HTTP 403");
	else
		bk_err_set(err, BK_EFAIL, "%s: HTTP %ld%s%s", what, r->status,
		    *code ? " " : "", code);
	if (err != NULL)
		err->retryable = http_status_transient(r->status);
	return -1;
}

struct az_req {
	const char		*method;
	const char		*blob;		/* full name, NULL: container */
	const struct azure_kv	*query;		/* decoded values */
	size_t			 nquery;
	const void		*body;
	size_t			 len;
	const struct azure_kv	*extra;		/* more headers */
	size_t			 nextra;
	storage_sink_fn		*sink;
	void			*sink_arg;
	uint64_t		 range_off;	/* see struct obj_call */
	uint64_t		 range_len;
	int			 attempts;
};

/*
 * The headers of one request, authorised by SharedKey (signed here), a
 * managed-identity bearer token, or the connection string's SAS (added
 * to url, which holds the origin, path and query on entry).
 */
static struct curl_slist *
az_headers(struct az *a, const struct az_req *q, const char *path,
    const char *tok, struct buf *url)
{
	struct azure_kv hd[12];
	struct curl_slist *l = NULL;
	char date[64], clen[32], *auth = NULL, *line;
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0, i;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	    gmtime_r(&now, &tm));
	hd[n++] = (struct azure_kv){ "x-ms-date", date };
	hd[n++] = (struct azure_kv){ "x-ms-version", AZ_VERSION };
	if (q->body != NULL || strcmp(q->method, "PUT") == 0) {
		snprintf(clen, sizeof(clen), "%zu", q->len);
		hd[n++] = (struct azure_kv){ "Content-Length", clen };
	}
	for (i = 0; i < q->nextra && n < 12; i++)
		hd[n++] = q->extra[i];
	if (a->key != NULL) {
		struct azure_req ar = { q->method, a->account, path,
		    q->query, q->nquery, hd, n };

		auth = azure_authorization(&ar, a->key);
	} else if (tok != NULL)
		xasprintf(&auth, "Bearer %s", tok);
	else if (a->sas != NULL)
		buf_printf(url, "%c%s", q->nquery > 0 ? '&' : '?', a->sas);
	for (i = 0; i < n; i++) {
		if (strcmp(hd[i].name, "Content-Length") == 0)
			continue;	/* curl sends it */
		xasprintf(&line, "%s: %s", hd[i].name, hd[i].value);
		l = curl_slist_append(l, line);
		free(line);
	}
	if (auth != NULL) {
		xasprintf(&line, "Authorization: %s", auth);
		l = curl_slist_append(l, line);
		xfree_secret(line);
		xfree_secret(auth);
	}
	return l;
}

static int
az_once(struct az *a, CURL *h, const struct az_req *q, struct obj_resp *r,
    const char *what, struct bk_err *err)
{
	struct curl_slist *l;
	char *tok = NULL;
	struct buf path, url;
	struct obj_call c;
	size_t i;
	int rc;

	if (a->imds != NULL && az_token(a, &tok, err) == -1)
		return -1;
	buf_init(&path, 1 << 16);
	buf_init(&url, 1 << 16);
	buf_printf(&path, "%s%s", a->base_path, a->container);
	if (q->blob != NULL) {
		buf_puts(&path, "/");
		sigv4_uri_encode(&path, q->blob, true);
	}
	buf_printf(&url, "%s%s", a->origin, path.data);
	for (i = 0; i < q->nquery; i++) {
		buf_printf(&url, "%c%s=", i == 0 ? '?' : '&', q->query[i].name);
		sigv4_uri_encode(&url, q->query[i].value, false);
	}
	l = az_headers(a, q, path.data, tok, &url);
	c = (struct obj_call){ .method = q->method, .url = url.data,
	    .headers = l, .body = q->body, .len = q->len, .sink = q->sink,
	    .sink_arg = q->sink_arg, .range_off = q->range_off,
	    .range_len = q->range_len };
	rc = objstore_perform(h, &c, r, what, err);
	if (rc == -1 && err != NULL && (err->code == BK_EUNREACH ||
	    err->code == BK_ETIMEDOUT || err->code == BK_ECONFIG))
		bk_err_prefix(err, "%s", a->ep_setting);
	else if (rc == 0 && r->status / 100 != 2)
		rc = az_fail(a, r, what, err);
	curl_slist_free_all(l);
	if (tok != NULL)
		xfree_secret(tok);
	buf_free(&path);
	if (url.data != NULL)
		explicit_bzero(url.data, url.len);
	buf_free(&url);
	return rc;
}

static int
az_call(struct az *a, CURL *h, const struct az_req *q, struct obj_resp *r,
    struct bk_err *err)
{
	char what[600];
	int attempt, max = q->attempts > 0 ? q->attempts : OBJ_ATTEMPTS;

	snprintf(what, sizeof(what), "Azure %s %s%s%s/%s", q->method,
	    a->host, a->base_path, a->container, q->blob ? q->blob : "");
	for (attempt = 0;; attempt++) {
		if (az_once(a, h, q, r, what, err) == 0)
			return 0;
		if (q->sink != NULL ||
		    !objstore_retry_wait(err, attempt, max, r->retry_after))
			return -1;
	}
}

static void
md5_b64(const void *p, size_t n, char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_md5(), NULL);
	azure_b64_encode(md, len, out);
}

/* Fixed-length block ids: base64 of "pb-%010u". */
static void
block_id(unsigned n, char out[32])
{
	char raw[16];

	snprintf(raw, sizeof(raw), "pb-%010u", n);
	azure_b64_encode((const unsigned char *)raw, 13, out);
}

static int
az_begin(struct storage *st, struct storage_upload *up, struct bk_err *err)
{
	struct az_upload *u = up->priv;
	struct az *a = st->priv;

	u->az = a;
	xasprintf(&u->blob, "%s%s", a->prefix, up->name);
	return 0;
}

static int
az_block(void *ctx, int worker, unsigned n, const char *data, size_t len,
    struct bk_err *err)
{
	struct az_upload *u = ctx;
	char id[32], md5[32];
	struct azure_kv qv[] = { { "comp", "block" }, { "blockid", id } };
	struct azure_kv hv[] = { { "Content-MD5", md5 } };
	struct az_req q = { .method = "PUT", .blob = u->blob, .query = qv,
	    .nquery = 2, .body = data, .len = len, .extra = hv, .nextra = 1,
	    .attempts = 1 };
	struct obj_resp r;
	int rc;

	if (u->wh[worker] == NULL &&
	    (u->wh[worker] = http_easy(u->az->admin, NULL, err)) == NULL)
		return -1;
	block_id(n, id);
	md5_b64(data, len, md5);
	objstore_resp_init(&r);
	rc = az_call(u->az, u->wh[worker], &q, &r, err);
	objstore_resp_free(&r);
	return rc;
}

static int
az_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct az_upload *u = up->priv;

	if (u->pool == NULL)
		u->pool = objstore_pool_new(AZ_WORKERS, u->az->block,
		    AZ_MAX_BLOCKS, AZ_MAX_BLOCK, OBJ_MAX_STREAM, NULL,
		    az_block, u);
	return objstore_pool_write(u->pool, p, n, err);
}

static void
az_upload_free(struct az_upload *u)
{
	int w;

	objstore_pool_free(u->pool);
	u->pool = NULL;
	for (w = 0; w < AZ_WORKERS; w++)
		http_easy_free(u->wh[w]);
	free(u->blob);
}

static int
az_commit(struct storage_upload *up, struct bk_err *err)
{
	struct az_upload *u = up->priv;
	struct az *a = u->az;
	struct azure_kv hv[4];
	struct obj_resp r;
	struct buf body;
	const char *data;
	char md5[32], id[32];
	size_t len, nh = 0;
	unsigned i, parts;
	int rc;

	if (u->pool == NULL)
		u->pool = objstore_pool_new(1, 1, AZ_MAX_BLOCKS, AZ_MAX_BLOCK,
		    OBJ_MAX_STREAM, NULL, az_block, u);
	rc = objstore_pool_finish(u->pool, &data, &len, err);
	objstore_resp_init(&r);
	buf_init(&body, (size_t)AZ_MAX_BLOCKS * 64);
	if (a->tier != NULL)
		hv[nh++] = (struct azure_kv){ "x-ms-access-tier", a->tier };
	if (rc == 1) {
		struct az_req q = { .method = "PUT", .blob = u->blob,
		    .body = data, .len = len, .extra = hv };

		md5_b64(data, len, md5);
		hv[nh++] = (struct azure_kv){ "x-ms-blob-type", "BlockBlob" };
		hv[nh++] = (struct azure_kv){ "Content-MD5", md5 };
		q.nextra = nh;
		rc = az_call(a, a->h, &q, &r, err);
	} else if (rc == 0) {
		struct azure_kv qv[] = { { "comp", "blocklist" } };
		struct az_req q = { .method = "PUT", .blob = u->blob,
		    .query = qv, .nquery = 1, .extra = hv };

		parts = objstore_pool_parts(u->pool);
		buf_puts(&body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		    "<BlockList>");
		for (i = 1; i <= parts; i++) {
			block_id(i, id);
			buf_printf(&body, "<Latest>%s</Latest>", id);
		}
		buf_puts(&body, "</BlockList>");
		md5_b64(body.data, body.len, md5);
		hv[nh++] = (struct azure_kv){ "Content-MD5", md5 };
		q.nextra = nh;
		q.body = body.data;
		q.len = body.len;
		rc = az_call(a, a->h, &q, &r, err);
	}
	buf_free(&body);
	objstore_resp_free(&r);
	az_upload_free(u);
	return rc;
}

static void
az_abort(struct storage_upload *up)
{
	/* Uncommitted blocks are never visible and expire by themselves. */
	az_upload_free(up->priv);
}

struct az_send {
	struct az		*a;
	const struct az_req	*q;
};

static int
az_send(void *ctx, storage_sink_fn *sink, void *sink_arg,
    struct obj_resp *r, struct bk_err *err)
{
	struct az_send *c = ctx;
	struct az_req q = *c->q;

	q.sink = sink;
	q.sink_arg = sink_arg;
	return az_call(c->a, c->a->h, &q, r, err);
}

static int
az_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	struct az *a = st->priv;
	const char *page = getenv("PB_TEST_LIST_PAGE");	/* tests only */
	struct listing pg = { .prefix = a->prefix,
	    .name_ok = storage_name_ok };
	char *marker = NULL, where[300];
	struct obj_resp r;
	int rc = 0;

	snprintf(where, sizeof(where), "Azure %s: listing", a->host);
	objstore_resp_init(&r);
	do {
		struct azure_kv qv[6] = { { "restype", "container" },
		    { "comp", "list" }, { "delimiter", "/" },
		    { "prefix", a->prefix } };
		struct az_req q = { .method = "GET", .query = qv, .nquery = 4 };
		struct az_send c = { a, &q };

		if (marker != NULL)
			qv[q.nquery++] = (struct azure_kv){ "marker", marker };
		if (page != NULL)
			qv[q.nquery++] = (struct azure_kv){ "maxresults", page };
		if ((rc = objstore_xml(az_send, &c, OBJ_ATTEMPTS,
		    "EnumerationResults", listing_azure_elem, listing_reset, &pg,
		    &r, where, err)) == -1)
			break;
		rc = listing_each(&pg, fn, arg);
		free(marker);
		marker = rc == 0 && pg.next != NULL && *pg.next != '\0' ?
		    xstrdup(pg.next) : NULL;
	} while (marker != NULL);
	listing_reset(&pg);
	free(marker);
	objstore_resp_free(&r);
	return rc;
}

/* One request on the blob of a backup name (q->blob is set here). */
static int
az_name_call(struct az *a, const char *name, struct az_req *q,
    struct bk_err *err)
{
	struct obj_resp r;
	char *blob;
	int rc;

	xasprintf(&blob, "%s%s", a->prefix, name);
	q->blob = blob;
	objstore_resp_init(&r);
	rc = az_call(a, a->h, q, &r, err);
	objstore_resp_free(&r);
	free(blob);
	return rc;
}

static int
az_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct az_req q = { .method = "DELETE" };

	return az_name_call(st->priv, name, &q, err);
}

/* Bytes [off, off + len) with x-ms-range; 416 (off at or past the end)
 * is an empty range. */
static int
az_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *sink, void *arg, struct bk_err *err)
{
	char range[64];
	struct azure_kv hv[1] = { { "x-ms-range", range } };
	struct az_req q = { .method = "GET", .sink = sink, .sink_arg = arg,
	    .attempts = 1, .extra = hv, .range_off = off };
	struct az *a = st->priv;
	struct obj_resp r;
	char *blob;
	int rc;

	range_header(range, sizeof(range), off, len);
	if (*range != '\0') {
		q.nextra = 1;
		q.range_len = len;
	}
	xasprintf(&blob, "%s%s", a->prefix, name);
	q.blob = blob;
	objstore_resp_init(&r);
	rc = az_call(a, a->h, &q, &r, err);
	if (rc == -1 && r.status == 416) {
		bk_err_clear(err);
		rc = 0;
	}
	objstore_resp_free(&r);
	free(blob);
	return rc;
}

/* Get Blob Properties: a HEAD. */
static int
az_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct az_req q = { .method = "HEAD" };
	struct az *a = st->priv;
	struct obj_resp r;
	char *blob;
	int rc;

	xasprintf(&blob, "%s%s", a->prefix, name);
	q.blob = blob;
	objstore_resp_init(&r);
	if ((rc = az_call(a, a->h, &q, &r, err)) == 0) {
		o->size = r.length;
		o->mtime = r.mtime;
	}
	objstore_resp_free(&r);
	free(blob);
	return rc;
}

/* storage.c frees only priv when open fails: free what it points to. */
static int
az_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	if (az_open_settings(st, cfg, err) == 0)
		return 0;
	az_close(st);
	return -1;
}

const struct storage_backend storage_backend_azure = {
	.name = "azure",
	.enable_key = "AZURE_STORAGE_CONTAINER_NAME",
	.priv_size = sizeof(struct az),
	.upload_size = sizeof(struct az_upload),
	.open = az_open,
	.close = az_close,
	.begin = az_begin,
	.write = az_write,
	.commit = az_commit,
	.abort = az_abort,
	.list = az_list,
	.remove = az_remove,
	.download = az_download,
	.stat = az_stat,
};
