/*
 * dotenv.c - the dotenv reader used for the admin config and user settings.
 *
 * The parser walks the text once with an explicit cursor; each line is a
 * key, '=', and a value in one of three forms.  A syntax error stops the
 * parse and names the file and line: a half-read settings file must never
 * run a backup with defaults in place of what the user wrote.
 *
 * Keys are indexed by a hash table (FNV-1a, linear probing, kept under
 * half full) so a hostile settings file of 90,000 keys loads in linear
 * time; before it, every kvlist_set scanned the whole list.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dotenv.h"
#include "err.h"
#include "xmalloc.h"

#define DOTENV_MAX_FILE	DOTENV_MAX_BYTES

struct cursor {
	const char	*p;
	const char	*end;
	int		 line;
	const char	*name;
};

void
kvlist_init(struct kvlist *l)
{
	memset(l, 0, sizeof(*l));
}

void
kvlist_free(struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		xfree_secret(l->v[i].value);
	}
	free(l->v);
	free(l->idx);
	free(l->path);
	kvlist_init(l);
}

static size_t
key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *k != '\0'; k++) {
		h ^= (unsigned char)*k;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Slot of key in the index: where it is, or the free slot it would go. */
static size_t
slot_of(const struct kvlist *l, const char *key)
{
	size_t mask = l->nidx - 1, i = key_hash(key) & mask;

	while (l->idx[i] != 0 && strcmp(l->v[l->idx[i] - 1].key, key) != 0)
		i = (i + 1) & mask;
	return i;
}

static void
index_grow(struct kvlist *l)
{
	size_t i;

	free(l->idx);
	l->nidx = l->nidx == 0 ? 32 : l->nidx * 2;
	l->idx = xcalloc(l->nidx, sizeof(*l->idx));
	for (i = 0; i < l->n; i++)
		l->idx[slot_of(l, l->v[i].key)] = i + 1;
}

const struct kv *
kvlist_find(const struct kvlist *l, const char *key)
{
	size_t s;

	if (l->nidx == 0)
		return NULL;
	s = slot_of(l, key);
	return l->idx[s] != 0 ? &l->v[l->idx[s] - 1] : NULL;
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
	const struct kv *kv = kvlist_find(l, key);

	return kv != NULL ? kv->value : NULL;
}

void
kvlist_set(struct kvlist *l, const char *key, const char *value, int line)
{
	size_t s;

	if (2 * (l->n + 1) >= l->nidx)
		index_grow(l);
	s = slot_of(l, key);
	if (l->idx[s] != 0) {
		struct kv *kv = &l->v[l->idx[s] - 1];

		xfree_secret(kv->value);
		kv->value = xstrdup(value);
		kv->line = line;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].key = xstrdup(key);
	l->v[l->n].value = xstrdup(value);
	l->v[l->n].line = line;
	l->idx[s] = ++l->n;
}

static void
skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static int
syntax(struct cursor *c, struct bk_err *err, const char *what)
{
	return bk_err_set(err, BK_ECONFIG, "%s:%d: %s", c->name, c->line,
	    what);
}

/* After a value: only blanks and an optional comment up to the newline. */
static int
line_tail(struct cursor *c, struct bk_err *err)
{
	skip_blanks(c);
	if (c->p < c->end && *c->p == '#')
		while (c->p < c->end && *c->p != '\n')
			c->p++;
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end && *c->p != '\n')
		return syntax(c, err, "unexpected text after closing quote");
	return 0;
}

static int
quoted_value(struct cursor *c, struct buf *v, struct bk_err *err)
{
	char q = *c->p++, ch;
	int start = c->line;

	while (c->p < c->end && *c->p != q) {
		ch = *c->p++;
		if (ch == '\n')
			c->line++;
		if (q == '"' && ch == '\\' && c->p < c->end) {
			ch = *c->p++;
			switch (ch) {
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'r':
				ch = '\r';
				break;
			case '"':
			case '\\':
			case '$':
				break;
			default:
				/* Unknown escapes stay as written. */
				if (buf_append(v, "\\", 1) == -1)
					goto toobig;
				if (ch == '\n')
					c->line++;
			}
		}
		if (buf_append(v, &ch, 1) == -1)
			goto toobig;
	}
	if (c->p >= c->end) {
		c->line = start;
		return syntax(c, err, "unterminated quoted value");
	}
	c->p++;
	return line_tail(c, err);
toobig:
	return syntax(c, err, "value too long");
}

