/*
 * partial.h - what the file-like backends (local, SFTP, WebDAV) share
 * about uploads in flight: the ".partial" naming, the sweep of partial
 * files an upload that died left behind, and the backoff between retries.
 */
#ifndef BK_PARTIAL_H
#define BK_PARTIAL_H

#include <stdbool.h>
#include <stddef.h>

struct storage_obj;

#define PARTIAL_SUFFIX	".partial"

/* "NAME.partial", allocated. */
char	*partial_name(const char *name);
/* true if name is some "X.partial" (X not empty). */
bool	 partial_is(const char *name);

/*
 * The sweep: list the folder's partial files into a struct partial_sweep
 * with partial_collect (a storage_list_fn), skipping `active`, the one
 * this handle is writing; remove each of names[]; partial_sweep_free.
 */
struct partial_sweep {
	const char	*active;	/* borrowed; NULL: none */
	char		**names;
	size_t		 n;
};

int	 partial_collect(const struct storage_obj *, void *sweep);
void	 partial_sweep_free(struct partial_sweep *);

/* Sleep before retry number attempt (1, 2, ...): 250 ms doubled each
 * time, with up to a quarter more at random so that retries of several
 * jobs against one server do not arrive in step. */
void	 partial_backoff(int attempt);

#endif
