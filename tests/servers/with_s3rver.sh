#!/bin/sh
# tests/servers/with_s3rver.sh PROG [ARGS] - run PROG with two s3rver
# instances up: plain HTTP and HTTPS with a private CA; the metadata
# stand-in (imds.py) handing out a second key pair s3rver knows, and
# faultproxy.py in front of the HTTP server.  PROG gets S3_ENDPOINT,
# S3_TLS_ENDPOINT, S3_CA_PEM (path), S3_BUCKET, S3_AK, S3_SK,
# S3_AWS_CONFIG, S3_TMP, IMDS_URL (AWS_IAM_ROLE_ENDPOINT), IMDS_AK (the
# first key id it gives out), FP_PORT; all are stopped when it exits.
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/servers/imds.sh"
. "$PB_ROOT/tests/servers/faultproxy.sh"
t_setup
s3aws_config
if ! start_s3rver https; then
	echo "not ok 1 - s3rver (https) did not start: $(tail -3 "$T/s3rver.log")"
	exit 1
fi
S3_TLS_ENDPOINT=$S3_ENDPOINT
mv "$T/s3rver.log" "$T/s3rver-tls.log"
# Instance-profile key pairs: one per credentials fetch, in turn.
IMDS_AK=PBIMDSROLEKEY1
S3_EXTRA_KEYS="$IMDS_AK:pbImdsRoleSecret1/ForS3rver+Only0123,PBIMDSROLEKEY2:pbImdsRoleSecret2/ForS3rver+Only4567"
export S3_EXTRA_KEYS IMDS_AK
if ! start_s3rver http; then
	echo "not ok 1 - s3rver (http) did not start: $(tail -3 "$T/s3rver.log")"
	exit 1
fi
if ! IMDS_KEYS=$S3_EXTRA_KEYS start_imds; then
	echo "not ok 1 - imds.py did not start: $(tail -3 "$T/imds.log")"
	exit 1
fi
if ! start_faultproxy s3 "$S3_ENDPOINT"; then
	echo "not ok 1 - faultproxy.py did not start: $(tail -3 "$T/fp-s3.log")"
	exit 1
fi
unset S3_EXTRA_KEYS
S3_CA_PEM=$T/ca/ca.pem
S3_AWS_CONFIG=$T/aws.cfg
S3_TMP=$T
export S3_TLS_ENDPOINT S3_CA_PEM S3_AWS_CONFIG S3_TMP
"$@"
