/*
 * test_azure_sign.c - SharedKey signing: the string to sign built the way
 * the Blob service documents it, and signatures checked against the
 * values Microsoft's @azure/storage-blob SDK (StorageSharedKeyCredential.
 * computeHMACSHA256) gives for the same strings with Azurite's
 * well-known development key.
 */
#include <stdlib.h>
#include <string.h>

#include "azure_sign.h"
#include "tap.h"

#define DEVKEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4" \
	"I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

int
main(void)
{
	struct azure_kv hput[] = {
		{ "x-ms-version", "2021-12-02" },
		{ "Content-Length", "11" },
		{ "x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT" },
		{ "X-MS-Blob-Type", "BlockBlob" },
	};
	struct azure_kv qput[] = {
		{ "comp", "block" }, { "blockid", "cGItMDAwMDAwMDAwMQ==" },
	};
	struct azure_req r = { "PUT", "devstoreaccount1",
	    "/devstoreaccount1/c1/dir/a%20b.tar", qput, 2, hput, 4 };
	struct azure_kv hget[] = {
		{ "x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT" },
		{ "x-ms-version", "2021-12-02" },
		{ "Content-Length", "0" },
	};
	struct azure_kv qlist[] = {
		{ "restype", "container" }, { "prefix", "dir/" },
		{ "delimiter", "/" }, { "comp", "list" },
	};
	char *sts, *auth, sig[64];
	unsigned char raw[64];
	size_t n;

	sts = azure_string_to_sign(&r);
	ok(strcmp(sts, "PUT\n\n\n11\n\n\n\n\n\n\n\n\n"
	    "x-ms-blob-type:BlockBlob\n"
	    "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n"
	    "x-ms-version:2021-12-02\n"
	    "/devstoreaccount1/devstoreaccount1/c1/dir/a%20b.tar\n"
	    "blockid:cGItMDAwMDAwMDAwMQ==\ncomp:block") == 0,
	    "Put Block: string to sign (x-ms-* sorted, lower-cased; query "
	    "sorted; account twice for a path-style endpoint)");
	ok(azure_signature(DEVKEY, sts, sig) == 0 && strcmp(sig,
	    "CGFXu64lErO1lwIzTKsIqxiZ2CkeblA9jClRbZLRitE=") == 0,
	    "Put Block: signature equals the SDK's");
	auth = azure_authorization(&r, DEVKEY);
	ok(auth != NULL && strcmp(auth, "SharedKey devstoreaccount1:"
	    "CGFXu64lErO1lwIzTKsIqxiZ2CkeblA9jClRbZLRitE=") == 0,
	    "Authorization header");
	free(auth);
	free(sts);

	r = (struct azure_req){ "GET", "devstoreaccount1",
	    "/devstoreaccount1/c1", qlist, 4, hget, 3 };
	sts = azure_string_to_sign(&r);
	ok(strcmp(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\n"
	    "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n"
	    "x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/c1\n"
	    "comp:list\ndelimiter:/\nprefix:dir/\nrestype:container") == 0,
	    "List Blobs: Content-Length 0 signed as empty, decoded query "
	    "values");
	ok(azure_signature(DEVKEY, sts, sig) == 0 && strcmp(sig,
	    "15hHmZqdeUGaDuJTfJUBGIOs3BT5pUQxmOskRtPPKT8=") == 0,
	    "List Blobs: signature equals the SDK's");
	free(sts);

	ok(azure_signature("not base64!", "x", sig) == -1,
	    "a key that is not base64 is refused");
	ok(azure_b64_decode("aGVsbG8", raw, sizeof(raw), &n) == 0 && n == 5 &&
	    memcmp(raw, "hello", 5) == 0, "base64 without padding decodes");
	azure_b64_encode((const unsigned char *)"pb-0000000001", 13, sig);
	ok(strcmp(sig, "cGItMDAwMDAwMDAwMQ==") == 0, "base64 encode");
	return tap_done();
}
