#!/bin/sh
# scripts/demo.sh - `make run`: a local redis-server on a free port, the
# three daemons with a generated config, a demo user with a small tree and
# BACKUP_ARCHIVE in a temp folder; enqueues a manual backup, waits for it
# and prints where it landed.  On a terminal the daemons keep running (try
# `backupctl --config $D/pb.conf jobs`) until Ctrl-C, which stops
# everything this script started; without one the script stops them and
# exits with the backup's status.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=$ROOT/bin
D=$(mktemp -d /tmp/panel-backup-demo.XXXXXX)
PIDS=""

stop() {
	trap - EXIT INT TERM
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	echo "stopped; demo files left in $D"
}
trap stop EXIT
trap 'exit 130' INT TERM

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$D/redis" "$D/users" "$D/home/demo/files/site" "$D/archive"
redis-server --port "$port" --bind 127.0.0.1 --dir "$D/redis" \
    --appendonly yes --appendfsync everysec --save '' --daemonize no \
    --logfile "$D/redis/redis.log" >/dev/null 2>&1 &
PIDS="$PIDS $!"
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
	"$BIN/$prog" --config "$D/pb.conf" 2>>"$D/$prog.log" &
	PIDS="$PIDS $!"
done
echo "redis-server on 127.0.0.1:$port, daemons running; logs in $D"
"$BIN/backupctl" --config "$D/pb.conf" enqueue demo --wait || exit $?
echo "backup landed in $D/archive/demo:"
ls -l "$D/archive/demo"
# Run by a person: keep the daemons up until Ctrl-C.  Run by a script (no
# terminal): the demo is done once the backup landed.
if [ -t 0 ]; then
	echo "try: $BIN/backupctl --config $D/pb.conf jobs   (Ctrl-C stops everything)"
	while :; do sleep 3600; done
fi
