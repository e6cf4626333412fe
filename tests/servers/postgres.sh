# tests/servers/postgres.sh - a private PostgreSQL 15 server (Debian's
# postgresql-15) on a loopback port and a socket folder under $T (POSIX sh).
#
# Source it after tests/lib/common.sh and t_setup:
#	. "$PB_ROOT/tests/servers/postgres.sh"
#	pg_start		# $PG_PORT, $PG_SOCKDIR
#	pg_sql "SQL" [DB]	# as the superuser postgres over the socket
#	pg_stop [MODE]		# pg_ctl stop (fast, or immediate: a crash)
#
# initdb runs as the postgres system user (the server refuses root); local
# socket connections are trusted, TCP ones need a SCRAM password.
# pg_start registers an exit hook that stops the server.

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=

pg_start() {
	PG_DIR=$T/pg
	PG_SOCKDIR=$PG_DIR
	mkdir -p "$PG_DIR"
	chown postgres:postgres "$PG_DIR" || return 1
	if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
		su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PG_DIR/data' \
		    -U postgres --auth-local=trust --auth-host=scram-sha-256 \
		    -E UTF8 --locale=C.UTF-8 -N" >"$PG_DIR/initdb.log" 2>&1 || {
			cat "$PG_DIR/initdb.log" >&2
			return 1
		}
	fi
	PG_PORT=$(free_port)
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' \
	    -l '$PG_DIR/server.log' -w -t 30 -o \"-p $PG_PORT -k '$PG_DIR' \
	    -c listen_addresses=127.0.0.1 -c fsync=off \
	    -c shared_buffers=16MB\" start" >/dev/null 2>&1 || {
		tail -n 20 "$PG_DIR/server.log" >&2
		return 1
	}
	export PG_PORT PG_SOCKDIR
	_pg_hooked=${_pg_hooked:-}
	if [ -z "$_pg_hooked" ]; then
		_pg_hooked=1
		trap 'pg_stop immediate; t_cleanup' EXIT
	fi
}

pg_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" \
	    -U postgres -d "${2:-postgres}" -c "$1"
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' \
	    -m ${1:-fast} -w stop" >/dev/null 2>&1
}
