/*
 * chain.h - incremental chains, the write side: the state a user's next
 * run needs (STATE_DIR/chain/<user>.state), the choice between a full
 * and an incremental backup (with the reason for a full), and the two
 * members every chain archive ends with (.panel-backup/chain and
 * .panel-backup/paths).
 *
 * The state is written only after every destination committed the
 * archive it describes (chain_state_save, atomic rename); a missing or
 * unreadable state, or one that does not match the settings or the
 * destination, makes the next run a full backup.
 */
#ifndef BK_CHAIN_H
#define BK_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bk_err;
struct buf;

#define CHAIN_DIR_MEMBER	".panel-backup/"
#define CHAIN_MEMBER		".panel-backup/chain"
#define CHAIN_PATHS_MEMBER	".panel-backup/paths"

/* What decides "changed", as the user's reader saw it (lstat). */
struct chain_entry {
	char		*path;		/* tar member name */
	uint64_t	 size;
	int64_t		 mtime_ns;
	int64_t		 ctime_ns;
	uint64_t	 ino;
	char		 type;		/* f d l o (other) */
};

struct chain_dump {
	char		*name;		/* member name of the dump */
	char		 sha256[65];	/* hex of the dump stream */
};

struct chain_state {
	char			*full;		/* the chain's full name */
	unsigned int		 seq;		/* last archive's seq, 0 = full */
	char			*last;		/* last archive's name */
	char			*ext;		/* extension + crypt suffix */
	char			 id[17];	/* the chain's, random hex */
	time_t			 full_time;
	struct chain_entry	*ents;		/* sorted by path */
	size_t			 n, cap;
	struct chain_dump	*dumps;
	size_t			 ndumps, dcap;
};

void	chain_state_init(struct chain_state *);
void	chain_state_free(struct chain_state *);
/* Add a path (copied); chain_state_sort before lookups. */
void	chain_state_add(struct chain_state *, const struct chain_entry *);
void	chain_state_add_dump(struct chain_state *, const char *name,
	    const char *sha256);
void	chain_state_sort(struct chain_state *);
const struct chain_entry *chain_state_find(const struct chain_state *,
	    const char *path);
const char *chain_state_dump_sha(const struct chain_state *,
	    const char *name);
/* Does e differ from what the state recorded (or is it new)? */
bool	chain_changed(const struct chain_state *, const struct chain_entry *);

struct stat;
/* e from what the reader saw of member (its lstat, or fstat when open);
 * e->path borrows member. */
void	chain_entry_from_stat(struct chain_entry *e, const char *member,
	    const struct stat *);

/* STATE_DIR/chain/<user>.state.  load: 0, or -1 with BK_ENOENT when
 * there is none, another code when it is unreadable. */
int	chain_state_load(const char *state_dir, const char *user,
	    struct chain_state *, struct bk_err *);
int	chain_state_save(const char *state_dir, const char *user,
	    const struct chain_state *, struct bk_err *);
/* Forget the chain (the next run is a full). */
int	chain_state_remove(const char *state_dir, const char *user,
	    struct bk_err *);

struct chain_policy {
	bool		 incremental;	/* BACKUP_INCREMENTAL */
	int64_t		 full_interval_ms; /* BACKUP_FULL_INTERVAL; 0: none */
	const char	*full_interval;	/* as written, for the note */
	long long	 chain_length;	/* BACKUP_CHAIN_LENGTH; 0: none */
	const char	*ext;		/* this run's extension + suffix */
};

struct chain_plan {
	bool		 full;
	unsigned int	 seq;		/* 0 for a full */
	char		*name;		/* this archive's name */
	char		*chain;		/* the chain's full name */
	char		*prev;		/* previous archive, NULL for a full */
	time_t		 full_time;	/* when the chain's full was made */
	char		 id[17];	/* the chain's: new with each full */
	char		 note[160];	/* why a full ("" for an incremental) */
};

/*
 * Decide this run: st is the loaded state or NULL (state_why says why it
 * is missing, e.g. "no chain state"); last_present tells whether the
 * destination holds st->last; full_name is what BACKUP_FILENAME renders
 * now.  Always succeeds.
 */
void	chain_decide(const struct chain_state *st, const char *state_why,
	    const struct chain_policy *, time_t now, bool last_present,
	    const char *full_name, struct chain_plan *);
void	chain_plan_free(struct chain_plan *);

/* The .panel-backup/chain member's JSON, appended to out. */
int	chain_meta_json(const struct chain_plan *, time_t now,
	    struct buf *out);
/* The .panel-backup/paths member: every path of st, sorted, each
 * followed by a NUL, appended to out. */
int	chain_paths(const struct chain_state *, struct buf *out);

#endif
