#!/bin/sh
# queue_sentinel.sh - REDIS_URL=redis-sentinel://: a primary, a replica and
# three redis-sentinel processes on loopback.  kill -9 of the primary
# during a burst of enqueues: every acknowledged job finishes, none runs
# twice; kill -9 of the (new) primary during a running backup: the job
# finishes once and the backup is complete; a graceful SENTINEL FAILOVER
# (the old primary demoted, not dead); a schedule firing every 3 s
# through both failovers makes one job per due time; the worker, the
# scheduler and the notifier carry on against the new primary without a
# restart.  Prints "# failover: acknowledged N, finished N, duplicates N".
. "$(dirname "$0")/../lib/common.sh"
t_setup

if ! command -v redis-sentinel >/dev/null 2>&1; then
	echo "1..0 # SKIP redis-sentinel not installed (scripts/deps.sh)"
	exit 0
fi

NB=40		# jobs of the enqueue burst
mkdir -p "$T/users" "$T/arch" "$T/files/big"
i=1
while [ $i -le $NB ]; do
	mkdir -p "$T/files/u$i"
	printf 'user %s\n' $i >"$T/files/u$i/f.txt"
	printf 'BACKUP_ARCHIVE=%s/arch/u%s\nBACKUP_SOURCES=Files\n' "$T" $i >"$T/users/u$i.env"
	i=$((i + 1))
done
mkdir -p "$T/files/tick"
printf 'tick\n' >"$T/files/tick/t.txt"
printf 'BACKUP_ARCHIVE=%s/arch/tick\nBACKUP_SOURCES=Files\nBACKUP_CRON_EXPRESSION="@every 3s"\n' "$T" >"$T/users/tick.env"
# A slow job: zstd -19 of 21 MB read through the slow-disk shim.
head -c 16000000 /dev/urandom | base64 >"$T/files/big/SLOW_big.txt"
printf 'BACKUP_ARCHIVE=%s/arch/big\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=zst\nZSTD_LEVEL=19\n' "$T" >"$T/users/big.env"
chmod 600 "$T/users/"*.env

# Nodes: A starts as primary, B as its replica.
PA=$(free_port); PB=$(free_port)
node() {	# name port [port of the primary]
	mkdir -p "$T/$1"
	redis-server --port "$2" --bind 127.0.0.1 --dir "$T/$1" \
	    --appendonly yes --appendfsync everysec --save '' \
	    --daemonize no --logfile "$T/$1/redis.log" \
	    ${3:+--replicaof 127.0.0.1 $3} >/dev/null 2>&1 &
	eval "PID_$1=\$!"
	t_bg $!
	wait_for 10 redis-cli -p "$2" ping
}
node A "$PA" && node B "$PB" "$PA"
ok $? "a primary and a replica start"

SP=""
for s in 1 2 3; do
	p=$(free_port)
	SP="$SP $p"
	mkdir -p "$T/s$s"
	cat >"$T/s$s/sentinel.conf" <<EOF
port $p
bind 127.0.0.1
daemonize no
dir $T/s$s
logfile $T/s$s/sentinel.log
sentinel monitor pb 127.0.0.1 $PA 2
sentinel down-after-milliseconds pb 1000
sentinel failover-timeout pb 4000
sentinel parallel-syncs pb 1
EOF
	redis-sentinel "$T/s$s/sentinel.conf" >/dev/null 2>&1 &
	t_bg $!
done
set -- $SP
S1=$1 S2=$2 S3=$3
# Ready: every sentinel knows the replica and the two other sentinels.
sentinels_ready() {
	for p in $S1 $S2 $S3; do
		redis-cli -p "$p" SENTINEL ckquorum pb | grep -q '^OK 3 ' || return 1
		[ "$(redis-cli -p "$p" SENTINEL replicas pb | grep -c '^name$')" -ge 1 ] || return 1
	done
}
wait_for 60 sentinels_ready
ok $? "three sentinels watch the primary and know its replica"

