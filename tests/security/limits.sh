#!/bin/sh
# Limits a hostile panel user runs into (issue 16): the admin's job time
# limit (JOB_TIMEOUT) stops a job held by a slow source, kills its source
# reader, frees the worker slot, leaves no partial backup and is not
# retried; the admin's size cap (MAX_BACKUP_SIZE) fails a backup that
# grows past it with nothing at the destination; a settings file of
# 90,000 keys loads at once (it was quadratic); a 3 GiB sparse file is
# stored sparse and GNU tar restores it sparse; a pathological exclude
# regexp finishes (RE2, linear time) and Perl-only syntax is refused.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/users" "$T/files" "$T/arch"
# Mode 755 all the way down: the slow user's reader runs as that account.
chmod 755 "$T/files" "$T/arch"

# --- JOB_TIMEOUT: a worker, a slow source read by a privileged-separated
# reader (a real account), a 2 s limit.
SLOW=pbslow$$
t_system_user "$SLOW" || { echo "not ok - useradd $SLOW"; exit 1; }
mkdir -p "$T/files/$SLOW" "$T/files/quick"
# faultfs SLOW_*: every read() waits 100 ms; 200 reads take 20 s.
head -c 52428800 /dev/urandom >"$T/files/$SLOW/SLOW_big.bin"
chmod 644 "$T/files/$SLOW/SLOW_big.bin"
echo quick >"$T/files/quick/q.txt"
for u in "$SLOW" quick; do
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\n' \
	    "$T" "$u" >"$T/users/$u.env"
done
chmod 600 "$T/users/"*.env

start_redis || { echo "not ok - redis-server starts"; exit 1; }
cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
NODE=ln
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
JOB_TIMEOUT=2s
JOB_RETRY_BACKOFF=1s
CONF
ctl() { backupctl --config "$T/pb.conf" "$@"; }
field() { ctl status --json "$1" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["'"$2"'"])'; }

if [ -f "${PB_FAULTFS:-}" ]; then
	LD_PRELOAD="$PB_FAULTFS" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	    backup-worker --config "$T/pb.conf" --concurrency 1 \
	    2>"$T/w.log" &
else
	backup-worker --config "$T/pb.conf" --concurrency 1 2>"$T/w.log" &
fi
W=$!; t_bg $W
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"

id=$(ctl enqueue "$SLOW" 2>/dev/null)
# The one slot is busy with the slow job while the quick one is queued.
wait_for 10 sh -c "[ \"\$(backupctl --config $T/pb.conf status --json $id | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = running ]"
ok $? "the slow job is running"
reader=$(pgrep -u "$SLOW" | head -n 1)
[ -n "$reader" ]
ok $? "its source reader runs as $SLOW (pid ${reader:-none})"
qid=$(ctl enqueue quick --wait 2>"$T/quick.err"); rc=$?
[ $rc -eq 0 ]
ok $? "a second job gets the slot once the first hits JOB_TIMEOUT ($(tail -n 1 "$T/quick.err"))"
wait_for 20 sh -c "backupctl --config $T/pb.conf status $id | grep -q failed"
st=$(field "$id" state); er=$(field "$id" error); at=$(field "$id" attempts)
[ "$st" = failed ] && [ "$at" = 1 ] && echo "$er" | grep -q JOB_TIMEOUT
ok $? "the slow job failed for good, not retried, naming JOB_TIMEOUT ($st, attempts $at: $er)"
[ -z "$(ls -A "$T/arch/$SLOW" 2>/dev/null)" ]
ok $? "no partial backup of the slow job remains ($(ls -A "$T/arch/$SLOW" 2>/dev/null))"
! pgrep -u "$SLOW" >/dev/null
ok $? "the slow job's reader process was killed"
ls "$T/arch/quick" | grep -q '\.tar$'
ok $? "the quick job's backup is there"
kill $W; wait $W 2>/dev/null

# --- MAX_BACKUP_SIZE: 3 MB of random data against a 1 MiB cap.
mkdir -p "$T/files/big"
head -c 3000000 /dev/urandom >"$T/files/big/r.bin"
printf 'BACKUP_ARCHIVE=%s/arch/big\nBACKUP_SOURCES=Files\n' "$T" >"$T/users/big.env"
cat >"$T/run.conf" <<CONF
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
MAX_BACKUP_SIZE=1M
CONF
backupctl --config "$T/run.conf" run big >"$T/big.out" 2>"$T/big.err"; rc=$?
[ $rc -eq 1 ] && grep -q MAX_BACKUP_SIZE "$T/big.err"
ok $? "a backup past MAX_BACKUP_SIZE fails (exit $rc) naming the setting ($(tail -n 1 "$T/big.err"))"
[ -z "$(ls -A "$T/arch/big" 2>/dev/null)" ]
ok $? "nothing is left at the destination ($(ls -A "$T/arch/big" 2>/dev/null))"
sed -i 's/^MAX_BACKUP_SIZE=.*/MAX_BACKUP_SIZE=10M/' "$T/run.conf"
backupctl --config "$T/run.conf" run big >/dev/null 2>"$T/big2.err"
ok $? "under the cap the same backup succeeds"
sed -i 's/^MAX_BACKUP_SIZE=.*/MAX_BACKUP_SIZE=ten/' "$T/run.conf"
backupctl --config "$T/run.conf" config check big >"$T/chk.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'MAX_BACKUP_SIZE.*not a size' "$T/chk.out"
ok $? "a malformed MAX_BACKUP_SIZE is refused naming it (exit $rc)"
sed -i 's/^MAX_BACKUP_SIZE=.*/MAX_BACKUP_SIZE=0/' "$T/run.conf"

