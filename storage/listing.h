/*
 * listing.h - what the listing answers of S3 (ListObjectsV2,
 * ListMultipartUploads), Azure (List Blobs) and WebDAV (PROPFIND
 * multistatus) mean, read element by element as xmlread.h streams them.
 *
 * A struct listing gathers the entries of one answer; they are handed to
 * the caller only once the whole answer has been read and judged, so a
 * broken or retried answer lists nothing twice.  It costs the names, not
 * the document.
 */
#ifndef BK_LISTING_H
#define BK_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "storage.h"

struct listing_ent {
	char		*name;		/* backup name, or S3 upload key */
	char		*id;		/* S3 UploadId, else NULL */
	uint64_t	 size;
	time_t		 mtime;
};

struct listing {
	/* set by the caller */
	const char		*prefix;	/* S3, Azure: folder prefix */
	bool			(*name_ok)(const char *); /* or NULL */
	bool			 partials;	/* WebDAV: list partial files */
	/* the answer's entries and continuation */
	struct listing_ent	*v;
	size_t			 n, cap;
	size_t			 bytes;		/* the entries cost */
	char			*next;		/* token or marker */
	bool			 truncated;	/* S3 IsTruncated */
	/* the entry being read */
	struct listing_ent	 cur;
	bool			 cur_ok;	/* WebDAV: a 200 propstat seen */
	bool			 cur_dir;
	struct listing_ent	 ps;		/* WebDAV: the open propstat */
	bool			 ps_dir, ps_ok;
};

/* Names one answer may hold: a hostile server cannot make a listing
 * cost more (S3 pages hold 1000 keys of at most 1 KiB). */
#define LISTING_MAX_BYTES	(16u << 20)

/* xr_elem_fn's, arg a struct listing. */
const char *listing_s3_elem(void *, const char *path, const char *, size_t);
const char *listing_s3_uploads_elem(void *, const char *path, const char *,
	    size_t);
const char *listing_azure_elem(void *, const char *path, const char *,
	    size_t);
const char *listing_webdav_elem(void *, const char *path, const char *,
	    size_t);
/* Forget every entry (objstore_xml's reset; also the final free). */
void	listing_reset(void *);
/* fn on each entry in order until one returns non-zero: that, or 0. */
int	listing_each(const struct listing *, storage_list_fn *, void *);

#endif
