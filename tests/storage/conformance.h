/*
 * conformance.h - the one suite every storage backend passes (restic's
 * model).  A backend's driver (tests/storage/test_<name>.c) prepares a
 * destination and its settings, then calls conformance_run(), which prints
 * TAP lines.
 *
 *	struct conformance_opts o = { .large = 40 << 20, .many = 1100 };
 *	conformance_run("s3", &cfg, &o);
 */
#ifndef BK_CONFORMANCE_H
#define BK_CONFORMANCE_H

#include <stddef.h>

struct storage_config;

struct conformance_opts {
	size_t	large;		/* bytes of the "large" upload (default 5 MiB
				 * + 3): make it cross the multipart size */
	size_t	many;		/* objects for the listing test (default 25);
				 * more than one listing page */
	size_t	chunk;		/* write() size (default 7777: odd) */
};

/* Runs every case; returns the number of failed assertions. */
int	conformance_run(const char *backend, const struct storage_config *,
	    const struct conformance_opts *);

#endif
