#!/bin/sh
# tests/soak/soak.sh - `make soak`: the job system under a steady load.
#
# SOAK_USERS (500) users, every one due every minute, for SOAK_MINUTES
# (30); SOAK_WORKERS (4) backup-worker processes with SOAK_CONCURRENCY
# (2) slots each, one backup-scheduler, one backup-notifier, a local
# redis-server; every user backs up to a local folder (BACKUP_ARCHIVE), the
# first SOAK_S3_USERS (10) also to an s3rver (skipped without node).  The
# daemons are the -O2 build (build/opt/bin, or SOAK_BIN).
#
# While it runs: RSS (VmRSS) and open file descriptors (/proc/PID/fd) of
# every daemon and of redis-server, sampled each minute.  At the end the
# scheduler stops, the queue drains, and it checks (TAP lines):
#   jobs enqueued = jobs finished, none failed, no job left behind;
#   for every (user, due time) exactly one job and one backup at each
#   destination - none missing (every minute of the run, every user),
#   none duplicated, every file named by its job, and tar reads them;
#   memory flat: each daemon's last RSS within 25 % + 4 MiB of its RSS
#   after the first minute (warm-up), and its fds no more than 2 above;
#   redis-server, which keeps every job record, grows less than 4 KiB a
#   job.
# The figures go to stdout and $SOAK_REPORT (default build/soak/report.txt).
# Not part of `make test`.  Needs the 2 cores for itself: 500 jobs a minute.
. "$(dirname "$0")/../lib/common.sh"

MINUTES=${SOAK_MINUTES:-30}
USERS=${SOAK_USERS:-500}
WORKERS=${SOAK_WORKERS:-4}
CONC=${SOAK_CONCURRENCY:-2}
S3USERS=${SOAK_S3_USERS:-10}
BIN=${SOAK_BIN:-$PB_ROOT/build/opt/bin}
REPORT=${SOAK_REPORT:-$PB_ROOT/build/soak/report.txt}
[ -x "$BIN/backup-worker" ] || { echo "soak: no daemons in $BIN (make first)" >&2; exit 2; }
PATH="$BIN:$PATH"
mkdir -p "$(dirname "$REPORT")"
: >"$REPORT"
say() { echo "$*" | tee -a "$REPORT"; }

t_setup
start_redis || { echo "not ok - redis-server starts"; exit 1; }
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{soak}:'
if [ "$S3USERS" -gt 0 ] && command -v node >/dev/null; then
	. "$PB_ROOT/tests/servers/s3rver.sh"
	start_s3rver http || { echo "not ok - s3rver starts"; exit 1; }
	s3aws_config
else
	S3USERS=0
fi

# Users: a small tree each (what differs is the user, not the size).
mkdir -p "$T/users" "$T/files" "$T/arch"
i=1
while [ $i -le "$USERS" ]; do
	u=$(printf 'u%04d' $i)
	mkdir -p "$T/files/$u/site"
	printf '<h1>%s</h1>\n' "$u" >"$T/files/$u/site/index.html"
	seq 1 $((i * 3)) >"$T/files/$u/site/data.txt"
	{
		printf 'BACKUP_ARCHIVE=%s/arch/%s\n' "$T" "$u"
		printf 'BACKUP_SOURCES=Files\n'
		printf "BACKUP_CRON_EXPRESSION='* * * * *'\n"
		if [ $i -le "$S3USERS" ]; then
			printf 'AWS_S3_BUCKET_NAME=%s\nAWS_S3_PATH=%s\n' "$S3_BUCKET" "$u"
			printf 'AWS_ENDPOINT=%s\nAWS_ENDPOINT_PROTO=http\n' "$S3_ENDPOINT"
			printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$S3_AK" "$S3_SK"
		fi
	} >"$T/users/$u.env"
	chmod 600 "$T/users/$u.env"
	i=$((i + 1))
done
cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=soak
USERS_DIR=$T/users
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
MIN_SCHEDULE_INTERVAL_SECONDS=0
CONF
chmod 600 "$T/pb.conf"

# Daemons: name=pid pairs in $T/daemons.
: >"$T/daemons"
daemon() {
	name=$1
	shift
	"$@" --config "$T/pb.conf" 2>"$T/$name.log" &
	t_bg $!
	echo "$name $!" >>"$T/daemons"
}
daemon notifier backup-notifier
w=1
while [ $w -le "$WORKERS" ]; do
	daemon "worker$w" backup-worker --concurrency "$CONC"
	w=$((w + 1))
done
wait_for 20 sh -c "[ \$(redis-cli -p $REDIS_PORT ZCARD bk:workers) -ge $WORKERS ]"
ok $? "$WORKERS workers registered"
daemon scheduler backup-scheduler
SCHED=$(awk '$1 == "scheduler" { print $2 }' "$T/daemons")
echo "redis $REDIS_PID" >>"$T/daemons"
t0=$(r TIME | head -1)
say "soak: $USERS users due every minute, $WORKERS workers x $CONC slots," \
    "$S3USERS users also on S3, $MINUTES minutes from $(date -u -d @"$t0" +%FT%TZ)"

