#!/bin/sh
# instance_creds.sh - the host's instance credentials never serve a
# user-chosen server (issue 16).
#
# The admin turned instance credentials on (ALLOW_INSTANCE_CREDENTIALS)
# with its own metadata endpoints (tests/servers/imds.py, which hands out
# a role key pair and an Azure bearer token).  A hostile user points
# AWS_ENDPOINT / AZURE_STORAGE_ENDPOINT at a listener they control on
# loopback (allowed here, as every test server is: the outbound policy is
# not what stops this) and sets no keys, or sets AWS_IAM_ROLE_ENDPOINT
# themselves.  Each is refused with exit 2 naming the setting; the
# metadata service is never asked; nothing reaches the listener, so no
# request signed with the role's keys and no Authorization header
# arrives.  With the admin's switch off (the default) a user without keys
# is refused too, naming ALLOW_INSTANCE_CREDENTIALS.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/imds.sh"
t_setup

ROLE_AK=PBSECROLEAKMARK
ROLE_SK='pbSecRoleSecret/Mark+42'
IMDS_KEYS="$ROLE_AK:$ROLE_SK" start_imds ||
    { echo "not ok 1 - imds.py did not start: $(tail -3 "$T/imds.log")"; exit 1; }
L=$(free_port)
mkdir -p "$T/lst" "$T/users" "$T/state" "$T/tmp" "$T/home/mallory/files"
echo hello >"$T/home/mallory/files/a.txt"
/usr/bin/python3 "$PB_ROOT/tests/servers/listener.py" --dir "$T/lst" \
    "127.0.0.1:$L" >"$T/lst.log" 2>&1 &
t_bg $!
wait_for 10 test -f "$T/lst/ready"
ok $? "metadata stand-in on $IMDS_PORT, the user's listener on $L"

admin() {	# admin true|false
	cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
ALLOW_INSTANCE_CREDENTIALS=$1
AWS_IAM_ROLE_ENDPOINT=$IMDS_URL
AZURE_IMDS_ENDPOINT=$IMDS_AZ_URL
EOC
}
user() {
	printf 'BACKUP_SOURCES=Files\n' >"$T/users/mallory.env"
	for l in "$@"; do printf '%s\n' "$l" >>"$T/users/mallory.env"; done
	chmod 600 "$T/users/mallory.env"
}
export PANEL_BACKUP_CONFIG=$T/pb.conf
stats() { echo "$(imds_stat cred_gets)/$(imds_stat az_gets)"; }
nothing_sent() {
	[ "$(cat "$T/lst/accepts")" -eq 0 ] &&
	    ! grep -q -i -e "$ROLE_AK" -e 'authorization' -e 'x-amz-security-token' \
	    "$T/lst/requests" && [ "$(stats)" = "0/0" ]
}
run() {		# run NAME: backupctl run mallory, keep the outputs
	backupctl run mallory >"$T/$1.out" 2>"$T/$1.err"
	echo $? >"$T/$1.rc"
	sed 's/^/# /' "$T/$1.err" | head -3
}
admin true

user AWS_S3_BUCKET_NAME=loot "AWS_ENDPOINT=127.0.0.1:$L" \
    AWS_ENDPOINT_PROTO=http "AWS_IAM_ROLE_ENDPOINT=$IMDS_URL"
run s3-role
[ "$(cat "$T/s3-role.rc")" -eq 2 ] &&
    grep -q 'AWS_IAM_ROLE_ENDPOINT' "$T/s3-role.err"
ok $? "a user's AWS_IAM_ROLE_ENDPOINT is refused: exit 2 naming it"
nothing_sent
ok $? "no role key fetched, nothing signed or sent to the user's server ($(stats) fetches, $(cat "$T/lst/accepts") connections)"

user AWS_S3_BUCKET_NAME=loot "AWS_ENDPOINT=127.0.0.1:$L" AWS_ENDPOINT_PROTO=http
run s3-custom
[ "$(cat "$T/s3-custom.rc")" -eq 2 ] && grep -q 'AWS_ENDPOINT' "$T/s3-custom.err" &&
    nothing_sent
ok $? "no keys and a custom AWS_ENDPOINT: refused, the role never signs for it ($(stats))"

user AZURE_STORAGE_ACCOUNT_NAME=loot AZURE_STORAGE_CONTAINER_NAME=c \
    "AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$L/{{ .AccountName }}/"
run az-custom
[ "$(cat "$T/az-custom.rc")" -eq 2 ] &&
    grep -q 'AZURE_STORAGE_ENDPOINT' "$T/az-custom.err"
ok $? "Azure, no key, the user's endpoint: exit 2 naming AZURE_STORAGE_ENDPOINT"
nothing_sent
ok $? "no managed-identity token fetched, no Authorization header reached the user's server ($(stats))"

user AZURE_STORAGE_ACCOUNT_NAME=loot.example.net/x AZURE_STORAGE_CONTAINER_NAME=c
run az-name
[ "$(cat "$T/az-name.rc")" -eq 2 ] && nothing_sent
ok $? "an account name that would change the token's host is refused ($(stats))"

admin false
user AZURE_STORAGE_ACCOUNT_NAME=loot AZURE_STORAGE_CONTAINER_NAME=c
run az-off
user AWS_S3_BUCKET_NAME=loot
run s3-off
[ "$(cat "$T/az-off.rc")" -eq 2 ] && [ "$(cat "$T/s3-off.rc")" -eq 2 ] &&
    grep -q ALLOW_INSTANCE_CREDENTIALS "$T/az-off.err" &&
    grep -q ALLOW_INSTANCE_CREDENTIALS "$T/s3-off.err" && nothing_sent
ok $? "instance credentials are off by default: refused naming ALLOW_INSTANCE_CREDENTIALS ($(stats))"
! grep -q -e "$ROLE_SK" -e "$ROLE_AK" "$T"/*.out "$T"/*.err
ok $? "no role key in any output"
t_done
