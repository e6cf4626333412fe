#!/bin/sh
# ARCHIVE_ROOT (admin) confines a user's BACKUP_ARCHIVE: a path outside
# it, a ".." climbing out, or a symlink inside it pointing out are
# refused (exit 2, naming BACKUP_ARCHIVE) with nothing written anywhere;
# a folder inside it works; empty ARCHIVE_ROOT allows any path.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/elsewhere" "$T/backups/alice"
echo hello >"$T/home/alice/files/a.txt"
ln -s "$T/elsewhere" "$T/backups/alice/escape"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
ARCHIVE_ROOT=$T/backups/{user}
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

run_with() {	# run_with DIR: alice's backup to BACKUP_ARCHIVE=DIR
	printf 'BACKUP_ARCHIVE=%s\n' "$1" >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
	backupctl run alice >"$T/run.out" 2>"$T/run.err"
}
nothing_outside() {
	[ -z "$(ls -A "$T/elsewhere")" ] && [ ! -e "$T/etc-x" ]
}

run_with "$T/backups/alice/daily"
ok $? "BACKUP_ARCHIVE inside ARCHIVE_ROOT/{user}: backed up"
ls "$T/backups/alice/daily" | grep -q '^backup-.*\.tar\.gz$'
ok $? "the backup is in the folder inside the root"

run_with "$T/elsewhere"
rc=$?
[ $rc -eq 2 ] && grep -q 'BACKUP_ARCHIVE' "$T/run.err" &&
    grep -q 'ARCHIVE_ROOT' "$T/run.err" && nothing_outside
ok $? "a folder outside ARCHIVE_ROOT is refused: exit 2 naming BACKUP_ARCHIVE (rc=$rc)"

run_with "$T/backups/bob"
[ $? -eq 2 ] && [ ! -e "$T/backups/bob" ]
ok $? "another user's root is outside alice's ({user} in the template)"

run_with "$T/backups/alice/../../etc-x"
[ $? -eq 2 ] && grep -q '\.\.' "$T/run.err" && nothing_outside
ok $? "a path climbing out with .. is refused and nothing is created"

run_with "$T/backups/alice/escape"
[ $? -eq 2 ] && grep -q 'resolves outside' "$T/run.err" && nothing_outside
ok $? "a symlink inside the root pointing out is refused"

run_with "$T/backups/alice/escape/deeper"
[ $? -eq 2 ] && nothing_outside
ok $? "a missing folder below such a symlink is refused, nothing created through it"

sed -i '/^ARCHIVE_ROOT=/d' "$T/pb.conf"
run_with "$T/elsewhere"
[ $? -eq 0 ] && ls "$T/elsewhere" | grep -q '^backup-'
ok $? "without ARCHIVE_ROOT any absolute path is allowed"

t_done
