#!/bin/sh
# MsSQL Databases through sqlcmd and BACKUP DATABASE.  No SQL Server can
# run here (see docs/sources.md), so sqlcmd is tests/servers/sqlcmd, a
# stand-in that speaks sqlcmd's options and SQL Server's messages: these
# tests check what panel-backup sends and how it handles the answers, not
# a real server.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

echo "# no SQL Server on this machine: against the sqlcmd stand-in only"
PW='Ms-pw-0b3e-44f1-Secret'
FAKE_MSSQL_DIR=$T/mssql
export FAKE_MSSQL_DIR
mkdir -p "$FAKE_MSSQL_DIR/databases" "$T/bak" "$T/users" "$T/out"
echo 'tcp:127.0.0.1,1433' >"$FAKE_MSSQL_DIR/server"
echo backup >"$FAKE_MSSQL_DIR/user"
echo "$PW" >"$FAKE_MSSQL_DIR/password"
for db in alice_shop alice_blog bob_shop alicex_private master; do
	printf '%s rows\n' "$db" >"$FAKE_MSSQL_DIR/databases/$db"
done
head -c 100000 /dev/urandom >>"$FAKE_MSSQL_DIR/databases/alice_shop"
SQLCMD=$PB_ROOT/tests/servers/sqlcmd

umask 077
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
MSSQL_SQLCMD=$SQLCMD
MSSQL_SERVER=tcp:127.0.0.1,1433
MSSQL_USER=backup
MSSQL_PASSWORD=$PW
MSSQL_BACKUP_DIR=$T/bak
TEMP_DIR=$T/spool
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=MsSQL Databases\nBACKUP_COMPRESSION=none\n' \
    "$T/out" >"$T/users/alice.env"

backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run alice with BACKUP_SOURCES=MsSQL Databases succeeds"
f=$(ls "$T/out"/*.tar 2>/dev/null | head -n 1)
tar -tf "$f" | sort >"$T/list"
printf 'mssql/alice_blog.bak\nmssql/alice_shop.bak\n' | diff - "$T/list" \
    >"$T/diff"
ok $? "the archive holds exactly mssql/alice_blog.bak and mssql/alice_shop.bak"
cp "$FAKE_MSSQL_DIR/calls.log" "$T/calls.log"
mkdir "$T/x" && tar -xf "$f" -C "$T/x" &&
    "$SQLCMD" -S tcp:127.0.0.1,1433 -U backup -P "$PW" -b -Q \
    "RESTORE VERIFYONLY FROM DISK = N'$T/x/mssql/alice_shop.bak'" |
    grep -q 'is valid' &&
    [ "$(tail -c 100000 "$T/x/mssql/alice_shop.bak" | md5sum)" = \
    "$(tail -c 100000 "$FAKE_MSSQL_DIR/databases/alice_shop" | md5sum)" ]
ok $? "the .bak in the archive is the one the server wrote (RESTORE VERIFYONLY, same bytes)"
[ -z "$(ls -A "$T/bak")" ] && [ -z "$(ls -A "$T/spool" 2>/dev/null)" ]
ok $? "MSSQL_BACKUP_DIR and TEMP_DIR are empty afterwards"
! grep -q -- "$PW" "$T/run.out" "$T/run.err"
ok $? "the password appears in no output"
! grep -q -- "$PW" "$T/calls.log" &&
    ! grep -q '"env_password": false' "$T/calls.log" &&
    grep -q '"env_password": true' "$T/calls.log"
ok $? "sqlcmd got the password as SQLCMDPASSWORD, never on its command line"
grep 'BACKUP DATABASE' "$T/calls.log" >"$T/backups.log"
[ "$(wc -l <"$T/backups.log")" -eq 2 ] &&
    ! grep -v 'WITH COPY_ONLY' "$T/backups.log" | grep -q . &&
    ! grep -v '"-b"' "$T/backups.log" | grep -q . &&
    ! grep -v '"-x"' "$T/backups.log" | grep -q . &&
    ! grep -q -e bob_shop -e alicex -e master "$FAKE_MSSQL_DIR/calls.log"
ok $? "two BACKUP DATABASE ... WITH COPY_ONLY (with -b, -x); never bob's, alicex's or master"

# A database name with ] and ' is quoted as T-SQL wants.
printf 'odd\n' >"$FAKE_MSSQL_DIR/databases/alice_it's]odd"
rm -f "$T/out"/*
backupctl run alice >/dev/null 2>"$T/run.err" &&
    tar -tf "$T/out"/*.tar | grep -qx "mssql/alice_it's]odd.bak"
ok $? "a name holding ] and ' is backed up under its own name"
rm -f "$FAKE_MSSQL_DIR/databases/alice_it's]odd"

# Refused login: sqlcmd's message, exit 1, no secret.
rm -f "$T/out"/*
echo other-password >"$FAKE_MSSQL_DIR/password"
backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ] && grep -q "Login failed for user 'backup'" "$T/run.err" &&
    ! grep -q -- "$PW" "$T/run.err" && [ -z "$(ls "$T/out")" ]
ok $? "refused login: exit 1 with sqlcmd's message, no secret, no file (rc=$rc)"
echo "$PW" >"$FAKE_MSSQL_DIR/password"

# BACKUP DATABASE fails halfway, leaving half a .bak behind it.
touch "$FAKE_MSSQL_DIR/databases/alice_shop.fail"
backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ] && grep -q 'alice_shop' "$T/run.err" &&
    grep -q 'BACKUP DATABASE is terminating abnormally' "$T/run.err"
ok $? "a BACKUP that fails halfway fails the job with the server's message (rc=$rc)"
[ -z "$(ls -A "$T/out")" ] && [ -z "$(ls -A "$T/bak")" ] &&
    [ -z "$(ls -A "$T/spool" 2>/dev/null)" ]
ok $? "... and leaves nothing: no backup, no partial .bak, nothing in TEMP_DIR"
rm -f "$FAKE_MSSQL_DIR/databases/alice_shop.fail"

# The admin forgot MSSQL_BACKUP_DIR.
grep -v MSSQL_BACKUP_DIR "$T/pb.conf" >"$T/pb-nodir.conf"
PANEL_BACKUP_CONFIG=$T/pb-nodir.conf backupctl run alice >/dev/null \
    2>"$T/run.err"
rc=$?
[ $rc -eq 2 ] && grep -q MSSQL_BACKUP_DIR "$T/run.err"
ok $? "no MSSQL_BACKUP_DIR: exit 2 naming the setting (rc=$rc)"

# MsSQL off (no MSSQL_SQLCMD): "All" skips it, naming it explicitly fails.
grep -v MSSQL_SQLCMD "$T/pb.conf" >"$T/pb-off.conf"
mkdir -p "$T/home/alice/files"
PANEL_BACKUP_CONFIG=$T/pb-off.conf backupctl run alice >/dev/null \
    2>"$T/run.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'MsSQL Databases' "$T/run.err"
ok $? "MsSQL Databases named but not configured: exit 2 naming it (rc=$rc)"

t_done
