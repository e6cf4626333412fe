/*
 * settings.c - resolving and checking settings against settings_table[].
 *
 * Invariant: a struct settings only ever holds keys of the table; values
 * are owned copies (secret ones wiped on free).  Not thread-safe to
 * modify; safe to read from many threads once loaded.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cron.h"
#include "dotenv.h"
#include "err.h"
#include "path.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

/* Unknown keys named one by one (each with a "did you mean", which costs
 * an edit distance per table entry); the rest get one summary line, so a
 * file of 90,000 junk keys is neither slow nor a flood of warnings. */
#define UNKNOWN_SHOWN	20

static int	check_value(const struct setting_def *, const char *,
		    struct diag *);

const struct setting_def *
settings_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < settings_count; i++)
		if (strcmp(settings_table[i].name, name) == 0)
			return &settings_table[i];
	return NULL;
}

static size_t
def_index(const struct setting_def *d)
{
	return (size_t)(d - settings_table);
}

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_free(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].setting);
		free(d->v[i].msg);
	}
	free(d->v);
	diag_init(d);
}

void
diag_add(struct diag *d, enum diag_level lvl, const char *setting,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	secret_redact(msg, sizeof(msg));
	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 8 : d->cap * 2;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n].level = lvl;
	d->v[d->n].setting = xstrdup(setting != NULL ? setting : "");
	d->v[d->n].msg = xstrdup(msg);
	d->n++;
	if (lvl == DIAG_ERROR)
		d->errors++;
}

void
diag_print(const struct diag *d, int fd)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		dprintf(fd, "%s: %s%s%s\n",
		    d->v[i].level == DIAG_ERROR ? "error" : "warning",
		    d->v[i].setting, *d->v[i].setting != '\0' ? ": " : "",
		    d->v[i].msg);
}

int
diag_to_err(const struct diag *d, struct bk_err *err)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == DIAG_ERROR)
			return bk_err_set(err, BK_ECONFIG, "%s%s%s",
			    d->v[i].setting,
			    *d->v[i].setting != '\0' ? ": " : "",
			    d->v[i].msg);
	return 0;
}

int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "true", "yes", "on" };
	static const char *const no[] = { "0", "f", "false", "no", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
parse_int(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char)*s))
		return -1;
	return 0;
}

int
parse_duration_ms(const char *s, int64_t *out)
{
	static const struct {
		const char	*unit;
		double		 ms;
	} units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 },
		{ "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 },
		{ "d", 86400e3 },
	};
	const char *p = s;
	double total = 0, v;
	char *end;
	size_t i, best, blen;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		best = sizeof(units) / sizeof(units[0]);
		blen = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);

			if (strncmp(p, units[i].unit, l) == 0 && l > blen) {
				best = i;
				blen = l;
			}
		}
		if (best == sizeof(units) / sizeof(units[0]))
			return -1;	/* a number without a unit */
		total += v * units[best].ms;
		p += blen;
	}
	if (total > 9.2e15)
		return -1;
	*out = (int64_t)(neg ? -total : total);
	return 0;
}

/* A whole number of bytes with an optional K, M, G or T (KiB, MiB, GiB,
 * TiB; a trailing "B" or "iB" is accepted too). */
int
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (*end != '\0' && (u = strchr(units, toupper((unsigned char)*end)))
	    != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
		if (*end == 'i')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || (shift > 0 && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

char **
split_list(const char *s, size_t *np)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = s, *e, *a, *b;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		a = p;
		b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrndup(a, (size_t)(b - a));
		}
		p = *e == ',' ? e + 1 : e;
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	v[n] = NULL;
	if (np != NULL)
		*np = n;
	return v;
}

void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static bool
enum_has(const struct setting_def *d, const char *v)
{
	const char *p = d->choices, *e;
	size_t len = strlen(v);

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len &&
		    ((d->flags & SET_CI) ? strncasecmp(p, v, len) :
		    strncmp(p, v, len)) == 0)
			return true;
		p = *e == ',' ? e + 1 : e;
	}
	return false;
}

