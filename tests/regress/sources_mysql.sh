#!/bin/sh
# MySQL Databases: a real MariaDB server (Debian's) on a socket under $T.
# alice's databases are dumped with mariadb-dump, one file each under
# mysql/, restore with the stock mariadb client into fresh databases with
# the same rows, checksums, trigger, routine and event; bob's databases
# (and those of a user whose name merely starts with "alice") are absent.
# Credentials only in the admin's option file; a server that dies in the
# middle of a dump fails the job cleanly: exit 1, the tool's message,
# nothing at the destination, nothing left in TEMP_DIR.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/mariadb.sh"
t_setup

mariadb_start
ok $? "MariaDB starts on a socket under the test folder"

PW='Bk-pw-7c1f-9e2d-Secret'
mariadb_sql "
USE mysql;
CREATE USER backup@localhost IDENTIFIED BY '$PW';
GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT, SHOW DATABASES
    ON *.* TO backup@localhost;
CREATE DATABASE alice_shop; CREATE DATABASE alice_blog;
CREATE DATABASE bob_shop; CREATE DATABASE alicex_private;
CREATE TABLE alice_shop.items (id INT PRIMARY KEY AUTO_INCREMENT,
    name VARCHAR(64), price DECIMAL(10,2), photo BLOB) ENGINE=InnoDB;
INSERT INTO alice_shop.items (name, price, photo)
    SELECT CONCAT('item ', seq, ' \"quoted\" it''s ü'), seq * 1.25,
    UNHEX(MD5(seq)) FROM seq_1_to_2000;
CREATE TABLE alice_shop.log (id INT PRIMARY KEY AUTO_INCREMENT,
    item INT, at TIMESTAMP DEFAULT '2026-01-01 00:00:00');
USE alice_shop;
CREATE TRIGGER items_log AFTER INSERT ON items
    FOR EACH ROW INSERT INTO log (item) VALUES (NEW.id);
CREATE PROCEDURE cheap() SELECT COUNT(*) FROM items WHERE price < 10;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM log;
CREATE TABLE alice_blog.posts (id INT PRIMARY KEY, body TEXT);
INSERT INTO alice_blog.posts SELECT seq, REPEAT('Lorem ipsum ', seq % 50)
    FROM seq_1_to_300;
CREATE TABLE bob_shop.items (id INT PRIMARY KEY, name VARCHAR(64));
INSERT INTO bob_shop.items VALUES (1, 'bob-only-row');
CREATE TABLE alicex_private.t (id INT PRIMARY KEY, s VARCHAR(64));
INSERT INTO alicex_private.t VALUES (1, 'alicex-only-row');
"
ok $? "test databases for alice, bob and alicex are created"

umask 077
printf '[client]\nuser=backup\npassword=%s\n' "$PW" >"$T/my-backup.cnf"
mkdir -p "$T/users" "$T/out" "$T/home/alice/files"
echo hello >"$T/home/alice/files/a.txt"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}
SOURCE_MINECRAFT=$T/mc/{user}
MYSQL_SOCKET=$MARIADB_SOCK
MYSQL_DEFAULTS_FILE=$T/my-backup.cnf
TEMP_DIR=$T/spool
STATE_DIR=$T/state
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

user_env() {	# user_env KEY=VALUE... : alice's settings
	printf 'BACKUP_ARCHIVE=%s\n' "$T/out" >"$T/users/alice.env"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$T/users/alice.env"; done
}

