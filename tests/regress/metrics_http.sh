#!/bin/sh
# metrics_http.sh - backup-scheduler's METRICS_LISTEN endpoint
# (libmicrohttpd) under misbehaving clients, on a real redis-server: with
# 60 slow and 60 idle clients connected a scrape is answered well within
# a second's reach (bound: 3 s); a flood of connections never delays the
# scheduler's firing (every job is enqueued within its second); methods
# other than GET are 405; /healthz is 200 while Redis answers and 503
# after redis-server is stopped.
. "$(dirname "$0")/../lib/common.sh"
t_setup
start_redis || { echo "not ok - redis-server starts"; exit 1; }
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{mh}:'
MPORT=$(free_port)
SLOW="/usr/bin/python3 $(dirname "$0")/../servers/slow_clients.py"

mkdir -p "$T/users" "$T/files/u"
printf 'x\n' >"$T/files/u/f.txt"
cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
NODE=mh
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
TZ=UTC
MIN_SCHEDULE_INTERVAL_SECONDS=1
METRICS_LISTEN=127.0.0.1:$MPORT
CONF
printf 'BACKUP_ARCHIVE=%s/arch/u\nBACKUP_SOURCES=Files\nBACKUP_CRON_EXPRESSION=* * * * * *\n' \
    "$T" >"$T/users/u.env"
chmod 600 "$T/users/u.env"
url="http://127.0.0.1:$MPORT"

backup-scheduler --config "$T/pb.conf" 2>"$T/s.log" & t_bg $!
wait_for 10 curl -sf "$url/healthz"
ok $? "the scheduler serves /healthz on METRICS_LISTEN"

# 60 slow clients and 60 idle ones hold connections; a scrape still gets
# its answer at once.
$SLOW slow "$MPORT" 60 "$T/slow.ready" & t_bg $!
$SLOW idle "$MPORT" 60 "$T/idle.ready" & t_bg $!
wait_for 20 test -f "$T/slow.ready" -a -f "$T/idle.ready"
grep -q '^60 of 60 connected' "$T/slow.ready" &&
    grep -q '^60 of 60 connected' "$T/idle.ready"
ok $? "120 slow and idle clients are connected ($(cat "$T/slow.ready" "$T/idle.ready" | tr '\n' ' '))"
t0=$(date +%s%N)
curl -sf -m 3 "$url/metrics" >"$T/m"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 0 ] && grep -q '^panel_backup_redis_up 1' "$T/m"
ok $? "a scrape with 120 slow or idle clients connected is answered (${ms} ms, bound 3 s)"
i=0 fast=0
while [ $i -lt 10 ]; do
	curl -sf -m 3 -o /dev/null "$url/metrics" && fast=$((fast + 1))
	i=$((i + 1))
done
[ $fast -eq 10 ]
ok $? "ten scrapes in a row are answered while they hang ($fast of 10)"

# Only GET.
for m in POST PUT DELETE HEAD; do
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' -X $m "$url/metrics")
	[ "$code" = 405 ] || { echo "# $m: $code"; false; } || break
done
ok $? "POST, PUT, DELETE and HEAD are 405"
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$url/other")
[ "$code" = 404 ]
ok $? "another path is 404"

# A flood of connections (beyond the connection limit) while a job is due
# every second: the scheduler still fires on time.
$SLOW flood "$MPORT" 400 "$T/flood.ready" & FP=$!; t_bg $FP
wait_for 20 test -f "$T/flood.ready"
# The scheduler records each firing in last_fire (a job stays queued
# without a worker, so later ones coalesce): sample it for 5 s.
i=0 late=0 fires=""
while [ $i -lt 25 ]; do
	now=$(r TIME | head -1)
	lf=$(r HGET "${P}sched:u" last_fire)
	[ $((now - lf)) -le 2 ] || { late=$((late + 1)); echo "# at $now last fire $lf"; }
	fires="$fires $lf"
	i=$((i + 1))
	sleep 0.2	# sampling period, not a wait for readiness
done
n=$(echo $fires | tr ' ' '\n' | sort -u | wc -l)
kill $FP 2>/dev/null
[ $n -ge 4 ] && [ $late -eq 0 ]
ok $? "during a flood of connections the scheduler fires every second ($n firings seen in 5 s, $late late)"
[ "$(r --scan --pattern "${P}job:s.u.*" | wc -l)" -ge 1 ]
ok $? "its job is in the queue"
curl -sf -m 3 -o /dev/null "$url/metrics"
ok $? "the endpoint answers again after the flood"

# Health follows Redis.
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$url/healthz")
[ "$code" = 200 ]
ok $? "/healthz is 200 while Redis answers"
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/healthz")
[ "$code" = 503 ]
ok $? "/healthz is 503 once redis-server is stopped ($code)"
code=$(curl -s -m 5 -o "$T/m" -w '%{http_code}' "$url/metrics")
[ "$code" = 503 ] && grep -q '^panel_backup_redis_up 0' "$T/m"
ok $? "/metrics is 503 with panel_backup_redis_up 0 then"
t_done
