# tests/lib/common.sh - shared helpers of the black-box tests (POSIX sh).
#
#	. "$PB_ROOT/tests/lib/common.sh"
#	t_setup			# $T: a private temp dir removed at exit
#	ok "$cond_exit_status" "description"   (use: check CMD...; ok $? "...")
#	port=$(free_port)
#	start_redis		# $REDIS_PORT, $REDIS_URL
#	wait_for 10 CMD...	# poll a readiness check, no blind sleeps
#	t_done			# at the end: prints the plan, exit status
#
# Every test prints TAP lines; tests/run.sh counts them.

PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PB_BIN=${PB_BIN:-$PB_ROOT/bin}
PATH="$PB_BIN:$PATH"
export PB_ROOT PB_BIN PATH

_t_n=0
_t_failed=0
_t_pids=""

ok() {
	_t_n=$((_t_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_t_n - $2"
	else
		echo "not ok $_t_n - $2"
		_t_failed=$((_t_failed + 1))
	fi
}

t_done() {
	echo "1..$_t_n"
	[ "$_t_failed" -eq 0 ]
}

t_cleanup() {
	for u in ${_t_users:-}; do
		userdel "$u" 2>/dev/null
	done
	for p in $_t_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_t_pids; do
		wait "$p" 2>/dev/null
	done
	[ -n "${T:-}" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$T"
}

t_setup() {
	T=$(mktemp -d /tmp/pb-test.XXXXXX)
	chmod 755 "$T"
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
}

# t_system_user NAME: a system account for the test; one the test created
# is removed at exit.
t_system_user() {
	getent passwd "$1" >/dev/null && return 0
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$1" || return 1
	_t_users="${_t_users:-} $1"
}

# Remember a background process to stop at exit.
t_bg() {
	_t_pids="$_t_pids $1"
}

# free_port: a TCP port on 127.0.0.1 nothing listens on.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: run CMD every 50 ms until it succeeds.
wait_for() {
	_limit=$1
	shift
	_end=$(($(date +%s) + _limit))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.05
	done
	return 0
}

start_redis() {
	REDIS_PORT=$(free_port)
	mkdir -p "$T/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$T/redis" \
	    --appendonly "${REDIS_AOF:-no}" --appendfsync everysec --save '' \
	    --daemonize no --logfile "$T/redis/redis.log" >/dev/null 2>&1 &
	REDIS_PID=$!
	t_bg "$REDIS_PID"
	wait_for 10 redis-cli -p "$REDIS_PORT" ping || return 1
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
	export REDIS_URL REDIS_PORT REDIS_PID
}

# t_worker ARGS...: backup-worker, through the slow-disk shim
# (tests/lib/faultfs.c: SLOW_* files) when PB_FAULTFS names it.  Run with
# &: exec keeps $! the worker's own pid.
t_worker() {
	if [ -f "${PB_FAULTFS:-}" ]; then
		LD_PRELOAD="$PB_FAULTFS" \
		    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		    exec backup-worker "$@"
	else
		exec backup-worker "$@"
	fi
}

# A tree of files with known content.
make_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty"
	printf 'hello\n' >"$1/a.txt"
	head -c 300000 /dev/urandom >"$1/sub/random.bin"
	seq 1 20000 >"$1/sub/deeper/numbers.txt"
	ln -s a.txt "$1/link-to-a"
	: >"$1/zero"
}
