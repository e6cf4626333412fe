#!/bin/sh
# yield_limits.sh - backups that yield (worker/yield.c): with
# JOB_UPLOAD_LIMIT_KBPS a 64 MiB upload to a local sshd takes about
# 64/N s; NODE_UPLOAD_LIMIT_KBPS is one budget for all slots of a worker;
# JOB_READ_LIMIT_KBPS paces source reads; the job process runs with
# JOB_NICE and JOB_IO_CLASS (read back from /proc/PID/stat and ionice -p);
# the load gate holds a taken job in phase waiting-load while the I/O
# pressure (WORKER_IO_PRESSURE_FILE) or the load average is above its
# threshold, and starts it when it drops.  Prints "# rate: ..." lines.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/sshd.sh"
t_setup

mkdir -p "$T/sshd" "$T/users" "$T/files/alice" "$T/state" "$T/tmp"
sshd_user || { echo "not ok 1 - cannot create the test login"; exit 1; }
sshd_start || { echo "not ok 1 - sshd did not start"; exit 1; }
head -c 67108864 /dev/urandom >"$T/files/alice/big.bin"	# 64 MiB
cat >"$T/users/alice.env" <<EOF
SSH_HOST_NAME=127.0.0.1
SSH_PORT=$SSHD_PORT
SSH_USER=$SFTP_USER
SSH_PASSWORD=$SFTP_PASSWORD
SSH_REMOTE_PATH=$SFTP_HOME/backups
SSH_HOST_KEY_FINGERPRINT=$(sshd_fingerprint)
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=none
EOF
chmod 600 "$T/users/alice.env"
admin() {	# admin FILE LINES...
	_f=$1
	shift
	{
		printf 'STATE_DIR=%s/state\nTEMP_DIR=%s/tmp\nSOURCE_FILES=%s/files/{user}\nUSERS_DIR=%s/users\n' \
		    "$T" "$T" "$T" "$T"
		echo 'OUTBOUND_ALLOW=127.0.0.0/8,::1'
		echo 'ARCHIVE_ROOT=/'
		for l in "$@"; do echo "$l"; done
	} >"$_f"
	chmod 600 "$_f"
}
now() { date +%s.%N; }
secs() { /usr/bin/python3 -c "print('%.2f' % ($2 - $1))"; }
within() { /usr/bin/python3 -c "import sys; sys.exit(0 if $2 <= $1 <= $3 else 1)"; }

# 1. Per job: 16 MiB/s -> 64 MiB in about 4 s (band 3-12 s).
admin "$T/lim.conf" JOB_UPLOAD_LIMIT_KBPS=16384
t0=$(now)
backupctl --config "$T/lim.conf" run alice >"$T/run1.out" 2>&1; rc=$?
t1=$(now)
el=$(secs "$t0" "$t1")
[ $rc -eq 0 ] && within "$el" 3 12
ok $? "JOB_UPLOAD_LIMIT_KBPS=16384: 64 MiB over SFTP in ${el} s (expected about 4 s)"
echo "# rate: SFTP upload, limit 16 MiB/s: 64 MiB in ${el} s = $(/usr/bin/python3 -c "print('%.1f' % (64 / $el))") MiB/s"
admin "$T/lim8.conf" JOB_UPLOAD_LIMIT_KBPS=8192
t0=$(now)
backupctl --config "$T/lim8.conf" run alice >"$T/run2.out" 2>&1; rc=$?
el=$(secs "$t0" "$(now)")
[ $rc -eq 0 ] && within "$el" 6.5 20
ok $? "JOB_UPLOAD_LIMIT_KBPS=8192: 64 MiB over SFTP in ${el} s (expected about 8 s)"
echo "# rate: SFTP upload, limit 8 MiB/s: 64 MiB in ${el} s = $(/usr/bin/python3 -c "print('%.1f' % (64 / $el))") MiB/s"
admin "$T/free.conf"
t0=$(now)
backupctl --config "$T/free.conf" run alice >"$T/run0.out" 2>&1; rc=$?
el=$(secs "$t0" "$(now)")
[ $rc -eq 0 ]
ok $? "no limit (the default): 64 MiB over SFTP in ${el} s"
echo "# rate: SFTP upload, no limit: 64 MiB in ${el} s"

