/*
 * sources_db.c - database dumps: the dispatcher over dump_mysql.c,
 * dump_pg.c and dump_mssql.c (see dump.h), the spool, and the one rule
 * deciding which databases are a user's.
 *
 * Ownership: a database is the user's when its name matches the admin's
 * pattern (MYSQL_DATABASES, POSTGRES_DATABASES, MSSQL_DATABASES) with
 * {user} replaced, or is exactly the user's name, and no panel user with
 * a longer name claims it the same way: with users alice and alice_x the
 * default `{user}_%` matches alice_x_blog for both, and the longest name
 * wins, so it is alice_x's, never alice's.  The panel users are the
 * *.env files of USERS_DIR (the set the scheduler backs up).  In a
 * pattern `%` matches any run of characters and every other character,
 * `_` included, matches only itself: with SQL LIKE semantics `{user}_%`
 * would hand alice the databases of a user named `alicex`.  The match is
 * done here, on the names the server lists, never in SQL, so no quoting
 * of a pattern can go wrong; a user's settings take no part in it.
 *
 * Spool: a tar member needs its size before its data, so each dump goes
 * to a spool file first: O_TMPFILE (or created and unlinked at once) in a
 * private 0700 folder under TEMP_DIR, mode 0600.  The file has no name
 * while the dump runs and its space is freed when the descriptor is
 * closed, after the member is written or when anything fails.  One dump
 * is spooled at a time, so the disk space needed is that of the largest
 * dump; memory use does not depend on dump sizes.
 *
 * Threads: the job's producer thread only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include <openssl/evp.h>

#include "chain.h"
#include "err.h"
#include "log.h"
#include "path.h"
#include "secret.h"
#include "settings.h"
#include "sources.h"
#include "tarw.h"
#include "xmalloc.h"

static const struct dump_driver *
driver_for(enum source_kind kind)
{
	switch (kind) {
	case SRC_MYSQL:
		return &dump_mysql;
	case SRC_POSTGRES:
		return &dump_pg;
	case SRC_MSSQL:
		return &dump_mssql;
	default:
		return NULL;
	}
}

int
sources_db_configured(enum source_kind kind, const struct settings *admin)
{
	const struct dump_driver *d = driver_for(kind);

	return d != NULL && d->configured(admin);
}

/* `%` any run, everything else itself. */
static bool
like_match(const char *p, const char *s)
{
	while (*p != '\0') {
		if (*p == '%') {
			while (*p == '%')
				p++;
			if (*p == '\0')
				return true;
			for (; *s != '\0'; s++)
				if (like_match(p, s))
					return true;
			return false;
		}
		if (*s != *p)
			return false;
		p++;
		s++;
	}
	return *s == '\0';
}

static bool
is_users(const struct dump_driver *d, const char *pattern, const char *user,
    const char *db)
{
	size_t i;

	for (i = 0; d->system_dbs[i] != NULL; i++)
		if (strcmp(db, d->system_dbs[i]) == 0)
			return false;
	return strcmp(db, user) == 0 || like_match(pattern, db);
}

/*
 * The panel users with a name longer than user's (USERS_DIR/<name>.env):
 * the only ones that can out-claim user's pattern.  A USERS_DIR that
 * cannot be read fails the dump: guessing would hand a database to the
 * wrong user.  A missing one means no panel users besides this one
 * (backupctl run --env-file on a host without USERS_DIR).
 */
static int
longer_users(const struct settings *admin, const char *user, char ***out,
    struct bk_err *err)
{
	const char *dir = settings_get(admin, "USERS_DIR");
	struct dirent *de;
	size_t n = 0, cap = 8, len, ulen = strlen(user);
	char **v = xcalloc(cap, sizeof(*v)), *name;
	DIR *d = NULL;

	*out = NULL;
	if (dir != NULL && (d = opendir(dir)) == NULL && errno == ENOENT) {
		*out = v;
		return 0;
	}
	if (dir == NULL || d == NULL) {
		free(v);
		return bk_err_sys(err, BK_ECONFIG, "USERS_DIR %s",
		    dir != NULL ? dir : "");
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 + ulen || strcmp(de->d_name + len - 4, ".env") != 0)
			continue;
		name = xstrndup(de->d_name, len - 4);
		if (!path_valid_user(name)) {
			free(name);
			continue;
		}
		if (n + 1 == cap) {
			cap *= 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = name;
		v[n] = NULL;
	}
	closedir(d);
	*out = v;
	return 0;
}

