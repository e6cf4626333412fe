/*
 * xmlread.c - libexpat glue for the XML answers of storage servers.
 *
 * One expat parser per answer, fed chunk by chunk.  The reader keeps the
 * path of open elements (local names below the root, '/'-separated) and
 * the text of the innermost element, and hands both to the caller at each
 * end tag; everything else of the document is dropped as it streams by.
 *
 * Hostile input, and what stops it:
 *  - a DOCTYPE is refused at "<!DOCTYPE", before its internal subset, so
 *    no entity is ever declared (no billion laughs, no external entity:
 *    parameter entities are off and no external-entity handler exists);
 *    expat's amplification limits are set lower than the default anyway;
 *  - nesting beyond XR_DEPTH_MAX, a path beyond sizeof(path), text beyond
 *    XR_TEXT_MAX and a body beyond XR_BODY_MAX stop the parser;
 *  - the encoding is fixed to UTF-8 (a declaration cannot switch it), so
 *    invalid UTF-8 is a parse error;
 *  - xr_finish() tells a truncated or empty document from a complete one.
 * After the first failure the reader is dead: every call repeats the error.
 *
 * Threads: a struct xr belongs to one thread; no shared state.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "buf.h"
#include "err.h"
#include "xmalloc.h"
#include "xmlread.h"

#define XR_CHUNK	(1u << 20)	/* XML_Parse takes an int length */

struct xr {
	XML_Parser	 p;
	const char	*want;		/* expected root, or NULL */
	xr_elem_fn	*fn;
	void		*arg;
	int		 depth;		/* open elements, root included */
	size_t		 marks[XR_DEPTH_MAX];	/* path length per depth */
	char		 path[2048];
	size_t		 pathlen;
	char		 root[128];
	struct buf	 text;		/* innermost element's text */
	size_t		 fed;
	bool		 error_doc;	/* <Error> instead of want */
	char		 code[128];	/* its Code and Message */
	char		 msg[512];
	char		 stop[256];	/* why a handler stopped expat */
	char		 fail[800];	/* sticky error, "" while healthy */
	bool		 again;		/* worth asking again (see dead) */
};

static const char *
local_name(const char *name)
{
	const char *c = strrchr(name, ':');

	return c != NULL ? c + 1 : name;
}

