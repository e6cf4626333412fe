/*
 * notify.h - sending a user's notifications for one event.
 *
 * The notifier daemon (for queue events) and `backupctl run` (which sends
 * a user's notifications itself) both call notify_event(); services are
 * plug-ins behind notify_int.h, one file each.
 */
#ifndef BK_NOTIFY_H
#define BK_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
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
	const char		*task;		/* "restore", "verify"; NULL:
						 * a backup run */
	const char		*backup_name;	/* a task: the backup read */
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

struct diag;

/* The outcome for one URL, in NOTIFICATION_URLS order. */
struct notify_result {
	char	*url;		/* redacted */
	char	*service;	/* "slack", or "" if the URL was not understood */
	bool	 ok;
	char	 error[512];	/* redacted */
};

/*
 * Send ev to every URL whatever the level (backupctl notify test).
 * *res gets one result per URL (free with notify_results_free); returns
 * the number of URLs that failed.  Logs nothing.
 */
int	notify_send(const struct settings *admin, const struct settings *user,
	    const struct notify_event *ev, struct notify_result **res,
	    size_t *nres);
void	notify_results_free(struct notify_result *, size_t);
/* Does the user's NOTIFICATION_LEVEL want this kind of event? */
bool	notify_wanted(const struct settings *user, enum notify_kind);

/* Validate NOTIFICATION_URLS without sending: one diag warning per bad
 * URL (named redacted, with what is wrong; a bad URL never stops a
 * backup, it is skipped).  Returns the number of bad URLs. */
int	notify_check_urls(const struct settings *user, struct diag *diag);
/* One URL: 0, or -1 with the reason in why (the fuzz harness's entry). */
int	notify_check_url(const char *url, char *why, size_t size);
/* NOTIFICATION_URLS split into URLs (commas inside a URL's query kept);
 * NULL-terminated, free with strv_free(). */
char	**notify_split_urls(const char *value);

/*
 * The title and body for ev: the admin's NOTIFICATION_TEMPLATE_DIR
 * files (title_success, body_success, title_failure, body_failure, and
 * optionally title_missed, body_missed, title_test, body_test) or the
 * defaults.  Fields: see docs/notifications.md.  A broken template falls
 * back to the default (and its error goes to *warn when not NULL).
 * Allocated strings.
 */
void	notify_render(const struct settings *admin,
	    const struct notify_event *ev, char **title, char **body);
int	notify_render_warn(const struct settings *admin,
	    const struct notify_event *ev, char **title, char **body,
	    struct bk_err *warn);

#endif
