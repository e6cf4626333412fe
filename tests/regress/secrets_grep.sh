#!/bin/sh
# Secrets never leave: every secret-bearing setting gets a unique marker
# value; backups run directly (backupctl run) and through the queue
# (backup-worker, backup-notifier, Redis with requirepass) against
# destinations that fail in different ways (S3 and WebDAV refuse the
# credentials, SFTP, Azure and Dropbox are unreachable, the notification
# services too) and one that works.  Then every output is searched for
# every marker: stdout and stderr of each command, daemon logs, every
# Redis key (hashes, lists, sets, streams, DUMP of each), the JSON of
# status/jobs/workers/stats/metrics, files left in STATE_DIR, TEMP_DIR and
# the local destination, and the command line of every process seen
# during the run (sampled from /proc).  No marker may appear anywhere.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/servers/apache.sh"
. "$PB_ROOT/tests/servers/rclone.sh"
t_setup

O=$T/outputs
mkdir -p "$O" "$T/users" "$T/home/alice/files" "$T/home/bob/files" \
    "$T/out" "$T/state" "$T/tmp"
echo "alice data" >"$T/home/alice/files/a.txt"
echo "bob data" >"$T/home/bob/files/b.txt"

# The markers: one per secret, each unique.
M_REDIS=MkRedisPw4471
M_AWS_SK=MkAwsSecret9Q2x
M_DAV=MkDavPw5512
M_SSH=MkSshPw6620
M_SSHKEY=MkSshKeyPass7731
M_AZKEY=TWtBenVyZUtleTg4NDI=		# base64 of MkAzureKey8842
M_AZKEY_RAW=MkAzureKey8842
M_AZCONN=TWtBekNvbm5LZXkzMzE=		# base64 of MkAzConnKey331
M_DBX_TOK=MkDbxRefresh2290
M_DBX_SEC=MkDbxAppSecret1187
M_GPG=MkGpgPass3356
M_AGE=MkAgePass4409
M_NTFY=MkNtfyToken5521
M_DISCORD=MkDiscordTok6613
M_MSSQL=MkMssqlPw7702
MARKERS="$M_REDIS $M_AWS_SK $M_DAV $M_SSH $M_SSHKEY $M_AZKEY $M_AZKEY_RAW
    $M_AZCONN $M_DBX_TOK $M_DBX_SEC $M_GPG $M_AGE $M_NTFY $M_DISCORD $M_MSSQL"

# Servers: Redis with a password (from a config file, not argv), s3rver,
# rclone WebDAV; a closed port for the unreachable ones.
REDIS_PORT=$(free_port)
mkdir -p "$T/redis"
cat >"$T/redis/redis.conf" <<EOC
port $REDIS_PORT
bind 127.0.0.1
dir $T/redis
save ""
appendonly no
requirepass $M_REDIS
EOC
chmod 600 "$T/redis/redis.conf"
redis-server "$T/redis/redis.conf" >"$T/redis/log" 2>&1 &
t_bg $!
export REDISCLI_AUTH=$M_REDIS
rc_() { redis-cli --no-auth-warning -p "$REDIS_PORT" "$@"; }
wait_for 10 sh -c "redis-cli --no-auth-warning -p $REDIS_PORT ping | grep -q PONG"
ok $? "redis-server with requirepass is up"
start_s3rver http
ok $? "s3rver is up"
rclone_start
ok $? "rclone WebDAV is up"
DEAD=$(free_port)

cat >"$T/pb.conf" <<EOC
REDIS_URL=redis://:$M_REDIS@127.0.0.1:$REDIS_PORT/0
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=sg
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
ALLOW_ENCRYPTION=true
JOB_MAX_ATTEMPTS=1
MSSQL_PASSWORD=$M_MSSQL
HTTP_CONNECT_TO=api.dropboxapi.com:443:127.0.0.1:$DEAD,content.dropboxapi.com:443:127.0.0.1:$DEAD,ntfy.test:443:127.0.0.1:$DEAD,discord.com:443:127.0.0.1:$DEAD
NOTIFICATION_TIMEOUT=2s
EOC
chmod 600 "$T/pb.conf"
export PANEL_BACKUP_CONFIG=$T/pb.conf

