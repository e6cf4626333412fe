#!/bin/sh
# queue_nodes.sh - three nodes (NODE=n1, n2, n3: three servers simulated
# on one machine) share one real redis-server: each backup-worker runs only
# the jobs of its own node, a node without a worker keeps its jobs queued
# while the others are idle, and backupctl stats / jobs / workers see every
# node.
. "$(dirname "$0")/../lib/common.sh"
t_setup
start_redis || { echo "not ok - redis-server starts"; exit 1; }
r() { redis-cli -p "$REDIS_PORT" "$@"; }

mkdir -p "$T/users"
for u in a1 a2 a3 b1 b2 b3 c1; do
	mkdir -p "$T/files/$u"
	printf '%s\n' "$u" >"$T/files/$u/f.txt"
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\n' "$T" "$u" >"$T/users/$u.env"
done
chmod 600 "$T/users/"*.env
for n in n1 n2 n3; do
	cat >"$T/$n.conf" <<CONF
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=$n
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
JOB_LEASE_SECONDS=5
CONF
done
ctl() { _n=$1; shift; backupctl --config "$T/$_n.conf" "$@"; }
js() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

for n in n1 n2; do
	backup-worker --config "$T/$n.conf" --concurrency 2 2>"$T/w-$n.log" &
	t_bg $!
done
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD bk:workers) -eq 2 ]"
ok $? "two workers registered"

# Jobs for n1, n2 and n3 (which has no worker yet).
ids=""
for u in a1 a2 a3; do ids="$ids $(ctl n1 enqueue $u)"; done
for u in b1 b2 b3; do ids="$ids $(ctl n2 enqueue $u)"; done
c1=$(ctl n3 enqueue c1)
wait_for 30 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD 'bk:{n1}:succeeded') -eq 3 ] && [ \$(redis-cli -p $REDIS_PORT ZCARD 'bk:{n2}:succeeded') -eq 3 ]"
ok $? "the jobs of n1 and n2 all succeed"

bad=0
for id in $ids; do
	st=$(ctl n1 status --json "$id")
	echo "$st" | js 'assert d["state"] == "succeeded" and d["worker"].startswith(d["node"] + "."), d' || bad=1
done
[ $bad -eq 0 ]
ok $? "each job ran on a worker of its own node"
[ "$(ctl n3 status --json "$c1" | js 'print(d["state"])')" = queued ]
ok $? "a node without a worker keeps its job queued while other nodes idle"
[ ! -e "$T/arch/c1" ]
ok $? "no other node's worker wrote c1's backup"

ctl n1 stats --json >"$T/stats"
js 'n = {x["node"]: x for x in d["nodes"]}; assert set(n) == {"n1", "n2", "n3"}, n; assert [n[k]["succeeded_24h"] for k in ("n1", "n2", "n3")] == [3, 3, 0], n; assert [n[k]["workers"] for k in ("n1", "n2", "n3")] == [1, 1, 0], n; assert n["n3"]["queued"] == 1, n' <"$T/stats"
ok $? "stats --json from any node counts every node's jobs and workers"
ctl n2 jobs --json | js 'assert len(d["jobs"]) == 7 and {j["node"] for j in d["jobs"]} == {"n1", "n2", "n3"}, d'
ok $? "jobs --json lists the jobs of every node"

backup-worker --config "$T/n3.conf" --concurrency 1 2>"$T/w-n3.log" &
t_bg $!
wait_for 20 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD 'bk:{n3}:succeeded') -eq 1 ]"
ok $? "a worker started on n3 takes n3's waiting job at once"
[ "$(grep -c 'msg="job started"' "$T/w-n3.log")" -eq 1 ] &&
    ! grep -q 'user=[ab][123]' "$T/w-n3.log"
ok $? "the n3 worker ran only n3's job"
ctl n1 workers --json | js 'assert sorted(w["node"] for w in d["workers"]) == ["n1", "n2", "n3"], d'
ok $? "workers --json shows one live worker per node"
t_done
