/*
 * names.c - rendering BACKUP_FILENAME and recognising what it rendered.
 *
 * The template is compiled into a short token list used both ways: render
 * prints each token for a time; match walks a stored name against the
 * tokens with backtracking and collects the date fields it passes.  That
 * keeps pruning from ever touching a file the template did not make.
 * An incremental's name is "inc-NNNN-hhhhhhhh-" + its full's name, so it
 * matches when its tail does (and carries the full's time).
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "names.h"
#include "settings.h"
#include "xmalloc.h"

#define EXT_TOKEN	"{{ .Extension }}"

enum tok_kind { T_LIT, T_EXT, T_NUM, T_ALPHA, T_ZONE };

struct tok {
	enum tok_kind	 kind;
	char		 verb;		/* strftime letter for T_NUM etc. */
	int		 minw, maxw;	/* digits for T_NUM */
	char		 lit[64];
};

struct toks {
	struct tok	 v[64];
	int		 n;
};

static void
add(struct toks *t, enum tok_kind k, char verb, int minw, int maxw)
{
	if (t->n == (int)(sizeof(t->v) / sizeof(t->v[0])))
		return;
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].kind = k;
	t->v[t->n].verb = verb;
	t->v[t->n].minw = minw;
	t->v[t->n].maxw = maxw;
	t->n++;
}

static void
add_lit(struct toks *t, const char *s, size_t n)
{
	struct tok *last = t->n > 0 ? &t->v[t->n - 1] : NULL;
	size_t have;

	if (last == NULL || last->kind != T_LIT) {
		add(t, T_LIT, 0, 0, 0);
		last = &t->v[t->n - 1];
	}
	have = strlen(last->lit);
	if (have + n >= sizeof(last->lit))
		n = sizeof(last->lit) - have - 1;
	memcpy(last->lit + have, s, n);
	last->lit[have + n] = '\0';
}

static void compile_verbs(struct toks *, const char *);

static void
compile_verb(struct toks *t, char v)
{
	switch (v) {
	case 'Y':
		add(t, T_NUM, v, 4, 4);
		break;
	case 'm': case 'd': case 'H': case 'M': case 'S': case 'y':
	case 'I': case 'U': case 'W':
		add(t, T_NUM, v, 2, 2);
		break;
	case '\001':	/* internal: unpadded day, for %c (not a user verb) */
		add(t, T_NUM, 'd', 1, 2);
		break;
	case 'w':
		add(t, T_NUM, v, 1, 1);
		break;
	case 'j':
		add(t, T_NUM, v, 3, 3);
		break;
	case 'f':
		add(t, T_NUM, v, 6, 6);
		break;
	case 'a': case 'A': case 'b': case 'B': case 'p': case 'Z':
		add(t, T_ALPHA, v, 0, 0);
		break;
	case 'z':
		add(t, T_ZONE, v, 0, 0);
		break;
	case 'c':
		compile_verbs(t, "%a %b %\001 %H:%M:%S %Y");
		break;
	case 'x':
		compile_verbs(t, "%m/%d/%y");
		break;
	case 'X':
		compile_verbs(t, "%H:%M:%S");
		break;
	case '%':
		add_lit(t, "%", 1);
		break;
	default:
		break;	/* unknown verbs are dropped, as offen does */
	}
}

static void
compile_verbs(struct toks *t, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (strncmp(p, EXT_TOKEN, strlen(EXT_TOKEN)) == 0) {
			add(t, T_EXT, 0, 0, 0);
			p += strlen(EXT_TOKEN) - 1;
		} else if (*p == '%') {
			if (p[1] == '\0')
				break;	/* a lone trailing % is dropped */
			compile_verb(t, *++p);
		} else
			add_lit(t, p, 1);
	}
}

const char *
names_template(const struct settings *admin, const struct settings *user)
{
	if (settings_is_set(user, "BACKUP_FILENAME") &&
	    settings_bool(admin, "ALLOW_CUSTOM_FILENAME"))
		return settings_get(user, "BACKUP_FILENAME");
	return NAMES_DEFAULT;
}

const char *
names_extension(const char *compression)
{
	if (strcmp(compression, "zst") == 0)
		return "tar.zst";
	if (strcmp(compression, "none") == 0)
		return "tar";
	return "tar.gz";
}

static void
render_tok(struct buf *b, const struct tok *k, const char *ext,
    const struct tm *tm)
{
	char fmt[4] = { '%', k->verb, '\0', '\0' }, out[64];

	switch (k->kind) {
	case T_LIT:
		buf_puts(b, k->lit);
		return;
	case T_EXT:
		buf_puts(b, ext);
		return;
	case T_NUM:
		if (k->verb == 'f') {
			buf_puts(b, "000000");
			return;
		}
		if (k->verb == 'd' && k->minw == 1) {
			buf_printf(b, "%d", tm->tm_mday);
			return;
		}
		break;
	case T_ALPHA:
	case T_ZONE:
		break;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	strftime(out, sizeof(out), fmt, tm);
#pragma GCC diagnostic pop
	buf_puts(b, out);
}

char *
names_render(const char *tmpl, const char *ext, time_t t, const char *tz,
    struct bk_err *err)
{
	struct toks toks = { .n = 0 };
	struct buf b;
	struct tm tm;
	char *name;
	int i;

	(void)tz;
	if (t == 0)
		t = time(NULL);
	localtime_r(&t, &tm);
	compile_verbs(&toks, tmpl);
	buf_init(&b, 4096);
	for (i = 0; i < toks.n; i++)
		render_tok(&b, &toks.v[i], ext, &tm);
	name = buf_take(&b);
	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) > 200) {
		bk_err_set(err, BK_ECONFIG, "BACKUP_FILENAME: \"%s\" renders "
		    "to \"%s\", which is not a plain file name", tmpl, name);
		free(name);
		return NULL;
	}
	return name;
}

