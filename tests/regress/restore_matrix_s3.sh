#!/bin/sh
# restore_matrix_s3.sh - issue 11's matrix on S3 (s3rver over HTTPS, its
# CA trusted through HTTP_CA_FILE): every compression x encryption, and
# an age passphrase once, backed up, listed, verified and restored (diff -r
# against the source); objects re-uploaded with one bit flipped by the
# stock aws CLI fail verify naming the layer; newest first.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup
s3aws_config
start_s3rver https || { echo "not ok 1 - s3rver did not start: $(tail -3 "$T/s3rver.log")"; exit 1; }
S3_CA=$T/ca/ca.pem
rm_admin "HTTP_CA_FILE=$S3_CA"

RM_DEST=s3
RM_DEST_LINES="AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_S3_PATH=backups/alice
AWS_ENDPOINT=$S3_ENDPOINT
AWS_ACCESS_KEY_ID=$S3_AK
AWS_SECRET_ACCESS_KEY=$S3_SK"
obj() { echo "s3://$S3_BUCKET/backups/alice/$1"; }
rm_fetch() { s3aws s3 cp --only-show-errors "$(obj "$1")" "$2"; }
rm_store() { s3aws s3 cp --only-show-errors "$1" "$(obj "$2")"; }
rm_server_sizes() {
	s3aws s3 ls "s3://$S3_BUCKET/backups/alice/" | awk '{ print $4, $3 }'
}

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
# age passphrases (scrypt: slow by design) once, not per compression:
# restore_local.sh has them with every compression.
rm_one zst age-pass
rm_sizes_agree
rm_flip gz none "gzip layer"
rm_flip none age-key "age" -200
rm_newest_first
rm_remove() { s3aws s3 rm --only-show-errors "$(obj "$1")"; }
rm_chain zst age-key
! grep -rq -e "$S3_SK" -e "$RM_AGE_PASS" -e "$RM_GPG_PASS" "$T/state" "$T"/*.out "$T"/*.err "$T/list.json"
ok $? "s3: no secret key or passphrase in any output or state file"

t_done
