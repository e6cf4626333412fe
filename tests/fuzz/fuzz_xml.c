/*
 * fuzz_xml.c - libFuzzer harness of the libexpat glue (storage/xmlread.c)
 * and the listing readers on it (storage/listing.c): what S3, Azure and
 * WebDAV servers answer, fed the way libcurl delivers it.
 *
 * The first byte picks the answer kind (S3 ListObjectsV2, S3
 * ListMultipartUploads, Azure List Blobs, WebDAV multistatus, an error
 * body) and the chunk size; the rest is the body, fed once whole and
 * once in chunks of that size.  Checks: both feeds agree (accepted or
 * not, and the same entries), a refusal always carries a message, and
 * every entry has a name.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "listing.h"
#include "xmlread.h"

static const struct {
	const char	*root;
	xr_elem_fn	*fn;
} kinds[] = {
	{ "ListBucketResult", listing_s3_elem },
	{ "ListMultipartUploadsResult", listing_s3_uploads_elem },
	{ "EnumerationResults", listing_azure_elem },
	{ "multistatus", listing_webdav_elem },
};

static bool
name_ok(const char *name)
{
	return *name != '\0';
}

/* Feed data in chunks of step bytes; 0 or -1 as the reader judged. */
static int
feed(unsigned kind, const uint8_t *data, size_t size, size_t step,
    struct listing *l)
{
	struct xr *x = xr_new(kinds[kind].root, kinds[kind].fn, l);
	struct bk_err err = { 0 };
	size_t off, n;
	int rc = 0;

	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < step ? size - off : step;
		rc = xr_feed(x, data + off, n, &err);
	}
	if (rc == 0)
		rc = xr_finish(x, &err);
	if (rc == -1 && (err.msg[0] == '\0' || !xr_failed(x)))
		abort();
	xr_free(x);
	return rc;
}

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct listing a = { .prefix = "p/", .name_ok = name_ok };
	struct listing b = { .prefix = "p/", .name_ok = name_ok };
	char code[64], msg[64];
	unsigned kind;
	size_t step, i;
	int ra, rb;

	if (size < 1)
		return 0;
	kind = data[0] % 5;
	step = (size_t)(data[0] >> 3) + 1;
	data++;
	size--;
	if (kind == 4) {
		xr_error_fields(data, size, code, sizeof(code), msg,
		    sizeof(msg));
		if (strlen(code) >= sizeof(code) || strlen(msg) >= sizeof(msg))
			abort();
		return 0;
	}
	if (kind == 3 && size > 0)
		a.partials = b.partials = (data[0] & 1) != 0;
	ra = feed(kind, data, size, size > 0 ? size : 1, &a);
	rb = feed(kind, data, size, step, &b);
	if (ra != rb || (ra == 0 && a.n != b.n))
		abort();
	for (i = 0; ra == 0 && i < a.n; i++)
		if (a.v[i].name == NULL || strcmp(a.v[i].name,
		    b.v[i].name) != 0 || a.v[i].size != b.v[i].size)
			abort();
	listing_reset(&a);
	listing_reset(&b);
	return 0;
}
