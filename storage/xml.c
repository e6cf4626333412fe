/*
 * xml.c - a small, strict-enough XML reader for API answers.
 *
 * Recursive descent over the buffer, building struct xml_node trees.  The
 * input comes from servers we do not trust, so:
 *  - nesting is bounded (XML_MAX_DEPTH) so recursion cannot blow the stack;
 *  - the input size and the number of elements are bounded;
 *  - every read is checked against the end of the buffer (the input need
 *    not be NUL-terminated, and may contain NULs, which are rejected);
 *  - end tags must match their start tags.
 * Entities are the five predefined ones plus numeric references (encoded
 * as UTF-8); a DOCTYPE is skipped, never interpreted, so no external or
 * expanding entities exist.  Attributes are parsed and dropped: none of
 * our callers needs them.
 *
 * Threads: no shared state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "xml.h"
#include "xmalloc.h"

#define XML_MAX_DEPTH	64
#define XML_MAX_INPUT	(64u << 20)	/* a listing page is ~1 MB at most */
#define XML_MAX_NODES	1000000

struct xml_parser {
	const char	*p;
	const char	*end;
	size_t		 nodes;
	struct bk_err	*err;
};

static int
xml_fail(struct xml_parser *xp, const char *what)
{
	return bk_err_set(xp->err, BK_EPROTO, "XML: %s", what);
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_name_char(int c)
{
	return c != '\0' && !is_space(c) && c != '>' && c != '/' &&
	    c != '=' && c != '<' && c != '"' && c != '\'' && c != '&';
}

static void
skip_space(struct xml_parser *xp)
{
	while (xp->p < xp->end && is_space((unsigned char)*xp->p))
		xp->p++;
}

static int
starts(const struct xml_parser *xp, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(xp->end - xp->p) >= n && memcmp(xp->p, s, n) == 0;
}

/* Move past the next occurrence of s; -1 if there is none. */
static int
skip_past(struct xml_parser *xp, const char *s)
{
	size_t n = strlen(s);
	const char *q = memmem(xp->p, (size_t)(xp->end - xp->p), s, n);

	if (q == NULL)
		return -1;
	xp->p = q + n;
	return 0;
}

/* A DOCTYPE may hold an internal subset in [...] containing '>'. */
static int
skip_doctype(struct xml_parser *xp)
{
	int bracket = 0;

	for (; xp->p < xp->end; xp->p++) {
		char c = *xp->p;

		if (c == '[')
			bracket++;
		else if (c == ']' && bracket > 0)
			bracket--;
		else if (c == '>' && bracket == 0) {
			xp->p++;
			return 0;
		}
	}
	return xml_fail(xp, "unterminated DOCTYPE");
}

/* Comments, processing instructions, DOCTYPE at the cursor ('<' seen). */
static int
skip_misc(struct xml_parser *xp, int *skipped)
{
	*skipped = 1;
	if (starts(xp, "<!--")) {
		xp->p += 4;
		return skip_past(xp, "-->") == -1 ?
		    xml_fail(xp, "unterminated comment") : 0;
	}
	if (starts(xp, "<?")) {
		xp->p += 2;
		return skip_past(xp, "?>") == -1 ?
		    xml_fail(xp, "unterminated processing instruction") : 0;
	}
	if (starts(xp, "<!DOCTYPE")) {
		xp->p += 9;
		return skip_doctype(xp);
	}
	*skipped = 0;
	return 0;
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	char o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, o, n);
}

/* An entity at the cursor ('&' seen); appends its value to b. */
static int
parse_entity(struct xml_parser *xp, struct buf *b)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	uint32_t cp = 0;
	int base = 10, digits = 0;
	size_t i;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (starts(xp, ents[i].name)) {
			xp->p += strlen(ents[i].name);
			return buf_append(b, &ents[i].c, 1);
		}
	if (!starts(xp, "&#"))
		return xml_fail(xp, "unknown entity");
	xp->p += 2;
	if (xp->p < xp->end && *xp->p == 'x') {
		base = 16;
		xp->p++;
	}
	for (; xp->p < xp->end && *xp->p != ';'; xp->p++) {
		int c = (unsigned char)*xp->p, v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return xml_fail(xp, "bad character reference");
		cp = cp * (uint32_t)base + (uint32_t)v;
		if (cp > 0x10ffff || ++digits > 8)
			return xml_fail(xp, "bad character reference");
	}
	if (xp->p >= xp->end || digits == 0 || cp == 0 ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return xml_fail(xp, "bad character reference");
	xp->p++;
	put_utf8(b, cp);
	return 0;
}

/* Name at the cursor; returns its local part (after the last ':'). */
static char *
parse_name(struct xml_parser *xp)
{
	const char *s = xp->p, *local;

	while (xp->p < xp->end && is_name_char((unsigned char)*xp->p))
		xp->p++;
	if (xp->p == s)
		return NULL;
	local = s;
	for (const char *q = s; q < xp->p; q++)
		if (*q == ':')
			local = q + 1;
	if (local == xp->p)
		return NULL;
	return xstrndup(local, (size_t)(xp->p - local));
}

