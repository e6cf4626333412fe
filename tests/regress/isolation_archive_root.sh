#!/bin/sh
# ARCHIVE_ROOT (admin) is the folder a user's BACKUP_ARCHIVE is relative
# to: "daily", "/daily" and the root's own path + "/daily" are the same
# folder; ".." is refused (exit 2, naming it) with nothing created; an
# absolute path elsewhere lands inside the root, never elsewhere; a
# symlink inside the root is never followed; ARCHIVE_ROOT=/ gives the
# old any-absolute-path behaviour.  The attacks of a hostile user are in
# tests/security/archive_root.sh.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/elsewhere" "$T/backups/alice"
echo hello >"$T/home/alice/files/a.txt"
ln -s "$T/elsewhere" "$T/backups/alice/escape"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=$T/backups/{user}
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

run_with() {	# run_with DIR: alice's backup to BACKUP_ARCHIVE=DIR
	printf 'BACKUP_ARCHIVE=%s\n' "$1" >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
	backupctl run alice >"$T/run.out" 2>"$T/run.err"
}
nothing_outside() {
	[ -z "$(ls -A "$T/elsewhere")" ] && [ ! -e "$T/etc-x" ] &&
	    [ ! -e "$T/backups/bob" ]
}
count() { ls "$1" 2>/dev/null | grep -c '^backup-.*\.tar\.gz$'; }

run_with "$T/backups/alice/daily"
[ $? -eq 0 ] && [ "$(count "$T/backups/alice/daily")" -eq 1 ]
ok $? "BACKUP_ARCHIVE written as the root's own path + /daily: in ROOT/daily (compatibility)"

rm -f "$T/backups/alice/daily"/*
run_with daily
[ $? -eq 0 ] && [ "$(count "$T/backups/alice/daily")" -eq 1 ]
ok $? "BACKUP_ARCHIVE=daily is the same folder"

rm -f "$T/backups/alice/daily"/*
run_with /daily
[ $? -eq 0 ] && [ "$(count "$T/backups/alice/daily")" -eq 1 ]
ok $? "BACKUP_ARCHIVE=/daily is the same folder (a leading / is the root)"

run_with /
[ $? -eq 0 ] && [ "$(count "$T/backups/alice")" -eq 1 ] &&
    [ "$(stat -c '%U %a' "$T/backups/alice")" = "root 755" ]
ok $? "BACKUP_ARCHIVE=/ is the root itself"

run_with "$T/elsewhere"
rc=$?
[ $rc -eq 0 ] && nothing_outside &&
    [ "$(count "$T/backups/alice/$T/elsewhere")" -eq 1 ]
ok $? "an absolute path elsewhere lands inside alice's root, nothing outside (rc=$rc)"

run_with "../bob"
rc=$?
[ $rc -eq 2 ] && grep -q 'BACKUP_ARCHIVE.*"\.\."' "$T/run.err" && nothing_outside
ok $? "../bob is refused: exit 2 naming BACKUP_ARCHIVE and .., nothing created (rc=$rc)"

run_with "$T/backups/alice/../../etc-x"
[ $? -eq 2 ] && nothing_outside
ok $? "a path climbing out with .. is refused and nothing is created"

run_with escape
rc=$?
[ $rc -ne 0 ] && grep -q 'BACKUP_ARCHIVE' "$T/run.err" && nothing_outside
ok $? "a symlink inside the root is not followed: fails naming BACKUP_ARCHIVE (rc=$rc)"

run_with escape/deeper
[ $? -ne 0 ] && nothing_outside
ok $? "a missing folder below such a symlink: nothing created through it"

mkdir -p "$T/new"
sed -i "s|^ARCHIVE_ROOT=.*|ARCHIVE_ROOT=$T/new/root/{user}|" "$T/pb.conf"
run_with /
[ $? -eq 0 ] && [ "$(stat -c '%U %a' "$T/new/root")" = "root 755" ] &&
    [ "$(stat -c '%U %a' "$T/new/root/alice")" = "root 700" ] &&
    [ "$(count "$T/new/root/alice")" -eq 1 ]
ok $? "a missing root is created: 0700 root, its parents 0755 root"

sed -i 's|^ARCHIVE_ROOT=.*|ARCHIVE_ROOT=/|' "$T/pb.conf"
run_with "$T/elsewhere"
[ $? -eq 0 ] && [ "$(count "$T/elsewhere")" -eq 1 ]
ok $? "ARCHIVE_ROOT=/ allows any absolute path (the old behaviour)"

t_done
