#!/bin/sh
# bench/objstore.sh - object-store upload throughput and memory.
#
# Against local s3rver and Azurite, on the same file in the same run:
#   our S3 backend      vs  /usr/bin/aws s3 cp
#   our Azure backend   vs  @azure/storage-blob uploadFile
# and the peak RSS of our uploader streaming BENCH_BIG bytes (default
# 2 GiB; BENCH_AZ_BIG for Azure, default the same) from a pipe: bounded
# by parts in flight, not by the size.
# Sizes: BENCH_SIZE (default 256 MiB) for the throughput file.
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/servers/azurite.sh"
t_setup
SIZE=${BENCH_SIZE:-268435456}
BIG=${BENCH_BIG:-2147483648}
AZ_BIG=${BENCH_AZ_BIG:-$BIG}

cc -std=gnu17 -D_GNU_SOURCE -O2 -pthread -I"$PB_ROOT/common" \
    -I"$PB_ROOT/storage" -o "$T/put" "$PB_ROOT/bench/objstore_put.c" \
    "$PB_ROOT/build/opt/libpanelbackup.a" $(pkg-config --libs libcurl \
    libcrypto jansson hiredis libarchive libzstd zlib libssh2 libsodium \
    libdeflate re2 gpgme) -lstdc++ -lm || exit 1
head -c "$SIZE" /dev/urandom >"$T/data"
s3aws_config
start_s3rver http || { echo "s3rver did not start"; exit 1; }
start_azurite || { echo "azurite did not start"; exit 1; }
azsdk mk bench

now() { date +%s.%N; }
mbps() { echo "$1 $2 $3" | awk '{ printf "%.1f MB/s", $1 / ($3 - $2) / 1e6 }'; }
peak() { awk '/Maximum resident/ { printf "%.0f MiB", $6 / 1024 }' "$1"; }

export AWS_S3_BUCKET_NAME=$S3_BUCKET AWS_ENDPOINT=$S3_ENDPOINT \
    AWS_ENDPOINT_PROTO=http AWS_ACCESS_KEY_ID=$S3_AK \
    AWS_SECRET_ACCESS_KEY=$S3_SK
export AZURE_STORAGE_ACCOUNT_NAME=$AZ_ACCOUNT \
    AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=$AZ_KEY \
    AZURE_STORAGE_CONTAINER_NAME=bench \
    AZURE_STORAGE_ENDPOINT="http://127.0.0.1:$AZ_PORT/{{ .AccountName }}"

echo "object stores, $SIZE bytes, same file, same run"
t0=$(now); "$T/put" s3 ours.bin <"$T/data" || exit 1; t1=$(now)
echo "  s3    panel-backup      $(mbps "$SIZE" "$t0" "$t1")"
t0=$(now); s3aws s3 cp "$T/data" "s3://$S3_BUCKET/aws.bin" >/dev/null || exit 1
t1=$(now)
echo "  s3    aws s3 cp         $(mbps "$SIZE" "$t0" "$t1")"
t0=$(now); "$T/put" azure ours.bin <"$T/data" || exit 1; t1=$(now)
echo "  azure panel-backup      $(mbps "$SIZE" "$t0" "$t1")"
t0=$(now)
node -e '
const path = require("path");
const { BlobServiceClient, StorageSharedKeyCredential } = require(
    path.join(process.argv[1], "tests/node/node_modules/@azure/storage-blob"));
const c = new BlobServiceClient(process.env.AZ_ENDPOINT,
    new StorageSharedKeyCredential(process.env.AZ_ACCOUNT, process.env.AZ_KEY));
c.getContainerClient("bench").getBlockBlobClient("sdk.bin")
    .uploadFile(process.argv[2]).catch((e) => { console.error(e); process.exit(1); });
' "$PB_ROOT" "$T/data" || exit 1
t1=$(now)
echo "  azure @azure/storage-blob $(mbps "$SIZE" "$t0" "$t1")"

secs() { awk '/Elapsed \(wall clock\)/ { n = split($8, t, ":");
	s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.0f s", s }' "$1"; }
rm -f "$T/data"
echo "peak RSS streaming from a pipe (4 parts in flight + 1 filling)"
head -c "$BIG" /dev/zero | /usr/bin/time -v "$T/put" s3 big.bin \
    2>"$T/time.s3" || { cat "$T/time.s3"; exit 1; }
echo "  s3    $BIG bytes, 16 MiB parts: $(peak "$T/time.s3") ($(secs "$T/time.s3"))"
head -c "$AZ_BIG" /dev/zero | /usr/bin/time -v "$T/put" azure big.bin \
    2>"$T/time.az" || { cat "$T/time.az"; exit 1; }
echo "  azure $AZ_BIG bytes, 8 MiB blocks: $(peak "$T/time.az") ($(secs "$T/time.az"))"
