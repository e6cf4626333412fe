#!/bin/sh
# make bench: panel-backup side by side with the tools an admin would script
# (tar | pigz, tar | zstd, tar > file) on the same corpus, in one run.
# Prints medians of BENCH_RUNS runs, speed and size ratios, peak RSS.
#
#   BENCH_SIZE_MIB=1024  corpus size (hosting variant)
#   BENCH_SMALL=200000   files of the many-small-files variant (0: skip)
#   BENCH_RUNS=3         runs per pipeline
#   BENCH_BIG=0          1: also peak RSS on a 4 GiB single-file corpus
#   BENCH_DIR=/var/tmp/pb-bench   corpora are kept here between runs
#   BENCH_EXTRA=1        0: skip the other benchmarks
# Other benchmarks (queue, crypt, destinations) run after this one:
# bench/*.sh.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZE=${BENCH_SIZE_MIB:-1024}
SMALL=${BENCH_SMALL:-200000}
RUNS=${BENCH_RUNS:-3}
DIR=${BENCH_DIR:-/var/tmp/pb-bench}
NPROC=$(nproc)
mkdir -p "$DIR"
OUT=$(mktemp -d "$DIR/out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

corpus() {	# corpus NAME ARGS...: build once, keep
	c=$1
	shift
	if [ ! -f "$DIR/$c.done" ]; then
		rm -rf "${DIR:?}/$c"
		echo "bench: generating $c ..." >&2
		/usr/bin/python3 bench/make-corpus.py "$DIR/$c" "$@" >&2
		touch "$DIR/$c.done"
	fi
	echo "$DIR/$c"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME CMD: RUNS timed runs of sh -c CMD writing $OUT/f; prints
# "NAME median_s peak_rss_kib out_bytes"
run() {
	name=$1
	cmd=$2
	: >"$OUT/times"
	: >"$OUT/rss"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm -rf "$OUT/f" "$OUT/arch"
		mkdir -p "$OUT/arch"
		/usr/bin/time -f '%e %M' -o "$OUT/tm" sh -c "$cmd" >/dev/null 2>"$OUT/err" ||
		    { echo "bench: $name failed:" >&2; cat "$OUT/err" >&2; exit 1; }
		cut -d' ' -f1 "$OUT/tm" >>"$OUT/times"
		cut -d' ' -f2 "$OUT/tm" >>"$OUT/rss"
		i=$((i + 1))
	done
	if [ -e "$OUT/f" ]; then size=$(stat -c %s "$OUT/f")
	else size=$(stat -c %s "$OUT/arch"/*); fi
	echo "$name $(median <"$OUT/times") $(sort -n "$OUT/rss" | tail -1) $size"
}

ours() {	# ours COMPRESSION [KEY=VALUE...]: a backupctl run command
	comp=$1
	shift
	{
		echo "USERS_DIR=$OUT"
		echo "OUTBOUND_ALLOW=127.0.0.0/8,::1"
		echo "ARCHIVE_ROOT=/"
		echo "SOURCE_FILES=$SRC"
		echo "TEMP_DIR=$OUT/tmp"
	} >"$OUT/pb.conf"
	{
		echo "BACKUP_ARCHIVE=$OUT/arch"
		echo "BACKUP_SOURCES=Files"
		echo "BACKUP_COMPRESSION=$comp"
		for kv in "$@"; do echo "$kv"; done
	} >"$OUT/bench.env"
	echo "$ROOT/bin/backupctl --config $OUT/pb.conf run --env-file $OUT/bench.env --user bench"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

report() {	# report TITLE: the lines in $OUT/res, with ratios to $2
	base_t=$(awk -v n="$2" '$1 == n {print $2}' "$OUT/res")
	base_s=$(awk -v n="$2" '$1 == n {print $4}' "$OUT/res")
	printf '\n%s (input %s MB, %s runs, %s cores)\n' "$1" \
	    "$(du -sb "$SRC" | awk '{printf "%.0f", $1 / 1e6}')" "$RUNS" "$NPROC"
	printf '%-34s %9s %9s %10s %12s %9s %9s\n' pipeline "wall s" "MB/s" \
	    "RSS MiB" "out bytes" "speed x" "size x"
	in=$(du -sb "$SRC" | cut -f1)
	while read -r n t r s; do
		printf '%-34s %9s %9.1f %10.1f %12s %9s %9s\n' "$n" "$t" \
		    "$(awk -v i="$in" -v t="$t" 'BEGIN{print i / t / 1e6}')" \
		    "$(awk -v r="$r" 'BEGIN{print r / 1024}')" "$s" \
		    "$(ratio "$base_t" "$t")" "$(ratio "$s" "$base_s")"
	done <"$OUT/res"
}

SRC=$(corpus "hosting-$SIZE" --size-mib "$SIZE")
{
	run "tar>file" "tar -C $SRC -cf $OUT/f ."
	run "tar|pigz-p$NPROC-6" "tar -C $SRC -cf - . | pigz -p $NPROC -6 > $OUT/f"
	run "ours-gz-GZIP_PARALLELISM=0" "$(ours gz GZIP_PARALLELISM=0)"
	run "tar|zstd-T$NPROC-3" "tar -C $SRC -cf - . | zstd -q -T$NPROC -3 > $OUT/f"
	run "ours-zst" "$(ours zst)"
	run "ours-none" "$(ours none)"
} >"$OUT/res"
report "hosting corpus; speed x relative to tar|pigz" "tar|pigz-p$NPROC-6"
awk '$1 ~ /zst/' "$OUT/res" >"$OUT/res2"; mv "$OUT/res2" "$OUT/res"
report "zstd: relative to tar|zstd" "tar|zstd-T$NPROC-3"
{
	run "tar>file" "tar -C $SRC -cf $OUT/f ."
	run "ours-none" "$(ours none)"
} >"$OUT/res"
report "no compression: relative to tar > file" "tar>file"

if [ "$SMALL" -gt 0 ]; then
	SRC=$(corpus "small-$SMALL" --variant small --files "$SMALL")
	{
		run "tar>file" "tar -C $SRC -cf $OUT/f ."
		run "ours-none" "$(ours none)"
		run "ours-zst" "$(ours zst)"
	} >"$OUT/res"
	report "$SMALL small files: relative to tar > file" "tar>file"
fi

if [ "${BENCH_BIG:-0}" = 1 ]; then
	if [ ! -f "$DIR/big.done" ]; then
		mkdir -p "$DIR/big"
		head -c 4G /dev/urandom >"$DIR/big/4g.bin"
		touch "$DIR/big.done"
	fi
	SRC=$DIR/big
	RUNS=1
	{
		run "ours-gz-4GiB-GZIP_PARALLELISM=0" "$(ours gz GZIP_PARALLELISM=0)"
		run "ours-zst-4GiB" "$(ours zst)"
		run "ours-none-4GiB" "$(ours none)"
	} >"$OUT/res"
	report "4 GiB corpus: peak RSS" "ours-none-4GiB"
fi

[ "${BENCH_EXTRA:-1}" = 1 ] || exit 0
for b in bench/*.sh; do
	case $b in bench/run.sh|bench/scale.sh) continue ;; esac
	echo
	echo "== $b"
	sh "$b" || echo "bench: $b failed"
done