static int
check_value(const struct setting_def *d, const char *v, struct diag *diag)
{
	struct bk_err err;
	struct cron *c;
	long long n;
	uint64_t sz;
	int64_t ms;
	bool b;

	switch (d->type) {
	case SET_BOOL:
		if (parse_bool(v, &b) == -1)
			goto bad_bool;
		break;
	case SET_INT:
		if (parse_int(v, &n) == -1) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "\"%s\" is not a whole number", v);
			return -1;
		}
		if (n < d->min || n > d->max) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "%lld is out of range (%lld to %lld)", n, d->min,
			    d->max);
			return -1;
		}
		break;
	case SET_DURATION:
		if (parse_duration_ms(v, &ms) == -1 || ms < 0) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "\"%s\" is not a duration (e.g. 30s, 1m, 2h, "
			    "1h30m)", v);
			return -1;
		}
		break;
	case SET_ENUM:
		if (!enum_has(d, v)) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "\"%s\" is not one of %s", v, d->choices);
			return -1;
		}
		break;
	case SET_CRON:
		if ((c = cron_parse(v, NULL, &err)) == NULL) {
			diag_add(diag, DIAG_ERROR, d->name, "%s", err.msg);
			return -1;
		}
		cron_free(c);
		break;
	case SET_SIZE:
		if (parse_size(v, &sz) == -1) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "\"%s\" is not a size (e.g. 0, 500M, 10G, 2T)", v);
			return -1;
		}
		break;
	case SET_URL:
		if (strstr(v, "://") == NULL) {
			diag_add(diag, DIAG_ERROR, d->name,
			    "\"%s\" is not a URL (scheme://...)", v);
			return -1;
		}
		break;
	case SET_STRING:
	case SET_LIST:
	case SET_REGEXP:	/* compiled by the worker's check */
		break;
	}
	return 0;
bad_bool:
	diag_add(diag, DIAG_ERROR, d->name,
	    "\"%s\" is not a boolean (true or false)", v);
	return -1;
}

/* The value-free form of check_value's complaint, for a value read from
 * a KEY_FILE: the file may be anything (/etc/shadow through a planted
 * link), so not one byte of it goes into a message. */
static void
bad_from_file(const struct setting_def *d, const char *file_key,
    struct diag *diag)
{
	char name[160];

	snprintf(name, sizeof(name), "%s (from %s)", d->name, file_key);
	switch (d->type) {
	case SET_BOOL:
		diag_add(diag, DIAG_ERROR, name, "not a boolean (true or "
		    "false)");
		break;
	case SET_INT:
		diag_add(diag, DIAG_ERROR, name, "not a whole number from "
		    "%lld to %lld", d->min, d->max);
		break;
	case SET_DURATION:
		diag_add(diag, DIAG_ERROR, name, "not a duration (e.g. 30s, "
		    "1m, 2h, 1h30m)");
		break;
	case SET_ENUM:
		diag_add(diag, DIAG_ERROR, name, "not one of %s", d->choices);
		break;
	case SET_CRON:
		diag_add(diag, DIAG_ERROR, name, "not a cron expression");
		break;
	default:
		diag_add(diag, DIAG_ERROR, name, "not a valid value");
		break;
	}
}

/* check_value, quiet about the value when it came from file_key. */
static int
check_loaded(const struct setting_def *d, const char *v,
    const char *file_key, struct diag *diag)
{
	struct diag quiet;
	int rc;

	if (file_key == NULL)
		return check_value(d, v, diag);
	diag_init(&quiet);
	if ((rc = check_value(d, v, &quiet)) == -1)
		bad_from_file(d, file_key, diag);
	diag_free(&quiet);
	return rc;
}

/* Read KEY_FILE's content as KEY's value; one trailing newline dropped.
 * A user's file is read through rd (as the user); without one it is
 * refused, so no caller can read a user-named path as root by mistake. */
