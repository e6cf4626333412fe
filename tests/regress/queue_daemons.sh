#!/bin/sh
# queue_daemons.sh - backup-worker and backupctl against a real
# redis-server: Redis unreachable -> exit 3; enqueue --wait; status, jobs,
# workers, stats JSON; one running job per user; a malformed job does not
# stop the worker; SIGTERM hands a job back without spending an attempt;
# SIGKILL of a worker -> another one finishes the job after the lease and
# the destination holds one complete backup; SIGKILL of redis-server (AOF)
# loses no job.
. "$(dirname "$0")/../lib/common.sh"
t_setup

mkdir -p "$T/users" "$T/files/alice" "$T/files/big" "$T/files/carl" "$T/arch"
printf 'hello\n' >"$T/files/alice/a.txt"
printf 'carl\n' >"$T/files/carl/c.txt"
head -c 16000000 /dev/urandom | base64 >"$T/files/big/SLOW_big.txt"
for u in alice carl; do
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\n' "$T" "$u" >"$T/users/$u.env"
done
# A slow job: zstd -19 of 21 MB takes several seconds.
printf 'BACKUP_ARCHIVE=%s/arch/big\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=zst\nZSTD_LEVEL=19\n' "$T" >"$T/users/big.env"
chmod 600 "$T/users/"*.env

conf() {
	cat >"$T/pb.conf" <<CONF
REDIS_URL=redis://127.0.0.1:$1/0
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=dn
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
JOB_LEASE_SECONDS=5
JOB_RETRY_BACKOFF=1s
WORKER_SHUTDOWN_GRACE=${GRACE:-0s}
CONF
}

# Redis unreachable at start: exit 3 and a line naming the host.
dead=$(free_port)
conf "$dead"
backup-worker --config "$T/pb.conf" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "127.0.0.1:$dead" "$T/err"
ok $? "backup-worker: Redis unreachable -> exit 3 naming the host ($(cat "$T/err"))"
backupctl --config "$T/pb.conf" enqueue alice 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && grep -q "127.0.0.1:$dead" "$T/err"
ok $? "backupctl enqueue: Redis unreachable -> exit 3"
backup-scheduler --config "$T/pb.conf" 2>/dev/null; [ $? -eq 3 ]
ok $? "backup-scheduler: Redis unreachable -> exit 3"
backup --config "$T/pb.conf" alice 2>/dev/null; [ $? -eq 3 ]
ok $? "backup: Redis unreachable -> exit 3"

# The password of REDIS_URL never shows in an error.
sed -i "s|^REDIS_URL=.*|REDIS_URL=redis://panel:Sup3rSecretPw@127.0.0.1:$dead/0|" "$T/pb.conf"
backupctl --config "$T/pb.conf" jobs >"$T/out" 2>&1; rc=$?
[ $rc -eq 3 ] && ! grep -q Sup3rSecretPw "$T/out" && grep -q "127.0.0.1:$dead" "$T/out"
ok $? "REDIS_URL's password is not printed in the error ($(cat "$T/out"))"

REDIS_AOF=yes start_redis || { echo "not ok - redis-server starts"; exit 1; }
conf "$REDIS_PORT"
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{dn}:'
ctl() { backupctl --config "$T/pb.conf" "$@"; }
state() { ctl status --json "$1" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["'"${2:-state}"'"])'; }

# Workers read through a slow-disk shim (tests/lib/faultfs.c: SLOW_*
# files), so the big job is still running when the test stops its worker,
# whatever the machine's speed.

t_worker --config "$T/pb.conf" --concurrency 2 2>"$T/w1.log" &
W1=$!; t_bg $W1
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"

# enqueue --wait
id=$(ctl enqueue alice --wait 2>"$T/wait.err"); rc=$?
cat "$T/wait.err"
[ $rc -eq 0 ] && [ -n "$id" ]
ok $? "enqueue --wait exits 0 when the backup succeeded ($id)"
grep -q succeeded "$T/wait.err"
ok $? "enqueue --wait reports progress lines when not on a terminal"
n=$(ls "$T/arch/alice" | wc -l); f=$(ls "$T/arch/alice")
[ "$n" -eq 1 ] && tar -tzf "$T/arch/alice/$f" | grep -q 'files/a.txt'
ok $? "the backup landed and tar reads it"
ctl status --json "$id" >"$T/st.json"
/usr/bin/python3 - "$T/st.json" "$f" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
need = ["id","user","node","trigger","state","attempts","created_at","started_at","finished_at","bytes_in","bytes_out","error","backups"]
assert all(k in j for k in need), [k for k in need if k not in j]
assert j["state"] == "succeeded" and j["trigger"] == "manual" and j["user"] == "alice"
assert j["backups"] == [sys.argv[2]], j["backups"]
assert j["attempts"] == 1 and j["bytes_in"] > 0
PY
ok $? "status --json has SPEC.md's fields and the backup's name"
ctl jobs --json --user alice | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; assert len(j)==1 and j[0]["state"]=="succeeded"'
ok $? "jobs --json --user lists the job"
ctl workers --json | /usr/bin/python3 -c 'import json,sys; w=json.load(sys.stdin)["workers"]; assert len(w)==1 and w[0]["slots"]==2 and w[0]["node"]=="dn" and w[0]["pid"]>0'
ok $? "workers --json shows the live worker with its slots"
ctl stats --json | /usr/bin/python3 -c 'import json,sys; n=[x for x in json.load(sys.stdin)["nodes"] if x["node"]=="dn"][0]; assert n["succeeded_24h"]==1 and n["workers"]==1 and n["queued"]==0, n'
ok $? "stats --json counts the success and the worker"
ctl metrics | grep -q '^panel_backup_last_success_timestamp_seconds{user="alice",node="dn"} [0-9]'
ok $? "metrics prints the user's last success in Prometheus format"

