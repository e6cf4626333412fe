#!/bin/sh
# One user's hung notification service never delays another user's
# (issue 16).  alice's URL points at a loopback listener that accepts and
# never answers; bob's at a recorder.  With alice's event first in the
# stream, bob's notification arrives while alice's connection is still
# open (the recorder notes the order), and alice's event is neither lost
# nor sent twice once her service gives up.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

cat >"$T/listen.py" <<'PY'
import socket, sys, threading, os
d = sys.argv[1]
lock = threading.Lock()
state = {"open": 0}
def log(line):
    with lock:
        with open(os.path.join(d, "events"), "a") as f:
            f.write(line + "\n")
def listener(name):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(16)
    with open(os.path.join(d, name + ".port"), "w") as f:
        f.write(str(s.getsockname()[1]))
    return s
def hang(c):
    with lock: state["open"] += 1
    log("hang-accepted")
    while c.recv(65536):
        pass
    with lock: state["open"] -= 1
    log("hang-closed")
def answer(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk: return
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    n = 0
    for l in head.split(b"\r\n"):
        if l.lower().startswith(b"content-length:"): n = int(l.split(b":")[1])
    while len(body) < n:
        body += c.recv(65536)
    with lock: still = state["open"]
    log("recorder-got %s hang-open=%d" % (head.split(b"\r\n")[0].decode(), still))
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    c.close()
def serve(s, fn):
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
h = listener("hang"); r = listener("rec")
threading.Thread(target=serve, args=(h, hang), daemon=True).start()
serve(r, answer)
PY
/usr/bin/python3 "$T/listen.py" "$T" 2>"$T/listen.err" &
t_bg $!
wait_for 10 test -s "$T/rec.port"
ok $? "the hanging listener and the recorder are up"
HP=$(cat "$T/hang.port"); RP=$(cat "$T/rec.port")

start_redis || { echo "not ok - redis-server starts"; exit 1; }
mkdir -p "$T/users"
cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
NODE=nn
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
NOTIFICATION_TIMEOUT=30s
CONF
printf 'NOTIFICATION_URLS=generic://127.0.0.1:%s/hook?disabletls=yes\n' "$HP" >"$T/users/alice.env"
printf 'NOTIFICATION_URLS=generic://127.0.0.1:%s/hook?disabletls=yes\n' "$RP" >"$T/users/bob.env"
chmod 600 "$T/users/"*.env

backup-notifier --config "$T/pb.conf" 2>"$T/n.log" &
N=$!; t_bg $N
S='bk:{nn}:events'
wait_for 10 sh -c "redis-cli -p $REDIS_PORT XINFO GROUPS '$S' | grep -q notifier"
ok $? "the notifier has joined the events stream"

ev() {	# ev USER JOB
	redis-cli -p "$REDIS_PORT" XADD "$S" '*' event failed user "$1" \
	    job "$2" node nn error "disk on fire ($1)" >/dev/null
}
ev alice ja1
wait_for 10 grep -q hang-accepted "$T/events"
ok $? "alice's notification connects to her hung service"
ev bob jb1
wait_for 20 grep -q recorder-got "$T/events"
ok $? "bob's notification arrives although alice's service hangs"
grep recorder-got "$T/events" | grep -q 'hang-open=1'
ok $? "it arrived while alice's connection was still open ($(grep recorder-got "$T/events"))"
ev bob jb2
wait_for 20 sh -c "[ \$(grep -c recorder-got '$T/events') -ge 2 ]"
ok $? "bob's next notification arrives too, alice's still hanging"
# alice's hung request ends at NOTIFICATION_TIMEOUT; her event is then
# acknowledged (once), bob's were acknowledged already.
wait_for 20 sh -c "redis-cli -p $REDIS_PORT XPENDING '$S' notifier | head -n 1 | grep -qx 1"
ok $? "only alice's event is still unacknowledged while her service hangs"
kill $N
wait_for 15 sh -c "! kill -0 $N"
ok $? "SIGTERM stops the notifier although alice's request still hangs"
wait $N 2>/dev/null
t_done