static char *
read_value_file(const char *key, const char *path, const char *files_root,
    unsigned int scope, const struct settings_reader *rd, struct diag *diag)
{
	struct bk_err err;
	char *resolved = NULL, *val = NULL;
	struct buf b;
	int rc;

	buf_init(&b, SETTINGS_FILE_MAX);
	bk_err_clear(&err);
	if (scope == SET_USER) {
		if (path_resolve_in(files_root, path, &resolved, &err) == -1) {
			diag_add(diag, DIAG_ERROR, key, "%s", err.msg);
			goto out;
		}
		if (rd == NULL) {
			diag_add(diag, DIAG_ERROR, key, "%s: not read: no "
			    "account to read it as (USER_ACCOUNTS)", path);
			goto out;
		}
		rc = rd->read(rd->ctx, key, resolved, &b, &err);
	} else
		rc = settings_read_plain(key, path, &b, &err);
	if (rc == -1) {
		/* err names key already; keep the user's spelling of it */
		diag_add(diag, DIAG_ERROR, key, "%s", strncmp(err.msg, key,
		    strlen(key)) == 0 && err.msg[strlen(key)] == ':' ?
		    err.msg + strlen(key) + 2 : err.msg);
		goto out;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	val = buf_take(&b);
out:
	free(resolved);
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return val;
}

int
settings_read_plain(const char *key, const char *path, struct buf *b,
    struct bk_err *err)
{
	char chunk[4096];
	size_t n;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "re")) == NULL)
		return bk_err_sys(err, errno == ENOENT ? BK_ENOENT :
		    BK_ECONFIG, "%s: cannot read %s", key, path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) == -1) {
			bk_err_set(err, BK_ECONFIG, "%s: %s: over %d KiB", key,
			    path, SETTINGS_FILE_MAX / 1024);
			goto out;
		}
	rc = 0;
