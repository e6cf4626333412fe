/*
 * path.c - path templates and confinement of user-given paths.
 *
 * Invariant: path_resolve_in() never returns a path outside root, whatever
 * mix of "..", absolute prefixes and symlinks the user wrote.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "path.h"
#include "xmalloc.h"

#define WEBROOT	"/var/www/html"

char *
path_template(const char *tmpl, const char *user)
{
	struct buf b;
	const char *p = tmpl, *hit;

	buf_init(&b, 64 * 1024);
	while ((hit = strstr(p, "{user}")) != NULL) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, user);
		p = hit + 6;
	}
	buf_puts(&b, p);
	return buf_take(&b);
}

int
path_valid_user(const char *u)
{
	const char *p;
	size_t n = strlen(u);

	if (n == 0 || n > 64 || strcmp(u, ".") == 0 || strcmp(u, "..") == 0 ||
	    *u == '-')
		return 0;
	for (p = u; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	return 1;
}

static int
inside(const char *root, const char *p)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(root, p, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

int
path_resolve_in(const char *root, const char *path, char **out,
    struct bk_err *err)
{
	char *joined = NULL, *real_root = NULL, *real = NULL;
	const char *rel = path;
	int rc = -1;

	*out = NULL;
	if (root == NULL || *root == '\0')
		return bk_err_set(err, BK_ECONFIG, "%s: no Files source to "
		    "resolve it in", path);
	if ((real_root = realpath(root, NULL)) == NULL) {
		bk_err_sys(err, BK_ECONFIG, "%s: Files source %s", path, root);
		goto out;
	}
	if (strncmp(path, WEBROOT, strlen(WEBROOT)) == 0 &&
	    (path[strlen(WEBROOT)] == '/' || path[strlen(WEBROOT)] == '\0'))
		rel = path + strlen(WEBROOT);
	else if (inside(root, path))
		rel = path + strlen(root);
	else if (inside(real_root, path))
		rel = path + strlen(real_root);
	else if (*path == '/') {
		bk_err_set(err, BK_ECONFIG, "%s: outside your files (use a "
		    "path inside " WEBROOT "/)", path);
		goto out;
	}
	while (*rel == '/')
		rel++;
	xasprintf(&joined, "%s/%s", real_root, rel);
	if ((real = realpath(joined, NULL)) == NULL) {
		bk_err_sys(err, errno == ENOENT ? BK_ENOENT : BK_ECONFIG,
		    "%s", path);
		goto out;
	}
	if (!inside(real_root, real)) {
		bk_err_set(err, BK_ECONFIG, "%s: resolves outside your files",
		    path);
		goto out;
	}
	*out = real;
	real = NULL;
	rc = 0;
out:
	free(joined);
	free(real_root);
	free(real);
	return rc;
}

int
path_mkdirs(const char *dir, unsigned int mode, struct bk_err *err)
{
	char *p = xstrdup(dir), *s;
	int rc = -1;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) == -1 && errno != EEXIST) {
				bk_err_sys(err, BK_EIO, "mkdir %s", p);
				goto out;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	rc = 0;
out:
	free(p);
	return rc;
}
