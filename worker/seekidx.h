/*
 * seekidx.h - the tail index of a gz or zst archive (docs/restore.md,
 * "Format"): which tar member lies where, and where each independently
 * decodable compressed block starts, so restore --only fetches only the
 * blocks that hold a path.
 *
 * This header: the format's constants and the reader, which finds and
 * checks the footer in a tail, then checks and decodes the index from the
 * decompressed segment.  Everything the reader takes is tenant data: every
 * count, offset and length is bounded and checked.  The writer, fed by
 * the compression stages, is seekidx_w.h.
 */
#ifndef BK_SEEKIDX_H
#define BK_SEEKIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bk_err;

#define SEEKIDX_MEMBER	".panel-backup/index"
#define SEEKIDX_MAGIC	"PBSEEK1\n"
#define SEEKIDX_MEMBER_REC 29		/* fixed part of a member record */
#define SEEKIDX_BLOCK_REC 20
#define SEEKIDX_FOOTER	64		/* bytes */
#define SEEKIDX_TAIL	(64 * 1024)	/* a reader's first ranged GET */
#define SEEKIDX_SEG_MAX	(64u << 20)	/* segment bytes a reader takes */
#define SEEKIDX_RAW_MAX	(256u << 20)	/* inflated index bytes */
#define SEEKIDX_BLOCK_MAX (8u << 20)	/* plain bytes of one block */

enum seekidx_codec { SEEKIDX_GZ = 1, SEEKIDX_ZST = 2 };

/* A tar numeric field (octal or base-256): 0, or -1 if it is neither. */
/* The format's numbers, little-endian, for the writer and the reader. */
void	seekidx_put64(unsigned char *, uint64_t);
void	seekidx_put32(unsigned char *, uint32_t);
/* n rounded up to whole tar blocks. */
uint64_t seekidx_pad512(uint64_t n);
int	seekidx_tar_num(const unsigned char *, size_t, uint64_t *);
/* Does a 512-byte tar header's checksum hold? */
bool	seekidx_tar_sum_ok(const unsigned char *);

struct seekidx_footer {
	enum seekidx_codec codec;
	uint32_t	nblocks;
	uint64_t	nmembers;
	uint64_t	seg_comp_off;
	uint64_t	seg_tar_off;
	uint64_t	blob_len;
	uint64_t	raw_len;
	uint32_t	blob_crc;
	unsigned char	raw[SEEKIDX_FOOTER];
};

struct seekidx_member {
	char		*name;		/* as stored, NUL-terminated */
	size_t		 namelen;
	char		 type;		/* tar typeflag */
	uint64_t	 start;		/* tar offset of its first header */
	uint64_t	 end;		/* after its data and padding */
	uint64_t	 size;
};

struct seekidx_block {
	uint64_t	 tar_off;
	uint64_t	 comp_off;
	uint32_t	 crc;
};

struct seekidx {
	struct seekidx_footer	 f;
	struct seekidx_member	*m;
	size_t			 nm;
	struct seekidx_block	*b;
	size_t			 nb;
};

/* The last valid footer in tail[0..len): 1, or 0 when there is none. */
int	seekidx_find_footer(const void *tail, size_t len,
	    struct seekidx_footer *);
/* plain: the decompressed segment (starting at f->seg_tar_off); obj_len:
 * the compressed stream's length.  0, or -1 with err (BK_ECORRUPT) naming
 * what is wrong. */
int	seekidx_decode(const struct seekidx_footer *, const void *plain,
	    size_t len, uint64_t obj_len, struct seekidx *, struct bk_err *);
/* Does member name match --only PATH (the same rule as the extraction:
 * the path itself or anything under it)? */
bool	seekidx_match(const struct seekidx_member *, const char *path);
/* The block holding tar offset off: its index, or nb when none. */
size_t	seekidx_block_at(const struct seekidx *, uint64_t off);
/* Plain and compressed end of block i. */
uint64_t seekidx_block_tar_end(const struct seekidx *, size_t i);
uint64_t seekidx_block_comp_end(const struct seekidx *, size_t i);
void	seekidx_free(struct seekidx *);

#endif
