#!/bin/sh
# s3_iam.sh - `backupctl run` of a user whose S3 destination has no keys:
# the admin turned the host's instance role on (ALLOW_INSTANCE_CREDENTIALS)
# and set AWS_IAM_ROLE_ENDPOINT and AWS_ENDPOINT in the admin config.  The
# instance-profile keys come from a local stand-in of the EC2 metadata
# service (tests/servers/imds.py, IMDSv2), s3rver verifies the signatures
# made with them, the stock aws CLI reads the backup back; and a metadata
# service that does not answer is one clear line naming
# AWS_IAM_ROLE_ENDPOINT, exit 3, nothing stored, no secret printed.
# (tests/security/instance_creds.sh has the user-side refusals.)
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/servers/imds.sh"
t_setup
s3aws_config

ROLE_AK=PBREGRESSROLEKEY
ROLE_SK='pbRegressRoleSecret/ForS3rver+Only42'
S3_EXTRA_KEYS="$ROLE_AK:$ROLE_SK" start_s3rver http ||
    { echo "not ok 1 - s3rver did not start: $(tail -3 "$T/s3rver.log")"; exit 1; }
IMDS_KEYS="$ROLE_AK:$ROLE_SK" start_imds ||
    { echo "not ok 1 - imds.py did not start: $(tail -3 "$T/imds.log")"; exit 1; }

mkdir -p "$T/home/alice/files/sub" "$T/users" "$T/state" "$T/tmp"
seq 1 20000 >"$T/home/alice/files/numbers.txt"
echo hello >"$T/home/alice/files/sub/a.txt"
admin() {
	cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
ALLOW_INSTANCE_CREDENTIALS=true
AWS_ENDPOINT=$S3_ENDPOINT
AWS_IAM_ROLE_ENDPOINT=$1
EOC
}
admin "$IMDS_URL"
PANEL_BACKUP_CONFIG=$T/pb.conf
export PANEL_BACKUP_CONFIG
user() {
	cat >"$T/users/alice.env" <<EOC
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=gz
AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_S3_PATH=iam/alice
AWS_ENDPOINT_PROTO=http
EOC
	chmod 600 "$T/users/alice.env"
}

user
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backup with the admin's instance role, no keys: exit 0 ($(tail -1 "$T/run.err"))"
name=$(s3aws s3 ls "s3://$S3_BUCKET/iam/alice/" | awk '{ print $4 }' | head -1)
[ -n "$name" ] && s3aws s3 cp --only-show-errors \
    "s3://$S3_BUCKET/iam/alice/$name" "$T/back.tar.gz" &&
    mkdir -p "$T/x" && tar -xzf "$T/back.tar.gz" -C "$T/x" &&
    diff -r "$T/home/alice/files" "$T/x/files" >/dev/null 2>&1 ||
    diff -r "$T/home/alice/files" "$T/x" >/dev/null 2>&1
ok $? "aws s3 cp and tar read the backup back, same files ($name)"
[ "$(imds_stat cred_gets)" -ge 1 ] && [ "$(imds_stat token_puts)" -ge 1 ]
ok $? "the keys came from the metadata service, IMDSv2 session first ($(imds_stat token_puts) token, $(imds_stat cred_gets) credential fetches)"

admin "http://127.0.0.1:1"
before=$(s3aws s3 ls "s3://$S3_BUCKET/iam/alice/" | wc -l)
backupctl run alice >"$T/run2.out" 2>"$T/run2.err"
rc=$?
line=$(grep -c "AWS_IAM_ROLE_ENDPOINT" "$T/run2.err")
[ $rc -eq 3 ] && [ "$line" -eq 1 ] && grep -q "127.0.0.1:1" "$T/run2.err"
ok $? "metadata service unreachable: exit 3, one line naming AWS_IAM_ROLE_ENDPOINT (rc=$rc: $(grep AWS_IAM_ROLE_ENDPOINT "$T/run2.err"))"
[ "$(s3aws s3 ls "s3://$S3_BUCKET/iam/alice/" | wc -l)" -eq "$before" ]
ok $? "nothing new stored"
! grep -rqF -e "$ROLE_SK" -e "pb-session-token" "$T/run.out" "$T/run.err" \
    "$T/run2.out" "$T/run2.err" "$T/state"
ok $? "neither the role's secret key nor its session token in any output or state file"
t_done
