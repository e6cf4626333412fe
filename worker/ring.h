/*
 * ring.h - an ordered pool of block compressors (gzip and zstd share it).
 *
 * Input is cut into blocks of a fixed size.  With one thread a block is
 * compressed inline; with N threads the stage thread fills slots of a
 * ring of N + 2 and workers compress them, and finished blocks are handed
 * to emit() strictly in input order, so the output never depends on
 * timing or on the thread count.  Memory: (N + 2) x (block + bound).
 */
#ifndef BK_RING_H
#define BK_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bk_err;
struct ring;

/* One compressed block, as emit() sees it. */
struct ring_block {
	const char	*in;
	size_t		 in_len;
	const char	*out;
	size_t		 out_len;
	uint32_t	 crc;		/* CRC-32 of in, when the codec makes it */
};

struct ring_codec {
	/* A compressor for one thread; NULL when it cannot be had (every
	 * block it takes then fails). */
	void	*(*ctx_new)(void *arg);
	void	 (*ctx_free)(void *ctx);
	/* Compress in[0..in_len) into out (bound bytes); last: the
	 * stream's final block.  Returns the output length, 0 on failure;
	 * sets *crc. */
	size_t	 (*block)(void *ctx, const char *in, size_t in_len, bool last,
		    char *out, size_t bound, uint32_t *crc);
	/* Receives blocks in order, on the stage thread. */
	int	 (*emit)(void *arg, const struct ring_block *, struct bk_err *);
};

struct ring	*ring_new(const struct ring_codec *, void *arg, int threads,
		    size_t block, size_t bound, struct bk_err *);
int		 ring_write(struct ring *, const void *, size_t,
		    struct bk_err *);
/* Submit the partial block (if any, or an empty one when force and no
 * block was ever submitted) with the given last flag, then wait for every
 * block and emit it. */
int		 ring_flush(struct ring *, bool last, bool force,
		    struct bk_err *);
/* Blocks submitted so far, and whether the last one was flagged last. */
uint64_t	 ring_blocks(const struct ring *);
bool		 ring_last_sent(const struct ring *);
void		 ring_free(struct ring *);

#endif
