/*
 * restore_seek.h - restore --only over ranges: read the backup's tail
 * index (seekidx.h) with ranged GETs of the object's tail, fetch only the
 * blocks that hold each PATH, and feed exactly those tar members to the
 * extraction process, so every rule of privsep/extract.c still applies.
 */
#ifndef BK_RESTORE_SEEK_H
#define BK_RESTORE_SEEK_H

#include <stddef.h>

struct bk_err;
struct catalog_entry;
struct crypt_keys;
struct extract;
struct restore_opts;
struct restore_result;
struct storage;

/*
 * 1: not done here, download the whole backup (no --only, verify, a
 * plain tar, no index: an archive older than the index or not ours, an
 * index that does not check, gpg, armored age); res->note says why when a
 * user should know, and x is untouched.  0: the members were extracted
 * and x finished (res->ex, res->stored, res->note filled).  -1 with err:
 * the index promised blocks that did not check, or the download failed;
 * x is finished.
 */
/* A chain's archive i read: its .panel-backup/chain record (or NULL) is
 * the one the chain needs there?  0, or -1 with err. */
typedef int	restore_seek_check_fn(const char *meta, size_t i, void *arg,
		    struct bk_err *);

/*
 * v[0..n-1]: the archives a restore of the last one needs, full first
 * (n 1: a full alone).  A chain is read as one stream per archive, each
 * with the members --only names and the archive's record and path list,
 * into x started for the chain (extract_opts.chain, nstreams n): the
 * extraction process applies them as for a whole download, removals
 * included, and check sees each record.
 */
int	restore_seek(struct storage *, const struct catalog_entry *const *v,
	    size_t n, const struct crypt_keys *, const struct restore_opts *,
	    restore_seek_check_fn *check, void *check_arg,
	    struct restore_result *, struct extract *x, struct bk_err *);

#endif