static void
copy_str(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* From a handler: remember why, and stop expat at once. */
static void
halt(struct xr *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
halt(struct xr *x, const char *fmt, ...)
{
	va_list ap;

	if (x->stop[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(x->stop, sizeof(x->stop), fmt, ap);
		va_end(ap);
	}
	XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xr *x = ud;
	const char *ln = local_name(name);
	size_t n = strlen(ln), need;

	(void)atts;
	buf_reset(&x->text);
	if (x->depth == 0) {
		copy_str(x->root, sizeof(x->root), ln, n);
		if (x->want != NULL && strcmp(ln, x->want) != 0) {
			if (strcmp(ln, "Error") == 0)
				x->error_doc = true;
			else
				halt(x, "the answer is <%s>, not <%s>",
				    x->root, x->want);
		}
		x->depth = 1;
		return;
	}
	if (x->depth >= XR_DEPTH_MAX) {
		halt(x, "elements nested deeper than %d", XR_DEPTH_MAX);
		return;
	}
	need = x->pathlen + (x->depth > 1) + n;
	if (need >= sizeof(x->path)) {
		halt(x, "element names longer than %zu bytes",
		    sizeof(x->path) - 1);
		return;
	}
	x->marks[x->depth++] = x->pathlen;
	if (x->pathlen > 0)
		x->path[x->pathlen++] = '/';
	memcpy(x->path + x->pathlen, ln, n + 1);
	x->pathlen += n;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct xr *x = ud;
	const char *t = x->text.data != NULL ? x->text.data : "", *why;

	(void)name;
	if (--x->depth < 1) {
		buf_reset(&x->text);
		return;
	}
	if (!x->error_doc) {
		if ((why = x->fn(x->arg, x->path, t, x->text.len)) != NULL)
			halt(x, "%s", why);
	} else if (x->depth == 1 && strcmp(x->path, "Code") == 0)
		copy_str(x->code, sizeof(x->code), t, x->text.len);
	else if (x->depth == 1 && strcmp(x->path, "Message") == 0)
		copy_str(x->msg, sizeof(x->msg), t, x->text.len);
	x->pathlen = x->marks[x->depth];
	x->path[x->pathlen] = '\0';
	buf_reset(&x->text);
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct xr *x = ud;

	if (x->depth > 0 && buf_append(&x->text, s, (size_t)len) == -1)
		halt(x, "element text longer than %u KiB", XR_TEXT_MAX >> 10);
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	halt(ud, "a DOCTYPE (entity declarations are refused)");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len;
	(void)base, (void)sysid, (void)pubid, (void)notation;
	halt(ud, "an entity declaration");
}

struct xr *
xr_new(const char *root, xr_elem_fn *fn, void *arg)
{
	struct xr *x = xcalloc(1, sizeof(*x));

	/* "UTF-8" here overrides any encoding the document declares. */
	if ((x->p = XML_ParserCreate("UTF-8")) == NULL)
		abort();	/* out of memory, as xmalloc() would */
	x->want = root;
	x->fn = fn;
	x->arg = arg;
	buf_init(&x->text, XR_TEXT_MAX);
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	XML_SetEntityDeclHandler(x->p, on_entity);
#ifdef XML_DTD
	XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(x->p, 10.0f);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(x->p,
	    1u << 20);
#endif
	return x;
}

void
xr_free(struct xr *x)
{
	if (x == NULL)
		return;
	XML_ParserFree(x->p);
	buf_free(&x->text);
	free(x);
}

const char *
xr_root(const struct xr *x)
{
	return x->root;
}

bool
xr_failed(const struct xr *x)
{
	return x->fail[0] != '\0';
}

/*
 * A bad document is the server's doing: asking again gets the same, with
 * one exception.  Text after a complete document is how rclone 1.60 says
 * it broke off a listing ("Internal Server Error" appended): that one is
 * worth asking again.
 */
static int
dead(struct xr *x, struct bk_err *err)
{
	bk_err_set(err, BK_EPROTO, "%s", x->fail);
	if (err != NULL)
		err->retryable = x->again;
	return -1;
}

/* expat said no: the handler's reason, or expat's own with a line. */
static int
parse_failed(struct xr *x, struct bk_err *err)
{
	if (x->stop[0] != '\0')
		snprintf(x->fail, sizeof(x->fail), "bad XML answer: %s",
		    x->stop);
	else
		snprintf(x->fail, sizeof(x->fail), "bad XML answer: line %lu: "
		    "%s", (unsigned long)XML_GetCurrentLineNumber(x->p),
		    XML_ErrorString(XML_GetErrorCode(x->p)));
	x->again = XML_GetErrorCode(x->p) == XML_ERROR_JUNK_AFTER_DOC_ELEMENT;
	return dead(x, err);
}

int
xr_feed(struct xr *x, const void *data, size_t len, struct bk_err *err)
{
	const char *p = data;
	size_t n;

	if (x->fail[0] != '\0')
		return dead(x, err);
	if (len > XR_BODY_MAX - x->fed) {
		snprintf(x->fail, sizeof(x->fail), "bad XML answer: larger "
		    "than %u MiB", XR_BODY_MAX >> 20);
		return dead(x, err);
	}
	x->fed += len;
	while (len > 0) {
		n = len < XR_CHUNK ? len : XR_CHUNK;
		if (XML_Parse(x->p, p, (int)n, XML_FALSE) != XML_STATUS_OK)
			return parse_failed(x, err);
		p += n;
		len -= n;
	}
	return 0;
}

int
xr_finish(struct xr *x, struct bk_err *err)
{
	if (x->fail[0] != '\0')
		return dead(x, err);
	if (x->fed == 0) {
		snprintf(x->fail, sizeof(x->fail), "bad XML answer: empty");
		return dead(x, err);
	}
	if (XML_Parse(x->p, "", 0, XML_TRUE) != XML_STATUS_OK) {
		if (x->stop[0] == '\0' && XML_GetErrorCode(x->p) ==
		    XML_ERROR_NO_ELEMENTS)
			snprintf(x->stop, sizeof(x->stop), "the document is "
			    "truncated");
		return parse_failed(x, err);
	}
	if (x->error_doc) {
		snprintf(x->fail, sizeof(x->fail), "error document: %s%s%s",
		    *x->code != '\0' ? x->code : "no Code",
		    *x->msg != '\0' ? ": " : "", x->msg);
		return bk_err_set(err, BK_EFAIL, "%s", x->fail);
	}
	return 0;
}

int
xr_sink(const void *data, size_t len, void *arg, struct bk_err *err)
{
	return xr_feed(arg, data, len, err);
}

int
xr_parse(const char *root, const void *data, size_t len, xr_elem_fn *fn,
    void *arg, struct bk_err *err)
{
	struct xr *x = xr_new(root, fn, arg);
	int rc;

	rc = xr_feed(x, data, len, err) == 0 && xr_finish(x, err) == 0 ?
	    0 : -1;
	xr_free(x);
	return rc;
}

struct fields {
	char	*code, *msg;
	size_t	 codesz, msgsz;
};

static const char *
error_field(void *arg, const char *path, const char *text, size_t len)
{
	struct fields *f = arg;

	if (strcmp(path, "Code") == 0)
		copy_str(f->code, f->codesz, text, len);
	else if (strcmp(path, "Message") == 0)
		copy_str(f->msg, f->msgsz, text, len);
	return NULL;
}

void
xr_error_fields(const void *data, size_t len, char *code, size_t codesz,
    char *msg, size_t msgsz)
{
	struct fields f = { code, msg, codesz, msgsz };

	*code = *msg = '\0';
	if (len > 0)
		(void)xr_parse(NULL, data, len, error_field, &f, NULL);
}
