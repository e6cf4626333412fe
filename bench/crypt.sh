#!/bin/sh
# bench/crypt.sh - encryption throughput, ours against the stock tools on
# the same compressed stream, and what encryption adds to a whole backup.
#
#   our age stage (X25519)     vs  age -r
#   our gpg stage (AES-256)    vs  gpg -c (AES-256, no compression)
#   backupctl run gz           vs  backupctl run gz + AGE_PUBLIC_KEYS
#
# Goals (issue 5): age adds under 5% to a gz backup's wall time; our age
# stage is at least as fast as `age -r`.  Medians of BENCH_RUNS (3) runs.
#   BENCH_CRYPT_MIB=256   size of the compressed stream
#   BENCH_CRYPT_SRC_MIB=256  size of the source tree of the whole-backup runs
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
t_setup
MIB=${BENCH_CRYPT_MIB:-256}
SRC_MIB=${BENCH_CRYPT_SRC_MIB:-256}
RUNS=${BENCH_RUNS:-3}
export TMPDIR=$T

cc -std=gnu17 -D_GNU_SOURCE -O2 -pthread -I"$PB_ROOT/common" \
    -I"$PB_ROOT/worker" -o "$T/crypt_bench" "$PB_ROOT/bench/crypt_bench.c" \
    "$PB_ROOT/build/opt/libpanelbackup.a" $(pkg-config --libs libcurl \
    libcrypto jansson hiredis libarchive libzstd zlib libssh2 libsodium \
    libdeflate re2 gpgme) -lstdc++ -lm || exit 1

# A private copy: parallel builds may relink bin/ while we measure.
cp "$PB_ROOT/bin/backupctl" "$T/backupctl" || exit 1

# A gz stream the size of a real backup's: text-like data, compressed.
/usr/bin/python3 - "$T/src" "$SRC_MIB" <<'EOF'
import os, random, sys
d, mib = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
rnd = random.Random(5)
words = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
left, i = mib << 20, 0
while left > 0:
    n = min(left, 4 << 20)
    with open(f"{d}/f{i}.txt", "w") as f:
        buf = []
        size = 0
        while size < n // 2:
            w = rnd.choice(words); buf.append(w); size += len(w) + 1
        f.write(' '.join(buf))
    with open(f"{d}/r{i}.bin", "wb") as f:
        f.write(os.urandom(n // 2))
    left -= n; i += 1
EOF
tar -C "$T/src" -cf - . | gzip -1 | head -c $((MIB << 20)) >"$T/stream.gz"
age-keygen -o "$T/id" 2>/dev/null
R=$(age-keygen -y "$T/id")
printf 'bench passphrase\n' >"$T/pass"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() {	# timeit CMD: median wall seconds of RUNS runs
	: >"$T/times"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		s=$(now)
		sh -c "$1" >/dev/null 2>"$T/err" ||
		    { echo "bench: failed: $1" >&2; cat "$T/err" >&2; return 1; }
		e=$(now)
		echo "$s $e" | awk '{ print $2 - $1 }' >>"$T/times"
		i=$((i + 1))
	done
	median <"$T/times"
}
line() {	# line NAME SECONDS BYTES
	awk -v n="$1" -v t="$2" -v b="$3" \
	    'BEGIN { printf "%-34s %8.2f s %9.1f MB/s\n", n, t, b / t / 1e6 }'
}

bytes=$(stat -c %s "$T/stream.gz")
G="gpg --homedir $T/gh --batch --yes --pinentry-mode loopback"
mkdir -m 700 "$T/gh"
printf 'no-auto-key-retrieve\ndisable-dirmngr\nno-symkey-cache\n' >"$T/gh/gpg.conf"
trap 'gpgconf --homedir "$T/gh" --kill all; t_cleanup' EXIT

echo "encryption of a $(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1e6}') MB gz stream ($RUNS runs, median)"
t_ours=$(timeit "$T/crypt_bench age $R <$T/stream.gz >$T/o.age")
line "ours age (X25519)" "$t_ours" "$bytes"
t_age=$(timeit "age -r $R -o $T/r.age $T/stream.gz")
line "age -r" "$t_age" "$bytes"
age -d -i "$T/id" "$T/o.age" | cmp -s - "$T/stream.gz" &&
    echo "  (age -d opens ours: ok)" || echo "  (age -d could NOT open ours)"
t_gours=$(timeit "$T/crypt_bench gpg $T/pass <$T/stream.gz >$T/o.gpg")
line "ours gpg (AES-256)" "$t_gours" "$bytes"
t_gpg=$(timeit "$G --passphrase-file $T/pass -c --cipher-algo AES256 -z 0 -o $T/r.gpg $T/stream.gz")
line "gpg -c AES256 -z 0" "$t_gpg" "$bytes"
echo "$t_age $t_ours" | awk '{ printf "ours age vs age -r: %.2fx the speed\n", $1 / $2 }'
echo "$t_gpg $t_gours" | awk '{ printf "ours gpg vs gpg -c: %.2fx the speed\n", $1 / $2 }'

# The whole pipeline, with and without age.
mkdir -p "$T/users" "$T/arch"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/src
ALLOW_ENCRYPTION=true
EOC
run_backup() {	# run_backup [KEY=VALUE]
	{
		echo "BACKUP_ARCHIVE=$T/arch"
		echo "BACKUP_SOURCES=Files"
		echo "BACKUP_COMPRESSION=gz"
		[ $# -gt 0 ] && echo "$1"
	} >"$T/bench.env"
	echo "rm -f $T/arch/*; $T/backupctl --config $T/pb.conf run --env-file $T/bench.env --user bench"
}
in=$(du -sb "$T/src" | cut -f1)
echo
echo "backupctl run, gz, $(awk -v b="$in" 'BEGIN{printf "%.0f", b/1e6}') MB source ($RUNS runs, median)"
t_plain=$(timeit "$(run_backup)")
line "gz" "$t_plain" "$in"
t_enc=$(timeit "$(run_backup "AGE_PUBLIC_KEYS=$R")")
line "gz + age" "$t_enc" "$in"
t_genc=$(timeit "$(run_backup "GPG_PASSPHRASE=bench passphrase")")
line "gz + gpg" "$t_genc" "$in"
echo "$t_plain $t_enc $t_genc" | awk '{ printf "age adds %.1f%%, gpg adds %.1f%% to the wall time\n", ($2 / $1 - 1) * 100, ($3 / $1 - 1) * 100 }'
