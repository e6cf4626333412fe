#!/bin/sh
# bench/dropbox.sh - Dropbox upload throughput through the local double
# (tests/servers/dropbox_double.py, HTTPS, --discard: it reads and counts
# the bytes but keeps none) at DROPBOX_CONCURRENCY_LEVEL 1, 2, 4 and 6,
# and peak RSS of a 2 GiB backup at levels 2 (the default) and 6.
#
# The uploader is test_dropbox's driver: storage_begin/write/commit fed
# from stdin, the code path of a real backup's upload stage.  The double
# is Python on the same 2 cores, so the numbers are a floor for the
# client, not Dropbox's speed; what they show is how concurrency scales
# and that memory stays at (level + 1) x 8 MiB pieces whatever the size
# (the tool we replace holds about 900 MiB: 6 x 148 MiB).
#
#   BENCH_DROPBOX_MIB=512      stream size of the throughput runs
#   BENCH_DROPBOX_BIG_MIB=2048 stream size of the RSS runs
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
t_setup
MIB=${BENCH_DROPBOX_MIB:-512}
BIG=${BENCH_DROPBOX_BIG_MIB:-2048}

# A private copy: parallel builds may relink while we measure.
cp "$PB_ROOT/build/opt/tests/storage/test_dropbox" "$T/drv" || {
	echo "bench/dropbox: build first (make)" >&2
	exit 1
}
/usr/bin/python3 "$PB_ROOT/tests/servers/dropbox_double.py" --dir "$T/dbx" \
    --discard >"$T/double.log" 2>&1 &
t_bg $!
wait_for 20 test -s "$T/dbx/port" || {
	echo "bench/dropbox: the double did not start" >&2
	exit 1
}
PORT=$(cat "$T/dbx/port")
cat >"$T/admin.conf" <<EOF
HTTP_CONNECT_TO=api.dropboxapi.com:443:127.0.0.1:$PORT,content.dropboxapi.com:443:127.0.0.1:$PORT
HTTP_CA_FILE=$T/dbx/ca.pem
EOF

# upload LEVEL MIB NAME: prints "seconds peak_rss_kib"
upload() {
	cat >"$T/u.env" <<EOF
DROPBOX_APP_KEY=testkey
DROPBOX_APP_SECRET=testsecret
DROPBOX_REFRESH_TOKEN=test-refresh-token
DROPBOX_REMOTE_PATH=/bench
DROPBOX_CONCURRENCY_LEVEL=$1
EOF
	start=$(date +%s.%N)
	head -c "$(($2 * 1024 * 1024))" /dev/zero |
	    /usr/bin/time -f '%M' -o "$T/rss" "$T/drv" drive "$T/admin.conf" \
	    "$T/u.env" bench put "$3" >/dev/null 2>"$T/err" || {
		echo "bench/dropbox: upload failed: $(cat "$T/err")" >&2
		return 1
	}
	end=$(date +%s.%N)
	echo "$(echo "$end - $start" | bc -l) $(tail -1 "$T/rss")"
}

echo
echo "== Dropbox upload through the local double (HTTPS, $(nproc) cores shared)"
printf '%-28s %10s %10s %12s\n' "run" "seconds" "MiB/s" "peak RSS MiB"
for level in 1 2 4 6; do
	set -- $(upload $level "$MIB" "t$level.bin") || exit 1
	printf '%-28s %10.2f %10.1f %12.1f\n' "level $level, $MIB MiB" "$1" \
	    "$(echo "$MIB / $1" | bc -l)" "$(echo "$2 / 1024" | bc -l)"
done
for level in 2 6; do
	set -- $(upload $level "$BIG" "big$level.bin") || exit 1
	printf '%-28s %10.2f %10.1f %12.1f\n' "level $level, $BIG MiB" "$1" \
	    "$(echo "$BIG / $1" | bc -l)" "$(echo "$2 / 1024" | bc -l)"
done
echo "(the tool we replace: ~900 MiB peak at its default level 6)"
