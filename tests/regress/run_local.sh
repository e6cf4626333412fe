#!/bin/sh
# backupctl run to a local folder: what lands there is a standard archive
# that GNU tar, gzip and zstd read, holding exactly the source tree;
# pruning, names and bad input behave as a user expects.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/out"
SRC=$T/home/alice/files
make_tree "$SRC"
mkdir -p "$SRC/cache/deep"
echo junk >"$SRC/cache/deep/x.tmp"
echo keep >"$SRC/keep.log"
ln "$SRC/a.txt" "$SRC/hardlink-to-a"
chmod 640 "$SRC/sub/random.bin"
touch -d '2020-01-02 03:04:05' "$SRC/sub/deeper/numbers.txt"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}
SOURCE_MINECRAFT=$T/mc/{user}
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

user_env() {	# user_env KEY=VALUE... : alice's settings
	printf 'BACKUP_ARCHIVE=%s\n' "$T/out" >"$T/users/alice.env"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$T/users/alice.env"; done
	chmod 600 "$T/users/alice.env"
}

# Extract with GNU tar and compare with the source, byte for byte.
same_tree() {
	rm -rf "$T/x" && mkdir "$T/x" &&
	tar -xpf "$1" -C "$T/x" 2>"$T/tar.err" &&
	diff -r --no-dereference "$SRC" "$T/x/files" >"$T/diff.out" 2>&1
}

