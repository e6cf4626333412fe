/*
 * listing.c - the fields of listing answers, gathered as they stream by.
 *
 * Each *_elem function is told the end of every element below the root
 * (xmlread.c) and keeps only what the listing needs: for an entry, its
 * name, size and time; for the answer, the continuation.  An entry is
 * complete at the end of its element (<Contents>, <Blob>, <Upload>,
 * <response>) and added then if it belongs to the folder.
 *
 * WebDAV puts the properties of one resource into several <propstat>
 * elements, each with a status after its <prop>: the values of a propstat
 * are held until its status is known and kept only if it is 200.
 *
 * Threads: a struct listing belongs to one thread.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "listing.h"
#include "partial.h"
#include "xmalloc.h"

static void
ent_clear(struct listing_ent *e)
{
	free(e->name);
	free(e->id);
	memset(e, 0, sizeof(*e));
}

/* Add the open entry (name below l->prefix) if it belongs; clear it.
 * NULL, or why the answer is refused. */
static const char *
take(struct listing *l, struct listing_ent *e)
{
	size_t pl = l->prefix != NULL ? strlen(l->prefix) : 0, cost;
	char *name = e->name;

	if (name == NULL || strncmp(name, l->prefix != NULL ? l->prefix : "",
	    pl) != 0 || (l->name_ok != NULL && !l->name_ok(name + pl))) {
		ent_clear(e);
		return NULL;
	}
	/* What the entry costs, malloc's overhead included. */
	cost = sizeof(*e) + strlen(name) + 16 +
	    (e->id != NULL ? strlen(e->id) + 16 : 0);
	if (l->bytes + cost > LISTING_MAX_BYTES) {
		ent_clear(e);
		return "the listing holds more than 16 MiB of names";
	}
	l->bytes += cost;
	if (l->n == l->cap) {
		l->cap = l->cap > 0 ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	e->name = pl > 0 ? xstrdup(name + pl) : name;
	if (pl > 0)
		free(name);
	l->v[l->n++] = *e;
	memset(e, 0, sizeof(*e));
	return NULL;
}

static void
set_str(char **dst, const char *t, size_t len)
{
	free(*dst);
	*dst = xstrndup(t, len);
}

static time_t
iso_time(const char *v)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static time_t
http_time(const char *v)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%a, %d %b %Y %H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

const char *
listing_s3_elem(void *arg, const char *path, const char *t, size_t len)
{
	struct listing *l = arg;

	if (strcmp(path, "Contents/Key") == 0)
		set_str(&l->cur.name, t, len);
	else if (strcmp(path, "Contents/Size") == 0)
		l->cur.size = strtoull(t, NULL, 10);
	else if (strcmp(path, "Contents/LastModified") == 0)
		l->cur.mtime = iso_time(t);
	else if (strcmp(path, "Contents") == 0)
		return take(l, &l->cur);
	else if (strcmp(path, "NextContinuationToken") == 0)
		set_str(&l->next, t, len);
	else if (strcmp(path, "IsTruncated") == 0)
		l->truncated = strcmp(t, "true") == 0;
	return NULL;
}

const char *
listing_s3_uploads_elem(void *arg, const char *path, const char *t,
    size_t len)
{
	struct listing *l = arg;

	if (strcmp(path, "Upload/Key") == 0)
		set_str(&l->cur.name, t, len);
	else if (strcmp(path, "Upload/UploadId") == 0)
		set_str(&l->cur.id, t, len);
	else if (strcmp(path, "Upload") == 0) {
		if (l->cur.id != NULL)
			return take(l, &l->cur);
		ent_clear(&l->cur);
	}
	return NULL;
}

const char *
listing_azure_elem(void *arg, const char *path, const char *t, size_t len)
{
	struct listing *l = arg;

	if (strncmp(path, "Blobs/Blob", 10) != 0) {
		if (strcmp(path, "NextMarker") == 0)
			set_str(&l->next, t, len);
		return NULL;
	}
	path += 10;
	if (strcmp(path, "/Name") == 0)
		set_str(&l->cur.name, t, len);
	else if (strcmp(path, "/Properties/Content-Length") == 0)
		l->cur.size = strtoull(t, NULL, 10);
	else if (strcmp(path, "/Properties/Last-Modified") == 0)
		l->cur.mtime = http_time(t);
	else if (*path == '\0')
		return take(l, &l->cur);
	return NULL;
}

/* The last segment of an href, unescaped ("" for the collection). */
static char *
href_name(const char *href)
{
	char *copy = xstrdup(href), *name, *out;
	const char *s;
	size_t n = strlen(copy);

	while (n > 0 && copy[n - 1] == '/')
		copy[--n] = '\0';
	s = strrchr(copy, '/');
	name = curl_easy_unescape(NULL, s != NULL ? s + 1 : copy, 0, NULL);
	free(copy);
	out = xstrdup(name != NULL ? name : "");
	curl_free(name);
	return out;
}

static const char *
webdav_response_end(struct listing *l)
{
	const char *why = NULL;
	char *name;

	if (l->cur.name == NULL || !l->cur_ok || l->cur_dir) {
		ent_clear(&l->cur);
		goto out;
	}
	name = href_name(l->cur.name);
	free(l->cur.name);
	l->cur.name = name;
	if (*name == '\0' || partial_is(name) != l->partials)
		ent_clear(&l->cur);
	else
		why = take(l, &l->cur);
out:
	l->cur_ok = l->cur_dir = false;
	ent_clear(&l->ps);
	l->ps_ok = l->ps_dir = false;
	return why;
}

const char *
listing_webdav_elem(void *arg, const char *path, const char *t, size_t len)
{
	struct listing *l = arg;
	time_t m;

	if (strncmp(path, "response", 8) != 0)
		return NULL;
	path += 8;
	if (strcmp(path, "/href") == 0)
		set_str(&l->cur.name, t, len);
	else if (strcmp(path, "/propstat/status") == 0)
		l->ps_ok = strstr(t, " 200") != NULL;
	else if (strcmp(path, "/propstat/prop/getcontentlength") == 0)
		l->ps.size = strtoull(t, NULL, 10);
	else if (strcmp(path, "/propstat/prop/getlastmodified") == 0) {
		m = curl_getdate(t, NULL);
		l->ps.mtime = m > 0 ? m : 0;
	} else if (strcmp(path, "/propstat/prop/resourcetype/collection") == 0)
		l->ps_dir = true;
	else if (strcmp(path, "/propstat") == 0) {
		/* As before: the last 200 propstat is the resource's. */
		if (l->ps_ok) {
			l->cur.size = l->ps.size;
			l->cur.mtime = l->ps.mtime;
			l->cur_dir = l->ps_dir;
			l->cur_ok = true;
		}
		ent_clear(&l->ps);
		l->ps_ok = l->ps_dir = false;
	} else if (*path == '\0')
		return webdav_response_end(l);
	return NULL;
}

void
listing_reset(void *arg)
{
	struct listing *l = arg;
	size_t i;

	for (i = 0; i < l->n; i++)
		ent_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = l->bytes = 0;
	free(l->next);
	l->next = NULL;
	l->truncated = false;
	ent_clear(&l->cur);
	ent_clear(&l->ps);
	l->cur_ok = l->cur_dir = l->ps_ok = l->ps_dir = false;
}

int
listing_each(const struct listing *l, storage_list_fn *fn, void *arg)
{
	struct storage_obj o;
	size_t i;
	int rc = 0;

	for (i = 0; i < l->n && rc == 0; i++) {
		o = (struct storage_obj){ .name = l->v[i].name,
		    .size = l->v[i].size, .mtime = l->v[i].mtime };
		rc = fn(&o, arg);
	}
	return rc;
}