/* The panel user with the longest name claiming db, if longer than
 * user's; NULL when db is user's to keep. */
static const char *
claimed_by(const struct dump_driver *d, const struct settings *admin,
    char *const *longer, const char *db)
{
	const char *tmpl = settings_get(admin, d->pattern_key);
	const char *best = NULL;
	char *pat;
	size_t i;

	for (i = 0; longer[i] != NULL; i++) {
		if (best != NULL && strlen(longer[i]) <= strlen(best))
			continue;
		pat = path_template(tmpl, longer[i]);
		if (is_users(d, pat, longer[i], db))
			best = longer[i];
		free(pat);
	}
	return best;
}

/* folder/<db><ext>, with '/', '%' and control bytes %-escaped so a name
 * is always one member in the folder. */
static char *
member_name(const struct source_desc *sd, const char *db, const char *ext)
{
	size_t i, o, n = strlen(db);
	char *esc = xmalloc(3 * n + 1), *m;

	for (i = o = 0; i < n; i++) {
		unsigned char c = (unsigned char)db[i];

		if (c == '/' || c == '%' || c < 0x20 || c == 0x7f ||
		    (i == 0 && c == '.')) {
			snprintf(esc + o, 4, "%%%02X", c);
			o += 3;
		} else
			esc[o++] = (char)c;
	}
	esc[o] = '\0';
	xasprintf(&m, "%s/%s%s", sd->folder, esc, ext);
	free(esc);
	return m;
}

int
dump_spool_open(struct dump_ctx *c, int *fdp, struct bk_err *err)
{
	const char *tmp = settings_get(c->admin, "TEMP_DIR");
	char *tmpl = NULL;
	struct stat sb;
	int fd;

	*fdp = -1;
	if (c->spool_dir == NULL) {
		if (tmp == NULL || *tmp != '/')
			return bk_err_set(err, BK_ECONFIG, "TEMP_DIR: \"%s\" "
			    "is not an absolute path", tmp != NULL ? tmp : "");
		if (path_mkdirs(tmp, 0700, err) == -1) {
			bk_err_prefix(err, "TEMP_DIR");
			return -1;
		}
		if (stat(tmp, &sb) == -1 || !S_ISDIR(sb.st_mode))
			return bk_err_sys(err, BK_ECONFIG, "TEMP_DIR: %s",
			    tmp);
		xasprintf(&tmpl, "%s/dump.XXXXXX", tmp);
		if (mkdtemp(tmpl) == NULL) {
			bk_err_sys(err, BK_EIO, "TEMP_DIR: cannot create a "
			    "folder in %s", tmp);
			free(tmpl);
			return -1;
		}
		c->spool_dir = tmpl;
	}
	fd = open(c->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		xasprintf(&tmpl, "%s/spool.XXXXXX", c->spool_dir);
		if ((fd = mkostemp(tmpl, O_CLOEXEC)) != -1)
			(void)unlink(tmpl);
		free(tmpl);
	}
	if (fd == -1)
		return bk_err_sys(err, BK_EIO, "TEMP_DIR: spool file in %s",
		    c->spool_dir);
	*fdp = fd;
	return 0;
}

char **
dump_split(const char *text, size_t len, char sep)
{
	size_t n = 0, i, start = 0;
	char **v = xcalloc(1, sizeof(*v));

	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != sep)
			continue;
		if (i > start) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrndup(text + start, i - start);
			v[n] = NULL;
		}
		start = i + 1;
	}
	return v;
}

/* password=... lines of an option file ([client] and friends). */
void
dump_register_mysql_passwords(const char *path)
{
	char line[1024], *p, *v, *e;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		p = line + strspn(line, " \t");
		if (strncmp(p, "password", 8) != 0 || (v = strchr(p, '=')) ==
		    NULL)
			continue;
		v += 1 + strspn(v + 1, " \t");
		e = v + strcspn(v, "\r\n");
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
			v++;
			e--;
		}
		*e = '\0';
		secret_register(v);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
}

/* host:port:db:user:password, with \: and \\ escapes. */
void
dump_register_pgpass(const char *path)
{
	char line[1024], pw[1024], *p;
	size_t field, o;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		for (p = line, field = 0, o = 0; *p != '\0' && *p != '\n' &&
		    *p != '\r'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == ':' && field < 4) {
				field++;
				continue;
			}
			if (field == 4 && o < sizeof(pw) - 1)
				pw[o++] = *p;
		}
		pw[o] = '\0';
		if (field == 4)
			secret_register(pw);
	}
	explicit_bzero(line, sizeof(line));
	explicit_bzero(pw, sizeof(pw));
	fclose(f);
}

