/*
 * test_xmlread.c - the libexpat glue (xmlread.c) and the listing readers
 * (listing.c) on real answers (S3 ListObjectsV2 and errors, Azure List
 * Blobs, a WebDAV multistatus), fed whole and byte by byte, and on
 * hostile input: DOCTYPEs and entities, deep nesting, a huge body,
 * invalid UTF-8, truncation, an error document where a listing belongs.
 * The same hostile answers reach the backends through the servers'
 * doubles in tests/regress/xml_hostile.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "listing.h"
#include "tap.h"
#include "xmlread.h"

/* Feed s in chunks of step bytes; 0 or -1 with err. */
static int
feed(const char *root, xr_elem_fn *fn, void *arg, const char *s, size_t len,
    size_t step, struct bk_err *err)
{
	struct xr *x = xr_new(root, fn, arg);
	size_t off, n;
	int rc = 0;

	memset(err, 0, sizeof(*err));
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = xr_feed(x, s + off, n, err);
	}
	if (rc == 0)
		rc = xr_finish(x, err);
	xr_free(x);
	return rc;
}

static const char *
ignore(void *arg, const char *path, const char *t, size_t len)
{
	return NULL;
}

static int
parse(const char *s, struct bk_err *err)
{
	return feed(NULL, ignore, NULL, s, strlen(s), strlen(s) + 1, err);
}

