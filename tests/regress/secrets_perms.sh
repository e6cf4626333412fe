#!/bin/sh
# Config files holding secrets that others can read get a warning naming
# the file and the key (never the value); files without secrets, or
# readable by their owner only, get none.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/out"
echo hi >"$T/home/alice/files/a"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
MSSQL_PASSWORD=admin-db-pw-Qz81
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf "BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Files\nWEBDAV_PASSWORD=user-dav-pw-Lm27\n" "$T/out" \
    >"$T/users/alice.env"

chmod 644 "$T/pb.conf"
chmod 600 "$T/users/alice.env"
backupctl run alice >"$T/out.log" 2>&1
grep 'readable by every local user' "$T/out.log" | grep -q MSSQL_PASSWORD
ok $? "an admin config with a secret readable by everyone: a warning naming MSSQL_PASSWORD"
! grep -q -e admin-db-pw-Qz81 -e user-dav-pw-Lm27 "$T/out.log"
ok $? "the warnings carry no secret value"

chmod 600 "$T/pb.conf"
chmod 640 "$T/users/alice.env"
backupctl run alice >"$T/out.log" 2>&1
grep "alice.env holds a secret (WEBDAV_PASSWORD)" "$T/out.log" |
    grep -q 'readable by its group'
ok $? "a user file with a secret readable by its group: a warning naming WEBDAV_PASSWORD"
! grep -q 'pb.conf holds a secret' "$T/out.log"
ok $? "an admin config readable by its owner only: no warning"

chmod 644 "$T/users/alice.env"
printf 'BACKUP_ARCHIVE=%s\n' "$T/out" >"$T/users/alice.env"
backupctl run alice >"$T/out.log" 2>&1
! grep -q 'holds a secret' "$T/out.log"
ok $? "a readable user file without secrets: no warning"
t_done
