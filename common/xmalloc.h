/*
 * xmalloc.h - allocation that never returns NULL.
 *
 * Out of memory is not an error a backup can recover from: these abort with
 * a message, so no caller checks for NULL.
 */
#ifndef BK_XMALLOC_H
#define BK_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Free a string after overwriting it (for secrets in ordinary memory). */
void	 xfree_secret(char *);

#endif
