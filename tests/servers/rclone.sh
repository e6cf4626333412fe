# tests/servers/rclone.sh - `rclone serve webdav` on loopback ports, the
# second WebDAV server of the tests (its status codes differ from Apache's:
# see ../shared/reference/testenv.md §4).  POSIX sh.
#
#	. "$PB_ROOT/tests/servers/apache.sh"	# dav_certs, $DAV_USER...
#	. "$PB_ROOT/tests/servers/rclone.sh"
#	rclone_start		# $RCLONE_HTTP, $RCLONE_HTTPS, $RCLONE_DATA
#	rclone_stop
#
# Two processes (rclone serves one address each): plain HTTP, and HTTPS
# with the certificate of dav_certs.  Basic auth $DAV_USER/$DAV_PASSWORD.

rclone_start() {
	command -v dav_certs >/dev/null 2>&1 ||
	    . "$PB_ROOT/tests/servers/apache.sh"
	dav_certs || return 1
	RCLONE_DATA=$T/rclone/data
	mkdir -p "$RCLONE_DATA"
	RCLONE_HTTP=$(free_port)
	RCLONE_HTTPS=$(free_port)
	rclone serve webdav "$RCLONE_DATA" --config /dev/null \
	    --addr "127.0.0.1:$RCLONE_HTTP" --user "$DAV_USER" \
	    --pass "$DAV_PASSWORD" >>"$T/rclone/http.log" 2>&1 &
	RCLONE_PID=$!
	t_bg "$RCLONE_PID"
	rclone serve webdav "$RCLONE_DATA" --config /dev/null \
	    --addr "127.0.0.1:$RCLONE_HTTPS" --user "$DAV_USER" \
	    --pass "$DAV_PASSWORD" --cert "$DAV_CERTS/server.pem" \
	    --key "$DAV_CERTS/server.key" >>"$T/rclone/https.log" 2>&1 &
	RCLONE_TLS_PID=$!
	t_bg "$RCLONE_TLS_PID"
	export RCLONE_HTTP RCLONE_HTTPS RCLONE_DATA RCLONE_PID RCLONE_TLS_PID
	wait_for 15 curl -s -o /dev/null "http://127.0.0.1:$RCLONE_HTTP/" &&
	wait_for 15 curl -s -o /dev/null --cacert "$DAV_CA" \
	    "https://127.0.0.1:$RCLONE_HTTPS/"
}

rclone_stop() {
	for p in ${RCLONE_PID:-} ${RCLONE_TLS_PID:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	RCLONE_PID=
	RCLONE_TLS_PID=
}
