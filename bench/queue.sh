#!/bin/sh
# bench/queue.sh - the job queue's own speed, on a private redis-server:
#  - enqueue-to-start latency (p50/p99) of manual jobs with idle workers;
#  - no-op job throughput with 1 and 4 workers (backup-worker --noop: a
#    benchmark-only mode that finishes each job at once, without a child
#    process or a backup, so only the queue is measured);
#  - redis-benchmark LPUSH/LPOP on the same server, as the ceiling.
# Prints one line per figure.  JOBS=N changes the job count (default 2000).
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/bin}
JOBS=${JOBS:-2000}
# A private temp folder and redis-server, stopped and removed at exit.
. tests/lib/common.sh
t_setup
D=$T
start_redis || { echo "bench: redis-server did not start" >&2; exit 1; }
port=$REDIS_PORT
cat >"$D/pb.conf" <<CONF
REDIS_URL=redis://127.0.0.1:$port/0
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=bench
USERS_DIR=$D
JOB_RETENTION_DAYS=1
CONF
P='bk:{bench}:'
r() { redis-cli -p "$port" "$@"; }

start_workers() {
	WP=""
	for i in $(seq 1 "$1"); do
		"$BIN/backup-worker" --config "$D/pb.conf" --noop --concurrency 1 2>/dev/null &
		WP="$WP $!"
	done
	until [ "$(r ZCARD bk:workers)" -ge "$1" ]; do sleep 0.05; done
}
stop_workers() {
	for p in $WP; do kill "$p"; done
	for p in $WP; do wait "$p"; done
	r DEL bk:workers >/dev/null
}

# Latency: one job at a time with an idle worker; started_at - created_at
# (both Redis clock, ms).
start_workers 1
n=200
for i in $(seq 1 $n); do
	id=$(r FCALL bk_enqueue 1 "$P" bench "u$i" "m.u$i.lat" 0 3 | head -1)
	until [ "$(r HGET "${P}job:$id" state)" = succeeded ]; do :; done
	echo $(( $(r HGET "${P}job:$id" started_at) - $(r HGET "${P}job:$id" created_at) ))
done | sort -n >"$D/lat"
echo "enqueue-to-start latency, idle worker ($n jobs): p50 $(sed -n "$((n / 2))p" "$D/lat") ms, p99 $(sed -n "$((n * 99 / 100))p" "$D/lat") ms"
stop_workers

# Throughput: JOBS jobs of distinct users enqueued first, then drained.
through() {
	r FLUSHALL >/dev/null
	for i in $(seq 1 "$JOBS"); do
		echo "FCALL bk_enqueue 1 $P bench t$i m.t$i.x 0 3"
	done | r >/dev/null
	t0=$(date +%s%N)
	start_workers "$1"
	until [ "$(r ZCARD "${P}succeeded")" -ge "$JOBS" ]; do sleep 0.02; done
	t1=$(date +%s%N)
	stop_workers
	echo "no-op job throughput, $1 worker(s): $((JOBS * 1000000000 / (t1 - t0))) jobs/s ($JOBS jobs)"
}
through 1
through 4
redis-benchmark -p "$port" -q -n 100000 -t lpush,lpop | tr '\r' '\n' | grep 'requests per second' | sed 's/^/redis-benchmark ceiling: /'
