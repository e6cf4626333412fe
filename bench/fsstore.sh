#!/bin/sh
# bench/fsstore.sh - SFTP and WebDAV upload throughput and memory.
#
# Against a local sshd, Apache mod_dav and rclone serve webdav, on the
# same file in the same run:
#   our SFTP backend    vs  OpenSSH's sftp put
#   our WebDAV backend  vs  curl -T (Apache, rclone)
# and the peak RSS of our uploader streaming BENCH_BIG bytes (default
# 2 GiB) from a pipe: bounded by the write buffer, not by the size.
# Sizes: BENCH_SIZE (default 256 MiB) for the throughput file.  The
# uploader is the storage driver of tests/storage/test_sftp.c (64 KiB
# writes through storage_begin/write/commit), from build/opt.
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/sshd.sh"
. "$PB_ROOT/tests/servers/apache.sh"
. "$PB_ROOT/tests/servers/rclone.sh"
t_setup
SIZE=${BENCH_SIZE:-268435456}
BIG=${BENCH_BIG:-2147483648}
D=$PB_ROOT/build/opt/tests/storage/test_sftp
[ -x "$D" ] || { echo "fsstore: build first (make)"; exit 1; }

mkdir -p "$T/sshd" "$T/files/alice" "$T/state"
sshd_user && sshd_keys && sshd_start || { echo "sshd did not start"; exit 1; }
apache_start || { echo "apache did not start"; exit 1; }
rclone_start || { echo "rclone did not start"; exit 1; }
head -c "$SIZE" /dev/urandom >"$T/data"
cat >"$T/admin.conf" <<CFG
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
SOURCE_FILES=$T/files/{user}
CFG
cp "$SFTP_KEYS/id_ed25519" "$T/files/alice/id"
printf 'SSH_HOST_NAME=127.0.0.1\nSSH_PORT=%s\nSSH_USER=%s\nSSH_IDENTITY_FILE=id\nSSH_REMOTE_PATH=%s/bench\n' \
    "$SSHD_PORT" "$SFTP_USER" "$SFTP_HOME" >"$T/sftp.env"
dav_env() {	# dav_env FILE URL
	printf 'WEBDAV_URL=%s\nWEBDAV_PATH=/bench\nWEBDAV_USERNAME=%s\nWEBDAV_PASSWORD=%s\n' \
	    "$2" "$DAV_USER" "$DAV_PASSWORD" >"$1"
}
dav_env "$T/apache.env" "http://127.0.0.1:$APACHE_HTTP/dav"
dav_env "$T/rclone.env" "http://127.0.0.1:$RCLONE_HTTP"

now() { date +%s.%N; }
mbps() { echo "$1 $2 $3" | awk '{ printf "%.1f MB/s", $1 / ($3 - $2) / 1e6 }'; }
peak() { awk '/Maximum resident/ { printf "%.0f MiB", $6 / 1024 }' "$1"; }
ours() {	# ours ENV NAME < input
	"$D" drive "$T/admin.conf" "$1" alice put "$2" >/dev/null
}

echo "file-system destinations, $SIZE bytes, same file, same run"
t0=$(now); ours "$T/sftp.env" ours.bin <"$T/data" || exit 1; t1=$(now)
echo "  sftp   panel-backup        $(mbps "$SIZE" "$t0" "$t1")"
printf 'put %s %s/bench/sftp.bin\n' "$T/data" "$SFTP_HOME" >"$T/batch"
t0=$(now)
sftp -q -P "$SSHD_PORT" -i "$SFTP_KEYS/id_ed25519" -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -b "$T/batch" "$SFTP_USER@127.0.0.1" >/dev/null || exit 1
t1=$(now)
echo "  sftp   OpenSSH sftp put    $(mbps "$SIZE" "$t0" "$t1")"
for s in apache rclone; do
	t0=$(now); ours "$T/$s.env" ours.bin <"$T/data" || exit 1; t1=$(now)
	echo "  webdav panel-backup ($s)  $(mbps "$SIZE" "$t0" "$t1")"
	if [ $s = apache ]; then u="http://127.0.0.1:$APACHE_HTTP/dav/bench"
	else u="http://127.0.0.1:$RCLONE_HTTP/bench"; fi
	t0=$(now)
	curl -sf -u "$DAV_USER:$DAV_PASSWORD" -T "$T/data" "$u/curl.bin" \
	    -o /dev/null || exit 1
	t1=$(now)
	echo "  webdav curl -T ($s)       $(mbps "$SIZE" "$t0" "$t1")"
done
rm -f "$T/data" "$SFTP_HOME/bench/"*.bin "$APACHE_DATA/bench/"*.bin \
    "$RCLONE_DATA/bench/"*.bin

echo "peak RSS streaming $BIG bytes from a pipe"
for s in sftp apache; do
	head -c "$BIG" /dev/zero | /usr/bin/time -v "$D" drive \
	    "$T/admin.conf" "$T/$s.env" alice put big.bin \
	    >/dev/null 2>"$T/time.$s" || { cat "$T/time.$s"; exit 1; }
	echo "  $s $(peak "$T/time.$s")"
	rm -f "$SFTP_HOME/bench/big.bin" "$APACHE_DATA/bench/big.bin"
done
