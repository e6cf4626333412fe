/*
 * compress.h - the compression stages of the pipeline.
 *
 * gz: independent blocks of COMPRESS_GZ_BLOCK bytes compressed with
 * libdeflate on `threads` threads and written in order as one gzip member
 * (every reader, Python's tarfile stream mode and `gzip -l` included, reads
 * it whole; stage_gzip.c says how).  Block boundaries depend only on the
 * input, so the output is byte-identical for any thread count.
 * zst: independent frames of 2 MiB of input, each with its checksum,
 * compressed on `threads` threads by the same ordered ring.  Both end with
 * the tail index (seekidx.h) when the input is a tar stream.
 */
#ifndef BK_COMPRESS_H
#define BK_COMPRESS_H

#define COMPRESS_GZ_BLOCK	(1024 * 1024)

struct stage_type;

struct compress_cfg {
	int	level;
	int	threads;	/* >= 1 */
};

extern const struct stage_type stage_gzip;
extern const struct stage_type stage_zstd;
/* Readers, for restore and verify: compressed in, plain out. */
extern const struct stage_type stage_gunzip;
extern const struct stage_type stage_unzstd;

/* Threads for a GZIP_PARALLELISM-style value: 0 means every core. */
int	compress_threads(long long setting);

#endif
