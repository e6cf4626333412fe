/*
 * testenv.h - helpers the storage drivers' tests (tests/storage/test_*.c)
 * share: deterministic test bytes, an upload of them, a download sink that
 * checks them, a listing counter, the stand-in servers' control URLs and
 * the fault proxy's request log.  Linked into every test program (the
 * Makefile's TESTLIB).
 */
#ifndef BK_TESTENV_H
#define BK_TESTENV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct bk_err;
struct storage;
struct storage_obj;

/* What te_sink and te_count_obj fill in: objects and bytes listed; bytes
 * downloaded so far (off) and whether all matched te_fill (ok, start 1). */
struct te_collect {
	size_t	 n, bytes, off;
	int	 ok;
};

/* Deterministic bytes, different for each offset: p[0..n) of the stream
 * at off. */
void	te_fill(unsigned char *p, size_t n, size_t off);

/* Uploads size bytes of te_fill as name, in writes of chunk bytes; 0 or
 * -1 (err filled, the upload aborted). */
int	te_upload(struct storage *, const char *name, size_t size,
	    size_t chunk, struct bk_err *err);

/* storage_download sink: compares what arrives with te_fill; arg is a
 * struct te_collect. */
int	te_sink(const void *p, size_t n, void *arg, struct bk_err *err);

/* storage_list callback: counts objects and bytes into a te_collect. */
int	te_count_obj(const struct storage_obj *o, void *arg);

/* GET (post NULL) or POST post to a stand-in's base/__ctl/what; its JSON
 * answer (NULL if none). */
json_t	*te_ctl(const char *base, const char *what, const char *post);

/* te_ctl on the fault proxy on 127.0.0.1:$FP_PORT ("log" after "reset" or
 * the start: the requests it saw). */
json_t	*te_fp_ctl(const char *what, const char *post);

/* Re-runs this test (argv0) under tests/servers/<script> [arg], which
 * starts its server; returns (1, a "not ok" printed) only if that fails. */
int	 te_run_under(const char *script, const char *arg, const char *argv0);

/* Requests of a fault proxy's log with this method (NULL: any) whose
 * target holds sub; faulted or not (-1: either). */
size_t	 te_fp_count(json_t *log, const char *method, const char *sub,
	    int faulted);

/*
 * Ranged downloads through the fault proxy (st must reach its server
 * through it): uploads name (8 MiB), reads 4 KiB from its middle and
 * checks the bytes and that the proxy forwarded only them, then again
 * with the first GET's connection reset.  Prints TAP lines.
 */
void	 te_ranged_wire(struct storage *st, const char *name);

/* Waits for the clock (not for a server): until t has passed. */
void	 te_wait_until(time_t t);

/*
 * The command-line driver of a backend's test program, for the regression
 * scripts: argv is ADMIN ENV USER ACTION [NAME], ACTION one of put (stdin
 * to NAME, its location printed), abort, crash (exits mid-upload), get
 * (NAME to stdout), ls ("name size mtime" lines), rm, cleanup.  backend
 * NULL: $PB_BACKEND or the user's enabled destination.  stdin is written
 * in pieces of chunk bytes.  The process's exit status.
 */
int	 te_drive(int argc, char **argv, const char *backend, size_t chunk);

/* A download sink comparing with want[0..len): bad on any difference. */
struct te_cmp {
	const unsigned char	*want;
	size_t			 len, off;
	int			 bad;
};
int	 te_sink_cmp(const void *p, size_t n, void *arg, struct bk_err *err);

/* What a listing shows of one name (seen -1: the listing failed), and
 * how many .partial leftovers it holds. */
struct te_found {
	const char	*name;
	int		 seen, partials;
	uint64_t	 size;
	time_t		 mtime;
};
struct te_found	 te_lookup(struct storage *, const char *name);

/* Is dir/name on the server's disk?  Does it hold exactly d[0..len)? */
int	 te_on_disk(const char *dir, const char *name);
int	 te_file_equals(const char *dir, const char *name,
	    const unsigned char *d, size_t len);

#endif
