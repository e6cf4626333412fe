/*
 * catalog.h - the backups of a user at all their destinations: what
 * `backupctl list` prints and where restore and verify find a backup.
 *
 * A backup is a name the user's BACKUP_FILENAME template could have made
 * (with or without .gpg/.age), a name with BACKUP_PRUNING_PREFIX, or any
 * tar archive name (.tar, .tar.gz, .tar.zst, optionally encrypted), so
 * archives written by the tool we replace are listed too.
 */
#ifndef BK_CATALOG_H
#define BK_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bk_err;
struct settings;
struct storage;

struct catalog_entry {
	char		*name;
	char		*destination;	/* backend: local, s3, ... */
	char		*location;	/* printable, no secrets */
	uint64_t	 size;
	time_t		 time;		/* from the name, else mtime */
	const char	*kind;		/* "full" or "incremental" */
	char		*chain;		/* the full's name (its own for one) */
	unsigned int	 seq;		/* 0 for a full */
	/* An incremental that cannot be restored: the first archive it
	 * needs that its destination lacks (NULL: whole). */
	char		*missing;
};

struct catalog {
	struct catalog_entry	*v;
	size_t			 n;
	/* Destinations that could not be listed: one message each. */
	char			**errors;
	size_t			 nerrors;
};

/* List every destination of user; entries newest first.  Fails only when
 * no destination could be listed at all. */
int	catalog_load(const struct settings *admin, const struct settings *user,
	    const char *user_name, struct catalog *, struct bk_err *);
void	catalog_free(struct catalog *);

/* Open the destination holding name (the first, in destination order).
 * *entry is borrowed from cat. */
int	catalog_open(const struct settings *admin, const struct settings *user,
	    const char *user_name, const struct catalog *cat, const char *name,
	    struct storage **, const struct catalog_entry **, struct bk_err *);

/*
 * The archives a restore of name needs, full first and name last, all at
 * the destination that holds name (a full alone: just it).  0 with
 * (*v)[0..*n-1] borrowed from cat (free *v); -1 with BK_ENOENT when name
 * is at no destination, BK_ECORRUPT for a broken chain, naming the first
 * archive missing.
 */
int	catalog_chain(const struct catalog *, const char *name,
	    const struct catalog_entry ***v, size_t *n, struct bk_err *);

/* The storage_config for a user (shared with the job runner). */
struct storage_config;
void	catalog_storage_config(const struct settings *admin,
	    const struct settings *user, const char *user_name,
	    const char *files_root, struct storage_config *);

#endif
