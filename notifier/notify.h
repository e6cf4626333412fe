/*
 * notify.h - sending a user's notifications for one event.
 *
 * The notifier daemon (for queue events) and `backupctl run` (which sends
 * a user's notifications itself) both call notify_event(); services are
 * plug-ins behind notify_int.h, one file each.
 */
#ifndef BK_NOTIFY_H
#define BK_NOTIFY_H

#include <stdint.h>
#include <time.h>

struct bk_err;
struct settings;

enum notify_kind {
	NOTIFY_SUCCEEDED,
	NOTIFY_FAILED,		/* the job failed for good */
	NOTIFY_MISSED,		/* a schedule time was missed */
	NOTIFY_TEST,		/* backupctl notify test */
};

/* What happened; all strings borrowed, any may be NULL. */
struct notify_event {
	enum notify_kind	 kind;
	const char		*user;
	const char		*job_id;
	const char		*backup_name;
	const char		*destinations;	/* "local:/x, s3://b/p" */
	const char		*error;
	uint64_t		 size;		/* bytes of the backup */
	double			 seconds;
	unsigned int		 pruned;
	time_t			 started;
	time_t			 finished;
};

/*
 * Send ev to every URL of NOTIFICATION_URLS in user (its NOTIFICATION_LEVEL
 * decides whether a success is sent at all).  Each URL is tried on its own;
 * returns the number of URLs that failed (their errors logged once, URLs
 * redacted), 0 if all went out or none applied.
 */
int	notify_event(const struct settings *admin, const struct settings *user,
	    const struct notify_event *ev);

#endif
