/*
 * test_sigv4.c - our SigV4 signer against AWS's published vectors: the
 * signature test suite (get-vanilla, query order, post-vanilla, utf8;
 * AKIDEXAMPLE, 20150830T123600Z, service "service") and the worked S3
 * examples of the S3 API guide (GET object with Range, PUT object, list,
 * lifecycle; AKIAIOSFODNN7EXAMPLE, 20130524T000000Z).  The local S3
 * server is lenient, so these vectors are what proves real S3 accepts us.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "tap.h"

static const struct sigv4_cred suite = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"us-east-1", "service",
};
static const struct sigv4_cred s3doc = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3",
};

static const char *
sig_of(const char *auth)
{
	const char *s = strstr(auth, "Signature=");

	return s != NULL ? s + 10 : "";
}

static void
test_suite_vectors(void)
{
	struct sigv4_header h[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	struct sigv4_req r = { "GET", "/", "", h, 2, SIGV4_EMPTY_SHA256 };
	char *canon, *sh, *sts, *auth, sig[65];

	canon = sigv4_canonical_request(&r, &sh);
	ok(strcmp(canon, "GET\n/\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    SIGV4_EMPTY_SHA256) == 0, "get-vanilla: canonical request");
	ok(strcmp(sh, "host;x-amz-date") == 0,
	    "get-vanilla: signed headers lower-cased and sorted");
	sts = sigv4_string_to_sign("20150830T123600Z", &suite, canon);
	ok(strcmp(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
	    == 0, "get-vanilla: string to sign");
	sigv4_signature(&suite, "20150830T123600Z", sts, sig);
	ok(strcmp(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8"
	    "aae1d763fbf31") == 0, "get-vanilla: signature");
	auth = sigv4_authorization(&r, &suite, "20150830T123600Z");
	ok(strcmp(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1"
	    "d763fbf31") == 0, "get-vanilla: Authorization header");
	free(canon);
	free(sh);
	free(sts);
	free(auth);

	r.query = "Param2=value2&Param1=value1";
	auth = sigv4_authorization(&r, &suite, "20150830T123600Z");
	ok(strcmp(sig_of(auth), "b97d918cfa904a5beff61c982a1b6f458b799221646"
	    "efd99d3219ec94cdf2500") == 0,
	    "get-vanilla-query-order-key-case: query sorted before signing");
	free(auth);

	r.query = "";
	r.method = "POST";
	auth = sigv4_authorization(&r, &suite, "20150830T123600Z");
	ok(strcmp(sig_of(auth), "5da7c1a2acd57cee7505fc6676e4e544621c308629"
	    "66e37dddb68e92efbe5d6b") == 0, "post-vanilla: signature");
	free(auth);

	r.method = "GET";
	r.path = "/%E1%88%B4";
	auth = sigv4_authorization(&r, &suite, "20150830T123600Z");
	ok(strcmp(sig_of(auth), "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678"
	    "f255a891fd03141be5d85") == 0, "get-utf8: signature");
	free(auth);
}

static void
test_s3_examples(void)
{
	struct sigv4_header get[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", "20130524T000000Z" },
	};
	const char *put_hash =
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
	struct sigv4_header put[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", put_hash },
	};
	struct sigv4_req r = { "GET", "/test.txt", "", get, 4,
	    SIGV4_EMPTY_SHA256 };
	char *canon, *sts, *auth, hash[65];
	struct buf b;

	canon = sigv4_canonical_request(&r, NULL);
	sts = sigv4_string_to_sign("20130524T000000Z", &s3doc, canon);
	ok(strcmp(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
	    == 0, "S3 GET object with Range: string to sign");
	auth = sigv4_authorization(&r, &s3doc, "20130524T000000Z");
	ok(strcmp(sig_of(auth), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170a"
	    "ba48dd91039c6036bdb41") == 0, "S3 GET object: signature");
	free(canon);
	free(sts);
	free(auth);

	sigv4_sha256_hex("Welcome to Amazon S3.", 21, hash);
	ok(strcmp(hash, put_hash) == 0, "payload hash of the PUT example");
	buf_init(&b, 1024);
	buf_puts(&b, "/");
	sigv4_uri_encode(&b, "test$file.text", true);
	r = (struct sigv4_req){ "PUT", b.data, "", put, 5, put_hash };
	canon = sigv4_canonical_request(&r, NULL);
	ok(strcmp(canon, "PUT\n/test%24file.text\n\n"
	    "date:Fri, 24 May 2013 00:00:00 GMT\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4"
	    "e99e42034a8b803f8b072\nx-amz-date:20130524T000000Z\n"
	    "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
	    == 0, "S3 PUT object: canonical request ($ encoded once)");
	sts = sigv4_string_to_sign("20130524T000000Z", &s3doc, canon);
	ok(strstr(sts, "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76"
	    "b4158342019d") != NULL, "S3 PUT object: string to sign");
	auth = sigv4_authorization(&r, &s3doc, "20130524T000000Z");
	ok(strcmp(sig_of(auth), "98ad721746da40c64f1a55b78f14c238d841ea1380c"
	    "d77a1b5971af0ece108bd") == 0, "S3 PUT object: signature");
	free(canon);
	free(sts);
	free(auth);
	buf_free(&b);

	r = (struct sigv4_req){ "GET", "/", "prefix=J&max-keys=2", get, 4,
	    SIGV4_EMPTY_SHA256 };
	get[1] = get[0];	/* drop Range: host, sha256, date */
	r.headers = get + 1;
	r.nheaders = 3;
	auth = sigv4_authorization(&r, &s3doc, "20130524T000000Z");
	ok(strcmp(sig_of(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59"
	    "db6670ed5711ef69dc6f7") == 0, "S3 list objects: signature");
	free(auth);
	r.query = "lifecycle";
	auth = sigv4_authorization(&r, &s3doc, "20130524T000000Z");
	ok(strcmp(sig_of(auth), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0"
	    "f91ac7a200a0136783543") == 0,
	    "S3 GET ?lifecycle: bare name signed as lifecycle=");
	free(auth);
}

static void
test_encoding(void)
{
	struct buf b;
	char *q;

	buf_init(&b, 1024);
	sigv4_uri_encode(&b, "backups/a b+c=\xc3\xa9~", true);
	ok(strcmp(b.data, "backups/a%20b%2Bc%3D%C3%A9~") == 0,
	    "object path: '/' kept, the rest percent-encoded upper-case");
	buf_reset(&b);
	sigv4_uri_encode(&b, "dir/", false);
	ok(strcmp(b.data, "dir%2F") == 0, "query value: '/' encoded");
	buf_free(&b);
	q = sigv4_canonical_query("uploads");
	ok(strcmp(q, "uploads=") == 0, "?uploads signed as uploads=");
	free(q);
	q = sigv4_canonical_query("uploadId=x&partNumber=10&a-b=0&a=2&a=1");
	ok(strcmp(q, "a=1&a=2&a-b=0&partNumber=10&uploadId=x") == 0,
	    "query pairs sorted by name, then value");
	free(q);
}

int
main(void)
{
	test_suite_vectors();
	test_s3_examples();
	test_encoding();
	return tap_done();
}
