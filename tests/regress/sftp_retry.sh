#!/bin/sh
# sftp_retry.sh - an SFTP server that drops connections: the first
# dropped connection is retried with backoff and the backup arrives; a
# server that drops every one fails after a bounded number of tries with
# exit 3 ("unreachable") and one line naming host and port, leaving
# nothing.  tests/servers/faultproxy_dav.py --raw sits between the
# backend and a real sshd, closing chosen connections as soon as they are
# accepted.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/sftp.sh"
t_setup

sftp_setup "$T/files/alice" "$T/state"
sshd_start || { echo "not ok 1 - sshd did not start"; exit 1; }
sftp_admin_conf
head -c 150000 /dev/urandom >"$T/data"

proxy_start() {	# proxy_start DROP: $PROXY_PORT, $PROXY_LOG
	[ -z "${PROXY_PID:-}" ] || { kill "$PROXY_PID"; wait "$PROXY_PID"; } 2>/dev/null
	n=$((${n:-0} + 1))
	PROXY_LOG=$T/proxy$n.log
	: >"$PROXY_LOG"
	/usr/bin/python3 "$PB_ROOT/tests/servers/faultproxy_dav.py" --raw \
	    --drop "$1" --upstream "127.0.0.1:$SSHD_PORT" \
	    --port-file "$T/proxy$n.port" --log "$PROXY_LOG" \
	    2>>"$T/proxy.err" &
	PROXY_PID=$!
	t_bg "$PROXY_PID"
	wait_for 10 test -s "$T/proxy$n.port" || return 1
	PROXY_PORT=$(cat "$T/proxy$n.port")
}
put() {	# put NAME
	{
		echo "SSH_HOST_NAME=127.0.0.1"
		echo "SSH_PORT=$PROXY_PORT"
		echo "SSH_USER=$SFTP_USER"
		echo "SSH_PASSWORD=$SFTP_PASSWORD"
		echo "SSH_REMOTE_PATH=$SFTP_HOME/backups"
	} >"$T/u.env"
	"$D" drive "$T/admin.conf" "$T/u.env" alice put "$1" <"$T/data" \
	    >"$T/out" 2>"$T/err"
}

proxy_start 1 || { echo "not ok 1 - proxy did not start"; exit 1; }
start=$(date +%s%N)
put backup-1.tar
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok $rc "first connection dropped: the upload succeeds in $ms ms $(cat "$T/err")"
grep -q "connection 1 dropped" "$PROXY_LOG" &&
    grep -q "connection 2 passed" "$PROXY_LOG"
ok $? "... after the proxy dropped one connection and passed the next: $(tr '\n' ';' <"$PROXY_LOG")"
cmp -s "$T/data" "$SFTP_HOME/backups/backup-1.tar"
ok $? "... and the backup is whole on the server's disk"

proxy_start all
put backup-2.tar
rc=$?
ok $((rc != 3)) "every connection dropped: exit 3, unreachable (got $rc)"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "127.0.0.1:$PROXY_PORT" "$T/err"
ok $? "... one line naming host and port: $(cat "$T/err")"
c=$(grep -c dropped "$PROXY_LOG")
[ "$c" -ge 2 ] && [ "$c" -le 5 ]
ok $? "... after a bounded number of tries ($c connections)"
! grep -q "$SFTP_PASSWORD" "$T/err" "$T/out"
ok $? "... no password printed"
[ -z "$(ls "$SFTP_HOME/backups" | grep -v '^backup-1.tar$')" ]
ok $? "... nothing left under a final or partial name: $(ls "$SFTP_HOME/backups" | tr '\n' ' ')"

t_done
