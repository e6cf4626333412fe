#!/bin/sh
# redact_urls.sh - secrets inside URL-valued settings never leave
# (issue 16): a SAS sig= in AZURE_STORAGE_ENDPOINT, userinfo in
# AWS_ENDPOINT and WEBDAV_URL, token= and X-Amz-Signature= in a
# notification URL.  None is a registered secret (nobody marked those
# parts), so only the shape-based redaction of secret_redact() stands
# between them and the world.
#
# Runs `config check`, `run`, `notify test`, then a backup-worker and a
# backup-notifier with `enqueue --wait`, `status`, `jobs`; then greps
# every output, the daemon logs, every Redis key (values and DUMP) and
# the events stream for the markers (the pattern of
# tests/regress/secrets_grep.sh).
. "$(dirname "$0")/../lib/common.sh"
t_setup

M_SAS=PBSASSIGMARK71
M_SAS2=PBSASSIGMARK72
M_AWSU=PBAWSUSERMARK73
M_AWSP=PBAWSPASSMARK74
M_DAVU=PBDAVUSERMARK75
M_DAVP=PBDAVPASSMARK76
M_TOK=PBNOTETOKMARK77
M_AMZ=PBAMZSIGMARK78
MARKS="$M_SAS $M_SAS2 $M_AWSU $M_AWSP $M_DAVU $M_DAVP $M_TOK $M_AMZ"

O=$T/out
mkdir -p "$O" "$T/users" "$T/state" "$T/tmp" "$T/home/alice/files" \
    "$T/home/bob/files" "$T/home/carol/files"
echo hello >"$T/home/carol/files/c.txt"
echo hello >"$T/home/alice/files/a.txt"
echo hello >"$T/home/bob/files/b.txt"
start_redis || { echo "not ok 1 - redis-server did not start"; exit 1; }
DEAD=$(free_port)
cat >"$T/pb.conf" <<EOC
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=ru
USERS_DIR=$T/users
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
JOB_MAX_ATTEMPTS=1
NOTIFICATION_TIMEOUT=2s
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

# alice: S3 and WebDAV with userinfo, Azure with a SAS in the endpoint,
# a notification URL with a token; bob: an endpoint with a SAS and a
# mistyped scheme.
cat >"$T/users/alice.env" <<EOC
BACKUP_SOURCES=Files
AZURE_STORAGE_ACCOUNT_NAME=acct
AZURE_STORAGE_CONTAINER_NAME=c
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=cGJrZXlwYmtleXBia2V5
AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$DEAD/{{ .AccountName }}/?sv=2022-11-02&sp=rw&sig=$M_SAS
AWS_S3_BUCKET_NAME=b
AWS_ENDPOINT=$M_AWSU:$M_AWSP@127.0.0.1:$DEAD
AWS_ENDPOINT_PROTO=http
AWS_ACCESS_KEY_ID=AKIAPB
AWS_SECRET_ACCESS_KEY=pbsecretkey1
WEBDAV_URL=http://$M_DAVU:$M_DAVP@127.0.0.1:$DEAD/dav/
WEBDAV_USERNAME=u
WEBDAV_PASSWORD=pbdavpassword1
NOTIFICATION_URLS=generic+http://127.0.0.1:$DEAD/hook?token=$M_TOK&X-Amz-Signature=$M_AMZ
NOTIFICATION_LEVEL=info
EOC
cat >"$T/users/bob.env" <<EOC
BACKUP_SOURCES=Files
AZURE_STORAGE_ACCOUNT_NAME=acct
AZURE_STORAGE_CONTAINER_NAME=c
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=cGJrZXlwYmtleXBia2V5
AZURE_STORAGE_ENDPOINT=htps://127.0.0.1:$DEAD/{{ .AccountName }}/?sv=2022-11-02&sig=$M_SAS2
NOTIFICATION_URLS=generic+http://127.0.0.1:$DEAD/hook?token=$M_TOK
NOTIFICATION_LEVEL=info
EOC
# carol: only the unreachable Azure endpoint with a SAS, so its own
# connection error is what gets printed.
cat >"$T/users/carol.env" <<EOC
BACKUP_SOURCES=Files
AZURE_STORAGE_ACCOUNT_NAME=acct
AZURE_STORAGE_CONTAINER_NAME=c
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=cGJrZXlwYmtleXBia2V5
AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$DEAD/{{ .AccountName }}/?sv=2022-11-02&sp=rw&sig=$M_SAS
EOC
chmod 600 "$T/users/"*.env

cmd() {		# cmd NAME ARGS...: run, keep stdout/stderr under NAME
	_name=$1
	shift
	"$@" >"$O/$_name.out" 2>"$O/$_name.err"
	echo $? >"$O/$_name.rc"
}
cmd check-alice backupctl config check alice
cmd check-bob backupctl config check bob
cmd run-alice backupctl run alice
cmd run-bob backupctl run bob
cmd run-carol backupctl run carol
cmd notify-alice backupctl notify test alice
[ "$(cat "$O/run-alice.rc")" -ne 0 ] && [ "$(cat "$O/run-bob.rc")" -ne 0 ] &&
    [ "$(cat "$O/run-carol.rc")" -ne 0 ]
ok $? "the backups fail (userinfo, bad scheme, unreachable): errors to print"
grep -q '\[redacted\]' "$O/run-alice.err" "$O/run-bob.err" "$O/check-bob.out" \
    "$O/check-bob.err" "$O/notify-alice.out"
ok $? "the URLs are still named, redacted"

backup-worker --concurrency 2 >"$O/worker.out" 2>"$O/worker.err" &
W=$!
t_bg $W
backup-notifier >"$O/notifier.out" 2>"$O/notifier.err" &
N=$!
t_bg $N
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
ok $? "backup-worker registered"
cmd enq-alice backupctl enqueue alice --wait --json
cmd enq-bob backupctl enqueue bob --wait --json
cmd enq-carol backupctl enqueue carol --wait --json
job=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$O/enq-alice.out" 2>/dev/null)
cmd status backupctl status "$job" --json
cmd jobs backupctl jobs --json
wait_for 20 sh -c "grep -q -i -e notif -e send -e fail \"$O/notifier.err\""
kill $W $N 2>/dev/null
wait $W $N 2>/dev/null
[ -n "$job" ] && grep -q '"failed"' "$O/status.out"
ok $? "the queued job failed and its status is readable ($job)"

rc_() { redis-cli -p "$REDIS_PORT" "$@"; }
rc_ --scan >"$O/redis-keys"
while read -r k; do
	echo "== $k"
	case $(rc_ TYPE "$k") in
	hash)	rc_ HGETALL "$k" ;;
	list)	rc_ LRANGE "$k" 0 -1 ;;
	set)	rc_ SMEMBERS "$k" ;;
	zset)	rc_ ZRANGE "$k" 0 -1 WITHSCORES ;;
	stream)	rc_ XRANGE "$k" - + ;;
	string)	rc_ GET "$k" ;;
	esac
	rc_ --no-raw DUMP "$k"
done <"$O/redis-keys" >"$O/redis-dump"
grep -q -i 'error' "$O/redis-dump"
ok $? "Redis holds the jobs' errors ($(wc -l <"$O/redis-keys") keys)"

for m in $MARKS; do
	where=$(grep -rl -F "$m" "$O" "$T/state" "$T/tmp" 2>/dev/null | tr '\n' ' ')
	[ -z "$where" ]
	ok $? "$m appears nowhere${where:+ (found in $where)}"
done
t_done
