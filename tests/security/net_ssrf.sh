#!/bin/sh
# net_ssrf.sh - a user's URLs cannot make panel-backup connect to the
# host's own services or its network (issue 16, outbound policy).
#
# A hostile user aims notification URLs and every destination kind at
# loopback in all its spellings (127.0.0.1, localhost, [::1],
# [::ffff:127.0.0.1], 0.0.0.0, 2130706433, 0x7f000001), at the metadata
# address 169.254.169.254 and at a private address; and a generic:// URL
# at a real redis-server, smuggling Redis commands through the method
# and headers.  With the default policy every one is refused with a line
# naming the host, the address and OUTBOUND_ALLOW; a listener on loopback
# counts 0 accepted connections; the Redis keys are unchanged.  A
# redirect from an allowed server to a refused address is not followed.
# Then OUTBOUND_ALLOW permits loopback: the same URLs reach the listener,
# but the smuggling URLs are still refused (not HTTP tokens) and Redis
# is still untouched.
. "$(dirname "$0")/../lib/common.sh"
t_setup

L=$(free_port)
mkdir -p "$T/lst" "$T/lst2" "$T/redir" "$T/users" "$T/state" "$T/tmp" \
    "$T/home/alice/files"
echo hello >"$T/home/alice/files/a.txt"
/usr/bin/python3 "$PB_ROOT/tests/servers/listener.py" --dir "$T/lst" \
    "127.0.0.1:$L" "[::1]:$L" >"$T/lst.log" 2>&1 &
t_bg $!
wait_for 10 test -f "$T/lst/ready"
ok $? "a counting listener on 127.0.0.1:$L and [::1]:$L"
accepts() { cat "$1/accepts"; }

start_redis || { echo "not ok - redis-server did not start"; exit 1; }
rc_() { redis-cli -p "$REDIS_PORT" "$@"; }
rc_ SET pb:job:1 '{"state":"queued"}' >/dev/null
rc_ RPUSH pb:queue:n1 1 2 3 >/dev/null
rc_ HSET pb:user:alice last_error none >/dev/null
snapshot() {
	rc_ --scan | sort | while read -r k; do
		echo "$k $(rc_ --no-raw DUMP "$k")"
	done
}
snapshot >"$T/redis.before"

admin() {	# admin [OUTBOUND_ALLOW value]
	{
		echo "USERS_DIR=$T/users"
		[ -n "${1:-}" ] && echo "OUTBOUND_ALLOW=$1"
		echo "SOURCE_FILES=$T/home/{user}/files"
		echo "STATE_DIR=$T/state"
		echo "TEMP_DIR=$T/tmp"
		echo "NOTIFICATION_TIMEOUT=3s"
	} >"$T/pb.conf"
}
user() {	# user LINES...: alice's settings
	printf 'BACKUP_SOURCES=Files\n' >"$T/users/alice.env"
	for l in "$@"; do printf '%s\n' "$l" >>"$T/users/alice.env"; done
	chmod 600 "$T/users/alice.env"
}
export PANEL_BACKUP_CONFIG=$T/pb.conf
admin

# 1. Notification URLs at loopback, metadata and private addresses.
forms="127.0.0.1:$L localhost:$L [::1]:$L [::ffff:127.0.0.1]:$L 0.0.0.0:$L
2130706433:$L 0x7f000001:$L 169.254.169.254:80 10.11.12.13:$L"
urls=""
n=0
for f in $forms; do
	urls="$urls${urls:+, }generic+http://$f/hook"
	n=$((n + 1))
done
urls="$urls, smtp://127.0.0.1:$L/?from=a@b.example&to=c@d.example"
n=$((n + 1))
user "NOTIFICATION_URLS=$urls"
backupctl notify test alice >"$T/n1.out" 2>"$T/n1.err"
rc=$?
sed 's/^/# /' "$T/n1.out"
refused=$(grep -c 'refused.*OUTBOUND_ALLOW' "$T/n1.out")
[ "$rc" -ne 0 ] && [ "$refused" -eq "$n" ]
ok $? "all $n notification URLs refused naming OUTBOUND_ALLOW ($refused, exit $rc)"
grep 'generic' "$T/n1.out" | grep -v -q 'address [0-9a-f:.]* refused'
[ $? -ne 0 ]
ok $? "each refusal names the address connected"
grep -q 'localhost: address \(127.0.0.1\|::1\) refused (loopback)' "$T/n1.out" &&
    grep -q 'address 169.254.169.254 refused (cloud metadata)' "$T/n1.out" &&
    grep -q 'address 10.11.12.13 refused (private)' "$T/n1.out"
