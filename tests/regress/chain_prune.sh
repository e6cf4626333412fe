#!/bin/sh
# Chain-aware pruning with real runs at a local folder.  Retention counts
# restore points (a full's time is the one in its name, an incremental's
# its file's mtime); an expired archive that a kept point needs stays; an
# expired chain goes newest first, its full last; every kept point still
# restores (backupctl verify, and the docs/restore.md GNU tar recipe); a
# pinned incremental keeps its prefix of the chain (through the queue: the
# worker reads the pins); the refuse-all guard; BACKUP_FULL_INTERVAL from
# the (faked) clock; a middle incremental deleted: the next run is a full
# and says which archive is missing where.
#
# Time: libfaketime gives each backupctl run its day (the names and the
# chain state take it); touch -d gives the file that day's mtime.  No
# sleeps.  Day 0 is 40 days ago, so "now" at the end is day 40.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ ! -f "$FT" ]; then
	echo "not ok - libfaketime is installed (scripts/deps.sh: faketime)"
	exit 1
fi
export TZ=UTC
mkdir -p "$T/home/alice/files" "$T/users" "$T/out" "$T/state" "$T/snap"
SRC=$T/home/alice/files
make_tree "$SRC"
conf() {
	cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
STATE_DIR=$T/state
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
${1:-}
EOC
}
conf
export PANEL_BACKUP_CONFIG=$T/pb.conf
user_env() {
	{
		printf 'BACKUP_ARCHIVE=%s\nBACKUP_INCREMENTAL=true\n' "$T/out"
		printf 'BACKUP_COMPRESSION=zst\nBACKUP_SOURCES=Files\n'
		printf 'BACKUP_RETENTION_DAYS=7\n'
		for kv in "$@"; do echo "$kv"; done
	} >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
}
user_env

DAY0=$(( $(date +%s) / 86400 * 86400 - 40 * 86400 + 3 * 3600 ))
at() {	# at DAY: that day's epoch, 03:00 UTC
	echo $((DAY0 + $1 * 86400))
}
wrote() {	# wrote FILE: the name a run's output says it wrote
	sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$1"
}
# run_on DAY: one backup with the clock at DAY; the new file gets DAY as
# its mtime; $NAME is what it wrote, $T/run.out its output.
run_on() {
	e=$(at "$1")
	echo "day $1" >>"$SRC/a.txt"
	FAKETIME="@$(date -u -d "@$e" '+%Y-%m-%d %H:%M:%S')" \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$FT" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	    backupctl run alice >"$T/run.out" 2>&1
	rc=$?
	NAME=$(wrote "$T/run.out")
	[ -n "$NAME" ] && touch -d "@$e" "$T/out/$NAME"
	cp "$T/run.out" "$T/run-day$1.out"
	return $rc
}
present() {	# present NAME...: all exist at the destination
	for n in "$@"; do [ -e "$T/out/$n" ] || return 1; done
}
absent() {
	for n in "$@"; do [ ! -e "$T/out/$n" ] || return 1; done
}
# restores FULL SNAPSHOT: the docs/restore.md recipe over FULL and every
# incremental of it at the destination gives SNAPSHOT file for file.
sed -n '/^```sh$/,/^```$/p' "$PB_ROOT/docs/restore.md" | sed '1d;$d' \
    >"$T/recipe.sh"
restores() {
	rm -rf "$T/r" && mkdir -p "$T/r"
	(cd "$T/r" && DIR=$T/out FULL=$1 sh "$T/recipe.sh") >"$T/recipe.out" 2>&1 &&
	    diff -r --no-dereference "$2" "$T/r/restored/files" >"$T/diff.out" 2>&1
}

# Chain A: a full on day 0, incrementals on days 1..6.
run_on 0
ok $? "day 0: a full backup"
FA=$NAME
A=""
for d in 1 2 3 4 5 6; do
	run_on $d || break
	A="$A $NAME"
done
[ "$(echo $A | wc -w)" -eq 6 ] && echo "$A" | grep -q "inc-0006-[0-9a-f]*-$FA"
ok $? "days 1..6: incrementals 1..6 of $FA"

# Day 7: the full is 7 days old: BACKUP_FULL_INTERVAL (7d) starts chain B.
run_on 7
FB=$NAME
case $FB in inc-*) false ;; *) grep -qx 'full backup: full interval 7d reached' "$T/run.out" ;; esac
ok $? "day 7: a full older than BACKUP_FULL_INTERVAL starts a new chain ($FB)"
present "$FA" $A
ok $? "day 7: A's full expired, but its incrementals of days 1..6 need it: nothing pruned"
grep -q 'kept 1 expired backup at .*: a kept restore point needs it' "$T/run.out"
ok $? "the run says so: kept 1 expired backup"

for d in 8 9 10; do
	run_on $d
	B="${B:-} $NAME"
	cp -a "$SRC" "$T/snap/day$d"
