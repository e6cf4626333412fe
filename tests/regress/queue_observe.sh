#!/bin/sh
# queue_observe.sh - what an operator and the panel watch, against a real
# redis-server, backup-scheduler and backup-worker: backupctl health (last
# success, last error, next run, refused schedule; exit status), stats
# --json with SPEC.md's fields, metrics read back by the Prometheus client
# library's own parser, the scheduler's /metrics listener (curl) serving
# the same families, and backupctl cancel of a waiting job.
. "$(dirname "$0")/../lib/common.sh"
t_setup
start_redis || { echo "not ok - redis-server starts"; exit 1; }
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{ob}:'
MPORT=$(free_port)

mkdir -p "$T/users" "$T/files/okay"
printf 'hello\n' >"$T/files/okay/a.txt"
# okay backs up; broken's Files source does not exist; badcron is refused.
printf 'BACKUP_ARCHIVE=%s/arch/okay\nBACKUP_SOURCES=Files\nBACKUP_CRON_EXPRESSION=0 0 1 1 *\n' "$T" >"$T/users/okay.env"
printf 'BACKUP_ARCHIVE=%s/arch/broken\nBACKUP_SOURCES=Files\nBACKUP_CRON_EXPRESSION=0 0 1 1 *\n' "$T" >"$T/users/broken.env"
printf 'BACKUP_ARCHIVE=%s/arch/badcron\nBACKUP_CRON_EXPRESSION=0 99 * * *\n' "$T" >"$T/users/badcron.env"
chmod 600 "$T/users/"*.env
conf() {
	cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=ob
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
TZ=UTC
JOB_MAX_ATTEMPTS=1
JOB_LEASE_SECONDS=5
METRICS_LISTEN=$1
CONF
}
ctl() { backupctl --config "$T/pb.conf" "$@"; }
js() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

conf "127.0.0.1:notaport"
backup-scheduler --config "$T/pb.conf" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q METRICS_LISTEN "$T/err"
ok $? "a bad METRICS_LISTEN stops the scheduler with exit 2 naming it ($(cat "$T/err"))"

conf "127.0.0.1:$MPORT"
backup-scheduler --config "$T/pb.conf" 2>"$T/s.log" & t_bg $!
backup-worker --config "$T/pb.conf" --concurrency 1 2>"$T/w.log" & WP=$!; t_bg $WP
wait_for 10 sh -c "[ \$(redis-cli -p $REDIS_PORT SCARD '${P}sched_users') -eq 3 ]"
ok $? "the scheduler published three schedules"

ctl enqueue okay --wait >/dev/null 2>&1
ok $? "a backup of okay succeeds"
ctl enqueue broken --wait >/dev/null 2>&1; [ $? -eq 1 ]
ok $? "a backup of broken fails"

year=$(( $(date -u +%Y) + 1 ))
ctl health okay --json >"$T/h"; rc=$?
[ $rc -eq 0 ] && js "assert d['status'] == 'ok' and d['node'] == 'ob' and d['last_success'] and d['last_error'] is None and d['next_run'] == '$year-01-01T00:00:00Z' and d['last_backup_bytes'] > 0, d" <"$T/h"
ok $? "health okay: ok, last success, next run $year-01-01, exit 0"
ctl health broken --json >"$T/h"; rc=$?
[ $rc -eq 1 ] && js "assert d['status'] == 'failing' and d['last_success'] is None and d['last_failure'] and 'files' in d['last_error'].lower(), d" <"$T/h"
ok $? "health broken: failing with the job's error, exit 1 ($(js 'print(d["last_error"])' <"$T/h"))"
ctl health badcron --json >"$T/h"; rc=$?
[ $rc -eq 1 ] && js "assert d['status'] == 'schedule_error' and 'BACKUP_CRON_EXPRESSION' in d['schedule_error'] and d['next_run'] is None, d" <"$T/h"
ok $? "health badcron: the refused schedule names the setting"
ctl health nobody --json >"$T/h"; rc=$?
[ $rc -eq 1 ] && js "assert d['status'] == 'unknown' and d['node'] is None, d" <"$T/h"
ok $? "health of an unknown user: unknown, exit 1"
ctl health okay | grep -q "^next run *$year-01-01T00:00:00Z"
ok $? "health prints the next run for people too"
[ "$(r HGET "${P}user:okay" last_ok_at)" -gt 0 ] && [ -n "$(r ZSCORE "${P}sched" okay)" ]
ok $? "the panel reads the same with plain HGET/ZSCORE (docs/redis-protocol.md)"

