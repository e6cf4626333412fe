#!/bin/sh
# dropbox_sdk.sh - the Dropbox double held to Dropbox's own spec, and our
# uploads read back by an independent client.
#
# Debian's python3-dropbox (the official SDK, which validates every answer
# against Dropbox's Stone spec) runs its checks against
# tests/servers/dropbox_double.py; then the command-line driver of
# test_dropbox streams a backup in through storage_begin/write/commit, at
# levels 1 and 3, and the SDK downloads it and compares bytes and
# content_hash.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

flavor=$(cat "$PB_ROOT/build/flavor" 2>/dev/null || echo opt)
DRV=$PB_ROOT/build/$flavor/tests/storage/test_dropbox
PY=/usr/bin/python3

/usr/bin/python3 "$PB_ROOT/tests/servers/dropbox_double.py" --dir "$T/dbx" \
    --page-size 2 >"$T/double.log" 2>&1 &
t_bg $!
wait_for 20 test -s "$T/dbx/port"
ok $? "the Dropbox double listens"
PORT=$(cat "$T/dbx/port")

# 1. The SDK's own checks: one TAP line each.
$PY "$PB_ROOT/tests/servers/dropbox_sdk_check.py" "$PORT" "$T/dbx" \
    >"$T/sdk.out" 2>&1
sdk_rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok 0 "sdk: ${line#ok - }" ;;
	"not ok - "*) ok 1 "sdk: ${line#not ok - }" ;;
	esac
done <"$T/sdk.out"
[ "$sdk_rc" -eq 0 ] || cat "$T/sdk.out"
ok "$sdk_rc" "python3-dropbox accepts every answer of the double"

# 2. Our uploads, read back by the SDK.
cat >"$T/admin.conf" <<EOF
OUTBOUND_ALLOW=127.0.0.0/8,::1
HTTP_CONNECT_TO=api.dropboxapi.com:443:127.0.0.1:$PORT,content.dropboxapi.com:443:127.0.0.1:$PORT
HTTP_CA_FILE=$T/dbx/ca.pem
EOF
mkenv() {
	cat >"$T/user$1.env" <<EOF
DROPBOX_APP_KEY=testkey
DROPBOX_APP_SECRET=testsecret
DROPBOX_REFRESH_TOKEN=test-refresh-token
DROPBOX_REMOTE_PATH=/panel backups/alice
DROPBOX_CONCURRENCY_LEVEL=$1
EOF
}
head -c 21000000 /dev/urandom >"$T/backup.bin"
for level in 1 3; do
	mkenv $level
	name=backup-level$level.tar.zst
	"$DRV" drive "$T/admin.conf" "$T/user$level.env" alice put "$name" \
	    <"$T/backup.bin" >"$T/put.out" 2>"$T/put.err"
	ok $? "level $level: a 21 MB stream uploads ($(cat "$T/put.err"))"
	DROPBOX_API_HOST=localhost:$PORT DROPBOX_API_CONTENT_HOST=localhost:$PORT \
	REQUESTS_CA_BUNDLE=$T/dbx/ca.pem $PY - "$T/backup.bin" \
	    "/panel backups/alice/$name" >"$T/sdk-get.out" 2>&1 <<'EOF'
import hashlib, sys
import dropbox
want = open(sys.argv[1], "rb").read()
d = dropbox.Dropbox(oauth2_refresh_token="test-refresh-token",
                    app_key="testkey", app_secret="testsecret")
md, resp = d.files_download(sys.argv[2])
h = hashlib.sha256()
for i in range(0, len(want), 4 << 20):
    h.update(hashlib.sha256(want[i:i + (4 << 20)]).digest())
ok = resp.content == want and md.size == len(want) and md.content_hash == h.hexdigest()
print("same bytes and content_hash" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
EOF
	ok $? "level $level: the SDK downloads the same bytes ($(cat "$T/sdk-get.out" | tail -1))"
done

"$DRV" drive "$T/admin.conf" "$T/user1.env" alice get backup-level3.tar.zst \
    >"$T/back.bin" 2>"$T/get.err"
cmp -s "$T/backup.bin" "$T/back.bin"
ok $? "our download returns the bytes"

"$DRV" drive "$T/admin.conf" "$T/user1.env" alice ls >"$T/ls.out" 2>&1
grep -q '^backup-level1.tar.zst 21000000 ' "$T/ls.out" &&
    grep -q '^backup-level3.tar.zst 21000000 ' "$T/ls.out"
ok $? "listing shows both backups with their sizes"

# 3. Errors a user sees: one line, the setting named, no secret.
sed 's/^DROPBOX_REFRESH_TOKEN=.*/DROPBOX_REFRESH_TOKEN=revoked-0123456789/' \
    "$T/user1.env" >"$T/bad.env"
"$DRV" drive "$T/admin.conf" "$T/bad.env" alice ls >"$T/bad.out" 2>"$T/bad.err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] &&
    grep -q DROPBOX_REFRESH_TOKEN "$T/bad.err" &&
    ! grep -q revoked-0123456789 "$T/bad.err"
ok $? "a wrong refresh token: exit $rc, one line: $(cat "$T/bad.err")"

"$DRV" drive "$T/admin.conf" "$T/user1.env" alice abort aborted.tar \
    <"$T/backup.bin" >/dev/null 2>&1
"$DRV" drive "$T/admin.conf" "$T/user1.env" alice ls >"$T/ls2.out" 2>&1
! grep -q aborted "$T/ls2.out"
ok $? "an aborted upload leaves nothing in the folder"

t_done