# One sample: minute name pid rss_kb fds, and the queue's depth.
sample() {
	while read -r name pid; do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		echo "$1 $name $pid ${rss:-0} $fds" >>"$T/samples"
	done <"$T/daemons"
	echo "$1 queued=$(r ZCARD "${P}q") running=$(r ZCARD "${P}active")" \
	    "retrying=$(r ZCARD "${P}delayed") succeeded=$(r ZCARD "${P}succeeded")" \
	    "failed=$(r ZCARD "${P}failed")" >>"$T/depth"
}
: >"$T/samples"
: >"$T/depth"
sample 0
m=1
while [ $m -le "$MINUTES" ]; do
	# A soak runs for a time: this sleep is the load's clock, not a wait
	# for something to get ready.
	sleep $((t0 + m * 60 - $(date +%s) > 0 ? t0 + m * 60 - $(date +%s) : 0))
	sample $m
	tail -1 "$T/depth"
	m=$((m + 1))
done
t1=$(r TIME | head -1)
kill -TERM "$SCHED"
wait "$SCHED"
ok $? "the scheduler ran $MINUTES minutes and stopped cleanly"
drained() {
	[ "$(r ZCARD "${P}q")" -eq 0 ] && [ "$(r ZCARD "${P}active")" -eq 0 ] &&
	    [ "$(r ZCARD "${P}delayed")" -eq 0 ] && [ "$(r ZCARD "${P}parked")" -eq 0 ]
}
wait_for 900 drained
ok $? "the queue drains after the scheduler stops"
sed -i '/^scheduler /d' "$T/daemons"
sample end
for name in $(awk '{ print $1 }' "$T/daemons"); do
	pid=$(awk -v n="$name" '$1 == n { print $2 }' "$T/daemons")
	kill -0 "$pid" 2>/dev/null
	ok $? "$name is still running at the end"
done