struct fields {
	int	Y, y, m, d, H, I, M, S;
	int	pm;	/* -1 unknown, 0 AM, 1 PM */
};

static bool match_from(const struct toks *, int, const char *,
    struct fields *);

static bool
match_num(const struct toks *t, int i, const char *s, struct fields *f)
{
	const struct tok *k = &t->v[i];
	struct fields saved = *f;
	int w, v, j;

	for (w = k->maxw; w >= k->minw; w--) {
		for (j = 0, v = 0; j < w; j++) {
			if (!isdigit((unsigned char)s[j]))
				break;
			v = v * 10 + (s[j] - '0');
		}
		if (j < w)
			continue;
		switch (k->verb) {
		case 'Y': f->Y = v; break;
		case 'y': f->y = v; break;
		case 'm': f->m = v; break;
		case 'd': f->d = v; break;
		case 'H': f->H = v; break;
		case 'I': f->I = v; break;
		case 'M': f->M = v; break;
		case 'S': f->S = v; break;
		default: break;
		}
		if (match_from(t, i + 1, s + w, f))
			return true;
		*f = saved;
	}
	return false;
}

static bool
match_from(const struct toks *t, int i, const char *s, struct fields *f)
{
	const struct tok *k;
	static const char *const exts[] = { "tar.gz", "tar.zst", "tar" };
	size_t n, j;

	if (i == t->n)
		return *s == '\0' || strcmp(s, ".gpg") == 0 ||
		    strcmp(s, ".age") == 0;
	k = &t->v[i];
	switch (k->kind) {
	case T_LIT:
		n = strlen(k->lit);
		return strncmp(s, k->lit, n) == 0 &&
		    match_from(t, i + 1, s + n, f);
	case T_EXT:
		for (j = 0; j < 3; j++) {
			n = strlen(exts[j]);
			if (strncmp(s, exts[j], n) == 0 &&
			    match_from(t, i + 1, s + n, f))
				return true;
		}
		return false;
	case T_NUM:
		return match_num(t, i, s, f);
	case T_ALPHA:
		for (n = 0; isalpha((unsigned char)s[n]); n++)
			;
		for (; n > 0; n--) {
			if (k->verb == 'p')
				f->pm = (s[0] == 'P' || s[0] == 'p');
			if (match_from(t, i + 1, s + n, f))
				return true;
		}
		return false;
	case T_ZONE:
		if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1])
		    || !isdigit((unsigned char)s[2]) ||
		    !isdigit((unsigned char)s[3]) ||
		    !isdigit((unsigned char)s[4]))
			return false;
		return match_from(t, i + 1, s + 5, f);
	}
	return false;
}

bool
names_match(const char *tmpl, const char *name, time_t *when, bool *has_time)
{
	struct toks toks = { .n = 0 };
	struct fields f = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	struct tm tm;
	const char *tail;

	*has_time = false;
	if ((tail = names_inc_split(name, NULL)) != NULL)
		name = tail;
	compile_verbs(&toks, tmpl);
	if (!match_from(&toks, 0, name, &f))
		return false;
	if ((f.Y < 0 && f.y < 0) || f.m < 1 || f.m > 12 || f.d < 1 ||
	    f.d > 31)
		return true;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (f.Y >= 0 ? f.Y : 2000 + f.y) - 1900;
	tm.tm_mon = f.m - 1;
	tm.tm_mday = f.d;
	if (f.H >= 0)
		tm.tm_hour = f.H;
	else if (f.I >= 0)
		tm.tm_hour = f.I % 12 + (f.pm == 1 ? 12 : 0);
	tm.tm_min = f.M >= 0 ? f.M : 0;
	tm.tm_sec = f.S >= 0 ? f.S : 0;
	tm.tm_isdst = -1;
	*when = mktime(&tm);
	*has_time = *when != (time_t)-1;
	return true;
}

static void
name_hex8(const char *full, char out[9])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(full, strlen(full), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 4; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *
names_inc_render(const char *full, unsigned int seq)
{
	char hex[9];
	struct buf b;

	name_hex8(full, hex);
	buf_init(&b, 4096);
	buf_printf(&b, "inc-%04u-%s-%s", seq, hex, full);
	return buf_take(&b);
}

const char *
names_inc_split(const char *name, unsigned int *seq)
{
	unsigned int v = 0;
	char hex[9];
	int i;

	if (strncmp(name, "inc-", 4) != 0)
		return NULL;
	for (i = 4; i < 8; i++) {
		if (!isdigit((unsigned char)name[i]))
			return NULL;
		v = v * 10 + (unsigned int)(name[i] - '0');
	}
	if (name[8] != '-' || v == 0)
		return NULL;
	for (i = 9; i < 17; i++)
		if (!isxdigit((unsigned char)name[i]) ||
		    isupper((unsigned char)name[i]))
			return NULL;
	if (name[17] != '-' || name[18] == '\0')
		return NULL;
	/* The hash ties it to its full: a name made to look like part of
	 * another chain is no incremental at all. */
	name_hex8(name + 18, hex);
	if (memcmp(hex, name + 9, 8) != 0)
		return NULL;
	if (seq != NULL)
		*seq = v;
	return name + 18;
}