/* Attributes up to '>' or '/>'; sets *empty for '/>'. */
static int
skip_attrs(struct xml_parser *xp, int *empty)
{
	for (;;) {
		char *n;

		skip_space(xp);
		if (xp->p >= xp->end)
			return xml_fail(xp, "unterminated start tag");
		if (*xp->p == '>') {
			xp->p++;
			*empty = 0;
			return 0;
		}
		if (starts(xp, "/>")) {
			xp->p += 2;
			*empty = 1;
			return 0;
		}
		if ((n = parse_name(xp)) == NULL)
			return xml_fail(xp, "bad attribute");
		free(n);
		skip_space(xp);
		if (xp->p >= xp->end || *xp->p != '=')
			return xml_fail(xp, "attribute without value");
		xp->p++;
		skip_space(xp);
		if (xp->p >= xp->end || (*xp->p != '"' && *xp->p != '\''))
			return xml_fail(xp, "unquoted attribute value");
		{
			char q = *xp->p++;
			const char *e = memchr(xp->p, q,
			    (size_t)(xp->end - xp->p));

			if (e == NULL)
				return xml_fail(xp, "unterminated attribute");
			xp->p = e + 1;
		}
	}
}

static struct xml_node *parse_element(struct xml_parser *, int depth);

/* Content of an element up to and including its end tag. */
static int
parse_content(struct xml_parser *xp, struct xml_node *n, int depth)
{
	struct xml_node **tail = &n->child;
	struct buf text;
	int skipped;

	buf_init(&text, XML_MAX_INPUT);
	while (xp->p < xp->end) {
		char c = *xp->p;

		if (c == '\0')
			goto bad;
		if (c == '&') {
			if (parse_entity(xp, &text) == -1)
				goto fail;
			continue;
		}
		if (c != '<') {
			const char *s = xp->p;

			while (xp->p < xp->end && *xp->p != '<' &&
			    *xp->p != '&' && *xp->p != '\0')
				xp->p++;
			buf_append(&text, s, (size_t)(xp->p - s));
			continue;
		}
		if (starts(xp, "<![CDATA[")) {
			const char *s = xp->p + 9;

			xp->p = s;
			if (skip_past(xp, "]]>") == -1) {
				xml_fail(xp, "unterminated CDATA");
				goto fail;
			}
			buf_append(&text, s, (size_t)(xp->p - 3 - s));
			continue;
		}
		if (skip_misc(xp, &skipped) == -1)
			goto fail;
		if (skipped)
			continue;
		if (starts(xp, "</")) {
			char *name;

			xp->p += 2;
			name = parse_name(xp);
			skip_space(xp);
			if (name == NULL || strcmp(name, n->name) != 0 ||
			    xp->p >= xp->end || *xp->p != '>') {
				free(name);
				xml_fail(xp, "mismatched end tag");
				goto fail;
			}
			free(name);
			xp->p++;
			n->text = buf_take(&text);
			return 0;
		}
		if ((*tail = parse_element(xp, depth + 1)) == NULL)
			goto fail;
		tail = &(*tail)->next;
	}
	xml_fail(xp, "unterminated element");
	goto fail;
bad:
	xml_fail(xp, "NUL byte in document");
fail:
	buf_free(&text);
	return -1;
}

/* An element at the cursor ('<' of its start tag). */
static struct xml_node *
parse_element(struct xml_parser *xp, int depth)
{
	struct xml_node *n;
	int empty = 0;

	if (depth > XML_MAX_DEPTH) {
		xml_fail(xp, "nested too deeply");
		return NULL;
	}
	if (++xp->nodes > XML_MAX_NODES) {
		xml_fail(xp, "too many elements");
		return NULL;
	}
	xp->p++;	/* '<' */
	n = xcalloc(1, sizeof(*n));
	if ((n->name = parse_name(xp)) == NULL) {
		xml_fail(xp, "bad element name");
		goto fail;
	}
	if (skip_attrs(xp, &empty) == -1)
		goto fail;
	if (empty) {
		n->text = xstrdup("");
		return n;
	}
	if (parse_content(xp, n, depth) == -1)
		goto fail;
	return n;
fail:
	xml_free(n);
	return NULL;
}

struct xml_node *
xml_parse(const char *buf, size_t len, struct bk_err *err)
{
	struct xml_parser xp = { buf, buf + len, 0, err };
	struct xml_node *root = NULL;
	int skipped;

	if (buf == NULL || len == 0) {
		bk_err_set(err, BK_EPROTO, "XML: empty document");
		return NULL;
	}
	if (len > XML_MAX_INPUT) {
		bk_err_set(err, BK_EPROTO, "XML: document too large");
		return NULL;
	}
	if (starts(&xp, "\xef\xbb\xbf"))	/* UTF-8 byte order mark */
		xp.p += 3;
	for (;;) {
		skip_space(&xp);
		if (xp.p >= xp.end)
			break;
		if (*xp.p != '<') {
			xml_fail(&xp, "text outside the root element");
			goto fail;
		}
		if (skip_misc(&xp, &skipped) == -1)
			goto fail;
		if (skipped)
			continue;
		if (root != NULL) {
			xml_fail(&xp, "more than one root element");
			goto fail;
		}
		if ((root = parse_element(&xp, 1)) == NULL)
			return NULL;
	}
	if (root == NULL)
		xml_fail(&xp, "no root element");
	return root;
fail:
	xml_free(root);
	return NULL;
}

void
xml_free(struct xml_node *n)
{
	/* Siblings iteratively, children recursively (depth is bounded). */
	while (n != NULL) {
		struct xml_node *next = n->next;

		xml_free(n->child);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

const struct xml_node *
xml_child(const struct xml_node *n, const char *name)
{
	const struct xml_node *c;

	if (n == NULL)
		return NULL;
	for (c = n->child; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *
xml_text(const struct xml_node *n, const char *path)
{
	char part[256];

	while (n != NULL && *path != '\0') {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (len == 0 || len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		n = xml_child(n, part);
		path += len + (slash != NULL);
	}
	return n != NULL ? n->text : NULL;
}
