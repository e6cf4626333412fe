/*
 * unpack_chain.c - applying an incremental chain in the extraction
 * process: full first, then each incremental over it, and after each one
 * the paths it no longer lists removed, so DIR ends as the tree was at
 * the chain's last archive (deletions and renames included).
 *
 * Every chain archive ends with .panel-backup/chain (JSON: kind, chain,
 * seq, prev) and .panel-backup/paths (every path present at that time,
 * each ended by a NUL; worker/chain.c writes them).  Both are the
 * archive's, so the user's: they are read here, as the user, bounded,
 * and never extracted.  Removal walks DIR the way extraction does
 * (unpack_open_folder: component by component, O_NOFOLLOW), so a path
 * list aimed at a link reaches nothing outside DIR; what is removed is
 * only what an earlier archive of this restore listed and an archive of
 * it created (a list may name anything).  A folder that
 * still holds something no archive listed (--overwrite into a used
 * folder) is left, and named.
 *
 * Threads: one, in the extraction process.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "extract.h"
#include "unpack.h"
#include "unpack_chain.h"
#include "xmalloc.h"

#define META_MAX	(64 * 1024)
#define PATHS_MAX	(512 * 1024 * 1024)
#define PATHS_COUNT	(PATHS_MAX / 16)	/* names in it, at most */

struct unpack_chain {
	char		*meta;		/* the current archive's chain JSON */
	size_t		 metalen;
	char		*raw;		/* its paths, as read */
	size_t		 rawlen;
	bool		 have_paths;
	char		**prev;		/* the previous archive's, sorted, */
	char		*prevraw;	/* ... pointing into this */
	size_t		 nprev;
};

static struct unpack_chain *
chain_of(struct unpack *c)
{
	if (c->chain == NULL)
		c->chain = xcalloc(1, sizeof(*c->chain));
	return c->chain;
}

