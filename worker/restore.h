/*
 * restore.h - the other half of a backup: stream it back from its
 * destination through decryption, decompression and a tar reader, either
 * just checking every layer (verify) or extracting into a folder; the
 * tar stream is parsed by a process with the user's reach only
 * (privsep/extract.h).
 */
#ifndef BK_RESTORE_H
#define BK_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extract.h"

struct bk_err;
struct settings;

/* Bytes of the stored backup downloaded so far, of total (its size at the
 * destination, 0 when unknown); called about once a second and once when
 * the download ended. */
typedef void	restore_tick_fn(uint64_t done, uint64_t total, void *arg);

struct restore_opts {
	const char	*user;
	const char	*env_file;	/* NULL: USERS_DIR/<user>.env */
	const char	*name;		/* the backup */
	const char	*to_dir;	/* NULL: verify only */
	char *const	*only;		/* member paths to restore, or NULL */
	size_t		 nonly;
	const char	*identity_file;
	const char	*passphrase_file;
	bool		 overwrite;	/* DIR may be non-empty: files replaced */
	restore_tick_fn	*tick;		/* optional: download progress */
	void		*tick_arg;
};

struct restore_result {
	struct extract_result ex;	/* counts, notes, database dumps */
	uint64_t	 stored;	/* bytes downloaded (all archives) */
	unsigned int	 archives;	/* read: 1, or an incremental's chain */
	char		 sha256[65];	/* of the (last) stored object */
	char		*location;	/* where it was read from */
	bool		 manifest_checked;	/* size+sha256 matched, each */
	bool		 seeked;	/* --only read by ranges (no sha256) */
	char		*note;		/* how --only was read, or NULL */
};

/*
 * An incremental (o->name) is restored, or verified, as the tree at its
 * time: its full, then each incremental of the chain up to it, each
 * archive checked against its record (.panel-backup/chain) and the job's
 * manifest; a broken chain fails naming the archive missing.
 *
 * 0 when every layer read through (and, with to_dir, the extraction
 * finished): entries skipped or refused are in res->ex, for the caller to
 * report (they make a restore's outcome a failure).  -1 with err,
 * including --only PATH that matched nothing.
 */
int	restore_run(const struct settings *admin, const struct restore_opts *,
	    struct restore_result *, struct bk_err *);
void	restore_result_free(struct restore_result *);

/* The record a job leaves of each backup it wrote (STATE_DIR/manifests),
 * so verify can prove a backup whole: size and SHA-256. */
void	restore_manifest_write(const struct settings *admin, const char *user,
	    const char *name, uint64_t size, const char *sha256);

#endif
