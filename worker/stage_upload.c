/*
 * stage_upload.c - the tee at the end of the backup pipeline.
 *
 * Threads: the stage thread only; each storage upload may run its own
 * (parts in flight) behind storage_write().
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "pipeline.h"
#include "storage.h"
#include "upload.h"
#include "yield.h"

struct tee_priv {
	EVP_MD_CTX	*md;
};

static int
tee_open(struct stage *st, struct bk_err *err)
{
	struct tee_priv *tp = stage_priv(st);

	tp->md = EVP_MD_CTX_new();
	if (tp->md == NULL || EVP_DigestInit_ex(tp->md, EVP_sha256(), NULL) !=
	    1)
		return bk_err_set(err, BK_EFAIL, "sha256: cannot initialise");
	return 0;
}

static size_t
tee_alive(const struct upload_tee *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->errs[i].code == BK_OK)
			n++;
	return n;
}

static int
tee_all_failed(const struct upload_tee *t, struct bk_err *err)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->errs[i].code != BK_OK) {
			*err = t->errs[i];
			break;
		}
	return -1;
}

static int
tee_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	struct upload_tee *t = stage_arg(st);
	struct tee_priv *tp = stage_priv(st);
	size_t i;

	yield_pace_upload(len);
	EVP_DigestUpdate(tp->md, data, len);
	for (i = 0; i < t->n; i++)
		if (t->errs[i].code == BK_OK)
			(void)storage_write(t->ups[i], data, len, &t->errs[i]);
	t->bytes += len;
	if (tee_alive(t) == 0)
		return tee_all_failed(t, err);
	return 0;
}

static int
tee_finish(struct stage *st, struct bk_err *err)
{
	struct upload_tee *t = stage_arg(st);
	struct tee_priv *tp = stage_priv(st);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_DigestFinal_ex(tp->md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(t->sha256 + 2 * i, 3, "%02x", md[i]);
	if (tee_alive(t) == 0)
		return tee_all_failed(t, err);
	return 0;
}

static void
tee_close(struct stage *st)
{
	struct tee_priv *tp = stage_priv(st);

	EVP_MD_CTX_free(tp->md);
}

const struct stage_type stage_upload = {
	.name = "upload",
	.priv_size = sizeof(struct tee_priv),
	.open = tee_open,
	.write = tee_write,
	.finish = tee_finish,
	.close = tee_close,
};
