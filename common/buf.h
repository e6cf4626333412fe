/*
 * buf.h - a growable byte buffer with an explicit ceiling.
 *
 * Every growable buffer has a maximum (curl's dynbuf rule): appending past
 * it fails instead of eating the machine's memory.  data is always
 * NUL-terminated so text can be used as a C string.
 */
#ifndef BK_BUF_H
#define BK_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void	buf_init(struct buf *, size_t max);
/* 0, or -1 when the result would exceed max (buf unchanged). */
int	buf_append(struct buf *, const void *, size_t);
int	buf_puts(struct buf *, const char *);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
/* Hand the contents to the caller (NUL-terminated, never NULL). */
char	*buf_take(struct buf *);
void	buf_free(struct buf *);

#endif
