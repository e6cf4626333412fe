#!/bin/sh
# restore_seek_s3.sh - restore --only by ranges at S3 (s3rver over HTTPS):
# tests/lib/restore_seek.sh's matrix (gz/zst x none/age; first and last
# block, a folder, two paths, a missing path; bytes downloaded under 1/8
# of the object), gpg and a foreign archive falling back.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
. "$PB_ROOT/tests/lib/restore_seek.sh"
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
rs_tree
rs_matrix
rs_gpg
rs_foreign
t_done