# A malformed job is set aside; the worker keeps running.
r ZADD "${P}q" 0 junk >/dev/null
r HSET "${P}job:junk" garbage 1 >/dev/null
r RPUSH "${P}wake" 1 >/dev/null
wait_for 10 sh -c "redis-cli -p $REDIS_PORT HGET '${P}job:junk' state | grep -qx failed"
ok $? "a malformed job is set aside as failed"
ctl status junk 2>/dev/null | grep -q 'error .*malformed'
ok $? "status shows why the malformed job failed"
ctl enqueue carl --wait >/dev/null 2>&1 && kill -0 $W1
ok $? "the worker keeps running and serves the next job"

# One running job per user: a second request waits, a third joins it.
big1=$(ctl enqueue big)
wait_for 10 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$big1' state)\" = running ]"
big2=$(ctl enqueue big); big3=$(ctl enqueue big)
[ "$big2" = "$big3" ] && [ "$big2" != "$big1" ] && [ "$(state "$big2")" = queued ] &&
    [ "$(r ZCARD "${P}active")" = 1 ]
ok $? "one running job per user; later requests join the one waiting"
ctl cancel "$big2" >/dev/null 2>&1
r FCALL bk_cancel 1 "$P" dn "$big2" 86400000 >/dev/null

# SIGTERM during a job: handed back, attempt not spent.
[ "$(state "$big1")" = running ] || echo "# warning: $big1 no longer running before SIGTERM"
kill -TERM $W1
wait $W1; rc=$?
[ $rc -eq 0 ] && [ "$(state "$big1")" = queued ] && [ "$(state "$big1" attempts)" = 0 ]
ok $? "SIGTERM: the running job is handed back queued, attempt not spent (rc=$rc)"
grep -q "handed back" "$T/w1.log"
ok $? "the worker logs the hand-back"

# SIGKILL of the worker holding the job: another worker finishes it.
t_worker --config "$T/pb.conf" --concurrency 1 2>"$T/w2.log" &
W2=$!; t_bg $W2
wait_for 15 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$big1' state)\" = running ]"
wait_for 15 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$big1' phase)\" = archive ]"
kill -KILL $W2
t_worker --config "$T/pb.conf" --concurrency 1 2>"$T/w3.log" &
W3=$!; t_bg $W3
wait_for 60 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$big1' state)\" = succeeded ]"
ok $? "after SIGKILL of its worker the job is finished by another worker after the lease"
[ "$(state "$big1" attempts)" = 2 ]
ok $? "the lost attempt is counted (attempts=2)"
ls "$T/arch/big" >"$T/big.ls"
[ "$(wc -l <"$T/big.ls")" -eq 1 ] && zstd -t -q "$T/arch/big/$(cat "$T/big.ls")" &&
    zstd -dc "$T/arch/big/$(cat "$T/big.ls")" | tar -tf - | grep -q files/SLOW_big.txt
ok $? "the destination holds exactly one complete backup ($(tr '\n' ' ' <"$T/big.ls"))"

# SIGKILL of redis-server (AOF) with jobs queued and running: none lost.
j1=$(ctl enqueue big); j2=$(ctl enqueue alice); j3=$(ctl enqueue carl)
wait_for 15 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j1' state)\" = running ]"
sleep 1.2	# let appendfsync everysec write the queue to disk
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$T/redis" \
    --appendonly yes --appendfsync everysec --save '' --daemonize no \
    --logfile "$T/redis/redis2.log" >/dev/null 2>&1 &
REDIS_PID=$!; t_bg $REDIS_PID
wait_for 10 redis-cli -p "$REDIS_PORT" ping
ok $? "redis-server restarts from its AOF"
all_done() {
	for j in $j1 $j2 $j3; do
		[ "$(redis-cli -p $REDIS_PORT HGET "${P}job:$j" state)" = succeeded ] || return 1
	done
}
[ -n "$j1" ] && [ -n "$j2" ] && [ -n "$j3" ] && wait_for 60 all_done
ok $? "after the restart every job queued or running finished (no job lost)"
kill -0 $W3
ok $? "the worker carried on through the Redis restart"
t_done