ok $? "the name, the address and the class: localhost, metadata, private"
[ "$(accepts "$T/lst")" -eq 0 ]
ok $? "the loopback listener accepted no connection ($(accepts "$T/lst"))"

# 2. A generic:// URL at the real Redis, commands in method and headers.
smug="generic://127.0.0.1:$REDIS_PORT/x?disabletls=yes&method=SET%20pb%3Asmuggled%201%0D%0AFLUSHALL%0D%0A"
smug="$smug, generic://127.0.0.1:$REDIS_PORT/x?disabletls=yes&@X=a%0D%0A%0D%0AFLUSHALL%0D%0A"
smug="$smug, generic://127.0.0.1:$REDIS_PORT/x?disabletls=yes&method=DEL"
smug2="generic://127.0.0.1:$L/x?disabletls=yes&method=SET%20pb%3Asmuggled%201%0D%0AFLUSHALL%0D%0A"
smug2="$smug2, generic://127.0.0.1:$L/x?disabletls=yes&@X%0D%0AFLUSHALL%0D%0A=1"
user "NOTIFICATION_URLS=$smug, $smug2"
backupctl notify test alice >"$T/n2.out" 2>"$T/n2.err"
sed 's/^/# /' "$T/n2.out"
[ "$(grep -c '^failed' "$T/n2.out")" -eq 5 ]
ok $? "the 5 smuggling URLs all failed"
snapshot >"$T/redis.after"
cmp -s "$T/redis.before" "$T/redis.after"
ok $? "Redis keys unchanged (KEYS and DUMP of each)"
[ "$(accepts "$T/lst")" -eq 0 ]
ok $? "still no connection reached the listener"

# 3. Every destination kind at loopback: refused, nothing connects.
dest() {	# dest NAME LINES...
	_n=$1
	shift
	user "$@"
	backupctl run alice >"$T/d-$_n.out" 2>"$T/d-$_n.err"
	_rc=$?
	grep -q 'refused.*OUTBOUND_ALLOW' "$T/d-$_n.err" && [ "$_rc" -eq 2 ] &&
	    [ "$(accepts "$T/lst")" -eq 0 ]
	ok $? "$_n at loopback: exit 2, refused naming OUTBOUND_ALLOW, no connection (rc=$_rc: $(grep -m1 refused "$T/d-$_n.err"))"
}
dest webdav "WEBDAV_URL=http://127.0.0.1:$L/dav" WEBDAV_USERNAME=u \
    WEBDAV_PASSWORD=pbpassword1
dest s3 AWS_S3_BUCKET_NAME=b "AWS_ENDPOINT=localhost:$L" \
    AWS_ENDPOINT_PROTO=http AWS_ACCESS_KEY_ID=AKIAPB \
    AWS_SECRET_ACCESS_KEY=pbsecretkey1
dest azure AZURE_STORAGE_ACCOUNT_NAME=acct AZURE_STORAGE_CONTAINER_NAME=c \
    AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=cGJrZXlwYmtleXBia2V5 \
    "AZURE_STORAGE_ENDPOINT=http://[::1]:$L/{{ .AccountName }}/"
dest sftp SSH_HOST_NAME=127.0.0.1 "SSH_PORT=$L" SSH_USER=alice \
    SSH_PASSWORD=pbsshpass1 SSH_HOST_KEY_FINGERPRINT=SHA256:x
dest sftp-mapped SSH_HOST_NAME=::ffff:127.0.0.1 "SSH_PORT=$L" \
    SSH_USER=alice SSH_PASSWORD=pbsshpass1 SSH_HOST_KEY_FINGERPRINT=SHA256:x

