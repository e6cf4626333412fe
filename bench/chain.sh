#!/bin/sh
# Incremental chains (BACKUP_INCREMENTAL) on the bench corpus: a full,
# then nothing changed, then 1% of the files changed (every 100th file,
# so all sizes): seconds and bytes uploaded of each; then storage after
# 7 dailies with 1% daily change against 7 fulls.  restic's 1st/2nd/3rd
# backup and 7-daily repository size side by side when restic is
# installed (local repository).
#
#   BENCH_SIZE_MIB=512   corpus size (hosting variant, shared with run.sh)
#   BENCH_DIR=/var/tmp/pb-bench
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZE=${BENCH_SIZE_MIB:-512}
DIR=${BENCH_DIR:-/var/tmp/pb-bench}
mkdir -p "$DIR"
C=$DIR/hosting-$SIZE
if [ ! -f "$C.done" ]; then
	rm -rf "$C"
	/usr/bin/python3 bench/make-corpus.py "$C" --size-mib "$SIZE" >&2
	touch "$C.done"
fi
W=$(mktemp -d "$DIR/chain.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/home/bench" "$W/users" "$W/out" "$W/state" "$W/full7"
cp -a "$C" "$W/home/bench/files"
cat >"$W/pb.conf" <<EOC
USERS_DIR=$W/users
STATE_DIR=$W/state
ARCHIVE_ROOT=/
SOURCE_FILES=$W/home/{user}/files
ALLOW_CUSTOM_FILENAME=true
EOC
export PANEL_BACKUP_CONFIG=$W/pb.conf
env_for() {	# env_for OUT INCREMENTAL NAME
	printf 'BACKUP_ARCHIVE=%s\nBACKUP_INCREMENTAL=%s\nBACKUP_COMPRESSION=zst\nBACKUP_SOURCES=Files\nBACKUP_FILENAME=%s.{{ .Extension }}\n' \
	    "$1" "$2" "$3" >"$W/users/bench.env"
	chmod 600 "$W/users/bench.env"
}
now() { date +%s.%N; }
change1pct() {	# every 100th file, starting at $1: 1 KiB appended
	/usr/bin/python3 - "$W/home/bench/files" "$1" <<'PY'
import os, sys
root, start = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in files[start::100]:
    with open(p, "ab") as f:
        f.write(os.urandom(1024))
PY
}
bytes_of() { stat -c %s "$1"; }
newest() { ls -t "$W/out" | head -1; }
RESTIC=$(command -v restic || true)
export RESTIC_PASSWORD=bench-chain RESTIC_REPOSITORY=$W/restic
restic_run() {	# seconds of one restic backup; added bytes in $W/rbytes
	t0=$(now)
	"$RESTIC" backup --json -q "$W/home/bench/files" >"$W/r.json"
	t1=$(now)
	/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("message_type") == "summary": print(o.get("data_added", 0))' \
	    "$W/r.json" >"$W/rbytes"
	echo "$t1 - $t0" | bc
}
[ -n "$RESTIC" ] && "$RESTIC" init -q >/dev/null

# time: ours / restic's seconds; bytes: ours (compressed, uploaded) /
# restic's data_added (before its compression: its repository size after
# the dailies is the like-for-like storage figure, printed at the end).
printf '%-26s %10s %14s %10s %14s %6s %6s\n' step ours_s ours_bytes restic_s \
    restic_bytes time bytes
step() {	# step LABEL NAME
	env_for "$W/out" true "$2"
	t0=$(now)
	"${PB_BIN:-$ROOT/build/opt/bin}/backupctl" run bench >"$W/run.out" 2>&1 || { cat "$W/run.out" >&2; exit 1; }
	t1=$(now)
	s=$(echo "$t1 - $t0" | bc)
	b=$(bytes_of "$W/out/$(newest)")
	rs=- rb=- ratio=- tratio=-
	if [ -n "$RESTIC" ]; then
		rs=$(restic_run)
		rb=$(cat "$W/rbytes")
		ratio=$(echo "scale=2; $b / ($rb + 1)" | bc)
		tratio=$(echo "scale=2; $s / $rs" | bc)
		rs=$(printf '%.2f' "$rs")
	fi
	printf '%-26s %10.2f %14s %10s %14s %6s %6s\n' "$1" "$s" "$b" "$rs" "$rb" \
	    "$tratio" "$ratio"
	echo "$b" >>"$W/sizes"
}
step "full" d1
FULL=$(cat "$W/sizes")
step "incremental, no change" d2
change1pct 0
step "incremental, 1% changed" d3
INC=$(tail -1 "$W/sizes")
echo "1% incremental / full: $(echo "scale=4; $INC / $FULL" | bc) (target <= 0.02)"
for k in 4 5 6 7; do
	change1pct "$k"
	step "daily $k, 1% changed" "d$k"
done
CH=$(du -sb "$W/out" | cut -f1)
echo "chain of 7 dailies: $CH bytes = $(echo "scale=3; $CH / $FULL" | bc) x one full (target <= 1.3); 7 fulls: $(echo "7 * $FULL" | bc) bytes (chain = $(echo "scale=3; $CH / (7 * $FULL)" | bc) of them)"
if [ -n "$RESTIC" ]; then
	R=$(du -sb "$W/restic" | cut -f1)
	echo "restic repository after the same 7: $R bytes; ours / restic = $(echo "scale=3; $CH / $R" | bc)"
else
	echo "restic: not installed, its columns are empty"
fi
