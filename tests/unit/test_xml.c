/*
 * test_xml.c - the XML reader on real answers (S3 ListObjectsV2, an S3
 * error, Azure List Blobs, a WebDAV multistatus) and on hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tap.h"
#include "xml.h"

static struct xml_node *
parse(const char *s, struct bk_err *err)
{
	return xml_parse(s, strlen(s), err);
}

static void
test_s3_listing(void)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
	    "<IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	    "<Contents><Key>p/a &amp; b.tar.zst</Key><Size>1234</Size>"
	    "<LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents>"
	    "<Contents><Key>p/&#x65E5;&#26412;.tar</Key><Size>0</Size></Contents>"
	    "</ListBucketResult>";
	struct bk_err err = { 0 };
	struct xml_node *r = parse(doc, &err);
	const struct xml_node *c;
	int n = 0;

	ok(r != NULL, "S3 listing parses (%s)", err.msg);
	if (r == NULL)
		return;
	ok(strcmp(r->name, "ListBucketResult") == 0, "root element name");
	ok(xml_text(r, "IsTruncated") != NULL &&
	    strcmp(xml_text(r, "IsTruncated"), "true") == 0, "IsTruncated");
	ok(strcmp(xml_text(r, "NextContinuationToken"),
	    "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") == 0,
	    "continuation token read verbatim");
	ok(strcmp(xml_text(r, "Contents/Key"), "p/a & b.tar.zst") == 0,
	    "&amp; decoded in a key");
	for (c = r->child; c != NULL; c = c->next)
		if (strcmp(c->name, "Contents") == 0) {
			n++;
			if (n == 2)
				ok(strcmp(xml_text(c, "Key"),
				    "p/\xe6\x97\xa5\xe6\x9c\xac.tar") == 0,
				    "numeric references become UTF-8");
		}
	ok(n == 2, "two Contents elements, in order");
	ok(xml_text(r, "Missing/Key") == NULL, "absent path gives NULL");
	ok(xml_child(r, "Name") != NULL && xml_child(r, "Nope") == NULL,
	    "xml_child finds direct children only");
	xml_free(r);
}

static void
test_error_and_webdav(void)
{
	static const char s3err[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
	    "<Code>SignatureDoesNotMatch</Code>"
	    "<Message>The request signature we calculated does not match"
	    "</Message><!-- a comment <Code>x</Code> --></Error>";
	static const char dav[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE x [ <!ENTITY a \"b>\"> ]>"
	    "<D:multistatus xmlns:D=\"DAV:\" xmlns:lp1=\"DAV:\">"
	    "<D:response><D:href>/dav/a%20b.tar</D:href><D:propstat><D:prop>"
	    "<lp1:getcontentlength>42</lp1:getcontentlength>"
	    "<lp1:getlastmodified>Mon, 01 Jan 2024 00:00:00 GMT</lp1:getlastmodified>"
	    "<D:resourcetype/></D:prop>"
	    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
	    "</D:multistatus>";
	static const char cdata[] =
	    "<a x='1>2' y=\"3\"><b><![CDATA[<not> &amp; a tag]]></b>"
	    "<c>one<d/>two</c></a>";
	struct bk_err err = { 0 };
	struct xml_node *r;

	r = parse(s3err, &err);
	ok(r != NULL && strcmp(xml_text(r, "Code"),
	    "SignatureDoesNotMatch") == 0, "S3 error code read, comment skipped");
	xml_free(r);

	r = parse(dav, &err);
	ok(r != NULL && strcmp(r->name, "multistatus") == 0,
	    "namespace prefix dropped from the root, DOCTYPE skipped (%s)",
	    err.msg);
	ok(r != NULL && strcmp(xml_text(r,
	    "response/propstat/prop/getcontentlength"), "42") == 0,
	    "prefixed path lp1:getcontentlength found as getcontentlength");
	ok(r != NULL && xml_text(r, "response/propstat/prop/resourcetype")
	    != NULL && *xml_text(r, "response/propstat/prop/resourcetype") ==
	    '\0', "empty element has empty text");
	xml_free(r);

	r = parse(cdata, &err);
	ok(r != NULL && strcmp(xml_text(r, "b"), "<not> &amp; a tag") == 0,
	    "CDATA kept verbatim, attribute with '>' skipped");
	ok(r != NULL && strcmp(xml_text(r, "c"), "onetwo") == 0,
	    "text around a child is concatenated");
	xml_free(r);
}

static void
test_hostile(void)
{
	static const char *const bad[] = {
		"", "   ", "<a>", "<a></b>", "<a><b></a></b>", "text",
		"<a>&bogus;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>",
		"<a>&#x110000;</a>", "<a>&#;</a>", "<a><!-- x </a>",
		"<a><![CDATA[ x </a>", "<a b></a>", "<a b=c></a>",
		"<a b=\"c></a>", "<a/><b/>", "<a>x</a>trailing", "<:/>",
		"<?xml", "<a>&amp</a>",
	};
	struct bk_err err;
	struct xml_node *r;
	char *deep;
	size_t i, n, failed = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		r = parse(bad[i], &err);
		if (r != NULL || err.code != BK_EPROTO) {
			failed++;
			printf("# accepted: %s\n", bad[i]);
		}
		xml_free(r);
	}
	ok(failed == 0, "%zu malformed documents refused with BK_EPROTO",
	    sizeof(bad) / sizeof(bad[0]));

	/* 100000 nested elements: refused, no stack overflow. */
	n = 100000;
	deep = malloc(n * 3 + 1);
	for (i = 0; i < n; i++)
		memcpy(deep + i * 3, "<a>", 3);
	deep[n * 3] = '\0';
	memset(&err, 0, sizeof(err));
	r = xml_parse(deep, n * 3, &err);
	ok(r == NULL && strstr(err.msg, "deep") != NULL,
	    "deep nesting refused: %s", err.msg);
	free(deep);

	/* Embedded NUL and a buffer that is not NUL-terminated. */
	memset(&err, 0, sizeof(err));
	r = xml_parse("<a>x\0y</a>", 10, &err);
	ok(r == NULL, "NUL byte inside text refused");
	{
		char exact[7];

		memcpy(exact, "<a>x</a>", 7);	/* cut: "<a>x</a" */
		r = xml_parse(exact, 7, &err);
		ok(r == NULL, "truncated document refused, no read past end");
	}
	r = xml_parse("<a>x</a>", 8, &err);
	ok(r != NULL && strcmp(r->text, "x") == 0,
	    "unterminated buffer of exact length parses");
	xml_free(r);
}

int
main(void)
{
	test_s3_listing();
	test_error_and_webdav();
	test_hostile();
	return tap_done();
}
