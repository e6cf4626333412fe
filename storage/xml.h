/*
 * xml.h - a small XML reader for API answers (S3 and Azure listings and
 * errors, WebDAV PROPFIND multistatus).
 *
 * It builds a tree of elements; namespace prefixes are dropped from names
 * ("D:href" and "lp1:getlastmodified" become "href", "getlastmodified"),
 * entities and CDATA are decoded, comments, processing instructions and
 * DOCTYPEs skipped.  Input is untrusted: depth and size are bounded and
 * the parser is fuzzed.
 */
#ifndef BK_XML_H
#define BK_XML_H

#include <stddef.h>

struct bk_err;

struct xml_node {
	char		*name;		/* local name, no prefix */
	char		*text;		/* concatenated text content ("" if none) */
	struct xml_node	*child;		/* first child element */
	struct xml_node	*next;		/* next sibling element */
};

/* Parse buf; returns the root element, or NULL with err (BK_EPROTO). */
struct xml_node	*xml_parse(const char *buf, size_t len, struct bk_err *);
void		 xml_free(struct xml_node *);
/* First direct child named name, or NULL. */
const struct xml_node *xml_child(const struct xml_node *, const char *name);
/* Text of the element at a '/'-separated path of child names below n
 * ("Contents/Key"), or NULL if absent. */
const char	*xml_text(const struct xml_node *, const char *path);

#endif