# 4. A redirect from an allowed server to a refused address.
R=$(free_port)
L2=$(free_port)
/usr/bin/python3 "$PB_ROOT/tests/servers/listener.py" --dir "$T/lst2" \
    "127.0.0.2:$L2" >"$T/lst2.log" 2>&1 &
t_bg $!
/usr/bin/python3 "$PB_ROOT/tests/servers/listener.py" --dir "$T/redir" \
    --redirect "http://127.0.0.2:$L2/stolen" "127.0.0.1:$R" \
    >"$T/redir.log" 2>&1 &
t_bg $!
wait_for 10 test -f "$T/lst2/ready" && wait_for 10 test -f "$T/redir/ready"
admin "127.0.0.1"
user "NOTIFICATION_URLS=generic+http://127.0.0.1:$R/hook" \
    "WEBDAV_URL=http://127.0.0.1:$R/dav" WEBDAV_USERNAME=u \
    WEBDAV_PASSWORD=pbpassword1
backupctl notify test alice >"$T/r.out" 2>&1
backupctl run alice >"$T/r2.out" 2>&1
[ "$(accepts "$T/redir")" -ge 2 ] && [ "$(accepts "$T/lst2")" -eq 0 ]
ok $? "a 302 from the allowed 127.0.0.1 to 127.0.0.2 is not followed ($(accepts "$T/redir") to the redirector, $(accepts "$T/lst2") to the target)"

# 5. The admin allows loopback: the same URLs reach the listener; the
#    smuggling ones are still refused and Redis is untouched.
admin "127.0.0.0/8,::1"
user "NOTIFICATION_URLS=generic+http://127.0.0.1:$L/hook, generic+http://[::1]:$L/hook"
backupctl notify test alice >"$T/a1.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(accepts "$T/lst")" -eq 2 ]
ok $? "with OUTBOUND_ALLOW=127.0.0.0/8,::1 both notifications arrive (exit $rc, $(accepts "$T/lst") connections)"
admin "localhost"
user "NOTIFICATION_URLS=generic+http://localhost:$L/hook"
backupctl notify test alice >"$T/a2.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(accepts "$T/lst")" -ge 3 ]
ok $? "a host name in OUTBOUND_ALLOW allows what it resolves to (exit $rc)"
admin "127.0.0.0/8,::1"
before=$(accepts "$T/lst")
user "NOTIFICATION_URLS=$smug2"
backupctl notify test alice >"$T/a3.out" 2>&1
sed 's/^/# /' "$T/a3.out"
[ "$(grep -c '^failed.*token' "$T/a3.out")" -eq 2 ] &&
    [ "$(accepts "$T/lst")" -eq "$before" ]
ok $? "allowed or not, a method or header name with CR LF is refused as not a token, nothing sent"
user "NOTIFICATION_URLS=generic://127.0.0.1:$REDIS_PORT/x?disabletls=yes&@X=a%0D%0A%0D%0AFLUSHALL%0D%0A"
backupctl notify test alice >"$T/a4.out" 2>&1
snapshot >"$T/redis.after2"
grep -q '^failed.*control character' "$T/a4.out" &&
    cmp -s "$T/redis.before" "$T/redis.after2"
ok $? "a header value with CR LF is refused, Redis untouched, even with loopback allowed"
dest_ok() {	# dest_ok NAME LINES...: reaches the listener (then fails)
	_n=$1
	shift
	_b=$(accepts "$T/lst")
	user "$@"
	backupctl run alice >"$T/o-$_n.out" 2>"$T/o-$_n.err"
	! grep -q 'OUTBOUND_ALLOW' "$T/o-$_n.err" && [ "$(accepts "$T/lst")" -gt "$_b" ]
	ok $? "$_n with loopback allowed: it connects ($(grep -m1 -i error "$T/o-$_n.err"))"
}
dest_ok sftp SSH_HOST_NAME=127.0.0.1 "SSH_PORT=$L" SSH_USER=alice \
    SSH_PASSWORD=pbsshpass1 SSH_HOST_KEY_FINGERPRINT=SHA256:x
dest_ok webdav "WEBDAV_URL=http://127.0.0.1:$L/dav" WEBDAV_USERNAME=u \
    WEBDAV_PASSWORD=pbpassword1
t_done
