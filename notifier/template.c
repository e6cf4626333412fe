/*
 * template.c - renders the {{ .Field }} / {{ if }} / {{ end }} templates
 * of template.h in one pass; a false "if" renders into nothing.
 * Pure, no globals: callable from any thread.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "template.h"

#define MAX_DEPTH	16

static const struct tpl_field *
find(const struct tpl_field *f, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(f[i].name) == len && memcmp(f[i].name, name,
		    len) == 0)
			return &f[i];
	return NULL;
}

/* The trimmed text of one action; *end after its "}}". */
static int
action(const char *tpl, const char *p, const char **a, size_t *alen,
    const char **end, struct bk_err *err)
{
	const char *close = strstr(p + 2, "}}");

	if (close == NULL)
		return bk_err_set(err, BK_ECONFIG, "template: unclosed {{ at "
		    "offset %zu", (size_t)(p - tpl));
	*end = close + 2;
	p += 2;
	while (p < close && isspace((unsigned char)*p))
		p++;
	while (close > p && isspace((unsigned char)close[-1]))
		close--;
	*a = p;
	*alen = (size_t)(close - p);
	return 0;
}

static int
field(const struct tpl_field *f, size_t n, const char *tpl, const char *a,
    size_t len, const struct tpl_field **out, struct bk_err *err)
{
	if (len < 2 || a[0] != '.' || (*out = find(f, n, a + 1,
	    len - 1)) == NULL)
		return bk_err_set(err, BK_ECONFIG, "template: unknown field "
		    "\"%.*s\" at offset %zu", (int)len, a, (size_t)(a - tpl));
	return 0;
}

int
tpl_render(const char *tpl, const struct tpl_field *f, size_t n,
    struct buf *out, struct bk_err *err)
{
	bool on[MAX_DEPTH + 1];
	const struct tpl_field *fd;
	const char *p = tpl, *open, *a = NULL, *end = NULL;
	size_t alen = 0;
	int depth = 0;

	on[0] = true;
	while (*p != '\0') {
		open = strstr(p, "{{");
		if (open == NULL)
			open = p + strlen(p);
		if (on[depth])
			buf_append(out, p, (size_t)(open - p));
		if (*open == '\0')
			break;
		if (action(tpl, open, &a, &alen, &end, err) == -1)
			return -1;
		if (alen == 3 && memcmp(a, "end", 3) == 0) {
			if (depth == 0)
				return bk_err_set(err, BK_ECONFIG, "template: "
				    "{{ end }} without {{ if }} at offset %zu",
				    (size_t)(open - tpl));
			depth--;
		} else if (alen > 3 && memcmp(a, "if", 2) == 0 &&
		    isspace((unsigned char)a[2])) {
			a += 3;
			alen -= 3;
			while (alen > 0 && isspace((unsigned char)*a))
				a++, alen--;
			if (field(f, n, tpl, a, alen, &fd, err) == -1)
				return -1;
			if (depth == MAX_DEPTH)
				return bk_err_set(err, BK_ECONFIG, "template: "
				    "{{ if }} nested too deep");
			depth++;
			on[depth] = on[depth - 1] && fd->value != NULL &&
			    *fd->value != '\0' && strcmp(fd->value, "0") != 0;
		} else {
			if (field(f, n, tpl, a, alen, &fd, err) == -1)
				return -1;
			if (on[depth] && fd->value != NULL)
				buf_puts(out, fd->value);
		}
		p = end;
	}
	if (depth != 0)
		return bk_err_set(err, BK_ECONFIG, "template: {{ if }} without "
		    "{{ end }}");
	return 0;
}
