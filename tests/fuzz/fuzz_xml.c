/*
 * fuzz_xml.c - libFuzzer harness of the XML reader (xml_parse) that reads
 * what storage servers answer: WebDAV PROPFIND multistatus, S3
 * ListObjectsV2 and errors, Azure List Blobs.
 *
 * The backends' listing code is not separate from their HTTP code (it is
 * static inside storage_webdav.c and storage_s3.c), so after parsing this
 * walks the tree with the same accessors and paths those listings use
 * (response/href, propstat/status, prop/getcontentlength, Contents/Key,
 * NextContinuationToken, Blobs/Blob/Properties/Content-Length, Error/Code).
 * Checks: every element has a non-NULL name and text.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "xml.h"

static size_t
walk(const struct xml_node *n, int depth)
{
	const struct xml_node *c, *ps;
	size_t count = 0;

	for (; n != NULL; n = n->next) {
		if (n->name == NULL || n->text == NULL)
			abort();
		count++;
		/* WebDAV: one <response> */
		(void)xml_text(n, "href");
		for (ps = n->child; ps != NULL; ps = ps->next)
			if (strcmp(ps->name, "propstat") == 0) {
				(void)xml_text(ps, "status");
				if ((c = xml_child(ps, "prop")) != NULL) {
					(void)xml_text(c, "getcontentlength");
					(void)xml_text(c, "getlastmodified");
					(void)xml_child(xml_child(c,
					    "resourcetype"), "collection");
				}
			}
		/* S3 and Azure */
		(void)xml_text(n, "Key");
		(void)xml_text(n, "Size");
		(void)xml_text(n, "Properties/Content-Length");
		(void)xml_text(n, "Code");
		if (depth < 64)
			count += walk(n->child, depth + 1);
	}
	return count;
}

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct bk_err err = { 0 };
	struct xml_node *root;

	root = xml_parse((const char *)data, size, &err);
	if (root == NULL) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	(void)xml_text(root, "NextContinuationToken");
	(void)xml_text(root, "IsTruncated");
	(void)xml_text(root, "Blobs/Blob/Name");
	(void)xml_text(root, "NextMarker");
	(void)xml_text(root, "Message");
	if (walk(root, 0) == 0)
		abort();
	xml_free(root);
	return 0;
}
