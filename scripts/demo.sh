#!/bin/sh
# scripts/demo.sh - `make run`: a local redis-server on a free port, the
# three daemons with a generated config, a demo user with a small tree and
# BACKUP_ARCHIVE in a temp folder; enqueues a manual backup, waits for it
# and prints where it landed.  On a terminal the daemons keep running (try
# `backupctl --config $D/pb.conf jobs`) until Ctrl-C, which stops
# everything this script started and exits 0; without one (or with
# DEMO_ONESHOT=1) the script stops them and exits with the backup's status.
#
# Ctrl-C: the terminal sends SIGINT to its whole foreground process group.
# Were that make, this script, Redis and the daemons together, Redis would
# quit first (daemons then log "cannot reach Redis") and make would end
# with "Error 130" whatever this script does.  So on a terminal the script
# runs in a process group of its own that it makes the foreground one
# (scripts/demo_fg.py, as a shell does for a job), and Redis and the
# daemons run in sessions of their own (setsid): a Ctrl-C reaches this
# script only, which stops the daemons, then Redis, in that order.
set -u
cd "$(dirname "$0")/.."
if [ -t 0 ] && [ -z "${DEMO_FG:-}" ] && [ -z "${DEMO_ONESHOT:-}" ]; then
	DEMO_FG=1 exec python3 scripts/demo_fg.py sh "$0" "$@"
fi
ROOT=$(pwd)
BIN=$ROOT/bin
D=$(mktemp -d /tmp/panel-backup-demo.XXXXXX)
PIDS=""
REDIS_PID=""
status=0

stop() {
	trap - EXIT INT TERM
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -z "$REDIS_PID" ] || { kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; }
	echo "demo stopped; its files are left in $D"
}
trap stop EXIT
trap 'echo; exit 0' INT
trap 'exit 143' TERM

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$D/redis" "$D/users" "$D/home/demo/files/site" "$D/archive"
setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$D/redis" \
    --appendonly yes --appendfsync everysec --save '' --daemonize no \
    --logfile "$D/redis/redis.log" >/dev/null 2>&1 </dev/null &
REDIS_PID=$!
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "redis-server did not start" >&2; exit 3; }
	sleep 0.05
done

cat >"$D/pb.conf" <<CONF
REDIS_URL=redis://127.0.0.1:$port/0
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=demo
USERS_DIR=$D/users
ARCHIVE_ROOT=$D/archive/{user}
SOURCE_FILES=$D/home/{user}/files
JOB_LEASE_SECONDS=15
STATE_DIR=$D/state
TEMP_DIR=$D/tmp
CONF
chmod 600 "$D/pb.conf"
printf '<h1>hello</h1>\n' >"$D/home/demo/files/site/index.html"
seq 1 5000 >"$D/home/demo/files/site/data.txt"
cat >"$D/users/demo.env" <<ENV
BACKUP_ARCHIVE=/
BACKUP_SOURCES=Files
BACKUP_CRON_EXPRESSION=@daily
ENV
chmod 600 "$D/users/demo.env"

for prog in backup-scheduler backup-worker backup-notifier; do
	setsid "$BIN/$prog" --config "$D/pb.conf" </dev/null >/dev/null \
	    2>>"$D/$prog.log" &
	PIDS="$PIDS $!"
done
echo "redis-server on 127.0.0.1:$port, daemons running; logs in $D"
"$BIN/backupctl" --config "$D/pb.conf" enqueue demo --wait || exit $?
echo "backup landed in $D/archive/demo:"
ls -l "$D/archive/demo"
# Run by a person: keep the daemons up until Ctrl-C.  Run by a script (no
# terminal) or with DEMO_ONESHOT=1: the demo is done once the backup landed.
if [ -t 0 ] && [ -z "${DEMO_ONESHOT:-}" ]; then
	echo "try: $BIN/backupctl --config $D/pb.conf jobs   (Ctrl-C stops everything)"
	# sleep in the background and wait: the INT trap runs at once
	while :; do sleep 3600 & wait $!; done
fi
