#!/bin/sh
# restore_matrix_webdav.sh - issue 11's matrix on WebDAV (Apache mod_dav
# over HTTPS, its CA trusted through HTTP_CA_FILE): every compression x
# encryption backed up, listed, verified and restored (diff -r against
# the source); files re-uploaded with one bit flipped by curl fail verify
# naming the layer; newest first.  Then the same, with fewer
# combinations, on rclone's WebDAV server (other status codes, other
# listings).
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/apache.sh"
. "$PB_ROOT/tests/servers/rclone.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup
apache_start || { echo "not ok 1 - apache did not start: $(tail -3 "$T/apache/error.log")"; exit 1; }
rm_admin "HTTP_CA_FILE=$DAV_CA"

RM_DEST=webdav
URL=https://localhost:$APACHE_HTTPS/dav
RM_DEST_LINES="WEBDAV_URL=$URL
WEBDAV_PATH=/users/alice/backups
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$DAV_PASSWORD"
dav() { curl -sSf --cacert "$DAV_CA" -u "$DAV_USER:$DAV_PASSWORD" "$@"; }
rm_fetch() { dav -o "$2" "$URL/users/alice/backups/$1"; }
rm_store() { dav -o /dev/null -T "$1" "$URL/users/alice/backups/$2"; }
# What Apache holds in its DAV folder.
rm_server_sizes() {
	cd "$APACHE_DATA/users/alice/backups" && stat -c '%n %s' -- *
}

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
rm_sizes_agree
rm_flip gz none "gzip layer"
rm_flip zst age-key age -300
rm_newest_first

apache_stop
rclone_start || { echo "not ok - rclone did not start"; t_done; exit 1; }
RM_LABEL="webdav (rclone)"
RM_NAMES=
URL=https://localhost:$RCLONE_HTTPS
RM_DEST_LINES="WEBDAV_URL=$URL
WEBDAV_PATH=/users/alice/backups
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$DAV_PASSWORD"
rm_server_sizes() {
	cd "$RCLONE_DATA/users/alice/backups" && stat -c '%n %s' -- *
}
rm_empty_list
rm_one zst gpg-pass
rm_one none age-key
rm_sizes_agree
rm_flip gz none "gzip layer"
rm_newest_first

! grep -rq -e "$DAV_PASSWORD" -e "$RM_GPG_PASS" "$T/state" "$T"/*.out "$T"/*.err "$T/list.json"
ok $? "webdav: no password or passphrase in any output or state file"

t_done
