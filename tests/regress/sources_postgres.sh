#!/bin/sh
# Postgres Databases: a real PostgreSQL 15 server on a loopback port.
# alice's databases are dumped with pg_dump -Fc, one per database under
# postgres/; pg_restore brings them back (whole, or one table) with the
# same rows and digests; bob's databases and alicex's are absent.  The
# password only in a .pgpass file; a server that dies in the middle of a
# dump fails the job cleanly.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/postgres.sh"
t_setup

pg_start
ok $? "PostgreSQL starts on a loopback port"

PW='Pg-pw-51ab-77cd-Secret'
pg_sql "CREATE ROLE backup LOGIN PASSWORD '$PW';
GRANT pg_read_all_data TO backup;" &&
for db in alice_shop alice_blog bob_shop alicex_private; do
	pg_sql "CREATE DATABASE $db" || exit 1
done &&
pg_sql "CREATE TABLE items (id serial PRIMARY KEY, name text,
    price numeric(10,2), photo bytea);
INSERT INTO items (name, price, photo) SELECT 'item ' || g || ' it''s ü',
    g * 1.25, decode(md5(g::text), 'hex') FROM generate_series(1, 2000) g;
CREATE TABLE orders (id serial PRIMARY KEY, item int REFERENCES items,
    qty int);
INSERT INTO orders (item, qty) SELECT g % 2000 + 1, g FROM
    generate_series(1, 500) g;
CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;" alice_shop &&
pg_sql "CREATE TABLE posts (id int PRIMARY KEY, body text);
INSERT INTO posts SELECT g, repeat('Lorem ipsum ', g % 50) FROM
    generate_series(1, 300) g;" alice_blog &&
pg_sql "CREATE TABLE t (s text); INSERT INTO t VALUES ('bob-only-row');" \
    bob_shop &&
pg_sql "CREATE TABLE t (s text); INSERT INTO t VALUES ('alicex-only-row');" \
    alicex_private
ok $? "test databases for alice, bob and alicex are created"

umask 077
printf '127.0.0.1:%s:*:backup:%s\n' "$PG_PORT" "$PW" >"$T/pgpass"
mkdir -p "$T/users" "$T/out"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$PG_PORT
POSTGRES_USER=backup
POSTGRES_PASSFILE=$T/pgpass
TEMP_DIR=$T/spool
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=postgres databases\nBACKUP_COMPRESSION=zst\n' \
    "$T/out" >"$T/users/alice.env"

backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run alice with BACKUP_SOURCES=Postgres Databases succeeds"
f=$(ls "$T/out"/*.tar.zst 2>/dev/null | head -n 1)
# (besides the tail index every gz/zst archive ends with)
zstd -dc "$f" | tar -tf - | grep -vx "\.panel-backup/index" | sort >"$T/list"
printf 'postgres/alice_blog.dump\npostgres/alice_shop.dump\n' |
    diff - "$T/list" >"$T/diff"
ok $? "the archive holds exactly postgres/alice_blog.dump and postgres/alice_shop.dump"
mkdir "$T/x" && zstd -dc "$f" | tar -xf - -C "$T/x"
[ "$(head -c 5 "$T/x/postgres/alice_shop.dump")" = PGDMP ]
ok $? "the dumps are pg_dump custom-format archives"
! grep -rqa -e bob -e alicex "$T/list" "$T/x"
ok $? "bob's and alicex's databases are absent (the _ is no wildcard)"

sums() {	# sums DB: per table, row count and a digest of every row
	for t in $(pg_sql "SELECT tablename FROM pg_tables WHERE
	    schemaname = 'public' ORDER BY 1" "$1"); do
		pg_sql "SELECT '$t', count(*), md5(coalesce(string_agg(x::text,
		    ',' ORDER BY x::text), '')) FROM $t x" "$1"
	done
}
pg_sql "CREATE DATABASE r_shop" && pg_sql "CREATE DATABASE r_blog" &&
    pg_restore -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d r_shop \
    --no-owner --exit-on-error "$T/x/postgres/alice_shop.dump" &&
    pg_restore -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d r_blog \
    --no-owner --exit-on-error "$T/x/postgres/alice_blog.dump"
ok $? "pg_restore restores both dumps into fresh databases"
[ "$(sums alice_shop)" = "$(sums r_shop)" ] &&
    [ "$(sums alice_blog)" = "$(sums r_blog)" ] &&
    [ "$(pg_sql 'SELECT count(*) FROM items' r_shop)" = 2000 ] &&
    [ "$(pg_sql 'SELECT count(*) FROM cheap' r_shop)" = 7 ]
ok $? "row counts and digests of every table (and the view) match"
pg_sql "CREATE DATABASE r_one" &&
    pg_restore -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d r_one \
    --no-owner -t posts "$T/x/postgres/alice_blog.dump" &&
    [ "$(pg_sql "SELECT tablename FROM pg_tables WHERE
    schemaname = 'public'" r_one)" = posts ] &&
    [ "$(pg_sql 'SELECT count(*) FROM posts' r_one)" = 300 ]
ok $? "pg_restore -t restores one table on its own"
! grep -q -- "$PW" "$T/run.out" "$T/run.err"
ok $? "the password appears in no output"
[ -d "$T/spool" ] && [ -z "$(ls -A "$T/spool")" ]
ok $? "TEMP_DIR is empty after a successful dump"

# A wrong password: libpq's message, exit 1, nothing written.
rm -f "$T/out"/*
printf '127.0.0.1:%s:*:backup:%s-wrong\n' "$PG_PORT" "$PW" >"$T/pgpass"
backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ] && grep -q 'password authentication failed' "$T/run.err" &&
    ! grep -q -- "$PW" "$T/run.err" && [ -z "$(ls "$T/out")" ]
ok $? "refused password: exit 1, the server's message, no secret, no file (rc=$rc)"
printf '127.0.0.1:%s:*:backup:%s\n' "$PG_PORT" "$PW" >"$T/pgpass"

# The server dies in the middle of a dump: the dump of alice_shop waits on
# a lock (alice_blog is already in the archive stream), then the server
# is stopped in immediate mode (a crash).
rm -f "$T/out"/*
pg_sql "BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
    SELECT pg_sleep(300);" alice_shop >/dev/null 2>&1 &
locker=$!
t_bg $locker
backupctl run alice >"$T/run.out" 2>"$T/run.err" &
job=$!
t_bg $job
blocked() {
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE
	    application_name = 'pg_dump' AND wait_event_type = 'Lock'")" -ge 1 ]
}
wait_for 30 blocked
ok $? "pg_dump of alice_shop is under way and waiting on the lock"
dpid=$(ps -o pid= --ppid "$job" | tr -d ' ' | head -n 1)
[ -n "$dpid" ] && tr '\0' ' ' <"/proc/$dpid/cmdline" >"$T/cmdline" &&
    grep -q -- '--format=custom' "$T/cmdline" &&
    ! grep -q -- "$PW" "$T/cmdline" &&
    tr '\0' '\n' <"/proc/$dpid/environ" | grep -qx "PGPASSFILE=$T/pgpass"
ok $? "pg_dump runs with -Fc, PGPASSFILE in its environment, no password on its command line"
ls -l "/proc/$job/fd" 2>/dev/null | grep -q "$T/spool/dump\..*(deleted)"
ok $? "the dump is spooled to an unlinked file in TEMP_DIR"
pg_stop immediate
wait "$job"
rc=$?
[ $rc -eq 1 ]
ok $? "backupctl run exits 1 when the server dies mid-dump (rc=$rc)"
grep -q 'pg_dump' "$T/run.err" && grep -q 'alice_shop' "$T/run.err" &&
    grep -qi -e 'terminat' -e 'closed the connection' -e 'lost' \
    -e 'shut' "$T/run.err"
ok $? "the error names pg_dump, the database and carries its message"
[ -z "$(ls -A "$T/out")" ] && [ -z "$(ls -A "$T/spool")" ]
ok $? "nothing at the destination, nothing in TEMP_DIR"

t_done