static void
test_s3_listing(void)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>bucket</Name><Prefix>p/</Prefix><KeyCount>3</KeyCount>"
	    "<IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	    "<Contents><Key>p/a &amp; b.tar.zst</Key><Size>1234</Size>"
	    "<LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents>"
	    "<Contents><Key>p/&#x65E5;&#26412;.tar</Key><Size>0</Size></Contents>"
	    "<Contents><Key>other/x.tar</Key><Size>9</Size></Contents>"
	    "<CommonPrefixes><Prefix>p/sub/</Prefix></CommonPrefixes>"
	    "</ListBucketResult>";
	struct bk_err err;
	size_t step;

	for (step = sizeof(doc); step >= 1; step = step > 7 ? 7 : step - 1) {
		struct listing l = { .prefix = "p/" };
		int rc = feed("ListBucketResult", listing_s3_elem, &l, doc,
		    strlen(doc), step, &err);

		ok(rc == 0 && l.n == 2 && l.truncated && l.next != NULL &&
		    strcmp(l.next, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
		    == 0 && strcmp(l.v[0].name, "a & b.tar.zst") == 0 &&
		    l.v[0].size == 1234 && l.v[0].mtime == 1704164645 &&
		    strcmp(l.v[1].name, "\xe6\x97\xa5\xe6\x9c\xac.tar") == 0,
		    "S3 page in chunks of %zu: 2 keys of the folder, entities "
		    "decoded, token verbatim (%s)", step, err.msg);
		listing_reset(&l);
	}
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
	    "<?xml version=\"1.0\"?>"
	    "<D:multistatus xmlns:D=\"DAV:\" xmlns:lp1=\"DAV:\">"
	    "<D:response><D:href>/dav/</D:href><D:propstat><D:prop>"
	    "<D:resourcetype><D:collection/></D:resourcetype></D:prop>"
	    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
	    "<D:response><D:href>/dav/a%20b.tar</D:href><D:propstat><D:prop>"
	    "<lp1:getcontentlength>42</lp1:getcontentlength>"
	    "<lp1:getlastmodified>Mon, 01 Jan 2024 00:00:00 GMT</lp1:getlastmodified>"
	    "<D:resourcetype/></D:prop>"
	    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
	    "<D:propstat><D:prop><lp1:getcontentlength/><D:quota/></D:prop>"
	    "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
	    "</D:response>"
	    "<D:response><D:href>/dav/x.tar.partial</D:href><D:propstat>"
	    "<D:prop><lp1:getcontentlength>7</lp1:getcontentlength></D:prop>"
	    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
	    "</D:multistatus>";
	static const char cdata[] =
	    "<a x='1>2' y=\"3\"><Code><![CDATA[<not> &amp; a tag]]></Code>"
	    "<Message>one<d/>two</Message></a>";
	struct listing l = { .prefix = NULL };
	struct bk_err err;
	char code[64], msg[128];
	int rc;

	xr_error_fields(s3err, strlen(s3err), code, sizeof(code), msg,
	    sizeof(msg));
	ok(strcmp(code, "SignatureDoesNotMatch") == 0 && strncmp(msg,
	    "The request signature", 21) == 0,
	    "S3 error code and message read, comment skipped");
	rc = feed("ListBucketResult", listing_s3_elem, &l, s3err,
	    strlen(s3err), 5, &err);
	ok(rc == -1 && err.code == BK_EFAIL && strstr(err.msg,
	    "error document: SignatureDoesNotMatch: The request") != NULL,
	    "an <Error> where a listing belongs is an error: %s", err.msg);
	listing_reset(&l);

	rc = feed("multistatus", listing_webdav_elem, &l, dav, strlen(dav), 3,
	    &err);
	ok(rc == 0 && l.n == 1 && strcmp(l.v[0].name, "a b.tar") == 0 &&
	    l.v[0].size == 42 && l.v[0].mtime == 1704067200,
	    "WebDAV: prefixes dropped, the collection and the partial skipped, "
	    "the 404 propstat ignored (%s)", err.msg);
	listing_reset(&l);
	l.partials = true;
	rc = feed("multistatus", listing_webdav_elem, &l, dav, strlen(dav),
	    sizeof(dav), &err);
	ok(rc == 0 && l.n == 1 && strcmp(l.v[0].name, "x.tar.partial") == 0,
	    "WebDAV partials listed on request");
	listing_reset(&l);

	xr_error_fields(cdata, strlen(cdata), code, sizeof(code), msg,
	    sizeof(msg));
	ok(strcmp(code, "<not> &amp; a tag") == 0,
	    "CDATA kept verbatim, attribute with '>' skipped");
	ok(strcmp(msg, "one") == 0 || strcmp(msg, "two") == 0 ||
	    strcmp(msg, "onetwo") == 0, "mixed content does not confuse");
	xr_error_fields("<Error><Code>x", 14, code, sizeof(code), msg,
	    sizeof(msg));
	ok(*code == '\0', "a cut error body gives no code");
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		"", "   ", "<a>", "<a></b>", "<a><b></a></b>", "text",
		"<a>&bogus;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>",
		"<a>&#x110000;</a>", "<a>&#;</a>", "<a><!-- x </a>",
		"<a><![CDATA[ x </a>", "<a b></a>", "<a b=c></a>",
		"<a b=\"c></a>", "<a/><b/>", "<a>x</a>trailing", "<a<b/>",
		"<?xml", "<a>&amp</a>",
		/* invalid UTF-8: a lone continuation, an overlong '/', a
		 * surrogate, a cut sequence; a declaration cannot switch */
		"<a>\x80</a>", "<a>\xc0\xaf</a>", "<a>\xed\xa0\x80</a>",
		"<a>\xe6\x97</a>",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>",
	};
	struct bk_err err;
	size_t i, failed = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &err) != -1 || err.code != BK_EPROTO) {
			failed++;
			printf("# accepted: %s\n", bad[i]);
		}
	ok(failed == 0, "%zu malformed documents refused with BK_EPROTO",
	    sizeof(bad) / sizeof(bad[0]));
	ok(parse("<a>x\0y</a>", &err) == -1, "NUL byte refused");
	ok(feed(NULL, ignore, NULL, "<a>x</a>", 7, 7, &err) == -1 &&
	    strstr(err.msg, "truncated") == NULL && err.msg[0] != '\0',
	    "truncated document refused: %s", err.msg);
	ok(feed(NULL, ignore, NULL, "<a><b>", 6, 2, &err) == -1,
	    "document cut between elements refused: %s", err.msg);
	ok(feed(NULL, ignore, NULL, "<a>x</a>", 8, 8, &err) == 0,
	    "unterminated buffer of exact length parses");
	ok(parse("<Other/>", &err) == 0 && feed("multistatus", ignore, NULL,
	    "<html/>", 7, 7, &err) == -1 && strstr(err.msg, "<html>") != NULL,
	    "a document of another kind is refused: %s", err.msg);
}

