/*
 * fuzz_dotenv.c - libFuzzer harness of the dotenv reader (dotenv_parse):
 * every user's settings file goes through it, and users write those files.
 *
 * Checks beyond "no crash": a parse that succeeds yields keys that are
 * non-empty C strings with a line number inside the input.
 */
#include <stdlib.h>

#include "dotenv.h"
#include "err.h"
#include "fuzz.h"

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct kvlist kv;
	struct bk_err err = { 0 };
	size_t i, lines = 1;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	kvlist_init(&kv);
	if (dotenv_parse((const char *)data, size, "fuzz.env", &kv, &err) == 0) {
		for (i = 0; i < kv.n; i++) {
			if (kv.v[i].key == NULL || kv.v[i].key[0] == '\0' ||
			    kv.v[i].value == NULL || kv.v[i].line < 1 ||
			    (size_t)kv.v[i].line > lines)
				abort();
			if (kvlist_get(&kv, kv.v[i].key) == NULL)
				abort();
		}
	} else if (err.msg[0] == '\0')
		abort();	/* a refusal must say why */
	kvlist_free(&kv);
	return 0;
}
