# tests/servers/mariadb.sh - a private MariaDB server from Debian's
# mariadb-server on a loopback port and a socket under $T (POSIX sh).
#
# Source it after tests/lib/common.sh and t_setup:
#	. "$PB_ROOT/tests/servers/mariadb.sh"
#	mariadb_start		# $MARIADB_SOCK, $MARIADB_PORT, $MARIADB_PID
#	mariadb_sql "SQL"	# as root over the socket (unix_socket auth)
#	mariadb_stop
#
# The data folder is made fresh by mariadb-install-db (well under a
# second) and owned by the mysql user, as mariadbd insists.  --no-defaults
# keeps /etc/mysql out of it.  The server is stopped by its PID at exit
# (t_bg), or by mariadb_stop.

MARIADB_DIR=

mariadb_start() {
	MARIADB_DIR=$T/mariadb
	mkdir -p "$MARIADB_DIR"
	chown mysql:mysql "$MARIADB_DIR" || return 1
	if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
		mariadb-install-db --no-defaults --user=mysql \
		    --datadir="$MARIADB_DIR/data" --skip-test-db \
		    --auth-root-authentication-method=socket \
		    >"$MARIADB_DIR/install.log" 2>&1 || {
			cat "$MARIADB_DIR/install.log" >&2
			return 1
		}
	fi
	MARIADB_PORT=$(free_port)
	MARIADB_SOCK=$MARIADB_DIR/mysqld.sock
	mariadbd --no-defaults --user=mysql --datadir="$MARIADB_DIR/data" \
	    --socket="$MARIADB_SOCK" --port="$MARIADB_PORT" \
	    --bind-address=127.0.0.1 --pid-file="$MARIADB_DIR/mysqld.pid" \
	    --log-error="$MARIADB_DIR/error.log" \
	    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
	    --skip-name-resolve --performance-schema=OFF \
	    >/dev/null 2>&1 &
	MARIADB_PID=$!
	t_bg "$MARIADB_PID"
	export MARIADB_SOCK MARIADB_PORT MARIADB_PID
	if ! wait_for 30 mariadb-admin --no-defaults --socket="$MARIADB_SOCK" \
	    -uroot ping; then
		tail -n 20 "$MARIADB_DIR/error.log" >&2
		return 1
	fi
}

mariadb_sql() {
	mariadb --no-defaults --socket="$MARIADB_SOCK" -uroot --batch \
	    --skip-column-names -e "$1"
}

mariadb_stop() {
	[ -n "${MARIADB_PID:-}" ] || return 0
	mariadb-admin --no-defaults --socket="$MARIADB_SOCK" -uroot shutdown \
	    >/dev/null 2>&1 || kill "$MARIADB_PID" 2>/dev/null
	wait "$MARIADB_PID" 2>/dev/null
	MARIADB_PID=
}
