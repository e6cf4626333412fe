/*
 * jobview.h - what backupctl's queue commands and `backup` share: opening
 * the queue with SPEC.md's exit status, printing a job, following one to
 * its end with a progress bar.
 */
#ifndef BK_JOBVIEW_H
#define BK_JOBVIEW_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct queue;
struct settings;

/* Open the queue; on failure print "prog: why" and set *status (2 or 3). */
struct queue	*jobview_open(const struct settings *admin, const char *prog,
		    int *status);
/* One JSON document on stdout; returns 0. */
int		 jobview_json(json_t *);
/* A job in a few human lines. */
void		 jobview_print(FILE *, json_t *job);
/* One line per job, for lists. */
void		 jobview_line(FILE *, json_t *job);
/* Follow job id until it succeeded or failed; progress goes to stderr
 * (a live bar on a terminal, plain lines otherwise).  Returns the job's
 * exit status: 0 succeeded, 1 failed, 3 Redis lost.  *final gets the last
 * record when not NULL. */
int		 jobview_wait(struct queue *, const char *id, const char *prog,
		    json_t **final);
/* "12.3 MB" */
void		 jobview_bytes(unsigned long long, char *, size_t);

#endif