static void
test_hostile(void)
{
	static const char laughs[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
	    "]><Error><Code>&lol2;</Code></Error>";
	static const char xxe[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>";
	static const char pe[] =
	    "<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><r/>";
	struct bk_err err;
	char *big, code[64], msg[8];
	size_t i, n;

	ok(parse(laughs, &err) == -1 && strstr(err.msg, "DOCTYPE") != NULL,
	    "entity expansion refused at the DOCTYPE: %s", err.msg);
	ok(parse(xxe, &err) == -1 && strstr(err.msg, "DOCTYPE") != NULL,
	    "external entity refused, never loaded");
	ok(parse(pe, &err) == -1, "external DTD refused");
	xr_error_fields(xxe, strlen(xxe), code, sizeof(code), msg,
	    sizeof(msg));
	ok(*code == '\0', "no entity text reaches an error message");

	/* 100000 nested elements: refused early, nothing on the stack. */
	n = 100000;
	big = malloc(n * 3 + 1);
	for (i = 0; i < n; i++)
		memcpy(big + i * 3, "<a>", 3);
	big[n * 3] = '\0';
	ok(parse(big, &err) == -1 && strstr(err.msg, "deeper") != NULL,
	    "deep nesting refused: %s", err.msg);
	free(big);

	/* Past XR_BODY_MAX: refused whatever it holds. */
	n = XR_BODY_MAX / 4;
	big = malloc(n);
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(big + i, "<b/>", 4);
	memcpy(big, "<a>", 3);
	{
		struct xr *x = xr_new(NULL, ignore, NULL);
		int rc = 0;

		memset(&err, 0, sizeof(err));
		for (i = 0; i < 5 && rc == 0; i++)
			rc = xr_feed(x, i == 0 ? big : big + 4,
			    i == 0 ? n : n - 4, &err);
		ok(rc == -1 && strstr(err.msg, "larger than") != NULL &&
		    xr_feed(x, "x", 1, &err) == -1,
		    "a body past %u MiB refused, and stays refused: %s",
		    XR_BODY_MAX >> 20, err.msg);
		xr_free(x);
	}
	/* One text node past XR_TEXT_MAX. */
	memset(big, 'k', n);
	memcpy(big, "<a><Key>", 8);
	ok(feed(NULL, ignore, NULL, big, XR_TEXT_MAX + 100, 4096, &err) ==
	    -1 && strstr(err.msg, "text longer") != NULL,
	    "a text past %u KiB refused", XR_TEXT_MAX >> 10);
	free(big);

	/* A page of more names than LISTING_MAX_BYTES. */
	{
		struct listing l = { .prefix = "" };
		struct xr *x = xr_new("ListBucketResult", listing_s3_elem, &l);
		char item[1100];
		int rc;

		memset(&err, 0, sizeof(err));
		rc = xr_feed(x, "<ListBucketResult>", 18, &err);
		memcpy(item, "<Contents><Key>", 15);
		memset(item + 15, 'k', 1000);
		memcpy(item + 1015, "</Key></Contents>", 17);
		for (i = 0; i < 20000 && rc == 0; i++)
			rc = xr_feed(x, item, 1032, &err);
		ok(rc == -1 && strstr(err.msg, "16 MiB of names") != NULL &&
		    l.bytes <= LISTING_MAX_BYTES, "a listing past %u MiB of "
		    "names refused after %zu keys: %s", LISTING_MAX_BYTES >> 20,
		    l.n, err.msg);
		xr_free(x);
		listing_reset(&l);
	}
}

int
main(void)
{
	test_s3_listing();
	test_error_and_webdav();
	test_malformed();
	test_hostile();
	return tap_done();
}
