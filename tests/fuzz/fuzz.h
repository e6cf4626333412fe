/*
 * fuzz.h - what every harness of tests/fuzz/ shares.
 *
 * A harness declares and defines FUZZ_ENTRY (LLVMFuzzerTestOneInput under
 * libFuzzer).
 * tests/unit/test_fuzz_regress.c includes the harnesses into the normal
 * gcc build with FUZZ_ENTRY renamed, so the committed crash inputs and
 * seeds replay through exactly the code libFuzzer ran.
 */
#ifndef BK_FUZZ_H
#define BK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY	LLVMFuzzerTestOneInput
#endif

/* The input as a NUL-terminated string (parsers that take C strings). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
