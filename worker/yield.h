/*
 * yield.h - backups that yield to the sites they back up: CPU and I/O
 * priority of the job process, upload and read rate limits, and the
 * node's load gate (docs/operations.md, "Backups that yield").
 */
#ifndef BK_YIELD_H
#define BK_YIELD_H

#include <stdbool.h>
#include <stddef.h>

struct settings;

/* In backup-worker before the first job process is forked: the shared
 * upload budget of NODE_UPLOAD_LIMIT_KBPS (one per worker, shared by its
 * slots through memory the job processes inherit). */
void	yield_node_init(const struct settings *admin);
/* In a job process before its threads start: JOB_NICE, JOB_IO_CLASS and
 * JOB_IO_LEVEL (inherited by every thread and dump tool started later),
 * and the rate limits.  Failures are logged, never fatal. */
void	yield_job_init(const struct settings *admin);
/* After the user's settings are read (same process, before the pipeline
 * threads): BACKUP_UPLOAD_LIMIT_KBPS and BACKUP_NICE, which can only make
 * the job slower or nicer than the admin's settings. */
void	yield_job_user(const struct settings *user);
/* Sleep as long as the limits need before n more bytes go out (upload
 * tee) or after n bytes were read (sources).  No limit: no cost. */
void	yield_pace_upload(size_t n);
void	yield_pace_read(size_t n);
/* True when the node is too busy to start a job (WORKER_MAX_LOAD,
 * WORKER_MAX_IO_PRESSURE); why gets a one-line reason. */
bool	yield_gate_closed(const struct settings *admin, char *why,
	    size_t whysz);

#endif
