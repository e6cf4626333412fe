/*
 * sources.h - what to back up: the BACKUP_SOURCES names of the panel docs
 * mapped to folders and database dumps, each under its archive folder
 * (files/, emails/, mysql/, postgres/, mssql/, vhosts/, minecraft/).
 */
#ifndef BK_SOURCES_H
#define BK_SOURCES_H

struct bk_err;
struct diag;
struct privsep;
struct settings;
struct tarw;

enum source_kind {
	SRC_FILES,
	SRC_EMAILS,
	SRC_MYSQL,
	SRC_POSTGRES,
	SRC_MSSQL,
	SRC_VHOSTS,
	SRC_MINECRAFT,
	SRC_COUNT,
};

struct source_desc {
	enum source_kind	 kind;
	const char		*name;		/* as in the panel docs */
	const char		*folder;	/* archive folder */
	const char		*admin_key;	/* SOURCE_* path template, or
						 * NULL for databases */
};

extern const struct source_desc source_table[SRC_COUNT];

/* Which sources the user asked for (a bit per kind), or -1 with diag
 * entries naming BACKUP_SOURCES. */
int	sources_selected(const struct settings *user, unsigned int *mask,
	    struct diag *);

/* Errors for the sources that sources_archive() would refuse: named
 * explicitly, but not configured or with none of their paths present. */
void	sources_check_present(const struct settings *admin,
	    const struct settings *user, const char *user_name,
	    struct diag *);

/*
 * Archive every selected source of user into t, path sources read through
 * ps (privsep.h: with the user's privileges).  A source named
 * explicitly that does not exist fails the job (BK_ENOENT); with "All" it
 * is skipped with a note.
 */
int	sources_archive(const struct settings *admin,
	    const struct settings *user, const char *user_name,
	    struct tarw *t, struct privsep *, struct bk_err *);

/*
 * Database dumps (sources_db.c): dump every database of user of the given
 * kind into t under its folder.  Returns 0 (with *count dumps, 0 when the
 * admin configured none), or -1.
 */
int	sources_dump_databases(enum source_kind, const struct settings *admin,
	    const char *user_name, struct tarw *t, unsigned int *count,
	    struct bk_err *);
/* True when the admin configured this database kind at all. */
int	sources_db_configured(enum source_kind, const struct settings *admin);

#endif
