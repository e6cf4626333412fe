#!/bin/sh
# queue_sched.sh - two backup-schedulers and two backup-workers on one
# real redis-server: exactly one job per (user, due time); invalid and
# too-frequent schedules become one error event each, never a crash; users
# added and removed are noticed without a restart; a due time missed while
# no scheduler ran fires once within MISFIRE_GRACE, else a "missed" event;
# backup-notifier consumes the events.
. "$(dirname "$0")/../lib/common.sh"
t_setup
start_redis || { echo "not ok - redis-server starts"; exit 1; }
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{sn}:'

mkdir -p "$T/users" "$T/files/u1" "$T/files/u2" "$T/files/u4"
for u in u1 u2 u4; do printf '%s\n' "$u" >"$T/files/$u/f.txt"; done
cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=sn
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
MIN_SCHEDULE_INTERVAL_SECONDS=2
MISFIRE_GRACE=1h
JOB_LEASE_SECONDS=5
CONF
user() {
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\nBACKUP_CRON_EXPRESSION=%s\n' \
	    "$T" "$1" "$2" >"$T/users/$1.env.tmp"
	chmod 600 "$T/users/$1.env.tmp"
	mv "$T/users/$1.env.tmp" "$T/users/$1.env"
}
user u1 '*/3 * * * * *'
user bad1 '61 * * * *'
user fast '* * * * * *'
user u3 '0 0 1 1 *'
user u4 '0 0 1 1 *'

# Due times missed while no scheduler ran (Redis clock).
now=$(r TIME | head -1)
r HSET "${P}sched:u3" expr '0 0 1 1 *' >/dev/null
r HSET "${P}sched:u4" expr '0 0 1 1 *' >/dev/null
r SADD "${P}sched_users" u3 u4 >/dev/null
r ZADD "${P}sched" $((now - 7200)) u3 $((now - 60)) u4 >/dev/null
r SADD bk:nodes sn >/dev/null

backup-notifier --config "$T/pb.conf" 2>"$T/n.log" & NP=$!; t_bg $NP
for i in 1 2; do
	backup-scheduler --config "$T/pb.conf" 2>"$T/s$i.log" &
	eval "S$i=\$!"; t_bg $!
	backup-worker --config "$T/pb.conf" --concurrency 2 2>"$T/w$i.log" &
	t_bg $!
done

jobs_of() { r --scan --pattern "${P}job:s.$1.*" | wc -l; }
wait_for 30 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCOUNT '${P}succeeded' -inf +inf) -ge 5 ] && [ \$(redis-cli -p $REDIS_PORT --scan --pattern '${P}job:s.u1.*' | wc -l) -ge 4 ]"
ok $? "a user due every 3 s gets jobs while two schedulers run"

# inotify: a new user is picked up without a restart.
user u2 '*/3 * * * * *'
wait_for 15 sh -c "[ \$(redis-cli -p $REDIS_PORT --scan --pattern '${P}job:s.u2.*' | wc -l) -ge 1 ]"
ok $? "a user file added while running is scheduled without a restart"
rm "$T/users/u1.env"
wait_for 10 sh -c "[ -z \"\$(redis-cli -p $REDIS_PORT ZSCORE '${P}sched' u1)\" ]"
ok $? "a removed user file drops the schedule"
n1=$(jobs_of u1)
kill -TERM $S1 $S2
wait $S1; rc1=$?; wait $S2; rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
ok $? "both schedulers ran to the end without a crash"

# Exactly one job per due time: every queued event of u1 is a distinct job
# and consecutive due times are 3 s apart (no slot fired twice or lost).
r XRANGE "${P}events" - + >"$T/events"
/usr/bin/python3 - "$T/events" "$n1" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
evs, cur = [], None
for i, l in enumerate(lines):
    if l == "event":
        cur = {}; evs.append(cur)
    if cur is not None and i + 1 < len(lines) and l in ("event", "job", "user", "trigger", "error"):
        cur[l] = lines[i + 1]
q = [e["job"] for e in evs if e.get("event") == "queued" and e.get("user") == "u1"]
assert len(q) == len(set(q)) == int(sys.argv[2]), (q, sys.argv[2])
dues = sorted(int(j.rsplit(".", 1)[1]) for j in q)
gaps = {b - a for a, b in zip(dues, dues[1:])}
assert gaps == {3}, dues
PY
ok $? "exactly one job per due time for u1 ($n1 jobs, 3 s apart)"
wait_for 20 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD '${P}active') -eq 0 ] && [ \$(redis-cli -p $REDIS_PORT ZCARD '${P}q') -eq 0 ]"
okd=$(r ZRANGE "${P}succeeded" 0 -1 | grep -c '^s\.u1\.')
[ "$(ls "$T/arch/u1" | wc -l)" -eq "$okd" ] && [ "$okd" -eq "$n1" ]
ok $? "the destination holds one backup per job"

err_for() { grep -A8 '^error$' "$T/events" | grep -c "^$1\$"; }
[ "$(err_for bad1)" -eq 1 ] && r HGET "${P}sched:bad1" error | grep -q BACKUP_CRON_EXPRESSION
ok $? "an invalid schedule gives one error event naming the setting"
[ "$(err_for fast)" -eq 1 ] && r HGET "${P}sched:fast" error | grep -q MIN_SCHEDULE_INTERVAL_SECONDS
ok $? "a schedule firing more often than MIN_SCHEDULE_INTERVAL_SECONDS is refused"
[ -z "$(r --scan --pattern "${P}job:s.fast.*")" ] && [ -z "$(r --scan --pattern "${P}job:s.bad1.*")" ]
ok $? "refused schedules make no jobs"

grep -A8 '^missed$' "$T/events" | grep -qx u3 && [ -z "$(r --scan --pattern "${P}job:s.u3.*")" ]
ok $? "a due time older than MISFIRE_GRACE becomes a missed event, no job"
[ "$(r --scan --pattern "${P}job:s.u4.*" | wc -l)" -eq 1 ]
ok $? "a due time missed within MISFIRE_GRACE fires once"
[ "$(r ZSCORE "${P}sched" u4)" -gt "$now" ]
ok $? "after a misfire the next due time is in the future (no catch-up storm)"

wait_for 10 grep -q 'event=missed.*user=u3' "$T/n.log"
ok $? "backup-notifier consumed the missed event"
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT XPENDING '${P}events' notifier | head -1) -eq 0 ]"
ok $? "backup-notifier acknowledged every event"
kill -TERM $NP; wait $NP
before=$(grep -c 'msg=event' "$T/n.log")
r XADD "${P}events" '*' event succeeded job x user nobody >/dev/null
backup-notifier --config "$T/pb.conf" 2>"$T/n2.log" & NP2=$!; t_bg $NP2
wait_for 10 grep -q 'user=nobody' "$T/n2.log"
[ "$(grep -c 'msg=event' "$T/n2.log")" -eq 1 ] && [ "$before" -gt 0 ]
ok $? "a restarted notifier handles only new events"
t_done