static int
plain_value(struct cursor *c, struct buf *v, struct bk_err *err)
{
	const char *s = c->p, *e;

	while (c->p < c->end && *c->p != '\n') {
		/* " #" starts a comment on an unquoted value. */
		if (*c->p == '#' && c->p > s &&
		    (c->p[-1] == ' ' || c->p[-1] == '\t'))
			break;
		c->p++;
	}
	e = c->p;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (buf_append(v, s, (size_t)(e - s)) == -1)
		return syntax(c, err, "value too long");
	return 0;
}

static int
parse_line(struct cursor *c, struct kvlist *out, struct bk_err *err)
{
	char key[128];
	const char *ks;
	struct buf v;
	size_t klen;
	int line, rc = -1;

	buf_init(&v, DOTENV_MAX_FILE);
	skip_blanks(c);
	if (c->p + 7 <= c->end && strncmp(c->p, "export ", 7) == 0) {
		c->p += 7;
		skip_blanks(c);
	}
	ks = c->p;
	while (c->p < c->end && (isalnum((unsigned char)*c->p) ||
	    *c->p == '_' || *c->p == '.' || *c->p == '-'))
		c->p++;
	klen = (size_t)(c->p - ks);
	if (klen == 0 || isdigit((unsigned char)*ks)) {
		rc = syntax(c, err, "expected KEY=VALUE");
		goto out;
	}
	if (klen >= sizeof(key)) {
		rc = syntax(c, err, "key too long");
		goto out;
	}
	memcpy(key, ks, klen);
	key[klen] = '\0';
	line = c->line;
	skip_blanks(c);
	if (c->p >= c->end || *c->p != '=') {
		rc = bk_err_set(err, BK_ECONFIG, "%s:%d: %s: expected '=' "
		    "after the key", c->name, c->line, key);
		goto out;
	}
	c->p++;
	skip_blanks(c);
	if (c->p < c->end && (*c->p == '"' || *c->p == '\''))
		rc = quoted_value(c, &v, err);
	else
		rc = plain_value(c, &v, err);
	if (rc == 0 && out->n >= DOTENV_MAX_KEYS &&
	    kvlist_find(out, key) == NULL)
		rc = bk_err_set(err, BK_ECONFIG, "%s:%d: more than %d keys; "
		    "a settings file may hold at most %d", c->name, c->line,
		    DOTENV_MAX_KEYS, DOTENV_MAX_KEYS);
	else if (rc == 0)
		kvlist_set(out, key, v.data != NULL ? v.data : "", line);
out:
	if (v.data != NULL)
		explicit_bzero(v.data, v.len);
	buf_free(&v);
	return rc;
}

int
dotenv_parse(const char *text, size_t len, const char *name,
    struct kvlist *out, struct bk_err *err)
{
	struct cursor c = { text, text + len, 1, name };

	while (c.p < c.end) {
		skip_blanks(&c);
		if (c.p < c.end && (*c.p == '\n' || *c.p == '\r' ||
		    *c.p == '#')) {
			while (c.p < c.end && *c.p != '\n')
				c.p++;
		} else if (c.p < c.end && parse_line(&c, out, err) == -1)
			return -1;
		if (c.p < c.end && *c.p == '\n') {
			c.p++;
			c.line++;
		}
	}
	return 0;
}

int
dotenv_load(const char *path, struct kvlist *out, struct bk_err *err)
{
	struct buf text;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, rc = -1;

	buf_init(&text, DOTENV_MAX_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_err_sys(err, errno == ENOENT ? BK_ENOENT : BK_EIO,
		    "%s", path);
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		bk_err_set(err, BK_ECONFIG, "%s: not a regular file", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			bk_err_sys(err, BK_EIO, "%s", path);
			goto out;
		}
		if (buf_append(&text, chunk, (size_t)n) == -1) {
			bk_err_set(err, BK_ECONFIG, "%s: larger than %d bytes "
			    "(1 MiB); refused", path, DOTENV_MAX_BYTES);
			goto out;
		}
	}
	free(out->path);
	out->path = xstrdup(path);
	rc = dotenv_parse(text.data != NULL ? text.data : "", text.len, path,
	    out, err);
out:
	explicit_bzero(chunk, sizeof(chunk));
	if (text.data != NULL)
		explicit_bzero(text.data, text.len);
	buf_free(&text);
	if (fd != -1)
		close(fd);
	return rc;
}