# alice: every destination kind, gpg; bob: age, an Azure connection string.
cat >"$T/users/alice.env" <<EOC
BACKUP_SOURCES=Files
BACKUP_ARCHIVE=$T/out/alice
AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_ENDPOINT=$S3_ENDPOINT
AWS_ENDPOINT_PROTO=http
AWS_ACCESS_KEY_ID=$S3_AK
AWS_SECRET_ACCESS_KEY=$M_AWS_SK
WEBDAV_URL=http://127.0.0.1:$RCLONE_HTTP/
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$M_DAV
SSH_HOST_NAME=127.0.0.1
SSH_PORT=$DEAD
SSH_USER=alice
SSH_PASSWORD=$M_SSH
SSH_IDENTITY_PASSPHRASE=$M_SSHKEY
AZURE_STORAGE_ACCOUNT_NAME=devstoreaccount1
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=$M_AZKEY
AZURE_STORAGE_CONTAINER_NAME=c1
AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$DEAD/{{ .AccountName }}/
DROPBOX_APP_KEY=pbappkey
DROPBOX_APP_SECRET=$M_DBX_SEC
DROPBOX_REFRESH_TOKEN=$M_DBX_TOK
GPG_PASSPHRASE=$M_GPG
NOTIFICATION_URLS=ntfy://:$M_NTFY@ntfy.test/alerts, discord://$M_DISCORD@1234
NOTIFICATION_LEVEL=info
EOC
cat >"$T/users/bob.env" <<EOC
BACKUP_SOURCES=Files
BACKUP_ARCHIVE=$T/out/bob
AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$M_AZCONN;BlobEndpoint=http://127.0.0.1:$DEAD/devstoreaccount1;
AZURE_STORAGE_CONTAINER_NAME=c1
AGE_PASSPHRASE=$M_AGE
NOTIFICATION_URLS=ntfy://:$M_NTFY@ntfy.test/alerts
NOTIFICATION_LEVEL=info
EOC
chmod 600 "$T/users/"*.env

# Every command line of every process, sampled from /proc while we run.
cat >"$T/sampler.py" <<'EOP'
import os, sys
out, flag = sys.argv[1], sys.argv[2]
seen = set()
while os.path.exists(flag):
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % p, 'rb') as f:
                c = f.read()
        except OSError:
            continue
        seen.add(c.replace(b'\0', b' '))
with open(out, 'wb') as f:
    for c in sorted(seen):
        f.write(c + b'\n')
EOP
touch "$T/sampling"
nice /usr/bin/python3 "$T/sampler.py" "$O/cmdlines" "$T/sampling" &
SAMPLER=$!
t_bg $SAMPLER

n=0
cmd() {		# cmd NAME ARGS...: run, keep stdout/stderr under NAME
	_name=$1
	shift
	"$@" >"$O/$_name.out" 2>"$O/$_name.err"
	echo $? >"$O/$_name.rc"
}

cmd run-alice backupctl run alice
cmd run-bob backupctl run bob
cmd check-alice backupctl config check alice
cmd list-alice backupctl list alice --json
cmd notify-alice backupctl notify test alice

backup-worker --concurrency 2 >"$O/worker.out" 2>"$O/worker.err" &
W=$!
t_bg $W
backup-notifier >"$O/notifier.out" 2>"$O/notifier.err" &
N=$!
t_bg $N
wait_for 10 sh -c "redis-cli --no-auth-warning -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
ok $? "backup-worker registered with the password-protected Redis"
cmd enq-alice backupctl enqueue alice --wait --json
cmd enq-bob backupctl enqueue bob --wait --json
cmd backup-bob backup bob
job=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$O/enq-alice.out" 2>/dev/null)
cmd status backupctl status "$job" --json
cmd jobs backupctl jobs --json
cmd workers backupctl workers --json
cmd stats backupctl stats --json
cmd metrics backupctl metrics
# Let the notifier consume the events before it stops.
wait_for 20 sh -c "grep -q -i -e notif -e send \"$O/notifier.err\""
kill $W $N 2>/dev/null
wait $W $N 2>/dev/null
rm -f "$T/sampling"
wait $SAMPLER

# Everything Redis holds.
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

# The run did what this test relies on.
[ "$(cat "$O/run-alice.rc")" -ne 0 ] &&
    grep -q AWS_SECRET_ACCESS_KEY "$O/run-alice.err"
ok $? "backupctl run alice failed, naming the refused credential"
grep -q '"state": "failed"' "$O/enq-alice.out" &&
    grep -q '"error": ".*AZURE' "$O/enq-bob.out" &&
    ! grep -q 'killed by signal' "$O/enq-alice.out" "$O/enq-bob.out"
ok $? "through the queue: the jobs failed on their destinations, not by a crash"
ls "$T/out/alice" | grep -q '\.gpg$' && ls "$T/out/bob" | grep -q '\.age$'
ok $? "encrypted backups were written where the destination worked"
[ "$(wc -l <"$O/redis-keys")" -gt 3 ] && grep -q '"state"' "$O/status.out"
ok $? "Redis holds job records and status JSON was produced ($(wc -l <"$O/redis-keys") keys)"
grep -q backup-worker "$O/cmdlines" && [ "$(wc -l <"$O/cmdlines")" -gt 10 ]
ok $? "process command lines were sampled ($(wc -l <"$O/cmdlines") distinct)"

cp -r "$T/state" "$T/tmp" "$T/out" "$O/" 2>/dev/null
for m in $MARKERS; do
	hits=$(grep -r -l -a -F -e "$m" "$O" 2>/dev/null | sed "s|$O/||" |
	    tr '\n' ' ')
	[ -z "$hits" ]
	ok $? "secret $m appears in no output${hits:+ (found in: $hits)}"
done

t_done
