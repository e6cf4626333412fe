#!/bin/sh
# bench/scale.sh - backup-scheduler at scale (make bench-scale), on a
# private redis-server:
#  - N users (default 100,000; N=... to change), each with a distinct
#    BACKUP_CRON_EXPRESSION; BURST of them (default 20,000) are due at the
#    same minute (the first minute boundary at least LEAD seconds after the
#    files are written), the others at other minutes of the day;
#  - start-up: time from launch until every schedule is in Redis, and the
#    scheduler's CPU time for it;
#  - the burst: enqueue lag of each due job (its "queued" event time minus
#    its due time), p50 / p99 / max, and when the last one was queued;
#  - scheduler RSS (current and peak);
#  - Redis memory per user (schedules) and per job (queued, and finished
#    by backup-worker --noop, the benchmark-only mode that finishes a job
#    without a backup).
# No fake clock: the scheduler runs in real time and the burst is a real
# minute boundary.  Prints one line per figure.
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/bin}
N=${N:-100000}
BURST=${BURST:-20000}
LEAD=${LEAD:-40}
# A private temp folder and redis-server, stopped and removed at exit.
. tests/lib/common.sh
t_setup
D=$T
start_redis || { echo "bench: redis-server did not start" >&2; exit 1; }
port=$REDIS_PORT
r() { redis-cli -p "$port" "$@"; }
mem() { r INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
P='bk:{scale}:'
mkdir -p "$D/users"
cat >"$D/pb.conf" <<CONF
REDIS_URL=redis://127.0.0.1:$port/0
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=scale
USERS_DIR=$D/users
ARCHIVE_ROOT=/
TZ=UTC
JOB_RETENTION_DAYS=1
LOG_LEVEL=warn
CONF

# Users: "0 MIN HOUR * MONTHS WEEKDAYS" with month and weekday lists that
# contain today, so every expression is distinct yet BURST fire together.
burst=$(/usr/bin/python3 - "$D/users" "$N" "$BURST" "$LEAD" <<'PY'
import itertools, os, sys, time
d, n, burst, lead = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.time()
# Writing takes a while: aim past it.
due = (int(t0 + lead + n / 20000) // 60 + 1) * 60
tm = time.gmtime(due)
mon, wd = tm.tm_mon, (tm.tm_wday + 1) % 7          # cron: 0 = Sunday
months = [m for m in range(1, 13) if m != mon]
wdays = [w for w in range(7) if w != wd]
def lists():
    for k in range(1 << 11):
        ms = sorted([mon] + [months[i] for i in range(11) if k >> i & 1])
        for j in range(1 << 6):
            ws = sorted([wd] + [wdays[i] for i in range(6) if j >> i & 1])
            yield ",".join(map(str, ms)), ",".join(map(str, ws))
gen = lists()
bmin, bhour = tm.tm_min, tm.tm_hour
for i in range(n):
    ms, ws = next(gen)
    if i < burst:
        mi, h = bmin, bhour
    else:
        slot = (bhour * 60 + bmin + 1 + i % 1430) % 1440   # never the burst minute
        mi, h = slot % 60, slot // 60
    with open(os.path.join(d, "u%06d.env" % i), "w") as f:
        f.write("BACKUP_ARCHIVE=/srv/backups/u%06d\nBACKUP_SOURCES=Files\n"
                "BACKUP_CRON_EXPRESSION=0 %d %d * %s %s\n" % (i, mi, h, ms, ws))
print(due)
PY
)
echo "users: $N files written, $BURST due at $(date -u -d @"$burst" +%H:%M:%SZ)"
m0=$(mem)
hz=$(getconf CLK_TCK)
cpu() { awk -v hz="$hz" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
rss() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }

start=$(date +%s.%N)
"$BIN/backup-scheduler" --config "$D/pb.conf" 2>"$D/sched.log" &
SP=$!; t_bg $SP
until [ "$(r ZCARD "${P}sched")" -ge "$N" ]; do
	kill -0 $SP 2>/dev/null || { echo "scheduler died"; cat "$D/sched.log"; exit 1; }
	sleep 0.05
done
up=$(date +%s.%N)
echo "start-up: $(echo "$up - $start" | bc | sed 's/^\./0./') s until all $N schedules are in Redis (scheduler CPU $(cpu $SP) s)"
m1=$(mem)
echo "redis memory per user (schedule): $(( (m1 - m0) / N )) bytes"
echo "scheduler RSS after start-up: $(( $(rss $SP VmRSS) / 1024 )) MiB"
now=$(date +%s)
[ "$now" -lt "$burst" ] || { echo "start-up ran past the burst minute: raise LEAD"; exit 1; }
c0=$(cpu $SP)
until [ "$(r XLEN "${P}events")" -ge "$BURST" ] && [ "$(date +%s)" -ge $((burst + 3)) ]; do
	sleep 0.2
	[ "$(date +%s)" -gt $((burst + 60)) ] && break
done
echo "burst: scheduler CPU $(echo "$(cpu $SP) - $c0" | bc | sed 's/^\./0./') s for the minute"
r --raw XRANGE "${P}events" - + >"$D/events"
/usr/bin/python3 - "$D/events" "$burst" "$BURST" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
due_ms, want = int(sys.argv[2]) * 1000, int(sys.argv[3])
lags, cur = [], {}
i = 0
while i < len(lines) - 1:
    if lines[i] in ("event", "job", "time"):
        cur[lines[i]] = lines[i + 1]
        if lines[i] == "time":
            if cur.get("event") == "queued" and cur.get("job", "").endswith(".%d" % (due_ms // 1000)):
                lags.append(int(cur["time"]) - due_ms)
            cur = {}
        i += 2
        continue
    i += 1
lags.sort()
if not lags:
    print("burst: no job queued"); sys.exit(1)
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
print("burst: %d of %d jobs queued; enqueue lag p50 %d ms, p99 %d ms, max %d ms"
      % (len(lags), want, q(0.5), q(0.99), lags[-1]))
PY
echo "scheduler RSS: $(( $(rss $SP VmRSS) / 1024 )) MiB now, peak $(( $(rss $SP VmHWM) / 1024 )) MiB"
m2=$(mem)
queued=$(r ZCARD "${P}q")
[ "$queued" -gt 0 ] && echo "redis memory per queued job: $(( (m2 - m1) / queued )) bytes (job hash, queue entry, user hash, event)"
for i in 1 2 3 4; do
	"$BIN/backup-worker" --config "$D/pb.conf" --noop --concurrency 1 2>/dev/null &
	t_bg $!
done
t0=$(date +%s.%N)
until [ "$(r ZCARD "${P}q")" -eq 0 ] && [ "$(r ZCARD "${P}active")" -eq 0 ]; do sleep 0.2; done
t1=$(date +%s.%N)
m3=$(mem)
done_n=$(r ZCARD "${P}succeeded")
echo "finished $done_n jobs with 4 no-op workers in $(echo "$t1 - $t0" | bc | sed 's/^\./0./') s"
[ "$done_n" -gt 0 ] && echo "redis memory per finished job: $(( (m3 - m1) / done_n )) bytes (job hash kept JOB_RETENTION_DAYS, index entry, events, last-success entry)"
