#!/bin/sh
# webdav_errors.sh - the WebDAV destination seen from the outside, with
# Apache mod_dav and rclone: an upload over HTTPS trusted through the
# admin's HTTP_CA_FILE is read back with stock curl; without the CA it
# fails with a TLS error, with WEBDAV_URL_INSECURE it works; a wrong
# password, a closed port and a refused folder each give one line naming
# the URL, the documented exit status, and no password.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/apache.sh"
. "$PB_ROOT/tests/servers/rclone.sh"
t_setup

flavor=$(cat "$PB_ROOT/build/flavor" 2>/dev/null || echo opt)
# The driver of the flavor under test (tests/run.sh sets PB_BIN).
D=$(dirname "$PB_BIN")/tests/storage/test_sftp
[ -x "$D" ] || D=$PB_ROOT/build/$flavor/tests/storage/test_sftp
apache_start || { echo "not ok 1 - apache did not start"; exit 1; }
rclone_start || { echo "not ok 1 - rclone did not start"; exit 1; }
mkdir -p "$T/files/alice"
printf 'OUTBOUND_ALLOW=127.0.0.0/8,::1\nSTATE_DIR=%s/state\nTEMP_DIR=%s/tmp\nSOURCE_FILES=%s/files/{user}\nHTTP_CA_FILE=%s\n' \
    "$T" "$T" "$T" "$DAV_CA" >"$T/admin.conf"
grep -v HTTP_CA_FILE "$T/admin.conf" >"$T/noca.conf"
head -c 150000 /dev/urandom >"$T/data"

env_file() {	# env_file FILE URL [LINES...]
	f=$1
	u=$2
	shift 2
	{
		echo "WEBDAV_URL=$u"
		echo "WEBDAV_PATH=/users/alice/backups"
		echo "WEBDAV_USERNAME=$DAV_USER"
		echo "WEBDAV_PASSWORD=$DAV_PASSWORD"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
run() {	# run ADMIN ENV ACTION [NAME] < input
	a=$1
	shift
	"$D" drive "$a" "$1" alice "$2" ${3:+"$3"} >"$T/out" 2>"$T/err"
}

for s in apache rclone; do
	if [ $s = apache ]; then
		url="https://localhost:$APACHE_HTTPS/dav"
	else
		url="https://localhost:$RCLONE_HTTPS"
	fi
	env_file "$T/$s.env" "$url"
	run "$T/admin.conf" "$T/$s.env" put backup-1.tar.gz <"$T/data"
	ok $? "$s over HTTPS with HTTP_CA_FILE: upload succeeds $(cat "$T/err")"
	curl -sf --cacert "$DAV_CA" -u "$DAV_USER:$DAV_PASSWORD" \
	    "$url/users/alice/backups/backup-1.tar.gz" -o "$T/got" &&
	    cmp -s "$T/data" "$T/got"
	ok $? "$s: stock curl downloads the same bytes from the new folders"
	run "$T/admin.conf" "$T/$s.env" ls
	grep -q "^backup-1.tar.gz 150000 [1-9]" "$T/out" &&
	    [ "$(wc -l <"$T/out")" -eq 1 ]
	ok $? "$s: list shows just the backup, with size and time"

	run "$T/noca.conf" "$T/$s.env" put backup-2.tar.gz <"$T/data"
	rc=$?
	ok $((rc != 2)) "$s: without the CA the TLS check fails (exit $rc)"
	grep -q "TLS" "$T/err" && grep -q "localhost" "$T/err"
	ok $? "$s: ... saying so: $(cat "$T/err")"
	env_file "$T/insecure.env" "$url" "WEBDAV_URL_INSECURE=true"
	run "$T/noca.conf" "$T/insecure.env" put backup-3.tar.gz <"$T/data"
	ok $? "$s: WEBDAV_URL_INSECURE=true skips the check"

	env_file "$T/badpw.env" "$url" "WEBDAV_PASSWORD=Bad-Dav-Secret-9"
	sed -i "/^WEBDAV_PASSWORD=$DAV_PASSWORD\$/d" "$T/badpw.env"
	run "$T/admin.conf" "$T/badpw.env" put backup-4.tar.gz <"$T/data"
	rc=$?
	ok $((rc != 1)) "$s: a wrong password fails with exit 1 (got $rc)"
	[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "localhost" "$T/err" &&
	    grep -q "/users/alice/backups" "$T/err" &&
	    ! grep -q "Bad-Dav-Secret-9" "$T/err" "$T/out"
	ok $? "$s: ... one line naming host and path, no password: $(cat "$T/err")"
done
[ ! -e "$APACHE_DATA/users/alice/backups/backup-4.tar.gz" ] &&
    [ ! -e "$RCLONE_DATA/users/alice/backups/backup-4.tar.gz" ] &&
    [ ! -e "$APACHE_DATA/users/alice/backups/backup-2.tar.gz" ]
ok $? "failed uploads leave nothing under a final name"

closed=$(free_port)
env_file "$T/closed.env" "http://127.0.0.1:$closed/dav"
run "$T/admin.conf" "$T/closed.env" put backup-5.tar.gz <"$T/data"
rc=$?
ok $((rc != 3)) "a closed port is 'unreachable': exit 3 (got $rc)"
grep -q "127.0.0.1:$closed" "$T/err"
ok $? "... naming host and port: $(cat "$T/err")"

# Apache refuses MKCOL outside the DAV area: the folder cannot be made.
env_file "$T/nodav.env" "http://127.0.0.1:$APACHE_HTTP/elsewhere"
run "$T/admin.conf" "$T/nodav.env" put backup-6.tar.gz <"$T/data"
rc=$?
ok $((rc == 0 || rc == 3)) "a folder the server refuses fails the upload (exit $rc)"
grep -q "/elsewhere/users/alice/backups" "$T/err"
ok $? "... naming the folder: $(cat "$T/err")"

t_done