/* The member's data into *buf (NUL-terminated), at most max bytes. */
static int
slurp(struct unpack *c, struct archive *a, const char *name, size_t max,
    char **buf, size_t *len)
{
	const void *p;
	la_int64_t off;
	size_t n, cap = 0;
	char *b = NULL;
	int r;

	*len = 0;
	while ((r = archive_read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
		/* Sparse holes would be zeros: nothing a list needs. */
		if (n > max - *len) {
			free(b);
			return bk_err_set(&c->err, BK_ECORRUPT, "tar layer: "
			    "%s is larger than %zu bytes", name, max);
		}
		if (*len + n + 1 > cap) {
			cap = *len + n + 1 > max / 2 ? max + 1 :
			    (*len + n + 1) * 2;
			b = xrealloc(b, cap);
		}
		memcpy(b + *len, p, n);
		*len += n;
		c->n.bytes += n;
	}
	if (r != ARCHIVE_EOF) {
		free(b);
		return bk_err_set(&c->err, BK_ECORRUPT, "tar layer: %s: %s",
		    name, archive_error_string(a));
	}
	if (b == NULL)
		b = xmalloc(1);
	b[*len] = '\0';
	*buf = b;
	return 0;
}

/* Names in a NUL-separated list (the last may lack its NUL). */
static size_t
count_names(const char *raw, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		n += raw[i] == '\0';
	return n;
}

int
unpack_chain_member(struct unpack *c, struct archive *a,
    struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e), *why;
	size_t n = strlen(UNPACK_META_DIR);
	struct unpack_chain *ch;
	char path[4096];

	if (raw == NULL || unpack_norm_path(raw, path, sizeof(path), &why) != 1 ||
	    strncmp(path, UNPACK_META_DIR, n) != 0 ||
	    (path[n] != '\0' && path[n] != '/'))
		return 0;
	if (!c->o->chain || archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_hardlink(e) != NULL)
		return 1;
	ch = chain_of(c);
	if (strcmp(path, UNPACK_META_DIR "/chain") == 0) {
		free(ch->meta);
		ch->meta = NULL;
		return slurp(c, a, path, META_MAX, &ch->meta, &ch->metalen) ==
		    -1 ? -1 : 1;
	}
	if (strcmp(path, UNPACK_META_DIR "/paths") == 0) {
		free(ch->raw);
		ch->raw = NULL;
		if (slurp(c, a, path, PATHS_MAX, &ch->raw, &ch->rawlen) == -1)
			return -1;
		/* A pointer a name: a list of one-letter names costs 5
		 * times its size; no tree has that many. */
		if (count_names(ch->raw, ch->rawlen) > PATHS_COUNT)
			return bk_err_set(&c->err, BK_ECORRUPT, "tar layer: "
			    "%s lists more than %u paths", path,
			    (unsigned)PATHS_COUNT);
		ch->have_paths = true;
	}
	return 1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The paths read, normalized in place in raw (a name never grows), sorted,
 * without duplicates: pointers into raw, which the caller keeps.  One
 * allocation per name would cost 20 times the list (40 bytes for "a").
 */
static char **
parse_paths(char *raw, size_t len, size_t *count)
{
	char norm[4096], **v, *w = raw;
	const char *p = raw, *end = raw + len, *why;
	size_t n = 0, cap = count_names(raw, len), i, out, l, k;

	/* Room for each once: no array grown and copied. */
	v = xreallocarray(NULL, cap, sizeof(*v));
	while (p < end) {
		l = strnlen(p, (size_t)(end - p));
		if (unpack_norm_path(p, norm, sizeof(norm), &why) == 1 &&
		    (k = strlen(norm)) <= l && n < cap) {
			/* w <= p: what is left of raw is still unread. */
			memmove(w, norm, k + 1);
			v[n++] = w;
			w += k + 1;
		}
		p += l + 1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	for (i = out = 0; i < n; i++)
		if (out == 0 || strcmp(v[out - 1], v[i]) != 0)
			v[out++] = v[i];
	*count = out;
	return v;
}

/* A database dump a later archive deleted is not one to load. */
static void
forget_kept(struct unpack *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->nkept; i++)
		if (strcmp(c->kept[i], path) == 0) {
			free(c->kept[i]);
			c->kept[i] = c->kept[--c->nkept];
			return;
		}
}

/* Remove one path the chain no longer has. */
static void
remove_one(struct unpack *c, const char *path)
{
	const char *slash = strrchr(path, '/'), *leaf;
	char *dir;
	int pfd;

	/* A list may name anything; what this restore did not make (the
	 * user's own, with --overwrite) is not the chain's to remove. */
	if (!unpack_made(c, path))
		return;
	dir = xstrndup(path, slash == NULL ? 0 : (size_t)(slash - path));
	leaf = slash == NULL ? path : slash + 1;
	pfd = unpack_open_folder(c->root, dir, false);
	free(dir);
	if (pfd == -1)
		return;		/* its folder is gone, or not ours to enter */
	if (unlinkat(pfd, leaf, 0) == 0 || (errno == EISDIR &&
	    unlinkat(pfd, leaf, AT_REMOVEDIR) == 0)) {
		c->n.removed++;
		forget_kept(c, path);
	} else if (errno == ENOTEMPTY || errno == EEXIST)
		unpack_note(c, &c->n.left, path, "kept: the backup no longer "
		    "has this folder, but it holds files that are not from "
		    "the backup");
	else if (errno != ENOENT)
		unpack_note(c, &c->n.left, path, "kept: could not remove it "
		    "(%s)", strerror(errno));
	close(pfd);
}

static bool
is_meta(const char *path)
{
	size_t n = strlen(UNPACK_META_DIR);

	return strncmp(path, UNPACK_META_DIR, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* prev - cur, deepest first (descending order puts "a/b" before "a"). */
static void
remove_gone(struct unpack *c, char **prev, size_t np, char **cur, size_t nc)
{
	size_t i = np, j = nc;
	int cmp;

	unpack_forget_folder(c);
	while (i > 0) {
		cmp = j > 0 ? strcmp(prev[i - 1], cur[j - 1]) : 1;
		if (cmp < 0) {
			j--;
			continue;
		}
		if (cmp == 0) {
			i--;
			j--;
			continue;
		}
		if (!is_meta(prev[i - 1]) &&
		    unpack_wanted(c, prev[i - 1], false))
			remove_one(c, prev[i - 1]);
		i--;
	}
	unpack_forget_folder(c);
}

/* --only at the chain's last archive: what its list has, not what some
 * earlier archive had. */
static void
count_hits(struct unpack *c, char **cur, size_t n)
{
	size_t i, k;

	for (k = 0; k < c->o->nonly; k++)
		c->hits[k] = 0;
	for (i = 0; i < n; i++)
		(void)unpack_wanted(c, cur[i], true);
}

int
unpack_chain_step(struct unpack *c)
{
	struct unpack_chain *ch = chain_of(c);
	char **cur;
	size_t n;

	if (!ch->have_paths)
		return bk_err_set(&c->err, BK_ECORRUPT, "tar layer: no %s/paths "
		    "member, so not an archive of an incremental chain",
		    UNPACK_META_DIR);
	cur = parse_paths(ch->raw, ch->rawlen, &n);
	ch->have_paths = false;
	if (c->root != -1) {
		if (c->step > 0)
			remove_gone(c, ch->prev, ch->nprev, cur, n);
		unpack_fixups(c);
	}
	if (c->step + 1 >= c->o->nstreams && c->o->nonly > 0)
		count_hits(c, cur, n);
	free(ch->prev);
	free(ch->prevraw);
	ch->prev = cur;
	ch->prevraw = ch->raw;
	ch->raw = NULL;
	ch->nprev = n;
	c->step++;
	return 0;
}

int
unpack_chain_clear(struct unpack *c, int pfd, const char *leaf,
    const char *path)
{
	struct unpack_chain *ch = c->chain;
	size_t lo = 0, hi, mid, n = strlen(path);

	/* The first name after "path/": names under it sort together. */
	hi = ch != NULL ? ch->nprev : 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strncmp(ch->prev[mid], path, n) < 0 ||
		    (strncmp(ch->prev[mid], path, n) == 0 &&
		    (unsigned char)ch->prev[mid][n] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; ch != NULL && hi < ch->nprev &&
	    strncmp(ch->prev[hi], path, n) == 0 && ch->prev[hi][n] == '/';
	    hi++)
		;
	/* Deepest first, each as in the removal pass. */
	while (hi > lo)
		remove_one(c, ch->prev[--hi]);
	if (unlinkat(pfd, leaf, AT_REMOVEDIR) == 0)
		return 0;
	if (errno == ENOTEMPTY || errno == EEXIST)
		errno = EEXIST;
	return -1;
}

char *
unpack_chain_meta_take(struct unpack *c, size_t *len)
{
	char *m;

	if (c->chain == NULL || c->chain->meta == NULL)
		return NULL;
	m = c->chain->meta;
	*len = c->chain->metalen;
	c->chain->meta = NULL;
	return m;
}

