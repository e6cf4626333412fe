#!/bin/sh
# webdav_retry.sh - transient WebDAV failures are retried with backoff;
# persistent ones fail cleanly.  Apache mod_dav sits behind
# tests/servers/faultproxy_dav.py, reached through the admin's
# HTTP_CONNECT_TO as a panel would reach a provider's server, which
# answers 503 to chosen requests without passing them on.
#
#  - the first PROPFIND, PUT and MOVE each get a 503: `backupctl run`
#    still succeeds, the proxy saw every one of them asked again, and gzip
#    and tar read the backup on Apache's disk;
#  - the first MOVE takes effect but its answer is lost (a 503 instead):
#    the retry finds the source gone, and the backend, seeing the backup
#    whole under its name, counts the upload as done;
#  - every MOVE (then every PUT) gets a 503: the run fails with exit 1 and
#    one line naming the URL and the 503, after a bounded number of tries,
#    and nothing is left under a final name or as a .partial file.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/apache.sh"
t_setup
apache_start || { echo "not ok 1 - apache did not start"; exit 1; }
mkdir -p "$T/users" "$T/home/alice/files/site"
head -c 60000 /dev/urandom >"$T/home/alice/files/site/blob.bin"
printf 'hello\n' >"$T/home/alice/files/site/index.html"
B=$APACHE_DATA/users/alice/backups

# proxy_start OPTIONS...: a fresh proxy (--fail M:N, --lose M:N); $PROXY_LOG.
proxy_start() {
	[ -z "${PROXY_PID:-}" ] || { kill "$PROXY_PID"; wait "$PROXY_PID"; } 2>/dev/null
	n=$((${n:-0} + 1))
	PROXY_LOG=$T/proxy$n.log
	: >"$PROXY_LOG"
	/usr/bin/python3 "$PB_ROOT/tests/servers/faultproxy_dav.py" \
	    --upstream "127.0.0.1:$APACHE_HTTP" --port-file "$T/proxy$n.port" \
	    --log "$PROXY_LOG" "$@" 2>>"$T/proxy.err" &
	PROXY_PID=$!
	t_bg "$PROXY_PID"
	wait_for 10 test -s "$T/proxy$n.port" || return 1
	cat >"$T/pb.conf" <<CFG
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
HTTP_CONNECT_TO=dav.example:80:127.0.0.1:$(cat "$T/proxy$n.port")
CFG
}
cat >"$T/users/alice.env" <<ENV
WEBDAV_URL=http://dav.example/dav
WEBDAV_PATH=/users/alice/backups
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$DAV_PASSWORD
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=gz
ENV
chmod 600 "$T/users/alice.env"
PANEL_BACKUP_CONFIG=$T/pb.conf
export PANEL_BACKUP_CONFIG
injected() {	# injected METHOD: how many 503s the proxy gave METHOD
	grep -c "^$1 .* 503 injected" "$PROXY_LOG"
}
finals() {	# the backups under a final name on Apache's disk
	ls "$B" 2>/dev/null | grep -v '\.partial$' | grep -c .
}

# 1. One 503 each for PROPFIND, PUT and MOVE: retried, the backup lands.
proxy_start --fail PROPFIND:1 --fail PUT:1 --fail MOVE:1 || { echo "not ok 1 - proxy did not start"; exit 1; }
start=$(date +%s%N)
backupctl run alice >"$T/out" 2>"$T/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok $rc "first PROPFIND, PUT and MOVE answered 503: the backup succeeds in $ms ms ($(tail -1 "$T/err"))"
[ "$(injected PROPFIND)" -eq 1 ] && [ "$(injected PUT)" -eq 1 ] &&
    [ "$(injected MOVE)" -eq 1 ] &&
    grep -q "^MOVE .* passed" "$PROXY_LOG" &&
    grep -q "^PUT .* passed" "$PROXY_LOG"
ok $? "... the proxy refused each once and saw each asked again: $(tr '\n' ';' <"$PROXY_LOG")"
name=$(ls "$B" 2>/dev/null | grep '^backup-.*\.tar\.gz$' | head -1)
[ -n "$name" ] && gzip -t "$B/$name" &&
    tar -tzf "$B/$name" | grep -q "^files/site/blob.bin$"
ok $? "... gzip and tar read $name on Apache's disk"
[ "$(ls "$B" | grep -c '\.partial$')" -eq 0 ] && [ "$(finals)" -eq 1 ]
ok $? "... one backup, no .partial left: $(ls "$B" | tr '\n' ' ')"

# 2. The first MOVE done, its answer lost: the retry meets a 404.
proxy_start --lose MOVE:1
backupctl run alice >"$T/out" 2>"$T/err"
ok $? "first MOVE's answer lost: the backup succeeds ($(tail -1 "$T/err"))"
grep -q "^MOVE .* 503 lost" "$PROXY_LOG" && grep -q "^MOVE .* passed" "$PROXY_LOG"
ok $? "... the proxy passed it on, lost the answer, saw it again: $(grep MOVE "$PROXY_LOG" | tr '\n' ';')"
name2=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/out" | head -1)
[ -n "$name2" ] && gzip -t "$B/$name2" && [ "$(finals)" -eq 2 ] &&
    [ "$(ls "$B" | grep -c '\.partial$')" -eq 0 ]
ok $? "... $name2 whole on Apache's disk, no .partial: $(ls "$B" | tr '\n' ' ')"

# 3. Every MOVE refused: the upload cannot be put into place.
before=$(finals)
proxy_start --fail MOVE:all
backupctl run alice >"$T/out" 2>"$T/err"
rc=$?
ok $((rc != 1)) "every MOVE answered 503: the backup fails with exit 1 (got $rc)"
grep -i "error" "$T/err" >"$T/errlines"
[ "$(wc -l <"$T/errlines")" -eq 1 ] && grep -q "dav.example" "$T/errlines" &&
    grep -q "/users/alice/backups" "$T/errlines" && grep -q "503" "$T/errlines"
ok $? "... one error line naming the URL and the 503: $(cat "$T/errlines")"
m=$(injected MOVE)
[ "$m" -ge 2 ] && [ "$m" -le 5 ]
ok $? "... after a bounded number of tries ($m MOVEs)"
! grep -q "$DAV_PASSWORD" "$T/err" "$T/out"
ok $? "... no password printed"
[ "$(finals)" -eq "$before" ] && [ "$(ls "$B" | grep -c '\.partial$')" -eq 0 ]
ok $? "... nothing new under a final name, no .partial left: $(ls "$B" | tr '\n' ' ')"

# 4. Every PUT refused: nothing can be written at all.
proxy_start --fail PUT:all
backupctl run alice >"$T/out" 2>"$T/err"
rc=$?
ok $((rc != 1)) "every PUT answered 503: the backup fails with exit 1 (got $rc)"
grep -i "error" "$T/err" >"$T/errlines"
[ "$(wc -l <"$T/errlines")" -eq 1 ] && grep -q "dav.example" "$T/errlines" &&
    grep -q "503" "$T/errlines"
ok $? "... one error line naming the URL and the 503: $(cat "$T/errlines")"
[ "$(finals)" -eq "$before" ] && [ "$(ls "$B" | grep -c '\.partial$')" -eq 0 ]
ok $? "... nothing new under a final name, no .partial left"

t_done