# --- A settings file of 90,000 keys (1 MiB cap): it loads at once.
{
	printf 'BACKUP_ARCHIVE=%s/arch/many\nBACKUP_SOURCES=Files\n' "$T"
	seq 1 90000 | sed 's/^/K/; s/$/=1/'
} >"$T/users/many.env"
mkdir -p "$T/files/many" && echo m >"$T/files/many/m.txt"
timeout 10 backupctl --config "$T/run.conf" run many >"$T/many.out" \
    2>"$T/many.err"; rc=$?
[ $rc -eq 0 ]
ok $? "a backup with a 90,000-key settings file finishes well within 10 s (exit $rc)"
[ "$(grep -c 'unknown setting' "$T/many.err")" -le 25 ]
ok $? "the unknown keys are not each warned about ($(grep -c 'unknown setting' "$T/many.err") lines)"
seq 1 100001 | sed 's/^/K/; s/$/=/' >"$T/users/huge.env"
timeout 10 backupctl --config "$T/run.conf" config check huge >"$T/huge.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'more than 100000 keys' "$T/huge.out"
ok $? "a settings file of more than 100,000 keys is refused (exit $rc: $(head -c 200 "$T/huge.out"))"

# --- A 3 GiB sparse file: a small archive, restored sparse by GNU tar.
mkdir -p "$T/files/sp"
H="$T/files/sp/huge.img"
truncate -s 3G "$H"
printf 'head-data' | dd of="$H" conv=notrunc 2>/dev/null
printf 'middle-data' | dd of="$H" bs=1 seek=1500000000 conv=notrunc 2>/dev/null
printf 'tail' | dd of="$H" bs=1 seek=$((3 * 1073741824 - 4)) conv=notrunc 2>/dev/null
printf 'BACKUP_ARCHIVE=%s/arch/sp\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\n' "$T" >"$T/users/sp.env"
backupctl --config "$T/run.conf" run sp >"$T/sp.out" 2>"$T/sp.err"
ok $? "a backup holding a 3 GiB sparse file succeeds"
f=$(ls "$T/arch/sp"/*.tar 2>/dev/null | head -n 1)
sz=$(stat -c %s "$f" 2>/dev/null || echo 0)
[ "$sz" -gt 0 ] && [ "$sz" -lt 1048576 ]
ok $? "the archive is small ($sz bytes for a 3 GiB file)"
mkdir -p "$T/sx" && tar -xf "$f" -C "$T/sx"
ok $? "GNU tar extracts it"
[ "$(stat -c %s "$T/sx/files/huge.img")" -eq 3221225472 ] &&
    cmp -s "$T/sx/files/huge.img" "$H"
ok $? "the restored file is 3 GiB with identical content"
kb=$(du -k "$T/sx/files/huge.img" | cut -f1)
[ "$kb" -lt 10240 ]
ok $? "GNU tar restored it sparse (du ${kb} KiB)"

# --- BACKUP_EXCLUDE_REGEXP is Go's regexp (RE2): linear time, RE2 syntax.
mkdir -p "$T/files/rx"
a=$(printf '%0200d' 0 | tr 0 a)
i=0
while [ $i -lt 50 ]; do : >"$T/files/rx/${a}${i}b"; i=$((i + 1)); done
echo keep >"$T/files/rx/keep.txt"
: >"$T/files/rx/$a"
rx() {
	printf 'BACKUP_ARCHIVE=%s/arch/rx\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\n' "$T" >"$T/users/rx.env"
	printf 'BACKUP_EXCLUDE_REGEXP=%s\n' "$1" >>"$T/users/rx.env"
}
rx '(a+)+$'
rm -rf "$T/arch/rx"
timeout 60 backupctl --config "$T/run.conf" run rx >"$T/rx.out" 2>"$T/rx.err"
ok $? "a pathological regexp (a+)+\$ against 50 names of 200 a's finishes"
f=$(ls "$T/arch/rx"/*.tar 2>/dev/null | head -n 1)
tar -tf "$f" 2>/dev/null | sort >"$T/rx.list"
grep -qx files/keep.txt "$T/rx.list" && ! grep -qx "files/$a" "$T/rx.list" &&
    [ "$(grep -c "files/${a}[0-9]*b\$" "$T/rx.list")" -eq 50 ]
ok $? "it excludes exactly the name that ends in a's"
for bad in '(a)\1' 'x(?=y)' '(?<!a)b' '\C'; do
	rx "$bad"
	backupctl --config "$T/run.conf" config check rx >"$T/rxc.out" 2>&1; rc=$?
	[ $rc -eq 2 ] && grep -q '^error: BACKUP_EXCLUDE_REGEXP: invalid regexp' "$T/rxc.out"
	ok $? "Go refuses $bad, and so do we, naming the setting (exit $rc: $(head -n 1 "$T/rxc.out"))"
done
rx '(?i)KEEP\.TXT\z'
rm -rf "$T/arch/rx"
backupctl --config "$T/run.conf" run rx >/dev/null 2>&1 &&
    ! tar -tf "$(ls "$T/arch/rx"/*.tar | head -n 1)" | grep -q keep.txt
ok $? "Go syntax (?i) and \\z works"

t_done