user_env 'BACKUP_SOURCES=MySQL Databases' BACKUP_COMPRESSION=gz
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run alice with BACKUP_SOURCES=MySQL Databases succeeds"
f=$(ls "$T/out"/*.tar.gz 2>/dev/null | head -n 1)
# (besides the tail index every gz/zst archive ends with)
tar -tzf "$f" | grep -vx "\.panel-backup/index" | sort >"$T/list"
printf 'mysql/alice_blog.sql\nmysql/alice_shop.sql\n' | diff - "$T/list" \
    >"$T/diff" 2>&1
ok $? "the archive holds exactly mysql/alice_blog.sql and mysql/alice_shop.sql"
[ -f "$T/list" ] && ! grep -q -e bob -e alicex "$T/list"
ok $? "bob's databases and alicex_private (the _ is no wildcard) are absent"
mkdir "$T/x" && tar -xzf "$f" -C "$T/x"
! grep -rq -e bob-only-row -e alicex-only-row "$T/x"
ok $? "no row of another user's database is in the dumps"
head -n 40 "$T/x/mysql/alice_shop.sql" | grep -q 'CREATE DATABASE'
[ $? -ne 0 ]
ok $? "the dump has no CREATE DATABASE, so it restores under any name"

mariadb_sql "CREATE DATABASE r_shop; CREATE DATABASE r_blog;"
mariadb --no-defaults --socket="$MARIADB_SOCK" -uroot r_shop \
    <"$T/x/mysql/alice_shop.sql" 2>"$T/restore.err" &&
    mariadb --no-defaults --socket="$MARIADB_SOCK" -uroot r_blog \
    <"$T/x/mysql/alice_blog.sql" 2>>"$T/restore.err"
ok $? "the stock mariadb client restores both dumps into fresh databases"
sums() {	# sums DB: row counts and a content digest per table
	for t in $(mariadb_sql "SHOW TABLES FROM $1" | sort); do
		printf '%s %s ' "$t" \
		    "$(mariadb_sql "SELECT COUNT(*) FROM $1.$t")"
		mariadb_sql "SELECT * FROM $1.$t ORDER BY 1" | md5sum
	done
}
[ "$(sums alice_shop)" = "$(sums r_shop)" ] &&
    [ "$(sums alice_blog)" = "$(sums r_blog)" ] &&
    [ "$(mariadb_sql 'SELECT COUNT(*) FROM r_shop.items')" = 2000 ]
ok $? "row counts and content digests of every table match the originals"
a=$(mariadb_sql "CHECKSUM TABLE alice_shop.items, alice_blog.posts" |
    awk '{print $2}')
b=$(mariadb_sql "CHECKSUM TABLE r_shop.items, r_blog.posts" |
    awk '{print $2}')
[ -n "$a" ] && [ "$a" = "$b" ]
ok $? "CHECKSUM TABLE agrees between originals and restored tables"
[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.triggers
    WHERE trigger_schema='r_shop'")" = 1 ] &&
    [ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.routines
    WHERE routine_schema='r_shop'")" = 1 ] &&
    [ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.events
    WHERE event_schema='r_shop'")" = 1 ]
ok $? "the trigger, the procedure and the event come back too"
! grep -rq -- "$PW" "$T/run.out" "$T/run.err"
ok $? "the admin's password appears in no output"
[ -d "$T/spool" ] && [ -z "$(ls -A "$T/spool")" ] &&
    [ "$(stat -c %a "$T/spool")" = 700 ]
ok $? "TEMP_DIR is a 0700 folder and empty after a successful dump"

# "All": files and databases together.
rm -f "$T/out"/*
# Incremental chains: an unchanged database is listed, not stored again.
mkdir -p "$T/outc"
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=MySQL Databases\nBACKUP_COMPRESSION=none\nBACKUP_INCREMENTAL=true\n' \
    "$T/outc" >"$T/users/alice.env"
backupctl run alice >/dev/null 2>&1 && backupctl run alice >/dev/null 2>&1
inc=$(ls "$T/outc" | grep '^inc-0001-')
[ -n "$inc" ] && ! tar -tf "$T/outc/$inc" | grep -q '^mysql/.*\.sql$' &&
    tar -xOf "$T/outc/$inc" .panel-backup/paths | tr '\0' '\n' |
    grep -q '^mysql/alice_shop.sql$'
ok $? "an incremental leaves out unchanged dumps (equal SHA-256) and lists them in .panel-backup/paths"

user_env BACKUP_SOURCES=All BACKUP_COMPRESSION=none
backupctl run alice >/dev/null 2>"$T/run.err"
ok $? "BACKUP_SOURCES=All succeeds (missing Emails, VirtualHosts, Minecraft skipped)"
tar -tf "$T/out"/*.tar | sort >"$T/list"
printf 'files/\nfiles/a.txt\nmysql/alice_blog.sql\nmysql/alice_shop.sql\n' |
    diff - "$T/list" >"$T/diff"
ok $? "All gives files/ and mysql/ (Postgres and MsSQL are not configured)"

# bob gets his own and nothing else.
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=MySQL Databases\nBACKUP_COMPRESSION=none\n' \
    "$T/out-bob" >"$T/users/bob.env"
mkdir -p "$T/out-bob"
backupctl run bob >/dev/null 2>&1 &&
    [ "$(tar -tf "$T/out-bob"/*.tar)" = mysql/bob_shop.sql ]
ok $? "bob's backup holds only mysql/bob_shop.sql"

# A user without databases: an empty source, not an error.
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=MySQL Databases,Files\n' \
    "$T/out-carol" >"$T/users/carol.env"
mkdir -p "$T/out-carol" "$T/home/carol/files"
backupctl run carol >/dev/null 2>&1
ok $? "a user with no databases still gets a backup"

# Wrong credentials: the tool's own message, no password, exit 1.
rm -f "$T/out"/*
user_env 'BACKUP_SOURCES=MySQL Databases'
printf '[client]\nuser=backup\npassword=%s-wrong\n' "$PW" >"$T/my-bad.cnf"
sed "s|my-backup.cnf|my-bad.cnf|" "$T/pb.conf" >"$T/pb-bad.conf"
PANEL_BACKUP_CONFIG=$T/pb-bad.conf backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ] && grep -q "Access denied for user 'backup'" "$T/run.err"
ok $? "refused credentials: exit 1 with the server's message (rc=$rc)"
! grep -q -- "$PW" "$T/run.err" && [ -z "$(ls "$T/out")" ]
ok $? "... no password in the message, nothing at the destination"

# A dump program that is not there names the setting.
echo 'MYSQL_DUMP_COMMAND=/nonexistent/mariadb-dump' >"$T/pb-nodump.conf"
cat "$T/pb.conf" >>"$T/pb-nodump.conf"
PANEL_BACKUP_CONFIG=$T/pb-nodump.conf backupctl run alice >/dev/null 2>"$T/run.err"
[ $? -ne 0 ] && grep -q MYSQL_DUMP_COMMAND "$T/run.err"
ok $? "a missing dump program fails naming MYSQL_DUMP_COMMAND"

# The server dies in the middle of a dump.  alice_blog is dumped first and
# is already in the archive stream; the dump of alice_shop is held on a
# table lock, then the server is killed under it.
rm -f "$T/out"/*
user_env 'BACKUP_SOURCES=MySQL Databases' BACKUP_COMPRESSION=none
mariadb_sql "LOCK TABLES alice_shop.items WRITE; SELECT SLEEP(300)" \
    >/dev/null 2>&1 &
locker=$!
t_bg $locker
backupctl run alice >"$T/run.out" 2>"$T/run.err" &
job=$!
t_bg $job
blocked() {
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.processlist
	    WHERE user = 'backup' AND state LIKE '%metadata lock%'")" -ge 1 ]
}
wait_for 30 blocked
ok $? "the dump of alice_shop is under way and waiting on the lock"
dpid=$(ps -o pid= --ppid "$job" | tr -d ' ' | head -n 1)
[ -n "$dpid" ] && tr '\0' ' ' <"/proc/$dpid/cmdline" >"$T/cmdline" &&
    grep -q -- '--single-transaction' "$T/cmdline" &&
    grep -q -- '--routines' "$T/cmdline" &&
    grep -q -- '--defaults-extra-file=' "$T/cmdline" &&
    ! grep -q -- "$PW" "$T/cmdline"
ok $? "the dump runs with an argument vector, --single-transaction, no password on it"
ls -l "/proc/$job/fd" 2>/dev/null | grep -q "$T/spool/dump\..*(deleted)"
ok $? "the dump is spooled to an unlinked file in TEMP_DIR, not in memory"
[ -z "$(find "$T/spool" -type f)" ] &&
    [ "$(stat -c %a "$T/spool"/dump.*)" = 700 ]
ok $? "the spool folder is private (0700) and holds no named file"
kill -9 "$MARIADB_PID"
wait "$job"
rc=$?
[ $rc -eq 1 ]
ok $? "backupctl run exits 1 when the server dies mid-dump (rc=$rc)"
grep -q 'mariadb-dump' "$T/run.err" && grep -q 'alice_shop' "$T/run.err" &&
    grep -qi -e 'lost connection' -e 'server has gone away' \
    -e "can't connect" "$T/run.err"
ok $? "the error names the dump, the database and carries the tool's message"
[ -z "$(ls -A "$T/out")" ]
ok $? "nothing is left at the destination"
[ -z "$(ls -A "$T/spool")" ]
ok $? "nothing is left in TEMP_DIR"
kill "$locker" 2>/dev/null
MARIADB_PID=

t_done