/* The dump tool's own words for a full disk vary; the spool's file
 * system tells. */
static bool
spool_full(const struct dump_ctx *c)
{
	struct statvfs vfs;

	return c->spool_dir != NULL && statvfs(c->spool_dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < 64 * 1024;
}

/* SHA-256 (hex) of the spooled dump, read from its start. */
static int
spool_sha256(int fd, char hex[65], struct bk_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t r;
	int rc = -1;

	if (ctx == NULL || lseek(fd, 0, SEEK_SET) == -1 ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		bk_err_sys(err, BK_EIO, "hash");
		goto out;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	if (r == -1 || EVP_DigestFinal_ex(ctx, md, &n) != 1) {
		bk_err_sys(err, BK_EIO, "hash");
		goto out;
	}
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int
dump_one(const struct dump_driver *d, struct dump_ctx *c,
    const struct source_desc *sd, const char *db, struct tarw *t,
    struct bk_err *err)
{
	char *member = member_name(sd, db, d->ext);
	struct stat sb;
	struct chain_entry ce;
	char sha[65];
	int fd = -1, rc = -1;

	if (d->dump(c, db, &fd, err) == -1) {
		bk_err_prefix(err, "%s: dump of %s", sd->name, db);
		if (spool_full(c))
			bk_err_prefix(err, "TEMP_DIR %s is full",
			    settings_get(c->admin, "TEMP_DIR"));
		goto out;
	}
	if (fstat(fd, &sb) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		bk_err_sys(err, BK_EIO, "%s: dump of %s: spool", sd->name, db);
		goto out;
	}
	if (spool_sha256(fd, sha, err) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		bk_err_prefix(err, "%s: dump of %s: spool", sd->name, db);
		goto out;
	}
	chain_entry_from_stat(&ce, member, &sb);
	/* A dump equal to the chain's last one is only listed. */
	if (!tarw_chain_dump(t, &ce, sha) && tarw_add_fd(t, member, fd,
	    (uint64_t)sb.st_size, 0600, time(NULL), err) == -1)
		goto out;
	log_kv(LOG_INFO, "database dumped", "source", sd->name, "database",
	    db, "member", member, (char *)NULL);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(member);
	return rc;
}

int
sources_dump_databases(enum source_kind kind, const struct settings *admin,
    const char *user_name, struct tarw *t, unsigned int *count,
    struct bk_err *err)
{
	const struct dump_driver *d = driver_for(kind);
	const struct source_desc *sd = &source_table[kind];
	struct dump_ctx c = { .admin = admin, .user = user_name };
	char **all = NULL, **longer = NULL, *pattern = NULL;
	const char *owner;
	size_t i;
	int rc = -1;

	*count = 0;
	if (d == NULL)
		return bk_err_set(err, BK_ENOTSUP, "%s: not a database source",
		    sd->name);
	if (!d->configured(admin))
		return 0;
	if (user_name == NULL || !path_valid_user(user_name))
		return bk_err_set(err, BK_ECONFIG, "%s: no valid user name",
		    sd->name);
	pattern = path_template(settings_get(admin, d->pattern_key),
	    user_name);
	if (longer_users(admin, user_name, &longer, err) == -1) {
		bk_err_prefix(err, "%s: listing panel users", sd->name);
		goto out;
	}
	if (d->list(&c, &all, err) == -1) {
		bk_err_prefix(err, "%s: listing databases", sd->name);
		goto out;
	}
	for (i = 0; all[i] != NULL; i++) {
		if (!is_users(d, pattern, user_name, all[i]))
			continue;
		if ((owner = claimed_by(d, admin, longer, all[i])) != NULL) {
			log_kv(LOG_INFO, "database left to its owner",
			    "source", sd->name, "database", all[i], "owner",
			    owner, (char *)NULL);
			continue;
		}
		if (dump_one(d, &c, sd, all[i], t, err) == -1)
			goto out;
		(*count)++;
	}
	if (*count == 0)
		log_kv(LOG_INFO, "no databases of this user", "source",
		    sd->name, "pattern", pattern, (char *)NULL);
	rc = 0;
out:
	if (c.spool_dir != NULL && rmdir(c.spool_dir) == -1 && rc == 0)
		rc = bk_err_sys(err, BK_EIO, "TEMP_DIR: removing %s",
		    c.spool_dir);
	free(c.spool_dir);
	strv_free(all);
	strv_free(longer);
	free(pattern);
	return rc;
}
