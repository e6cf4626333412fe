/*
 * test_chain.c - incremental chains: names of incrementals and their
 * recognition by the BACKUP_FILENAME matcher, the state file round trip
 * (and a missing or damaged one), "changed" as size, mtime, ctime, inode
 * or type, the full-or-incremental decision with its reason, and the two
 * members every chain archive ends with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "err.h"
#include "names.h"
#include "privsep.h"
#include "settings.h"
#include "tap.h"
#include "tarw.h"

#define FULL	"backup-2026-12-01T03-00-00.tar.zst"

static void
test_names(void)
{
	char *inc = names_inc_render(FULL, 3);
	unsigned int seq = 0;
	const char *tail;
	time_t when;
	bool has_time;

	/* printf -n FULL | sha256sum: the first 8 hex digits */
	ok(strncmp(inc, "inc-0003-", 9) == 0 && strlen(inc) ==
	    18 + strlen(FULL) && strcmp(inc + 18, FULL) == 0 && inc[17] == '-',
	    "an incremental is inc-0003-hhhhhhhh-<full>: %s", inc);
	tail = names_inc_split(inc, &seq);
	ok(tail != NULL && seq == 3 && strcmp(tail, FULL) == 0,
	    "its full and seq are read back");
	ok(names_match(NAMES_DEFAULT, inc, &when, &has_time) && has_time,
	    "the default template recognises it (listing, pruning)");
	ok(!names_match("other-%Y.tar", inc, &when, &has_time),
	    "another template does not");
	ok(names_inc_split("inc-12-abcdefab-x", NULL) == NULL &&
	    names_inc_split("inc-0000-abcdefab-x", NULL) == NULL &&
	    names_inc_split("inc-0001-ABCDEFAB-x", NULL) == NULL &&
	    names_inc_split("inc-0001-abcdefab-", NULL) == NULL,
	    "malformed inc- names are not incrementals");
	free(inc);
}

