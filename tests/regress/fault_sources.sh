#!/bin/sh
# Sources that misbehave, read through the user's reader process (a real
# system account, USER_ACCOUNTS=auto):
#  - the tree changes while it is archived (tests/lib/faultfs.c MUTATE_:
#    after the folder was listed a file is deleted, one renamed, a folder
#    renamed, one added): the backup completes, GNU tar reads the archive,
#    the stable files are intact, each change is a warning or simply not
#    seen, and nothing is half-stored;
#  - a huge sparse file (PB_HUGE_SIZE, default 2G; PB_SOAK=1: 30G, more
#    than this machine's RAM): stored at its full size with its bytes
#    intact, in bounded memory (peak RSS printed; about 32 MiB optimized,
#    330 MiB with ASan, held under a quarter of the file's size).
. "$PB_ROOT/tests/lib/common.sh"
t_setup

U=pbfault
t_system_user $U

SRC=$T/home/$U/files
mkdir -p "$SRC/stable" "$SRC/dir_from" "$T/users" "$T/out"
echo "stable content" >"$SRC/stable/deep.txt"
echo a >"$SRC/a.txt"
echo trigger >"$SRC/MUTATE_trigger"
echo "to be deleted" >"$SRC/victim"
echo "to be renamed" >"$SRC/moved_from"
echo "in a renamed folder" >"$SRC/dir_from/x"
chown -R $U: "$T/home/$U"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=zst\n' \
    "$T/out" >"$T/users/$U.env"
chmod 600 "$T/users/$U.env"

if [ -f "${PB_FAULTFS:-}" ]; then
	ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	    LD_PRELOAD="$PB_FAULTFS" backupctl run $U >"$T/run.out" \
	    2>"$T/run.err"
	ok $? "the backup completes while files are added, removed and renamed"
	f=$(ls "$T/out"/*.tar.zst)
	zstd -dc "$f" | tar -tvf - >"$T/list" 2>"$T/tar.err"
	ok $? "GNU tar reads the whole archive"
	[ -f "$SRC/moved_to" ] && [ -f "$SRC/added_late" ] &&
	    [ ! -e "$SRC/victim" ] && [ -d "$SRC/dir_to" ]
	ok $? "the tree really changed during the run"
	rm -rf "$T/x" && mkdir "$T/x" && zstd -dc "$f" | tar -xf - -C "$T/x" &&
	    [ "$(cat "$T/x/files/stable/deep.txt")" = "stable content" ] &&
	    [ "$(cat "$T/x/files/a.txt")" = a ]
	ok $? "files that did not change are intact"
	! grep -q -e 'files/victim$' -e 'files/moved_from$' \
	    -e 'files/dir_from' "$T/list" &&
	    grep 'vanished' "$T/run.err" | grep -q victim &&
	    grep 'vanished' "$T/run.err" | grep -q moved_from &&
	    grep 'vanished' "$T/run.err" | grep -q dir_from
	ok $? "entries gone before they were reached are skipped, each with a warning"
	grep -q ' 3 warnings' "$T/run.out"
	ok $? "the summary counts the warnings ($(tail -n 1 "$T/run.out"))"
	rm -f "$T/out"/*
	backupctl run $U >"$T/run.out" 2>"$T/run.err" &&
	    zstd -dc "$T/out"/*.tar.zst | tar -tf - >"$T/list" &&
	    grep -q 'files/moved_to$' "$T/list" &&
	    grep -q 'files/added_late$' "$T/list" &&
	    grep -q 'files/dir_to/x$' "$T/list"
	ok $? "the next run picks the new names up"
	rm -rf "$SRC/moved_to" "$SRC/added_late" "$SRC/dir_to" "$SRC/MUTATE_trigger"
	rm -f "$T/out"/*
fi

# A huge sparse file with a few marked bytes.
SIZE=${PB_HUGE_SIZE:-2G}
[ -n "${PB_SOAK:-}" ] && SIZE=${PB_HUGE_SIZE:-30G}
truncate -s "$SIZE" "$SRC/huge.bin"
bytes=$(stat -c %s "$SRC/huge.bin")
printf 'MIDDLE-MARK' | dd of="$SRC/huge.bin" bs=1 seek=$((bytes / 2)) \
    conv=notrunc status=none
printf 'END-MARK' | dd of="$SRC/huge.bin" bs=1 seek=$((bytes - 8)) \
    conv=notrunc status=none
chown $U: "$SRC/huge.bin"
start=$(date +%s)
/usr/bin/time -v -o "$T/time.out" backupctl run $U >"$T/run.out" 2>"$T/run.err"
ok $? "a $SIZE sparse file is backed up ($(($(date +%s) - start)) s)"
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time.out")
echo "# peak RSS ${rss} KiB for a $bytes-byte file"
# ASan's quarantine alone takes 256 MiB: the bound is a quarter of the
# file, which a build holding the file in memory could never meet.
[ "$rss" -lt $((bytes / 4096)) ]
ok $? "memory stays bounded: peak RSS ${rss} KiB, under a quarter of $SIZE"
f=$(ls "$T/out"/*.tar.zst)
zstd -dc "$f" | tar -tvf - | grep -q " $bytes .* files/huge.bin\$"
ok $? "the archive stores huge.bin at its full size ($bytes bytes)"
zstd -dc "$f" | tar -xOf - files/huge.bin | cmp -s - "$SRC/huge.bin"
ok $? "its bytes are intact, marks in the middle and at the end included"

t_done