# The user's own limit, below the admin's (none here).
sed 's/^BACKUP_COMPRESSION=none$/&\nBACKUP_UPLOAD_LIMIT_KBPS=16384/' "$T/users/alice.env" >"$T/alice-lim.env"
t0=$(now)
backupctl --config "$T/free.conf" run --env-file "$T/alice-lim.env" --user alice >"$T/run4.out" 2>&1; rc=$?
el=$(secs "$t0" "$(now)")
[ $rc -eq 0 ] && within "$el" 3 12
ok $? "user BACKUP_UPLOAD_LIMIT_KBPS=16384 under no admin limit: 64 MiB in ${el} s (expected about 4 s)"

# 2. Read rate: 8 MiB/s -> 64 MiB read in about 8 s.
admin "$T/read.conf" JOB_READ_LIMIT_KBPS=8192
t0=$(now)
backupctl --config "$T/read.conf" run alice >"$T/run3.out" 2>&1; rc=$?
el=$(secs "$t0" "$(now)")
[ $rc -eq 0 ] && within "$el" 6.5 20
ok $? "JOB_READ_LIMIT_KBPS=8192: 64 MiB read in ${el} s (expected about 8 s)"
echo "# rate: source read, limit 8 MiB/s: 64 MiB in ${el} s"

# The queue part: a worker per setting.
start_redis || { echo "not ok - redis-server starts"; exit 1; }
for u in b1 b2; do
	mkdir -p "$T/files/$u"
	head -c 33554432 /dev/urandom >"$T/files/$u/half.bin"	# 32 MiB
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\n' "$T" $u >"$T/users/$u.env"
done
mkdir -p "$T/files/slow" "$T/files/slow2"
head -c 8388608 /dev/urandom >"$T/files/slow/s.bin"
cp "$T/files/slow/s.bin" "$T/files/slow2/"
printf 'BACKUP_ARCHIVE=%s/arch/slow\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\n' "$T" >"$T/users/slow.env"
printf 'BACKUP_ARCHIVE=%s/arch/slow2\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=none\nBACKUP_NICE=12\n' "$T" >"$T/users/slow2.env"
chmod 600 "$T/users/"*.env
qconf() {	# qconf FILE LINES...
	_f=$1
	shift
	admin "$_f" "REDIS_URL=$REDIS_URL" NODE=yn JOB_LEASE_SECONDS=10 "$@"
}
P='bk:{yn}:'
hget() { redis-cli -p "$REDIS_PORT" HGET "${P}job:$1" "$2"; }
W=
worker() {	# worker CONF [N]: $W
	[ -z "$W" ] || { kill "$W"; wait "$W"; } 2>/dev/null
	backup-worker --config "$1" --concurrency "${2:-1}" 2>>"$T/w.log" &
	W=$!
	t_bg $W
	wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
}
succeeded() { [ "$(hget "$1" state)" = succeeded ]; }

# 3. Per node: two jobs at once share 16 MiB/s -> 64 MiB in about 4 s,
# not 2 s as two separate 16 MiB/s budgets would give.
qconf "$T/node.conf" NODE_UPLOAD_LIMIT_KBPS=16384
worker "$T/node.conf" 2
t0=$(now)
j1=$(backupctl --config "$T/node.conf" enqueue b1)
j2=$(backupctl --config "$T/node.conf" enqueue b2)
wait_for 60 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j1' state)\" = succeeded ] && [ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j2' state)\" = succeeded ]"
rc=$?
el=$(secs "$t0" "$(now)")
[ $rc -eq 0 ] && within "$el" 3 15
ok $? "NODE_UPLOAD_LIMIT_KBPS=16384: two 32 MiB jobs in two slots took ${el} s together (expected about 4 s)"
echo "# rate: node budget 16 MiB/s, 2 slots x 32 MiB: ${el} s = $(/usr/bin/python3 -c "print('%.1f' % (64 / $el))") MiB/s"

