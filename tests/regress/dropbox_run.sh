#!/bin/sh
# dropbox_run.sh - backupctl run, list and restore with a Dropbox
# destination (tests/servers/dropbox_double.py over HTTPS, reached through
# HTTP_CONNECT_TO and HTTP_CA_FILE).  The backup is fetched back with the
# official python3-dropbox SDK and read by gzip and GNU tar; a wrong
# refresh token fails the job with one line naming the setting and no
# token in any output.
. "$PB_ROOT/tests/lib/common.sh"
t_setup
PY=/usr/bin/python3

/usr/bin/python3 "$PB_ROOT/tests/servers/dropbox_double.py" --dir "$T/dbx" \
    >"$T/double.log" 2>&1 &
t_bg $!
wait_for 20 test -s "$T/dbx/port"
ok $? "the Dropbox double listens"
PORT=$(cat "$T/dbx/port")

mkdir -p "$T/home/alice/files" "$T/users"
SRC=$T/home/alice/files
make_tree "$SRC"
head -c 20000000 /dev/urandom >"$SRC/sub/big.bin"	# > 2 upload pieces
cat >"$T/pb.conf" <<EOF
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}
SOURCE_MINECRAFT=$T/mc/{user}
HTTP_CONNECT_TO=api.dropboxapi.com:443:127.0.0.1:$PORT,content.dropboxapi.com:443:127.0.0.1:$PORT
HTTP_CA_FILE=$T/dbx/ca.pem
EOF
export PANEL_BACKUP_CONFIG=$T/pb.conf
user_env() {
	cat >"$T/users/alice.env" <<EOF
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=gz
DROPBOX_APP_KEY=testkey
DROPBOX_APP_SECRET=testsecret
DROPBOX_REFRESH_TOKEN=$1
DROPBOX_REMOTE_PATH=/Backups/alice
DROPBOX_CONCURRENCY_LEVEL=3
EOF
	chmod 600 "$T/users/alice.env"
}

sdk() {	# sdk PYTHON-CODE ARGS...: run code with a client `d`
	code=$1
	shift
	DROPBOX_API_HOST=localhost:$PORT DROPBOX_API_CONTENT_HOST=localhost:$PORT \
	REQUESTS_CA_BUNDLE=$T/dbx/ca.pem $PY -c "
import sys, dropbox
d = dropbox.Dropbox(oauth2_refresh_token='test-refresh-token',
                    app_key='testkey', app_secret='testsecret')
$code" "$@"
}

user_env test-refresh-token
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run alice uploads to Dropbox ($(tail -1 "$T/run.err"))"

sdk 'for e in d.files_list_folder("/Backups/alice").entries: print(e.name)' \
    >"$T/names" 2>&1
name=$(cat "$T/names")
echo "$name" | grep -Eq '^backup-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}\.tar\.gz$'
ok $? "exactly one file, under the default name ($name)"

sdk 'md, r = d.files_download(sys.argv[1]); open(sys.argv[2], "wb").write(r.content)' \
    "/Backups/alice/$name" "$T/got.tar.gz" >/dev/null 2>&1
gzip -t "$T/got.tar.gz" && mkdir -p "$T/x" && tar -xzf "$T/got.tar.gz" -C "$T/x" &&
    diff -r --no-dereference "$SRC" "$T/x/files" >"$T/diff" 2>&1
ok $? "the SDK's copy passes gzip -t and GNU tar extracts the source tree"

backupctl list alice --json >"$T/list.json" 2>"$T/list.err"
grep -q "\"$name\"" "$T/list.json" && grep -q dropbox "$T/list.json"
ok $? "backupctl list shows it at the Dropbox destination"

backupctl restore alice "$name" --to "$T/r" >/dev/null 2>"$T/restore.err" &&
    diff -r --no-dereference "$SRC" "$T/r/files" >/dev/null 2>&1
ok $? "backupctl restore brings the tree back from Dropbox ($(tail -1 "$T/restore.err"))"

# A revoked or wrong token: the job fails, one line, the setting named.
user_env revoked-token-0123456789
backupctl run alice >"$T/bad.out" 2>"$T/bad.err"
rc=$?
grep -q DROPBOX_REFRESH_TOKEN "$T/bad.err"
ok $(( rc == 0 || $? != 0 )) "a wrong refresh token fails the run (exit $rc): $(tail -1 "$T/bad.err")"
! cat "$T"/*.out "$T"/*.err | grep -Eq 'revoked-token-0123456789|test-refresh-token|testsecret|sl\.[A-Za-z0-9]{20}'
ok $? "no token or secret in any output or log"
sdk 'print(len(d.files_list_folder("/Backups/alice").entries))' >"$T/count" 2>&1
[ "$(cat "$T/count")" = 1 ]
ok $? "the failed run left nothing behind"

t_done
