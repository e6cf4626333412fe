#!/bin/sh
# notify_cli.sh - `backupctl notify test USER` end to end: a user's
# NOTIFICATION_URLS from USERS_DIR, the admin's HTTP_CONNECT_TO and
# HTTP_CA_FILE leading to the HTTPS recorder (tests/servers/recorder.py);
# one line per URL in order, exit 1 when one failed, secrets never shown.
. "$(dirname "$0")/../lib/common.sh"
t_setup

/usr/bin/python3 "$PB_ROOT/tests/servers/recorder.py" --dir "$T" \
    --host ntfy.test --host discord.com >"$T/recorder.log" 2>&1 &
t_bg $!
wait_for 20 test -f "$T/port"
ok $? "the HTTPS recorder is up"
P=$(cat "$T/port")
ctl() { curl -s --cacert "$T/ca.pem" "https://127.0.0.1:$P/__ctl/$1" ${2:+-d "$2"}; }

mkdir -p "$T/users"
cat >"$T/admin.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
HTTP_CONNECT_TO=ntfy.test:443:127.0.0.1:$P,discord.com:443:127.0.0.1:$P
HTTP_CA_FILE=$T/ca.pem
NOTIFICATION_TIMEOUT=2s
EOC
printf 'NOTIFICATION_URLS=ntfy://:SECRETNTFY42@ntfy.test/alerts, discord://DISCORDSECRET9@1234, bogus://x\n' >"$T/users/bob.env"
chmod 600 "$T/users/bob.env"

backupctl --config "$T/admin.conf" notify test bob >"$T/out" 2>"$T/err"
rc=$?
sed "s/^/# /" "$T/out"
ok $([ $rc -eq 1 ] && echo 0 || echo 1) "one bad URL makes the exit status 1 (got $rc)"
sed -n 1p "$T/out" | grep -q '^ok  *ntfy  *ntfy://' && \
    sed -n 2p "$T/out" | grep -q '^ok  *discord  *discord://' && \
    sed -n 3p "$T/out" | grep -q '^failed .*bogus://x: unknown service "bogus"'
ok $? "one line per URL, in URL order, saying what went wrong"
! grep -q -e SECRETNTFY42 -e DISCORDSECRET9 "$T/out" "$T/err"
ok $? "no token appears in the output"
ctl log >"$T/log.json"
/usr/bin/python3 - "$T/log.json" <<'EOP'
import json, sys
log = json.load(open(sys.argv[1]))
n = [r for r in log if r["host"] == "ntfy.test"][0]
assert n["target"] == "/alerts", n
assert n["headers"]["title"] == "Test notification for bob", n["headers"]
assert "test notification" in n["body"], n["body"]
assert any(r["host"] == "discord.com" and r["target"] == "/api/webhooks/1234/DISCORDSECRET9" for r in log)
EOP
ok $? "the services received the test message at their real host names"

# A service answering 403: reported, not retried.
ctl reset '{}' >/dev/null
ctl script '{"match":"ntfy.test","responses":[{"status":403,"body":"{\"code\":40301,\"error\":\"forbidden\",\"link\":\"l\"}"}]}' >/dev/null
printf 'NOTIFICATION_URLS=ntfy://:SECRETNTFY42@ntfy.test/alerts\n' >"$T/users/bob.env"
backupctl --config "$T/admin.conf" notify test bob >"$T/out" 2>&1
rc=$?
grep -q 'forbidden' "$T/out" && [ $rc -eq 1 ] && \
    [ "$(ctl log | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ]
ok $? "a 403 fails at once with the service's error"

printf 'NOTIFICATION_URLS=\n' >"$T/users/bob.env"
backupctl --config "$T/admin.conf" notify test bob >"$T/out" 2>&1
rc=$?
ok $([ $rc -eq 2 ] && grep -q NOTIFICATION_URLS "$T/out" && echo 0 || echo 1) \
    "no URL set: exit 2 naming NOTIFICATION_URLS"
backupctl --config "$T/admin.conf" notify >/dev/null 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "bad usage: exit 2"
t_done