primary() { redis-cli -p "$S1" SENTINEL get-master-addr-by-name pb | sed -n 2p; }
cat >"$T/pb.conf" <<CONF
REDIS_URL=redis-sentinel://panel:S3ntinelPw@127.0.0.1:$S1,127.0.0.1:$S2,127.0.0.1:$S3/pb/0
NODE=sn
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
JOB_LEASE_SECONDS=40
JOB_RETRY_BACKOFF=1s
REDIS_REPLICA_WAIT=1s
MIN_SCHEDULE_INTERVAL_SECONDS=0
CONF
# The test nodes have no password: AUTH is refused, so the password
# lives only in a second config used for the message check.
sed 's|panel:S3ntinelPw@||' "$T/pb.conf" >"$T/pb2.conf"
chmod 600 "$T/pb.conf" "$T/pb2.conf"
sed "s|127.0.0.1:$S1,127.0.0.1:$S2,127.0.0.1:$S3|127.0.0.1:$(free_port)|" \
    "$T/pb.conf" >"$T/dead.conf"
chmod 600 "$T/dead.conf"
backupctl --config "$T/dead.conf" jobs >"$T/out" 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'sentinel master pb' "$T/out" && ! grep -q S3ntinelPw "$T/out"
ok $? "no sentinel reachable: exit 3, the message names the master, not the password ($(cat "$T/out"))"

ctl() { backupctl --config "$T/pb2.conf" "$@"; }
r() { redis-cli -p "$(primary)" "$@"; }

t_worker --config "$T/pb2.conf" --concurrency 2 2>"$T/w.log" &
W=$!; t_bg $W
backup-scheduler --config "$T/pb2.conf" 2>"$T/sched.log" &
SCH=$!; t_bg $SCH
backup-notifier --config "$T/pb2.conf" 2>"$T/notif.log" &
NOT=$!; t_bg $NOT
wait_for 15 sh -c "redis-cli -p $PA ZCARD bk:workers | grep -qx 1"
ok $? "the daemons find the primary through the sentinels"

# Promote the replica by killing the primary; bring the dead node back as
# a replica of the new primary, so WAIT has a replica again.
failover() {	# name-of-dead port-of-dead
	old=$(primary)
	eval "kill -KILL \$PID_$1"
	eval "wait \$PID_$1" 2>/dev/null
	wait_for 60 sh -c "[ \"\$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p)\" != $old ]" || return 1
	node "$1" "$2" "$(primary)" || return 1
	wait_for 60 sh -c "redis-cli -p \$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p) INFO replication | grep -q '^connected_slaves:1'"
}

# 1. The burst: each user enqueued until acknowledged (exit 0).
(
	i=1
	while [ $i -le $NB ]; do
		if id=$(backupctl --config "$T/pb2.conf" enqueue "u$i" 2>>"$T/burst.err"); then
			echo "$id" >>"$T/acked"
			i=$((i + 1))
		else
			sleep 0.2	# exit 3 during the failover: ask again
		fi
	done
	touch "$T/burst.done"
) &
BU=$!; t_bg $BU
wait_for 60 sh -c "[ \$(cat '$T/acked' 2>/dev/null | wc -l) -ge 10 ]"
failover A "$PA"
ok $? "kill -9 of the primary during the burst: the replica is promoted, the old node rejoins as replica"
wait_for 120 test -f "$T/burst.done"
ok $? "the burst completes against the new primary ($(grep -c . "$T/burst.err" 2>/dev/null || echo 0) refused enqueues retried)"
acked=$(wc -l <"$T/acked")

all_done() {
	while read -r id; do
		[ "$(r HGET "bk:{sn}:job:$id" state)" = succeeded ] || return 1
	done <"$T/acked"
}
wait_for 180 all_done
ok $? "every acknowledged job ($acked) succeeded"
finished=0
while read -r id; do
	[ "$(r HGET "bk:{sn}:job:$id" state)" = succeeded ] && finished=$((finished + 1))
done <"$T/acked"
# A job that ran twice shows two "job started" lines.  An enqueue refused
# during the failover (exit 3) may still have made a job that a retry
# found finished, so there may be more jobs than users, never more
# backups than jobs.
dups=$(grep -o 'msg="job started" job=[^ ]*' "$T/w.log" | sort | uniq -d | wc -l)
files=$(ls "$T"/arch/u*/ 2>/dev/null | grep -c '^backup-')
jobs=$(ctl jobs --json | /usr/bin/python3 -c 'import json,sys; print(sum(1 for j in json.load(sys.stdin)["jobs"] if j["user"].startswith("u") and j["state"]=="succeeded"))')
[ "$dups" -eq 0 ] && [ "$files" -le "$jobs" ]
ok $? "no job ran twice: $dups duplicates; $files backups for $jobs succeeded jobs"
missing=0
i=1
while [ $i -le $NB ]; do
	[ "$(ls "$T/arch/u$i" 2>/dev/null | wc -l)" -ge 1 ] || missing=$((missing + 1))
	i=$((i + 1))