out:
	explicit_bzero(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

static const char *
scope_name(unsigned int scope)
{
	return scope == SET_ADMIN ? "the admin config" : "user settings";
}

void
settings_defaults(struct settings *s, unsigned int scope)
{
	memset(s, 0, sizeof(*s));
	s->values = xcalloc(settings_count, sizeof(*s->values));
	s->scope = scope;
}

int
settings_load(struct settings *s, const struct kvlist *kv,
    unsigned int scope, const char *files_root, struct diag *diag)
{
	return settings_load_with(s, kv, scope, files_root, NULL, diag);
}

int
settings_load_with(struct settings *s, const struct kvlist *kv,
    unsigned int scope, const char *files_root,
    const struct settings_reader *rd, struct diag *diag)
{
	const char *from;
	const struct setting_def *d;
	const char *name, *suggest;
	char base[128], *val;
	int errors = diag != NULL ? diag->errors : 0, bad = 0;
	size_t i, len, unknown = 0;

	settings_defaults(s, scope);
	if (kv->path != NULL)
		s->path = xstrdup(kv->path);
	if (files_root != NULL)
		s->files_root = xstrdup(files_root);
	for (i = 0; i < kv->n; i++) {
		name = kv->v[i].key;
		val = NULL;
		from = NULL;
		len = strlen(name);
		d = settings_lookup(name);
		if (d == NULL && len > 5 && strcmp(name + len - 5, "_FILE") == 0 &&
		    len - 5 < sizeof(base)) {
			memcpy(base, name, len - 5);
			base[len - 5] = '\0';
			if ((d = settings_lookup(base)) != NULL) {
				if (kvlist_get(kv, base) != NULL) {
					diag_add(diag, DIAG_ERROR, name,
					    "both %s and %s are set; use one",
					    base, name);
					bad++;
					continue;
				}
				if (*kv->v[i].value == '\0')
					continue;
				if ((d->flags & scope) == 0)
					goto wrong_scope;
				val = read_value_file(name, kv->v[i].value,
				    files_root, scope, rd, diag);
				if (val == NULL) {
					bad++;
					continue;
				}
				from = name;
			}
		}
		if (d == NULL && ++unknown > UNKNOWN_SHOWN) {
			if (unknown == UNKNOWN_SHOWN + 1)
				diag_add(diag, DIAG_WARN, "", "more unknown "
				    "settings follow; only the first %d are "
				    "named", UNKNOWN_SHOWN);
			continue;
		}
		if (d == NULL) {
			suggest = settings_suggest(name);
			if (suggest != NULL)
				diag_add(diag, DIAG_WARN, name,
				    "unknown setting (did you mean %s?)",
				    suggest);
			else
				diag_add(diag, DIAG_WARN, name,
				    "unknown setting");
			continue;
		}
		if ((d->flags & scope) == 0) {
wrong_scope:
			diag_add(diag, DIAG_WARN, d->name,
			    "not read from %s; ignored", scope_name(scope));
			xfree_secret(val);
			continue;
		}
		if (val == NULL)
			val = xstrdup(kv->v[i].value);
		if (*val == '\0') {	/* an empty value means unset */
			free(val);
			continue;
		}
		if (d->flags & SET_SECRET)
			secret_register(val);
		if (check_loaded(d, val, from, diag) == -1)
			bad++;
		xfree_secret(s->values[def_index(d)]);
		s->values[def_index(d)] = val;
	}
	if (diag == NULL)
		return bad > 0 ? -1 : 0;
	return diag->errors > errors ? -1 : 0;
}

void
settings_free(struct settings *s)
{
	size_t i;

	if (s->values != NULL)
		for (i = 0; i < settings_count; i++)
			xfree_secret(s->values[i]);
	free(s->values);
	free(s->path);
	free(s->files_root);
	memset(s, 0, sizeof(*s));
}

const char *
settings_get(const struct settings *s, const char *name)
{
	const struct setting_def *d = settings_lookup(name);

	if (d == NULL)
		return NULL;
	if (s != NULL && s->values != NULL && s->values[def_index(d)] != NULL)
		return s->values[def_index(d)];
	return d->def;
}

bool
settings_is_set(const struct settings *s, const char *name)
{
	const struct setting_def *d = settings_lookup(name);

	return d != NULL && s != NULL && s->values != NULL &&
	    s->values[def_index(d)] != NULL;
}

long long
settings_int(const struct settings *s, const char *name)
{
	const char *v = settings_get(s, name);
	long long n = 0;

	if (v == NULL || parse_int(v, &n) == -1)
		return 0;
	return n;
}

bool
settings_bool(const struct settings *s, const char *name)
{
	const char *v = settings_get(s, name);
	bool b = false;

	if (v != NULL)
		(void)parse_bool(v, &b);
	return b;
}

int64_t
settings_duration_ms(const struct settings *s, const char *name)
{
	const char *v = settings_get(s, name);
	int64_t ms = 0;

	if (v != NULL)
		(void)parse_duration_ms(v, &ms);
	return ms;
}

uint64_t
settings_size(const struct settings *s, const char *name)
{
	const char *v = settings_get(s, name);
	uint64_t n = 0;

	if (v != NULL)
		(void)parse_size(v, &n);
	return n;
}

void
settings_set(struct settings *s, const char *name, const char *value)
{
	const struct setting_def *d = settings_lookup(name);

	if (d == NULL || s->values == NULL)
		return;
	xfree_secret(s->values[def_index(d)]);
	s->values[def_index(d)] = value != NULL && *value != '\0' ?
	    xstrdup(value) : NULL;
	if (value != NULL && (d->flags & SET_SECRET))
		secret_register(value);
}

/* Levenshtein distance, for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[128];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (toupper((unsigned char)a[i - 1]) !=
			    toupper((unsigned char)b[j - 1]));
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
settings_suggest(const char *name)
{
	const char *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit;

	limit = strlen(name) / 3 + 1;
	for (i = 0; i < settings_count; i++) {
		d = edit_distance(name, settings_table[i].name);
		if (d < bestd) {
			bestd = d;
			best = settings_table[i].name;
		}
	}
	return bestd <= limit ? best : NULL;
}

static const char *
type_name(const struct setting_def *d)
{
	switch (d->type) {
	case SET_BOOL:
		return "bool";
	case SET_INT:
		return "integer";
	case SET_DURATION:
		return "duration";
	case SET_ENUM:
		return "choice";
	case SET_LIST:
		return "list";
	case SET_CRON:
		return "cron";
	case SET_REGEXP:
		return "regexp";
	case SET_URL:
		return "URL";
	case SET_SIZE:
		return "size";
	case SET_STRING:
		break;
	}
	return "string";
}

void
settings_write_reference(int fd)
{
	const char *group = NULL;
	const struct setting_def *d;
	size_t i;

	for (i = 0; i < settings_count; i++) {
		d = &settings_table[i];
		if (group == NULL || strcmp(group, d->group) != 0) {
			group = d->group;
			dprintf(fd, "\n#### %s\n\n| key | type | default | "
			    "meaning |\n|---|---|---|---|\n", group);
		}
		dprintf(fd, "| `%s` | %s%s%s | %s%s%s | %s", d->name,
		    type_name(d), (d->flags & SET_SECRET) ? ", secret" : "",
		    (d->flags & (SET_ADMIN | SET_USER)) ==
		    (SET_ADMIN | SET_USER) ? ", admin+user" : "",
		    d->def != NULL ? "`" : "", d->def != NULL ? d->def : "",
		    d->def != NULL ? "`" : "", d->help);
		if (d->type == SET_INT)
			dprintf(fd, " (%lld..%lld)", d->min, d->max);
		if (d->type == SET_ENUM)
			dprintf(fd, " (%s)", d->choices);
		dprintf(fd, " |\n");
	}
}
