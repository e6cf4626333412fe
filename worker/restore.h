/*
 * restore.h - the other half of a backup: stream it back from its
 * destination through decryption, decompression and a tar reader, either
 * just checking every layer (verify) or extracting into a folder.
 */
#ifndef BK_RESTORE_H
#define BK_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bk_err;
struct settings;

struct restore_opts {
	const char	*user;
	const char	*env_file;	/* NULL: USERS_DIR/<user>.env */
	const char	*name;		/* the backup */
	const char	*to_dir;	/* NULL: verify only */
	char *const	*only;		/* member paths to restore, or NULL */
	size_t		 nonly;
	const char	*identity_file;
	const char	*passphrase_file;
	bool		 progress;	/* a bar on stderr */
};

struct restore_result {
	uint64_t	 members;
	uint64_t	 bytes;		/* file content bytes in the tar */
	uint64_t	 stored;	/* bytes downloaded */
	char		 sha256[65];	/* of the stored object */
	char		*location;	/* where it was read from */
	bool		 manifest_checked;	/* size+sha256 matched */
	char		**dumps;	/* database dumps restored */
	size_t		 ndumps;
};

int	restore_run(const struct settings *admin, const struct restore_opts *,
	    struct restore_result *, struct bk_err *);
void	restore_result_free(struct restore_result *);

/* The record a job leaves of each backup it wrote (STATE_DIR/manifests),
 * so verify can prove a backup whole: size and SHA-256. */
void	restore_manifest_write(const struct settings *admin, const char *user,
	    const char *name, uint64_t size, const char *sha256);

#endif
