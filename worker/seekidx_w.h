/*
 * seekidx_w.h - the tail index's writer (format: seekidx.h and
 * docs/restore.md).  The compression stage feeds it the tar stream as it
 * passes; it parses the headers (member table), holds back the end of
 * archive, records each block the stage emits, and at the end builds the
 * last tar member ".panel-backup/index" followed by the held-back end of
 * archive: the stage writes that segment stored (gzip stored blocks, zstd
 * raw blocks), so its footer can be found in the object's last bytes.
 */
#ifndef BK_SEEKIDX_W_H
#define BK_SEEKIDX_W_H

#include "seekidx.h"

struct seekidx_w;

typedef int	seekidx_out_fn(void *, const void *, size_t, struct bk_err *);

struct seekidx_w *seekidx_w_new(void);
/* Tar bytes: out() gets what is to be compressed now; the end of the
 * archive is held back (or released, when the stream is no tar we can
 * index: then there will be no index). */
int	seekidx_w_feed(struct seekidx_w *, const void *, size_t,
	    seekidx_out_fn *, void *, struct bk_err *);
/* An emitted block: its tar and compressed offsets and CRC-32. */
void	seekidx_w_block(struct seekidx_w *, uint64_t tar_off,
	    uint64_t comp_off, uint32_t crc);
/* True when an index can be written: the stream parsed as tar and its
 * end of archive is held. */
bool	seekidx_w_ready(const struct seekidx_w *);
/* Not ready: what is still held, to compress as ordinary data. */
int	seekidx_w_release(struct seekidx_w *, seekidx_out_fn *, void *,
	    struct bk_err *);
/* The segment (plain tar bytes: index member, end of archive); the
 * blocks end where it starts: seg_tar_off, seg_comp_off.  *seg is
 * xmalloc'd. */
int	seekidx_w_segment(struct seekidx_w *, enum seekidx_codec,
	    uint64_t seg_comp_off, char **seg, size_t *len, struct bk_err *);
uint64_t seekidx_w_tar_off(const struct seekidx_w *);
void	seekidx_w_free(struct seekidx_w *);

#endif