done
[ $missing -eq 0 ]
ok $? "every user of the burst has a backup ($missing missing)"
echo "# failover during enqueue burst: acknowledged $acked, finished $finished, duplicates $dups"

# 2. A running backup when the (new) primary dies.
big=$(ctl enqueue big)
wait_for 30 sh -c "[ \"\$(redis-cli -p \$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p) HGET 'bk:{sn}:job:$big' phase)\" = archive ]"
ok $? "the big backup is running ($big)"
if [ "$(primary)" = "$PB" ]; then failover B "$PB"; else failover A "$PA"; fi
ok $? "kill -9 of the primary during the backup: failover done"
wait_for 180 sh -c "[ \"\$(redis-cli -p \$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p) HGET 'bk:{sn}:job:$big' state)\" = succeeded ]"
ok $? "the backup in flight finished"
starts=$(grep -c "msg=\"job started\" job=$big" "$T/w.log")
[ "$(r HGET "bk:{sn}:job:$big" attempts)" = 1 ] && [ "$starts" -eq 1 ]
ok $? "it ran exactly once (attempts 1, started $starts time)"
ls "$T/arch/big" >"$T/big.ls"
[ "$(wc -l <"$T/big.ls")" -eq 1 ] && zstd -t -q "$T/arch/big/$(cat "$T/big.ls")" &&
    zstd -dc "$T/arch/big/$(cat "$T/big.ls")" | tar -tf - | grep -q files/SLOW_big.txt
ok $? "the destination holds one complete backup ($(tr '\n' ' ' <"$T/big.ls"))"
echo "# failover during a running backup: acknowledged 1, finished 1, duplicates $((starts - 1))"

succeeded_id() { [ "$(r HGET "bk:{sn}:job:$id" state)" = succeeded ]; }

# 3. A graceful switch (SENTINEL FAILOVER): the old primary stays up and
# is demoted, so only +switch-master, -READONLY or the sentinels' CLIENT
# KILL tell the programs.
old=$(primary)
redis-cli -p "$S1" SENTINEL FAILOVER pb >/dev/null
wait_for 60 sh -c "[ \"\$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p)\" != $old ]" &&
    wait_for 60 sh -c "redis-cli -p $old ROLE | head -1 | grep -qx slave" &&
    wait_for 60 sh -c "redis-cli -p \$(redis-cli -p $S1 SENTINEL get-master-addr-by-name pb | sed -n 2p) INFO replication | grep -q '^connected_slaves:1'"
ok $? "SENTINEL FAILOVER: the primary moves from $old to $(primary), the old one is a replica"

# 4. The daemons carried on: same processes, new primary.
kill -0 $W && kill -0 $SCH && kill -0 $NOT
ok $? "worker, scheduler and notifier are still the same processes"
# Until the demoted node has resynced, WAIT refuses enqueues (exit 3):
# ask again, as the panel would.
enq_u1() { id=$(backupctl --config "$T/pb2.conf" enqueue u1 2>/dev/null); }
wait_for 90 enq_u1 && wait_for 90 succeeded_id

[ -n "$id" ] && [ "$(r HGET "bk:{sn}:job:$id" worker)" = "$(r HGET "bk:{sn}:job:$big" worker)" ]
ok $? "a new job is run by the same worker after three failovers"
grep -q 'reconnected to Redis' "$T/w.log"
ok $? "the worker logged its reconnect"

# The schedule fired through all failovers: one job per due time.
ctl jobs --json --user tick >"$T/tick.json"
/usr/bin/python3 - "$T/tick.json" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
due = [j["scheduled_for"] for j in jobs if j.get("trigger") == "scheduled"]
assert len(due) >= 3, due
assert len(due) == len(set(due)), sorted(due)
PY
ok $? "the 3 s schedule made one job per due time across the failovers ($(grep -o scheduled_for "$T/tick.json" | wc -l) jobs)"

# A clean stop: exit 0, and (sanitizer builds) no report in any log.
kill -TERM $W $SCH $NOT
wait $W; r1=$?
wait $SCH; r2=$?
wait $NOT; r3=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $r3 -eq 0 ] &&
    ! grep -l 'Sanitizer\|runtime error' "$T"/*.log "$T/burst.err" 2>/dev/null
ok $? "SIGTERM: worker, scheduler and notifier exit 0 ($r1 $r2 $r3), no sanitizer report"
t_done
