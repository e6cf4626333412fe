/*
 * sched_table.h - backup-scheduler's users: name, schedule, and the
 * identity of the settings file it came from, sorted by name.
 */
#ifndef BK_SCHED_TABLE_H
#define BK_SCHED_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

struct cron;
struct settings;

struct sched_user {
	char		*name;
	char		*key;	/* expression and zone, as stored in Redis */
	struct cron	*cron;	/* NULL: refused (error says why) */
	char		*error;
	time_t		 anchor;	/* @every phase, stable per user */
	struct timespec	 mtime;		/* identity of the file read */
	off_t		 size;
	ino_t		 ino;
	bool		 seen;		/* found by the running scan */
	bool		 dirty;		/* to publish to Redis */
};

struct sched_table {
	struct sched_user	**v;	/* sorted by name */
	size_t			  n, cap;
};

void	sched_table_free(struct sched_table *);
struct sched_user *sched_table_find(const struct sched_table *,
	    const char *name);
/* A new, empty entry for name (which must not be there yet). */
struct sched_user *sched_table_add(struct sched_table *, const char *name);
void	sched_table_remove(struct sched_table *, const char *name);

/* Has the file behind st changed since u was read? */
bool	sched_user_changed(const struct sched_user *, const struct stat *);
/* Read u's schedule from file (BACKUP_CRON_EXPRESSION and TZ only; the
 * values of every other key are wiped at once) and check it against
 * MIN_SCHEDULE_INTERVAL_SECONDS.  Marks u dirty; u->error on refusal. */
void	sched_user_load(struct sched_user *, const struct settings *admin,
	    const char *file, const struct stat *, time_t now);
/* The first due time strictly after t; -1 if none.  @every fires at
 * anchor + k * period, so restarts and replicas agree. */
time_t	sched_user_next(const struct sched_user *, time_t t);

#endif
