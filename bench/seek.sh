#!/bin/sh
# bench/seek.sh - issue 19 bench (c): restore one 4 KiB file from a
# ~1 GiB backup at s3rver with restore --only (ranged GETs guided by the
# archive's tail index) against the full download and restore of the same
# backup: bytes downloaded and seconds of each, and their ratios.  Target:
# the one-file restore downloads <= 3% of the backup.
#
#   BENCH_SEEK_MIB=1024     the backup's size, about: the hosting corpus of
#                           this size (shared with run.sh) plus half as
#                           much random data (the corpus compresses ~2x)
#   BENCH_SEEK_COMPS="zst gz"  compressions to measure
#   BENCH_SEEK_ENC=none     or age: also through age chunks
#   BENCH_DIR=/var/tmp/pb-bench
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
t_setup
SIZE=${BENCH_SEEK_MIB:-1024}
COMPS=${BENCH_SEEK_COMPS:-zst gz}
ENC=${BENCH_SEEK_ENC:-none}
DIR=${BENCH_DIR:-/var/tmp/pb-bench}
mkdir -p "$DIR"
C=$DIR/hosting-$SIZE
if [ ! -f "$C.done" ]; then
	rm -rf "$C"
	echo "bench: generating hosting-$SIZE ..." >&2
	/usr/bin/python3 "$PB_ROOT/bench/make-corpus.py" "$C" --size-mib "$SIZE" >&2 || exit 1
	touch "$C.done"
fi
# The user's files: the corpus (hard links, no copy), random data, the
# 4 KiB file to get back.
F=$T/home/bench/files
mkdir -p "$T/home/bench" "$T/users" "$T/state" "$T/tmp"
cp -al "$C" "$F" 2>/dev/null || cp -a "$C" "$F"
mkdir -p "$F/zz-probe"
head -c $((SIZE / 2 * 1048576)) /dev/urandom >"$F/filler.bin"
head -c 2048 /dev/urandom | od -An -tx1 | head -c 4096 >"$F/zz-probe/4k.txt"
s3aws_config
start_s3rver http || { echo "bench: s3rver did not start"; exit 1; }
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
ALLOW_ENCRYPTION=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
IDS=
if [ "$ENC" = age ]; then
	age-keygen -o "$T/age.key" 2>/dev/null
	ENCLINE="AGE_PUBLIC_KEYS=$(age-keygen -y "$T/age.key")"
	IDS="--identity $T/age.key"
fi
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }

echo "restore one 4 KiB file from a backup at s3rver (http), $ENC encryption"
printf '%-6s %12s %14s %9s %14s %9s %9s %9s\n' comp "backup B" "one-file B" \
    "one s" "full B" "full s" "bytes %" "time x"
for comp in $COMPS; do
	{
		echo "AWS_S3_BUCKET_NAME=$S3_BUCKET"
		echo "AWS_S3_PATH=bench"
		echo "AWS_ENDPOINT=$S3_ENDPOINT"
		echo "AWS_ENDPOINT_PROTO=http"
		echo "AWS_ACCESS_KEY_ID=$S3_AK"
		echo "AWS_SECRET_ACCESS_KEY=$S3_SK"
		echo "BACKUP_SOURCES=Files"
		echo "BACKUP_COMPRESSION=$comp"
		[ "$ENC" = age ] && echo "$ENCLINE"
	} >"$T/users/bench.env"
	chmod 600 "$T/users/bench.env"
	backupctl run bench >"$T/run.out" 2>"$T/run.err" ||
	    { echo "bench: backup failed: $(tail -1 "$T/run.err")"; exit 1; }
	name=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run.out" | head -1)
	rm -rf "$T/one" "$T/full"
	t0=$(now)
	# shellcheck disable=SC2086
	backupctl restore bench "$name" --to "$T/one" $IDS \
	    --only files/zz-probe/4k.txt >"$T/one.out" 2>"$T/one.err" ||
	    { echo "bench: one-file restore failed: $(tail -1 "$T/one.err")"; exit 1; }
	t1=$(now)
	cmp -s "$T/one/files/zz-probe/4k.txt" "$F/zz-probe/4k.txt" ||
	    { echo "bench: the restored file differs"; exit 1; }
	got=$(sed -n 's/^backupctl: downloaded \([0-9]*\) of \([0-9]*\) bytes.*/\1/p' "$T/one.err")
	total=$(sed -n 's/^backupctl: downloaded \([0-9]*\) of \([0-9]*\) bytes.*/\2/p' "$T/one.err")
	t2=$(now)
	# shellcheck disable=SC2086
	backupctl restore bench "$name" --to "$T/full" $IDS >"$T/full.out" \
	    2>"$T/full.err" ||
	    { echo "bench: full restore failed: $(tail -1 "$T/full.err")"; exit 1; }
	t3=$(now)
	rm -rf "$T/one" "$T/full"
	one_s=$(secs "$t0" "$t1")
	full_s=$(secs "$t2" "$t3")
	printf '%-6s %12s %14s %9s %14s %9s %9s %9s\n' "$comp" "$total" "$got" \
	    "$one_s" "$total" "$full_s" \
	    "$(echo "$got $total" | awk '{ printf "%.3f", 100 * $1 / $2 }')" \
	    "$(echo "$full_s $one_s" | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 0.01) }')"
	s3aws s3 rm --only-show-errors "s3://$S3_BUCKET/bench/$name" >/dev/null 2>&1
done
echo "target: the one-file restore downloads <= 3% of the backup"
t_done >/dev/null
