#!/bin/sh
# restore_matrix_dropbox.sh - issue 11's matrix on Dropbox (the API
# double of tests/servers/dropbox_double.py over HTTPS, reached through
# HTTP_CONNECT_TO and HTTP_CA_FILE): every compression x encryption backed
# up, listed, verified and restored (diff -r against the source); files
# re-uploaded with one bit flipped by the official python3-dropbox SDK
# fail verify naming the layer; newest first.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup
/usr/bin/python3 "$PB_ROOT/tests/servers/dropbox_double.py" --dir "$T/dbx" \
    >"$T/double.log" 2>&1 &
t_bg $!
wait_for 20 test -s "$T/dbx/port" || { echo "not ok 1 - the Dropbox double did not start"; exit 1; }
PORT=$(cat "$T/dbx/port")
rm_admin "HTTP_CONNECT_TO=api.dropboxapi.com:443:127.0.0.1:$PORT,content.dropboxapi.com:443:127.0.0.1:$PORT"
rm_admin "HTTP_CA_FILE=$T/dbx/ca.pem"

RM_DEST=dropbox
RTOKEN=test-refresh-token	# the one token the double accepts
RM_DEST_LINES="DROPBOX_APP_KEY=testkey
DROPBOX_APP_SECRET=testsecret
DROPBOX_REFRESH_TOKEN=$RTOKEN
DROPBOX_REMOTE_PATH=/Backups/alice"
sdk() {	# sdk PYTHON-CODE ARGS...: run code with a client `d`
	code=$1
	shift
	DROPBOX_API_HOST=localhost:$PORT DROPBOX_API_CONTENT_HOST=localhost:$PORT \
	REQUESTS_CA_BUNDLE=$T/dbx/ca.pem /usr/bin/python3 -c "
import sys, dropbox
d = dropbox.Dropbox(oauth2_refresh_token='$RTOKEN',
                    app_key='testkey', app_secret='testsecret')
$code" "$@"
}
rm_fetch() { sdk 'd.files_download_to_file(sys.argv[2], "/Backups/alice/" + sys.argv[1])' "$@"; }
rm_store() {
	sdk '
from dropbox.files import CommitInfo, UploadSessionCursor, WriteMode
data = open(sys.argv[1], "rb").read()
s = d.files_upload_session_start(data)
d.files_upload_session_finish(b"", UploadSessionCursor(s.session_id, len(data)),
    CommitInfo("/Backups/alice/" + sys.argv[2], mode=WriteMode.overwrite))' "$@"
}
rm_server_sizes() {
	sdk '
r = d.files_list_folder("/Backups/alice")
while True:
    for e in r.entries:
        print(e.name, e.size)
    if not r.has_more:
        break
    r = d.files_list_folder_continue(r.cursor)'
}

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
rm_sizes_agree
rm_flip gz age-key age -200
rm_flip none none "stored object"
rm_newest_first
! grep -rq -e "$RTOKEN" -e testsecret -e "$RM_GPG_PASS" "$T/state" "$T"/*.out "$T"/*.err "$T/list.json"
ok $? "dropbox: no token, app secret or passphrase in any output or state file"

t_done
