/*
 * template.h - the small template language of notification messages.
 *
 *	{{ .Field }}			the field's value
 *	{{ if .Field }}...{{ end }}	the part only when Field is non-empty
 *					and not "0" (may nest)
 *
 * Anything else between {{ and }} is an error naming the position, so an
 * admin's template is refused when it is loaded, not at 3 a.m.
 */
#ifndef BK_TEMPLATE_H
#define BK_TEMPLATE_H

#include <stddef.h>

struct bk_err;
struct buf;

struct tpl_field {
	const char	*name;		/* "User" */
	const char	*value;		/* NULL counts as "" */
};

/* Render tpl into out (appended).  0, or -1 with err (BK_ECONFIG). */
int	tpl_render(const char *tpl, const struct tpl_field *, size_t nfields,
	    struct buf *out, struct bk_err *);

#endif