for comp in gz zst none; do
	rm -f "$T/out"/*
	user_env "BACKUP_COMPRESSION=$comp"
	backupctl run alice >"$T/run.out" 2>"$T/run.err"
	ok $? "backupctl run alice succeeds with BACKUP_COMPRESSION=$comp"
	f=$(ls "$T/out")
	case $comp in
	gz)	ext=tar.gz; check="gzip -t"; check2="pigz -t" ;;
	zst)	ext=tar.zst; check="zstd -q -t"; check2="zstd -q -t" ;;
	none)	ext=tar; check="tar -tf"; check2="tar -tf" ;;
	esac
	echo "$f" | grep -Eq "^backup-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}\.$ext\$"
	ok $? "$comp: the default name backup-%Y-%m-%dT%H-%M-%S.$ext ($f)"
	$check "$T/out/$f" >/dev/null 2>&1 && $check2 "$T/out/$f" >/dev/null 2>&1
	ok $? "$comp: the stock tools accept the file"
	same_tree "$T/out/$f"
	ok $? "$comp: GNU tar extracts exactly the source tree"
done

f=$T/out/$(ls "$T/out")
tar -tvf "$f" >"$T/list"
grep -q '^l.* files/link-to-a -> a.txt$' "$T/list"
ok $? "a symlink is stored as a link, not followed"
grep -q '^h.* files/hardlink-to-a link to files/a.txt$' "$T/list" ||
    grep -q '^h.* files/a.txt link to files/hardlink-to-a$' "$T/list"
ok $? "a hard link is stored as a link"
grep -q '^d.* files/empty/$' "$T/list"
ok $? "an empty folder is in the archive"
grep -q '^-rw-r----- .* files/sub/random.bin$' "$T/list"
ok $? "modes are kept"
grep -q ' 2020-01-02 03:04 files/sub/deeper/numbers.txt$' "$T/list"
ok $? "mtimes are kept"
! grep -q -v ' files/' "$T/list"
ok $? "every member is under files/"

# Exclude: a matching folder takes its subtree with it.
rm -f "$T/out"/*
user_env 'BACKUP_EXCLUDE_REGEXP=/cache(/|$)|\.log$'
backupctl run alice >/dev/null 2>&1
tar -tzf "$T/out"/* >"$T/list"
! grep -q -e cache -e keep.log "$T/list" && grep -q files/a.txt "$T/list"
ok $? "BACKUP_EXCLUDE_REGEXP (RE2 syntax) drops matching paths"

# Custom names need the admin's consent.
rm -f "$T/out"/*
user_env 'BACKUP_FILENAME=nightly-%Y%m%d.{{ .Extension }}'
backupctl run alice >/dev/null 2>"$T/run.err"
ls "$T/out" | grep -q '^backup-' && grep -q ALLOW_CUSTOM_FILENAME "$T/run.err"
ok $? "BACKUP_FILENAME without ALLOW_CUSTOM_FILENAME: default name and a warning"
echo ALLOW_CUSTOM_FILENAME=true >>"$T/pb.conf"
rm -f "$T/out"/*
backupctl run alice >/dev/null 2>&1
ls "$T/out" | grep -Eq '^nightly-[0-9]{8}\.tar\.gz$'
ok $? "BACKUP_FILENAME with strftime verbs and {{ .Extension }}"
user_env 'BACKUP_FILENAME=../evil-%Y.tar'
backupctl run alice >/dev/null 2>"$T/run.err"
[ $? -eq 2 ] && grep -q BACKUP_FILENAME "$T/run.err"
ok $? "a name with / or .. is refused (exit 2, names the setting)"

# Pruning: old backups (by the time in their names) go, others stay.
rm -f "$T/out"/*
for d in 2020-01-01T00-00-00 2020-01-02T00-00-00; do
	echo old >"$T/out/backup-$d.tar.gz"
done
echo mine >"$T/out/holiday-photos.tar.gz"
echo mine >"$T/out/backup-notes.txt"
user_env BACKUP_RETENTION_DAYS=7
backupctl run alice >"$T/run.out" 2>&1
[ ! -e "$T/out/backup-2020-01-01T00-00-00.tar.gz" ] &&
    [ ! -e "$T/out/backup-2020-01-02T00-00-00.tar.gz" ]
ok $? "backups older than BACKUP_RETENTION_DAYS are pruned"
[ -e "$T/out/holiday-photos.tar.gz" ] && [ -e "$T/out/backup-notes.txt" ]
ok $? "files that BACKUP_FILENAME did not make are never pruned"
[ "$(ls "$T/out" | grep -c '^backup-20')" -eq 1 ]
ok $? "the backup just written is kept"
grep -q 'pruned 2 old backups' "$T/run.out"
ok $? "the run reports what it pruned"

# A backup's age is the time in its name, not the file's mtime.
rm -f "$T/out"/*
echo old >"$T/out/backup-2020-01-01T00-00-00.tar.gz"
touch "$T/out/backup-2020-01-01T00-00-00.tar.gz"
backupctl run alice >/dev/null 2>&1
[ ! -e "$T/out/backup-2020-01-01T00-00-00.tar.gz" ]
ok $? "age comes from the name even when mtime was reset by a copy"

# With a prefix, the prefix decides; everything expiring is refused.
rm -f "$T/out"/*
echo a >"$T/out/x-1" && touch -d '2001-01-01' "$T/out/x-1"
echo b >"$T/out/x-2" && touch -d '2001-01-01' "$T/out/x-2"
user_env BACKUP_RETENTION_DAYS=1 BACKUP_PRUNING_PREFIX=x- BACKUP_FILENAME=
backupctl run alice >/dev/null 2>"$T/run.err"
[ -e "$T/out/x-1" ] && [ -e "$T/out/x-2" ] && grep -q 'refusing' "$T/run.err"
ok $? "when every candidate would be pruned, nothing is (with a warning)"

# Bad input: clear errors naming the setting, exit 2, nothing written.
bad() {	# bad KEY=VALUE "description"
	rm -f "$T/out"/*
	user_env "$1"
	key=${1%%=*}
	backupctl config check alice >"$T/check.out" 2>&1
	c=$?
	backupctl run alice >/dev/null 2>"$T/run.err"
	r=$?
	[ $c -eq 2 ] && grep -q "^error: $key" "$T/check.out" && [ $r -eq 2 ] &&
	    grep -q "$key" "$T/run.err" && [ -z "$(ls -A "$T/out")" ]
	ok $? "$2: config check and run exit 2 naming $key, nothing written"
}
bad BACKUP_COMPRESSION=bzip2 "unknown compression"
bad 'BACKUP_EXCLUDE_REGEXP=(unclosed' "bad regexp"
bad BACKUP_RETENTION_DAYS=seven "non-numeric retention"
bad BACKUP_PRUNING_LEEWAY=5 "leeway without unit"
bad GZIP_PARALLELISM=-1 "negative parallelism"
bad 'BACKUP_SOURCES=Files,Photos' "unknown source"
for spec in '61 * * * *:minute' '0 24 * * *:hour' '0 0 32 * *:day-of-month' \
    '0 0 * 13 *:month' '0 0 * * 8:day-of-week' '0 0 * * mon-xyz:day-of-week'; do
	bad "BACKUP_CRON_EXPRESSION=${spec%:*}" "invalid cron (${spec#*:} field)"
	grep -q "${spec#*:} field" "$T/check.out"
	ok $? "config check names the ${spec#*:} field of \"${spec%:*}\""
done

user_env BACKUP_ARCHVE=/tmp/x
backupctl config check alice >"$T/check.out" 2>&1
grep -q 'warning: BACKUP_ARCHVE: unknown setting (did you mean BACKUP_ARCHIVE?)' "$T/check.out"
ok $? "an unknown key is a warning with the nearest known name"

# A missing source folder: exit 1, a clear line, nothing written.
rm -f "$T/out"/*
user_env BACKUP_SOURCES=Emails
backupctl run alice >/dev/null 2>"$T/run.err"
[ $? -eq 1 ] && grep -q "Emails source folder $T/mail/alice" "$T/run.err" &&
    [ -z "$(ls -A "$T/out")" ]
ok $? "a missing source folder fails with exit 1 naming it, nothing written"

# "All" skips sources this user does not have.
user_env BACKUP_SOURCES=All
backupctl run alice >/dev/null 2>&1
ok $? "BACKUP_SOURCES=All skips sources the user does not have"

# A destination that cannot be written.
printf 'x' >"$T/notadir"
printf 'BACKUP_ARCHIVE=%s/sub\n' "$T/notadir" >"$T/users/alice.env"
backupctl run alice >/dev/null 2>"$T/run.err"
r=$?
[ $r -eq 1 ] && grep -q "BACKUP_ARCHIVE" "$T/run.err"
ok $? "an unwritable destination fails with exit 1 naming BACKUP_ARCHIVE (got $r)"

# Files that vanish, cannot be read, grow or shrink while archived.
if [ -f "${PB_FAULTFS:-}" ]; then
	rm -f "$T/out"/*
	user_env
	head -c 100000 /dev/urandom >"$SRC/GROW_log"
	head -c 100000 /dev/urandom >"$SRC/SHRINK_db"
	echo v >"$SRC/VANISH_tmp"
	echo n >"$SRC/NOREAD_secret"
	ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	    LD_PRELOAD="$PB_FAULTFS" backupctl run alice >"$T/run.out" 2>"$T/run.err"
	ok $? "the backup completes when files change under it"
	f=$T/out/$(ls "$T/out")
	tar -tvzf "$f" >"$T/list" 2>&1
	ok $? "and the archive is intact (GNU tar reads it)"
	grep -q ' 100000 .* files/GROW_log$' "$T/list"
	ok $? "a file that grows is stored at its size at open"
	grep -q ' 100000 .* files/SHRINK_db$' "$T/list" &&
	    grep -q 'changed while read' "$T/run.err"
	ok $? "a file that shrinks is padded, with a warning"
	! grep -q VANISH_tmp "$T/list" && grep -q 'file vanished' "$T/run.err"
	ok $? "a file that vanished is skipped with a warning"
	! grep -q NOREAD_secret "$T/list" && grep -q 'unreadable' "$T/run.err"
	ok $? "an unreadable file is skipped with a warning"
	grep -q ' 3 warnings' "$T/run.out"
	ok $? "the summary counts the warnings"
	rm -f "$SRC"/GROW_log "$SRC"/SHRINK_db "$SRC"/VANISH_tmp "$SRC"/NOREAD_secret
fi

t_done