done
set -- $B
B1=$1 B2=$2 B3=$3
present "$FA" $A $B
ok $? "day 10: A's full and incrementals 1..3 expired, 4..6 are not: all kept"
grep -q 'kept 4 expired backups' "$T/run.out"
ok $? "kept 4 expired backups, counted ($(grep '^kept' "$T/run.out"))"

# Day 14: B's full is 7 days old (a new chain C); every point of A is
# expired and nothing kept needs it; B's full is expired but needed.
run_on 14
FC=$NAME
absent "$FA" $A && present "$FB" $B "$FC"
ok $? "day 14: chain A is pruned whole, B's expired full stays for its incrementals"
grep -q "^pruned 7 old backups" "$T/run.out" && grep -q 'kept 1 expired backup' "$T/run.out"
ok $? "the run reports 7 pruned, 1 kept for a chain"
sed -n "s/.*msg=pruned .*name=\\([^ ]*\\) .*/\\1/p" "$T/run.out" | tr '\n' ' ' >"$T/order"
want=""
for n in $A; do want="$n $want"; done
test "$(cat "$T/order")" = "$want$FA "
ok $? "deleted newest first: inc-0006 .. inc-0001, then the full"

backupctl verify alice "$FB" >"$T/verify.out" 2>&1
ok $? "backupctl verify of the kept expired full $FB ($(tail -1 "$T/verify.out"))"
restores "$FB" "$T/snap/day10"
ok $? "B's newest point (inc-3, day 10) restores through the GNU tar recipe"

run_on 15
C1=$NAME
restores "$FC" "$SRC"
ok $? "the newest kept point (C's inc-1, day 15) restores and equals the source"

# Day 40 (now, the real clock), through the queue so the pins apply:
# B's inc-2 is pinned; every other point of B and C is expired.
start_redis || { echo "not ok - redis-server starts"; exit 1; }
conf "REDIS_URL=$REDIS_URL
NODE=cp
OUTBOUND_ALLOW=127.0.0.0/8,::1"
backupctl pin alice "$B2" >/dev/null 2>&1
ok $? "backupctl pin alice $B2"
backup-worker --concurrency 1 2>"$T/worker.log" &
t_bg $!
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
echo "day 40" >>"$SRC/a.txt"
id=$(backupctl enqueue alice --wait 2>"$T/enq.err" | head -1)
backupctl status "$id" --json >"$T/status.json" 2>&1
FD=$(ls "$T/out" | grep -v -e '^inc-' -e "^$FB\$")
present "$FB" "$B1" "$B2" "$FD" && absent "$B3" "$FC" "$C1" &&
    [ "$(ls "$T/out" | wc -l)" -eq 4 ]
ok $? "a pinned inc-2 keeps B's full and inc-1; B's inc-3 and chain C go ($(ls "$T/out" | tr '\n' ' '))"
python3 - "$T/status.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
assert r["kind"] == "full" and r["pruned"] == 3 and r["kept_for_chain"] == 2, r
PY
ok $? "the job result counts 3 pruned and 2 kept for a chain"
restores "$FB" "$T/snap/day9"
ok $? "the pinned point (B's inc-2, day 9) still restores"
# backupctl run reads the pins too (it used to prune pinned backups).
backupctl run alice >"$T/run.out" 2>&1
present "$FB" "$B1" "$B2"
ok $? "backupctl run (no worker) keeps the pinned inc-2 and what it needs"
backupctl unpin alice "$B2" >/dev/null 2>&1
# The pins unknown (REDIS_URL set, Redis gone): prune nothing, say so.
conf "REDIS_URL=redis://127.0.0.1:$(free_port)/0"
backupctl run alice >"$T/run.out" 2>&1
present "$FB" "$B1" "$B2" && grep -q "this run prunes nothing" "$T/run.out"
ok $? "pins unreadable: backupctl run prunes nothing and warns ($(grep warning "$T/run.out" | head -1))"

# The guard: with a prefix that only B's archives match, every candidate
# point is expired; deleting them would leave no restorable one.
conf
user_env "BACKUP_PRUNING_PREFIX=$FB"
backupctl run alice >"$T/run.out" 2>&1
present "$FB" "$B1" "$B2" && grep -q 'refusing to delete any' "$T/run.out"
ok $? "every candidate restore point expired: nothing is deleted, with a warning"

# A middle incremental of chain D deleted: the next run is a full and
# says which archive is missing where.
user_env
backupctl run alice >"$T/run.out" 2>&1
D2=$(wrote "$T/run.out")
D1=$(ls "$T/out" | grep "^inc-0001-.*-$FD\$")
echo "$D2" | grep -q "^inc-000[2-9]-.*-$FD\$" && rm "$T/out/$D1"
ok $? "chain D has inc-1 and a later one ($D2); inc-1 is deleted"
backupctl run alice >"$T/run.out" 2>&1
FE=$(wrote "$T/run.out")
case $FE in inc-*) false ;; *) test "$FE" != "$FD" ;; esac &&
    grep -qx "full backup: $D1 missing at local:$T/out" "$T/run.out"
ok $? "the next run is a full ($FE) and says so ($(grep '^full' "$T/run.out"))"
t_done
