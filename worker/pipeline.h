/*
 * pipeline.h - stages connected by bounded queues, each on its own thread.
 *
 *   producer --write--> [q] stage 0 --emit--> [q] stage 1 ... --> last stage
 *
 * The producer (the tar writer) calls pipeline_write(); each stage gets its
 * input in blocks of up to PIPE_BLOCK bytes and passes output on with
 * stage_emit().  The last stage (the upload tee) emits nothing.  Queues are
 * bounded, so a slow upload slows reading: memory is the sum of the
 * queues, never the size of the backup.
 *
 * The first error anywhere is sticky: it is recorded once, every queue is
 * woken, each stage's abort() runs, and pipeline_write()/finish() return
 * -1 with that error.  Restore runs the same machinery the other way.
 */
#ifndef BK_PIPELINE_H
#define BK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bk_err;
struct pipeline;
struct stage;

#define PIPE_BLOCK	(1024 * 1024)

struct stage_type {
	const char	*name;
	size_t		 priv_size;	/* the pipeline allocates it */
	/* Called on the stage's thread before the first write.  Optional. */
	int	(*open)(struct stage *, struct bk_err *);
	/* One input block.  Output goes to stage_emit(). */
	int	(*write)(struct stage *, const void *, size_t,
		    struct bk_err *);
	/* End of input: flush what is left.  Optional. */
	int	(*finish)(struct stage *, struct bk_err *);
	/* The pipeline failed: drop everything (called instead of finish). */
	void	(*abort)(struct stage *);
	/* Release priv; called last, whatever happened.  Optional. */
	void	(*close)(struct stage *);
};

struct pipeline	*pipeline_new(void);
/* Append a stage; arg is the stage's configuration (borrowed, must live
 * until pipeline_free). */
void		 pipeline_add(struct pipeline *, const struct stage_type *,
		    void *arg);
int		 pipeline_start(struct pipeline *, struct bk_err *);
/* From the producer thread. */
int		 pipeline_write(struct pipeline *, const void *, size_t,
		    struct bk_err *);
/* End of input; waits for every stage.  0, or -1 with the first error. */
int		 pipeline_finish(struct pipeline *, struct bk_err *);
/* The producer failed or was cancelled: abort every stage, wait. */
void		 pipeline_abort(struct pipeline *, const struct bk_err *);
void		 pipeline_free(struct pipeline *);
/* True once any stage failed (for a producer that wants to stop early). */
bool		 pipeline_failed(const struct pipeline *);
/* Bytes that entered stage i (0 = the producer's), and that left the
 * last-but-one stage (what the sink got). */
uint64_t	 pipeline_bytes_in(const struct pipeline *, size_t i);
uint64_t	 pipeline_bytes_out(const struct pipeline *);

/* For stages. */
void		*stage_priv(struct stage *);
void		*stage_arg(struct stage *);
int		 stage_emit(struct stage *, const void *, size_t,
		    struct bk_err *);

#endif