static void
fill(struct chain_state *st)
{
	struct chain_entry a = { "files/a.txt", 10, 1000, 2000, 7, 'f' };
	struct chain_entry d = { "files/", 0, 5, 5, 2, 'd' };

	chain_state_init(st);
	st->full = strdup(FULL);
	st->last = strdup(FULL);
	st->ext = strdup("tar.zst");
	st->full_time = 1000000;
	memcpy(st->id, "0123456789abcdef", 17);
	chain_state_add(st, &a);
	chain_state_add(st, &d);
	chain_state_add_dump(st, "mysql/shop.sql",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	chain_state_sort(st);
}

static void
test_state(const char *dir)
{
	struct chain_state st, back;
	struct chain_entry e = { "files/a.txt", 10, 1000, 2000, 7, 'f' };
	struct bk_err err;
	char path[4096];
	FILE *f;

	ok(chain_state_load(dir, "alice", &back, &err) == -1 &&
	    err.code == BK_ENOENT, "no state: BK_ENOENT (%s)", err.msg);
	fill(&st);
	ok(chain_state_save(dir, "alice", &st, &err) == 0, "state saved");
	ok(chain_state_load(dir, "alice", &back, &err) == 0 && back.n == 2 &&
	    strcmp(back.full, FULL) == 0 && back.full_time == 1000000 &&
	    strcmp(back.id, "0123456789abcdef") == 0 &&
	    strcmp(back.ents[0].path, "files/") == 0 &&
	    chain_state_dump_sha(&back, "mysql/shop.sql") != NULL,
	    "state read back: paths sorted, dump hash kept");
	ok(!chain_changed(&back, &e), "same size/mtime/ctime/inode/type: "
	    "unchanged");
	e.ctime_ns++;
	ok(chain_changed(&back, &e), "ctime differs: changed");
	e.ctime_ns--; e.ino = 8;
	ok(chain_changed(&back, &e), "inode differs: changed");
	e.ino = 7; e.type = 'l';
	ok(chain_changed(&back, &e), "type differs: changed");
	e.type = 'f'; e.path = "files/new";
	ok(chain_changed(&back, &e), "a new path: changed");
	chain_state_free(&back);
	snprintf(path, sizeof(path), "%s/chain/alice.state", dir);
	f = fopen(path, "w");
	fputs("{\"full\":", f);
	fclose(f);
	ok(chain_state_load(dir, "alice", &back, &err) == -1 &&
	    err.code == BK_ECORRUPT, "a damaged state is refused: %s",
	    err.msg);
	ok(chain_state_remove(dir, "alice", &err) == 0 &&
	    access(path, F_OK) == -1, "state removed");
	chain_state_free(&st);
}

static void
test_decide(void)
{
	struct chain_state st;
	struct chain_policy pol = { .incremental = true,
	    .full_interval_ms = 7LL * 86400 * 1000, .full_interval = "7d",
	    .chain_length = 6, .ext = "tar.zst" };
	struct chain_plan p;
	const char *now_name = "backup-2026-12-02T03-00-00.tar.zst";

	fill(&st);
	chain_decide(&st, NULL, &pol, st.full_time + 86400, true, now_name, &p);
	ok(!p.full && p.seq == 1 && strcmp(p.chain, FULL) == 0 &&
	    strcmp(p.prev, FULL) == 0 && strncmp(p.name, "inc-0001-", 9) == 0 &&
	    strcmp(p.id, st.id) == 0,
	    "a day later: incremental 1 of the chain (%s), its id kept",
	    p.name);
	chain_plan_free(&p);
	chain_decide(NULL, "no chain state", &pol, 0, false, now_name, &p);
	{
		struct chain_plan q;

		chain_decide(NULL, "no chain state", &pol, 0, false, now_name,
		    &q);
		ok(strlen(p.id) == 16 && strspn(p.id, "0123456789abcdef") ==
		    16 && strcmp(p.id, q.id) != 0, "a full starts a chain with "
		    "a new random id (%s, then %s)", p.id, q.id);
		chain_plan_free(&q);
	}
	chain_plan_free(&p);
	st.id[0] = '\0';
	chain_decide(&st, NULL, &pol, st.full_time + 60, true, now_name, &p);
	ok(p.full && strcmp(p.note, "chain state has no chain id") == 0,
	    "a state without a chain id: full (%s)", p.note);
	chain_plan_free(&p);
	memcpy(st.id, "0123456789abcdef", 17);
	chain_decide(NULL, "no chain state", &pol, 0, false, now_name, &p);
	ok(p.full && strcmp(p.name, now_name) == 0 &&
	    strcmp(p.note, "no chain state") == 0, "no state: full (%s)",
	    p.note);
	chain_plan_free(&p);
	chain_decide(&st, NULL, &pol, st.full_time + 7 * 86400, true,
	    now_name, &p);
	ok(p.full && strcmp(p.note, "full interval 7d reached") == 0,
	    "7 days on: full (%s)", p.note);
	chain_plan_free(&p);
	st.seq = 6;
	chain_decide(&st, NULL, &pol, st.full_time + 60, true, now_name, &p);
	ok(p.full && strcmp(p.note, "chain length 6 reached") == 0,
	    "6 incrementals: full (%s)", p.note);
	chain_plan_free(&p);
	st.seq = 2;
	chain_decide(&st, NULL, &pol, st.full_time + 60, false, now_name, &p);
	ok(p.full && strcmp(p.note, "last archive missing at destination") ==
	    0, "last archive gone: full (%s)", p.note);
	chain_plan_free(&p);
	pol.ext = "tar.zst.age";
	chain_decide(&st, NULL, &pol, st.full_time + 60, true, now_name, &p);
	ok(p.full, "encryption changed: full (%s)", p.note);
	chain_plan_free(&p);
	pol.incremental = false;
	chain_decide(&st, NULL, &pol, st.full_time + 60, true, now_name, &p);
	ok(p.full && p.note[0] == '\0', "BACKUP_INCREMENTAL=false: full");
	chain_plan_free(&p);
	chain_state_free(&st);
}

static void
test_members(void)
{
	struct chain_state st;
	struct chain_plan p = { .full = false, .seq = 2,
	    .chain = (char *)FULL, .prev = (char *)"inc-0001-x-" FULL };
	struct buf b;

	buf_init(&b, 1 << 20);
	ok(chain_meta_json(&p, 0, &b) == 0 && strstr(b.data,
	    "\"kind\":\"incremental\"") != NULL && strstr(b.data,
	    "\"seq\":2") != NULL && strstr(b.data,
	    "\"time\":\"1970-01-01T00:00:00Z\"") != NULL,
	    "chain member: %.*s", (int)b.len - 1, b.data);
	buf_reset(&b);
	fill(&st);
	ok(chain_paths(&st, &b) == 0 && b.len == sizeof("files/") +
	    sizeof("files/a.txt") && memcmp(b.data, "files/\0files/a.txt\0",
	    b.len) == 0, "paths member: sorted, NUL-separated");
	chain_state_free(&st);
	buf_free(&b);
}

static int
count_sink(const void *data, size_t len, void *arg)
{
	(void)data;
	*(size_t *)arg += len;
	return 0;
}

/* Walk root into a counting sink; members written, or -1. */
static long
walk(const char *root, const struct chain_state *prev,
    struct chain_state *seen)
{
	struct bk_err err;
	struct tarw *t;
	size_t bytes = 0;
	long n = -1;

	if ((t = tarw_new_sink(count_sink, &bytes, &err)) == NULL)
		return -1;
	tarw_set_chain(t, prev, seen);
	if (tarw_add_tree(t, root, "files", NULL, &err) == 0 &&
	    tarw_close(t, &err) == 0)
		n = (long)tarw_stats(t)->files;
	tarw_free(t);
	chain_state_sort(seen);
	return n;
}

/* The same walk through a reader process running as nobody. */
static long
walk_reader(const char *root, const struct chain_state *prev,
    struct chain_state *seen)
{
	struct settings admin;
	struct privsep *ps;
	struct bk_err err;
	struct tarw *t;
	size_t bytes = 0;
	long n = -1;

	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "USER_ACCOUNTS", "system");
	if ((ps = privsep_start_chain(&admin, "nobody", NULL, prev, seen,
	    &err)) == NULL) {
		settings_free(&admin);
		return -1;
	}
	if ((t = tarw_new_sink(count_sink, &bytes, &err)) != NULL &&
	    privsep_add_path(ps, t, root, "files", &err) == 0 &&
	    tarw_close(t, &err) == 0)
		n = (long)tarw_stats(t)->files;
	ok(privsep_dropped(ps), "the reader runs as the account");
	tarw_free(t);
	privsep_free(ps);
	settings_free(&admin);
	chain_state_sort(seen);
	return n;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
test_walk(const char *dir)
{
	struct chain_state s1, s2, s3;
	char root[1024], p[4096], q[4096];
	long n1, n2, n3;

	snprintf(root, sizeof(root), "%s/tree", dir);
	chmod(dir, 0755);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/sub", root);
	mkdir(p, 0755);
	put(root, "a", "alpha");
	put(root, "b", "beta");
	put(p, "c", "gamma");
	snprintf(p, sizeof(p), "%s/l", root);
	(void)symlink("a", p);
	chain_state_init(&s1);
	chain_state_init(&s2);
	chain_state_init(&s3);
	n1 = walk(root, NULL, &s1);
	ok(n1 == 6 && s1.n == 6 && chain_state_find(&s1, "files/sub/c") !=
	    NULL, "full: every member written and recorded (%ld, %zu)", n1,
	    s1.n);
	n2 = walk(root, &s1, &s2);
	ok(n2 == 2 && s2.n == 6, "nothing changed: only the 2 folders "
	    "(%ld)", n2);
	put(root, "b", "beta, longer");
	snprintf(p, sizeof(p), "%s/a", root);
	snprintf(q, sizeof(q), "%s/sub/a2", root);
	(void)rename(p, q);
	n3 = walk(root, &s2, &s3);
	ok(n3 == 4 && s3.n == 6 && chain_state_find(&s3, "files/a") ==
	    NULL && chain_state_find(&s3, "files/sub/a2") != NULL,
	    "changed b, renamed a: folders + b + sub/a2 (%ld), a gone from "
	    "the paths", n3);
	if (geteuid() == 0) {
		chain_state_free(&s2);
		chain_state_init(&s2);
		put(root, "b", "beta, longer still");
		n2 = walk_reader(root, &s3, &s2);
		ok(n2 == 3 && s2.n == 6 && chain_state_find(&s2,
		    "files/sub/a2") != NULL, "through the user's reader: "
		    "folders + b (%ld), every path reported back (%zu)", n2,
		    s2.n);
	}
	chain_state_free(&s1);
	chain_state_free(&s2);
	chain_state_free(&s3);
	unlink(q);
	snprintf(p, sizeof(p), "%s/sub/c", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/b", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/l", root);
	unlink(p);
	rmdir(root);
}

int
main(void)
{
	char dir[] = "/tmp/test_chain.XXXXXX", sub[64];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_names();
	test_state(dir);
	test_decide();
	test_members();
	test_walk(dir);
	snprintf(sub, sizeof(sub), "%s/chain", dir);
	rmdir(sub);
	rmdir(dir);
	return tap_done();
}
