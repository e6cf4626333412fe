#!/bin/sh
# panel_client.sh - the hosting panel's side (issue 18), from Python
# (python3-redis) as the documented least-privilege ACL user
# (deploy/redis/panel.acl), against redis-server, backup-worker,
# backup-scheduler and backup-notifier: enqueue and events, percent
# rising, per-user history after 1,100 other jobs, cancel -> canceled,
# a restore job of one path, a verify job of a corrupted backup, pin and
# prune, direct writes refused, the admin channel told of failures only.  tests/panel/panel_client.py prints the TAP.
. "$(dirname "$0")/../lib/common.sh"
t_setup

/usr/bin/python3 -c 'import redis' 2>/dev/null || {
	echo "ok 1 - # SKIP python3-redis not installed (scripts/deps.sh)"
	echo "1..1"; exit 0; }

mkdir -p "$T/users" "$T/arch/pat" "$T/arch/DRIP_big" "$T/files/alice" "$T/files/big" \
    "$T/files/carl" "$T/files/pat"
printf 'hello\n' >"$T/files/alice/a.txt"
printf 'other\n' >"$T/files/alice/b.txt"
head -c 9000000 /dev/urandom | base64 >"$T/files/big/SLOW_big.txt"
head -c 200000 /dev/urandom | base64 >"$T/files/carl/c.txt"
printf 'pat\n' >"$T/files/pat/p.txt"
for u in alice big carl pat; do
	printf 'BACKUP_ARCHIVE=%s/arch/%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=zst\n' \
	    "$T" "$u" >"$T/users/$u.env"
done
echo 'BACKUP_RETENTION_DAYS=7' >>"$T/users/pat.env"
for d in 01 02 03; do
	: >"$T/arch/pat/backup-2020-01-${d}T00-00-00.tar.zst"
done
# big's destination reads slowly (tests/lib/faultfs.c, DRIP_): a restore
# of its backup runs long enough to watch its percent rise.
sed -i "s|^BACKUP_ARCHIVE=.*|BACKUP_ARCHIVE=$T/arch/DRIP_big|" "$T/users/big.env"
chmod 600 "$T/users/"*.env

start_redis || { echo "not ok 1 - redis-server starts"; exit 1; }
# Webhooks that record what they are sent ("PATH BODY" a line): the
# hosting company's channel, and the users' (alice: NOTIFICATION_LEVEL
# info, carl: the default, failures only).
hook() {
	/usr/bin/python3 - "$1" "$2" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as f:
            f.write(self.path.encode() + b" " +
                    body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	t_bg $!
	wait_for 10 sh -c "/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $1))'"
}
HOOK_PORT=$(free_port)
hook "$HOOK_PORT" "$T/admin-hook.log"
UHOOK_PORT=$(free_port)
hook "$UHOOK_PORT" "$T/user-hook.log"
for u in alice carl; do
	printf 'NOTIFICATION_URLS=generic://127.0.0.1:%s/%s?disabletls=yes&template=json\n' \
	    "$UHOOK_PORT" "$u" >>"$T/users/$u.env"
done
echo 'NOTIFICATION_LEVEL=info' >>"$T/users/alice.env"
NODE=pn
cat >"$T/pb.conf" <<CONF
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
NODE=$NODE
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/files/{user}
STATE_DIR=$T/state
JOB_LEASE_SECONDS=5
JOB_RETRY_BACKOFF=1s
JOB_MAX_ATTEMPTS=2
WORKER_SHUTDOWN_GRACE=0s
ADMIN_NOTIFICATION_URLS=generic://127.0.0.1:$HOOK_PORT/admin?disabletls=yes&template=json
ADMIN_NOTIFICATION_LEVEL=error
CONF
chmod 600 "$T/pb.conf"	# it holds a secret (ADMIN_NOTIFICATION_URLS)

# The panel's user, exactly as documented.
PANEL_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
acl=$(sed -n 's/^user panel //p' "$PB_ROOT/deploy/redis/panel.acl" |
    sed "s/>CHANGE_ME/>$PANEL_PASSWORD/")
# shellcheck disable=SC2086 # one ACL rule per word
redis-cli -p "$REDIS_PORT" ACL SETUSER panel $acl | grep -qx OK ||
    { echo "not ok 1 - the documented panel ACL loads"; exit 1; }

# Functions and settings before any daemon (the panel may start first).
backupctl --config "$T/pb.conf" queue init >/dev/null ||
    { echo "not ok 1 - backupctl queue init"; exit 1; }

t_worker --config "$T/pb.conf" --concurrency 2 2>"$T/worker.log" &
t_bg $!
backup-scheduler --config "$T/pb.conf" 2>"$T/sched.log" &
t_bg $!
backup-notifier --config "$T/pb.conf" 2>"$T/notifier.log" &
t_bg $!
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1" ||
    echo "# warning: no worker registered"

REDIS_PORT=$REDIS_PORT PANEL_PASSWORD=$PANEL_PASSWORD NODE=$NODE \
    PB_CONF="$T/pb.conf" T="$T" PB_BIN="$PB_BIN" HOOK_LOG="$T/admin-hook.log" \
    USER_HOOK_LOG="$T/user-hook.log" \
    /usr/bin/python3 "$PB_ROOT/tests/panel/panel_client.py"
rc=$?
[ $rc -eq 0 ] || { echo "# worker log:"; tail -20 "$T/worker.log" | sed 's/^/# /'; }
exit $rc
