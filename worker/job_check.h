/*
 * job_check.h - the checks of user settings that need the worker's
 * libraries: the exclude regexp, the file name template, encryption keys,
 * destinations, notification URLs.  `backupctl config check` and job_run()
 * share them, so a job refuses exactly what the check reports.
 */
#ifndef BK_JOB_CHECK_H
#define BK_JOB_CHECK_H

struct diag;
struct settings;

/* Adds problems to diag; returns the number of errors it added. */
int	job_check_settings(const struct settings *admin,
	    const struct settings *user, const char *user_name, struct diag *);

#endif
