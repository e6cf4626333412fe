/*
 * upload.h - the last stage of a backup: a tee into every destination's
 * streaming upload, hashing the stream on the way (SHA-256).
 *
 * A destination whose upload fails is dropped from the tee and its error
 * kept; the others go on, so one broken destination does not cost the
 * user the rest.  The stage fails only when no destination is left.
 * Committing (making the backup visible) is the job's, after the whole
 * pipeline finished.
 */
#ifndef BK_UPLOAD_H
#define BK_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct stage_type;
struct storage_upload;

struct upload_tee {
	struct storage_upload	**ups;		/* borrowed */
	struct bk_err		 *errs;		/* per destination */
	size_t			  n;
	uint64_t		  bytes;
	char			  sha256[65];	/* hex, set by finish */
};

extern const struct stage_type stage_upload;

#endif
