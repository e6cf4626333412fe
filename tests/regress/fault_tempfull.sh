#!/bin/sh
# Disk full in the temp folder: TEMP_DIR on a 1 MiB tmpfs, a PostgreSQL
# database whose dump (spooled there) needs about 4 MiB.  The backup
# fails with one clear line naming TEMP_DIR, writes no backup, leaves
# nothing in TEMP_DIR; the spool folder it made was private (0700).
# With room enough, the same backup succeeds.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/postgres.sh"
t_setup

mkdir -p "$T/small"
if ! mount -t tmpfs -o size=1m,mode=0755 tmpfs "$T/small" 2>"$T/mount.err"
then
	echo "ok 1 # SKIP cannot mount a tmpfs: $(cat "$T/mount.err")"
	echo "1..1"
	exit 0
fi
pg_start
ok $? "PostgreSQL starts"
# After pg_start, whose exit hook this replaces.
trap 'pg_stop immediate; umount "$T/small" 2>/dev/null; t_cleanup' EXIT
PW='Pg-pw-tempfull-1'
pg_sql "CREATE ROLE backup LOGIN PASSWORD '$PW';
GRANT pg_read_all_data TO backup;" && pg_sql "CREATE DATABASE alice_big" &&
pg_sql "CREATE TABLE t (id int, s text);
INSERT INTO t SELECT g, md5(g::text) || md5((g * 7)::text)
    FROM generate_series(1, 60000) g;" alice_big
ok $? "a database of about 4 MiB for alice"

umask 077
printf '127.0.0.1:%s:*:backup:%s\n' "$PG_PORT" "$PW" >"$T/pgpass"
umask 022
mkdir -p "$T/users" "$T/out" "$T/home/alice/files"
conf() {
	cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$PG_PORT
POSTGRES_USER=backup
POSTGRES_PASSFILE=$T/pgpass
TEMP_DIR=$1
EOC
}
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Postgres Databases\n' "$T/out" \
    >"$T/users/alice.env"
chmod 600 "$T/users/alice.env"

conf "$T/small/pb"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ]
ok $? "TEMP_DIR full: the backup fails (rc=$rc)"
tail -n 1 "$T/run.err" | grep -q 'TEMP_DIR'
ok $? "the error line names TEMP_DIR ($(tail -n 1 "$T/run.err"))"
[ -z "$(ls -A "$T/out")" ]
ok $? "no backup (and no partial file) is at the destination"
[ -z "$(ls -A "$T/small/pb" 2>/dev/null)" ] &&
    [ "$(df --output=used -B1 "$T/small" | tail -n 1)" -lt 65536 ]
ok $? "nothing is left in TEMP_DIR and its space is free again"
[ "$(stat -c %a "$T/small/pb")" = 700 ]
ok $? "TEMP_DIR was created private (0700)"

conf "$T/roomy"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "with room in TEMP_DIR the same backup succeeds"
tar -tzf "$T/out"/*.tar.gz | grep -q '^postgres/alice_big'
ok $? "it holds the database dump"
[ -z "$(ls -A "$T/roomy")" ]
ok $? "and leaves TEMP_DIR empty"

t_done
