#!/bin/sh
# Storage faults against a real S3 server (s3rver):
#  - unreachable at start: exit 3 naming the host, nothing written, and
#    once it is back the previous backups are all still there (pruning
#    never ran although they are past BACKUP_RETENTION_DAYS);
#  - killed (SIGKILL) in the middle of a multipart upload: the run fails
#    after its retries within bounded time, and once the server is back
#    no object of that backup exists, partial or whole, and the previous
#    backups are untouched; the next run succeeds.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
t_setup
s3aws_config

mkdir -p "$T/home/alice/files" "$T/users"
head -c 41943040 /dev/urandom >"$T/home/alice/files/big.bin"
echo small >"$T/home/alice/files/a.txt"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

start_s3rver http || { echo "not ok 1 - s3rver starts"; exit 1; }
PORT=$S3_PORT
cat >"$T/users/alice.env" <<EOC
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=none
BACKUP_RETENTION_DAYS=1
AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_ENDPOINT=127.0.0.1:$PORT
AWS_ENDPOINT_PROTO=http
AWS_ACCESS_KEY_ID=$S3_AK
AWS_SECRET_ACCESS_KEY=$S3_SK
AWS_PART_SIZE=5
EOC
chmod 600 "$T/users/alice.env"

# Two previous backups, old enough to be pruned by a successful run.
echo old1 >"$T/old1"
s3aws s3 cp "$T/old1" "s3://$S3_BUCKET/backup-2020-01-01T00-00-00.tar" \
    >/dev/null 2>&1 &&
s3aws s3 cp "$T/old1" "s3://$S3_BUCKET/backup-2020-01-02T00-00-00.tar" \
    >/dev/null 2>&1
ok $? "two previous backups are in the bucket"
listing() { s3aws s3 ls "s3://$S3_BUCKET/" 2>/dev/null | awk '{print $3, $4}' | sort; }
listing >"$T/before"

restart_s3() {
	node --openssl-legacy-provider "$PB_ROOT/tests/servers/s3rver.js" \
	    "$PORT" "$T/s3data" "$S3_BUCKET" "$S3_AK" "$S3_SK" \
	    >"$T/s3rver.log" 2>&1 &
	S3_PID=$!
	t_bg $S3_PID
	wait_for 20 grep -q ready "$T/s3rver.log"
}

# --- unreachable at start ---
kill $S3_PID
wait $S3_PID 2>/dev/null
start=$(date +%s)
backupctl run alice >"$T/run.out" 2>"$T/run.err"
rc=$?
secs=$(($(date +%s) - start))
[ $rc -eq 3 ] && grep -q "127.0.0.1:$PORT" "$T/run.err"
ok $? "S3 unreachable at start: exit 3 naming the host (rc=$rc, ${secs}s: $(tail -1 "$T/run.err"))"
restart_s3
ok $? "s3rver is back on the same port and data"
listing >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "nothing was written and the previous backups are untouched"

# --- killed mid-upload ---
backupctl run alice >"$T/run.out" 2>"$T/run.err" &
RUN=$!
# Mid-upload: the server holds some MiB of the upload, not all of it.
got_some() {
	[ "$(du -sb "$T/s3data" | cut -f1)" -gt 8000000 ]
}
wait_for 30 got_some
ok $? "the upload is under way (some parts stored)"
kill -9 $S3_PID
wait $S3_PID 2>/dev/null
start=$(date +%s)
wait $RUN
rc=$?
secs=$(($(date +%s) - start))
[ $rc -ne 0 ] && grep -q "127.0.0.1:$PORT" "$T/run.err"
ok $? "the run fails after its retries, naming the host (rc=$rc, ${secs}s after the kill)"
restart_s3
listing >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "no object of the failed backup exists, and the previous backups are untouched"

backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "the next run succeeds"
listing >"$T/after"
[ "$(grep -c 'backup-' "$T/after")" -eq 1 ] &&
    ! grep -q 2020-01 "$T/after"
ok $? "it wrote one complete backup and pruned the old ones"
name=$(awk '{print $2}' "$T/after")
s3aws s3 cp "s3://$S3_BUCKET/$name" "$T/back.tar" >/dev/null 2>&1 &&
    tar -xOf "$T/back.tar" files/big.bin | cmp -s - "$T/home/alice/files/big.bin"
ok $? "the backup holds the 40 MiB file intact"

t_done
