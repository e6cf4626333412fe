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

struct cli_cmd;
struct cli_ctx;
struct queue;
struct settings;

/* The start every read-only queue command shares: options --json and
 * --help, exactly nargs operands (stored in operands[]), the admin config,
 * the queue.  NULL with *status set when the command is over (0 after
 * --help, 2 bad usage, 2/3 config or Redis). */
struct queue	*jobview_start(struct cli_ctx *, const struct cli_cmd *,
		    int argc, char **argv, int nargs, const char **operands,
		    bool *json, int *status);

/* Open the queue; on failure print "prog: why" and set *status (2 or 3). */
struct queue	*jobview_open(const struct settings *admin, const char *prog,
		    int *status);
/* One JSON document on stdout; returns 0. */
int		 jobview_json(json_t *);
/* A job in a few human lines. */
void		 jobview_print(FILE *, json_t *job);
/* One line per job, for lists. */
void		 jobview_line(FILE *, json_t *job);
/* The header row above those lines. */
void		 jobview_header(FILE *);
/* Follow job id until it succeeded or failed; progress goes to stderr
 * (a live bar on a terminal, plain lines otherwise).  Returns the job's
 * exit status: 0 succeeded, 1 failed, 3 Redis lost.  *final gets the last
 * record when not NULL. */
int		 jobview_wait(struct queue *, const char *id, const char *prog,
		    json_t **final);
/* One step of following a job (SPEC.md's job object: state, phase,
 * bytes_in, percent, eta_seconds) on stderr: on a terminal one line
 * redrawn, a bar with rate and ETA when percent is known; otherwise a
 * plain line per change of state or phase and per tenth of the way
 * (last, of lastsz bytes, keeps what was printed). */
void		 jobview_progress(json_t *job, bool tty, char *last,
		    size_t lastsz);
/* "12.3 MB" */
void		 jobview_bytes(unsigned long long, char *, size_t);

#endif