# Every job record: id user state scheduled_for attempts backups.
r EVAL "local o = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
	local h = redis.call('HMGET', k, 'id', 'user', 'state', 'scheduled_for', 'attempts', 'backups')
	for i = 1, 6 do if not h[i] then h[i] = '' end end
	o[#o + 1] = table.concat(h, '\t')
end
return o" 0 "${P}job:*" >"$T/jobs.tsv"
r XRANGE "${P}events" - + >"$T/events.txt"
# entries-added = XLEN unless MAXLEN trimmed the stream.
added=$(r XINFO STREAM "${P}events" | awk 'p == "entries-added" { print; exit } { p = $0 }')
trimmed=$([ "${added:-0}" -eq "$(r XLEN "${P}events")" ] && echo 0 || echo 1)
find "$T/arch" -type f >"$T/files.txt"
if [ "$S3USERS" -gt 0 ]; then
	s3aws s3 ls --recursive "s3://$S3_BUCKET/" >"$T/s3.txt" 2>"$T/s3.err"
	ok $? "the S3 bucket lists"
else
	: >"$T/s3.txt"
fi
/usr/bin/python3 - "$T" "$t0" "$t1" "$USERS" "$S3USERS" "$REPORT" "$trimmed" >"$T/results" <<'PY'
import collections, json, os, sys
T, t0, t1, nusers, ns3, report = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
out = open(report, "a")
# Results go to stdout as "STATUS|what" for the shell's ok(); figures to
# stderr and the report.
def ok(cond, what):
    print("%d|%s" % (0 if cond else 1, what))
def say(s):
    sys.stderr.write(s + "\n"); out.write(s + "\n")

jobs = [l.split("\t") for l in open(T + "/jobs.tsv").read().split("\n") if l]
# stream events: "event" then its value, field by field
evlines = open(T + "/events.txt").read().split("\n")
events = collections.Counter(evlines[i + 1] for i, l in enumerate(evlines[:-1]) if l == "event")
states = collections.Counter(j[2] for j in jobs)
users = ["u%04d" % i for i in range(1, nusers + 1)]
expected = set(range((t0 // 60 + 1) * 60, t1 + 1, 60))
say("jobs: %d records, states %s; events %s" % (len(jobs), dict(states), dict(events)))
ok(len(jobs) > 0 and all(j[0].startswith("s.") for j in jobs), "every job is a scheduled one (%d)" % len(jobs))
fin = states["succeeded"] + states["failed"]
ok(len(jobs) == fin, "jobs enqueued = jobs finished (%d = %d)" % (len(jobs), fin))
if sys.argv[7] == "0":
    ok(events.get("queued", 0) == len(jobs), "queued events = job records (%s = %d)" % (events.get("queued"), len(jobs)))
else:
    say("events: the stream was trimmed (MAXLEN), queued events not compared")
ok(states["failed"] == 0, "no job failed (%d)" % states["failed"])
ok(all(j[4] == "1" for j in jobs), "every job succeeded at its first attempt (%d retried)" % sum(j[4] != "1" for j in jobs))
ok(events.get("missed", 0) == 0 and events.get("coalesced", 0) == 0, "no due time missed or coalesced")

due = collections.defaultdict(list)
for j in jobs:
    due[j[1]].append(int(j[3]))
dups = {u: len(v) - len(set(v)) for u, v in due.items() if len(v) != len(set(v))}
ok(not dups, "no (user, due time) has two jobs %s" % (list(dups.items())[:3],))
missing = {u: sorted(expected - set(due.get(u, []))) for u in users}
missing = {u: v for u, v in missing.items() if v}
ok(not missing, "every user has a job for each of the %d minutes of the run (missing: %d users, e.g. %s)"
   % (len(expected), len(missing), list(missing.items())[:2]))
extra = [j for j in jobs if int(j[3]) not in expected and int(j[3]) > t1]
ok(not extra, "no job for a due time after the scheduler stopped (%d)" % len(extra))

files = collections.defaultdict(set)
for p in open(T + "/files.txt").read().split("\n"):
    if p:
        files[os.path.basename(os.path.dirname(p))].add(os.path.basename(p))
s3 = collections.defaultdict(set)
for l in open(T + "/s3.txt").read().split("\n"):
    if l.strip():
        key = l.split()[-1]
        if "/" in key:
            s3[key.split("/")[0]].add(key.split("/", 1)[1])
bad_names, bad_local, bad_s3 = [], [], []
for u in users:
    names = []
    for j in jobs:
        if j[1] == u and j[2] == "succeeded":
            b = json.loads(j[5] or "[]")
            names.append(b[0] if b else None)
            if not b or len(set(b)) != 1:
                bad_names.append((j[0], b))
    if len(set(names)) != len(names):
        bad_names.append((u, "duplicate names"))
    if files[u] != set(names):
        bad_local.append((u, len(files[u]), len(names)))
    if users.index(u) < ns3 and s3[u] != set(names):
        bad_s3.append((u, len(s3[u]), len(names)))
ok(not bad_names, "each job names one backup, the same at every destination, distinct per user %s" % bad_names[:2])
ok(not bad_local, "each user's folder holds exactly the backups of its jobs, one per due time %s" % bad_local[:3])
ok(not bad_s3, "each S3 user's prefix holds exactly the backups of its jobs (%d users) %s" % (ns3, bad_s3[:3]))
say("backups: %d local files, %d S3 objects" % (sum(len(v) for v in files.values()), sum(len(v) for v in s3.values())))

# Memory and descriptors.
done = {}
for l in open(T + "/depth").read().split("\n"):
    if l:
        done[l.split()[0]] = int(l.split("succeeded=")[1].split()[0])
done.setdefault("1", 0)
samples = collections.defaultdict(list)
for l in open(T + "/samples").read().split("\n"):
    if l:
        m, name, pid, rss, fds = l.split()
        samples[name].append((m, int(rss), int(fds)))
say("%-10s %8s %8s %8s %8s   %4s %4s %4s   (RSS in KiB; warm = after minute 1)" % ("daemon", "first", "warm", "last", "max", "fd0", "fdw", "fdN"))
for name in sorted(samples):
    s = samples[name]
    warm = next((x for x in s if x[0] == "1"), s[0])
    last = s[-1]
    say("%-10s %8d %8d %8d %8d   %4d %4d %4d" % (name, s[0][1], warm[1], last[1], max(x[1] for x in s), s[0][2], warm[2], last[2]))
    if name == "redis":
        # Redis keeps every job record JOB_RETENTION_DAYS and the events
        # up to MAXLEN: it grows with the data, so bound it per job.
        grown = max(0, last[1] - warm[1])
        per = grown * 1024.0 / max(1, done["end"] - done["1"])
        ok(per < 4096, "redis: memory grows only with the jobs it keeps (%d KiB for %d jobs: %.0f bytes a job)"
           % (grown, done["end"] - done["1"], per))
    else:
        ok(last[1] <= warm[1] * 1.25 + 4096, "%s: memory flat (RSS %d KiB after warm-up, %d at the end)" % (name, warm[1], last[1]))
    ok(last[2] <= warm[2] + 2, "%s: no descriptors leaked (%d after warm-up, %d at the end)" % (name, warm[2], last[2]))
out.close()
sys.exit(0)
PY
pyrc=$?
while IFS='|' read -r st what; do
	ok "$st" "$what"
done <"$T/results"
ok $pyrc "the counts were computed"
sched_rss=$(awk '$2 == "scheduler" { print $4 }' "$T/samples" | tr '\n' ' ')
say "scheduler RSS by minute (KiB): $sched_rss"
say "queue depth by minute:"
cat "$T/depth" | tee -a "$REPORT"
# A few archives read back with the stock tools.
for f in $(sed -n '1p;$p' "$T/files.txt"); do
	gzip -t "$f" && tar -tzf "$f" | grep -q 'files/site/index.html'
	ok $? "tar reads $(basename "$(dirname "$f")")/$(basename "$f")"
done
t_done
