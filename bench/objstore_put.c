/*
 * objstore_put.c - bench helper: stream stdin to a storage backend.
 *
 *	objstore_put s3|azure NAME < data
 *
 * Settings come from the environment (AWS_*, AZURE_STORAGE_*; the same
 * keys as a user's file).  Built by bench/objstore.sh against
 * build/opt/libpanelbackup.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "settings.h"
#include "storage.h"

static const char *const keys[] = {
	"AWS_S3_BUCKET_NAME", "AWS_S3_PATH", "AWS_ENDPOINT",
	"AWS_ENDPOINT_PROTO", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_PART_SIZE", "AZURE_STORAGE_ACCOUNT_NAME",
	"AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", "AZURE_STORAGE_CONTAINER_NAME",
	"AZURE_STORAGE_ENDPOINT", "AZURE_STORAGE_PATH", NULL,
};

int
main(int argc, char **argv)
{
	static char b[1 << 20];
	struct settings u, a;
	struct storage_config cfg = { &u, &a, "bench", "/tmp", "/tmp" };
	struct storage *st;
	struct storage_upload *up;
	struct bk_err err = { 0 };
	ssize_t n;
	size_t i;

	if (argc != 3)
		return 2;
	settings_defaults(&u, SET_USER);
	settings_defaults(&a, SET_ADMIN);
	for (i = 0; keys[i] != NULL; i++)
		if (getenv(keys[i]) != NULL)
			settings_set(&u, keys[i], getenv(keys[i]));
	if (storage_open(&st, argv[1], &cfg, &err) == -1 ||
	    storage_begin(st, argv[2], &up, &err) == -1)
		goto fail;
	while ((n = read(0, b, sizeof(b))) > 0)
		if (storage_write(up, b, (size_t)n, &err) == -1) {
			storage_abort(up);
			goto fail;
		}
	if (storage_commit(up, &err) == -1)
		goto fail;
	storage_close(st);
	return 0;
fail:
	fprintf(stderr, "objstore_put: %s\n", err.msg);
	return 1;
}