ctl stats --json | js 'n = d["nodes"][0]; assert set(n) == {"node", "queued", "running", "retrying", "succeeded_24h", "failed_24h", "canceled_24h", "oldest_queued_seconds", "workers"}, n; assert (n["node"], n["succeeded_24h"], n["failed_24h"], n["workers"]) == ("ob", 1, 1, 1), n'
ok $? "stats --json: SPEC.md's fields, one success, one failure, one worker"

ctl metrics >"$T/m1"
/usr/bin/python3 - "$T/m1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def val(fam, **lab):
    s = [x for x in fams[fam].samples if all(x.labels.get(k) == v for k, v in lab.items())]
    assert len(s) >= 1, (fam, lab)
    return s[0].value
assert val("panel_backup_redis_up") == 1
assert val("panel_backup_job_results", node="ob", result="succeeded") == 1
assert val("panel_backup_job_results", node="ob", result="failed") == 1
assert val("panel_backup_job_duration_seconds", node="ob") is not None
h = [x for x in fams["panel_backup_job_duration_seconds"].samples if x.name.endswith("_count")]
assert h and h[0].value == 1, h
assert val("panel_backup_written_bytes", node="ob") > 0
assert val("panel_backup_jobs", node="ob", state="queued") == 0
users = {x.labels["user"] for x in fams["panel_backup_last_success_timestamp_seconds"].samples}
assert users == {"okay"}, users
PY
ok $? "metrics parse with prometheus_client: totals, histogram, bytes, last success of okay only"

curl -sf "http://127.0.0.1:$MPORT/metrics" >"$T/m2"
ok $? "the scheduler serves /metrics on METRICS_LISTEN"
grep '^# TYPE' "$T/m1" >"$T/t1"; grep '^# TYPE' "$T/m2" >"$T/t2"
cmp -s "$T/t1" "$T/t2" && grep -q '^panel_backup_last_success_timestamp_seconds{user="okay",node="ob"}' "$T/m2"
ok $? "/metrics has the families of backupctl metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
[ "$code" = 404 ]
ok $? "another path is 404"

# Cancel: stop the worker so a job waits.  A canceled job ends in its own
# state "canceled" (issue 18: it used to end "failed" and count as a
# failure); stats count it in canceled_24h.
kill -TERM $WP; wait $WP
id=$(ctl enqueue okay)
wait_for 10 sh -c "backupctl --config '$T/pb.conf' stats --json | /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)[\"nodes\"][0][\"oldest_queued_seconds\"] >= 1'"
ok $? "stats shows the waiting job's age"
ctl cancel "$id" >"$T/out"; rc=$?
[ $rc -eq 0 ] && grep -q canceled "$T/out" &&
    [ "$(ctl status --json "$id" | js 'print(d["state"], d["error"])')" = "canceled canceled by request" ] &&
    [ "$(ctl stats --json | js 'print(d["nodes"][0]["canceled_24h"])')" = 1 ]
ok $? "cancel of a waiting job: it ends canceled, counted in canceled_24h"
ctl cancel "$id" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "already canceled" "$T/err"
ok $? "cancel of a finished job: exit 1, nothing to cancel"
ctl cancel m.nobody.1.0 2>/dev/null; [ $? -eq 1 ]
ok $? "cancel of an unknown job: exit 1"
[ "$(r ZCARD "${P}q")" -eq 0 ]
ok $? "the canceled job left the queue"
t_done