# 4. Priority: the job process (and what it starts) runs at JOB_NICE and
# in JOB_IO_CLASS; the read limit keeps the job running long enough.
qconf "$T/prio.conf" JOB_NICE=7 JOB_IO_CLASS=idle JOB_READ_LIMIT_KBPS=1024
worker "$T/prio.conf"
j=$(backupctl --config "$T/prio.conf" enqueue slow)
wait_for 20 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j' state)\" = running ] && pgrep -P $W >/dev/null"
child=$(pgrep -P "$W" | head -1)
nice=$(sed 's/^.*) //' "/proc/$child/stat" | cut -d' ' -f17)
cls=$(ionice -p "$child")
[ "$nice" = 7 ] && [ "$cls" = idle ]
ok $? "the job process $child runs with nice $nice and I/O class \"$cls\" (JOB_NICE=7, JOB_IO_CLASS=idle)"
# (the niceness the test itself was started with: make test under nice)
[ "$(sed 's/^.*) //' "/proc/$W/stat" | cut -d' ' -f17)" = "$(nice)" ] && [ "$(ionice -p "$W" | cut -d: -f1)" != idle ]
ok $? "the worker itself keeps its priority (nice $(nice))"
wait_for 30 succeeded "$j"
ok $? "the yielding job finishes"
j=$(backupctl --config "$T/prio.conf" enqueue slow2)
wait_for 20 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j' phase)\" = archive ] && pgrep -P $W >/dev/null"
nice=$(sed 's/^.*) //' "/proc/$(pgrep -P "$W" | head -1)/stat" | cut -d' ' -f17)
[ "$nice" = 12 ]
ok $? "user BACKUP_NICE=12 above the admin's JOB_NICE=7: nice $nice"
wait_for 30 succeeded "$j"
qconf "$T/be.conf" JOB_IO_CLASS=best-effort JOB_IO_LEVEL=6 JOB_READ_LIMIT_KBPS=1024
worker "$T/be.conf"
j=$(backupctl --config "$T/be.conf" enqueue slow)
wait_for 20 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j' state)\" = running ] && pgrep -P $W >/dev/null"
cls=$(ionice -p "$(pgrep -P "$W" | head -1)")
[ "$cls" = "best-effort: prio 6" ]
ok $? "JOB_IO_CLASS=best-effort JOB_IO_LEVEL=6: \"$cls\""
wait_for 30 succeeded "$j"

# 5. The gate on I/O pressure: a PSI file the test writes (the knob is
# meant for a cgroup's io.pressure).
printf 'some avg10=90.00 avg60=50.00 avg300=10.00 total=1\nfull avg10=80.00 avg60=40.00 avg300=5.00 total=1\n' >"$T/io.pressure"
qconf "$T/gate.conf" WORKER_MAX_IO_PRESSURE=40 "WORKER_IO_PRESSURE_FILE=$T/io.pressure"
worker "$T/gate.conf"
j=$(backupctl --config "$T/gate.conf" enqueue b1)
wait_for 10 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j' phase)\" = waiting-load ]"
ok $? "I/O pressure 90% > WORKER_MAX_IO_PRESSURE=40: the job waits in phase waiting-load"
backupctl --config "$T/gate.conf" status "$j" 2>/dev/null | grep -q waiting-load
ok $? "backupctl status shows the wait"
# Held for several heartbeats, never started.
sleep 3	# the condition under test is "nothing happens for a while"
[ "$(hget "$j" phase)" = waiting-load ] && ! pgrep -P "$W" >/dev/null
ok $? "still held 3 s later, no job process started"
printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n' >"$T/io.pressure"
wait_for 30 succeeded "$j"
ok $? "the pressure drops: the job starts and succeeds"
[ "$(hget "$j" attempts)" = 1 ]
ok $? "the wait spent no extra attempt"

# 6. The gate on the load average: a threshold below the current load
# holds the job; SIGTERM hands it back; a worker with the threshold
# raised runs it.
qconf "$T/load.conf" WORKER_MAX_LOAD=0.001
worker "$T/load.conf"
j=$(backupctl --config "$T/load.conf" enqueue b2)
wait_for 10 sh -c "[ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:$j' phase)\" = waiting-load ]"
ok $? "load $(cut -d' ' -f1 /proc/loadavg) > WORKER_MAX_LOAD=0.001: the job waits in phase waiting-load"
kill -TERM "$W"
wait "$W"
W=
[ "$(hget "$j" state)" = queued ]
ok $? "SIGTERM hands the waiting job back to the queue"
qconf "$T/load2.conf" WORKER_MAX_LOAD=100000
worker "$T/load2.conf"
wait_for 30 succeeded "$j"
ok $? "threshold raised: the job runs and succeeds"
kill -TERM "$W"
wait "$W"; rc=$?
W=
[ $rc -eq 0 ] && ! grep -l 'Sanitizer\|runtime error' "$T"/*.log "$T"/*.out 2>/dev/null
ok $? "the last worker exits 0 on SIGTERM ($rc), no sanitizer report"
t_done
