/*
 * dump.h - what the database dump drivers (dump_mysql.c, dump_pg.c,
 * dump_mssql.c) share with their dispatcher, sources_db.c.
 *
 * A driver lists every database on its server and dumps one database into
 * a file descriptor the dispatcher adds to the archive.  Which databases
 * are the user's is decided by the dispatcher alone, from the admin's
 * pattern (MYSQL_DATABASES and friends): a driver never sees a user's
 * settings.
 */
#ifndef BK_DUMP_H
#define BK_DUMP_H

#include <stdbool.h>

#include "sources.h"

struct bk_err;
struct buf;
struct settings;

struct dump_ctx {
	const struct settings	*admin;
	const char		*user;
	char			*spool_dir;	/* private 0700 folder under
						 * TEMP_DIR, made on first use */
	unsigned int		 seq;		/* dumps so far, for names */
};

struct dump_driver {
	enum source_kind	 kind;
	const char		*pattern_key;	/* MYSQL_DATABASES, ... */
	const char		*ext;		/* member suffix: ".sql" */
	const char *const	*system_dbs;	/* never a user's */
	bool	(*configured)(const struct settings *admin);
	/* Every database on the server, as a NULL-terminated strv. */
	int	(*list)(struct dump_ctx *, char ***names, struct bk_err *);
	/* Dump db; *fd is a readable file (at any offset) holding exactly the
	 * dump, which vanishes when *fd is closed. */
	int	(*dump)(struct dump_ctx *, const char *db, int *fd,
		    struct bk_err *);
};

extern const struct dump_driver dump_mysql;
extern const struct dump_driver dump_pg;
extern const struct dump_driver dump_mssql;

/*
 * A fresh spool file: 0600, in the job's private 0700 folder under
 * TEMP_DIR, already unlinked (O_TMPFILE where the file system has it), so
 * it never outlives its descriptor, whatever happens to the process.
 */
int	dump_spool_open(struct dump_ctx *, int *fd, struct bk_err *);

/* Split text on sep into a strv (empty items dropped). */
char	**dump_split(const char *text, size_t len, char sep);

/* Register the password lines of a MySQL option file or the password
 * fields of a .pgpass file, so no message can show them. */
void	dump_register_mysql_passwords(const char *path);
void	dump_register_pgpass(const char *path);

#endif
