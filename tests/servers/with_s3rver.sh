#!/bin/sh
# tests/servers/with_s3rver.sh PROG [ARGS] - run PROG with two s3rver
# instances up: plain HTTP and HTTPS with a private CA.  PROG gets
# S3_ENDPOINT, S3_TLS_ENDPOINT, S3_CA_PEM (path), S3_BUCKET, S3_AK, S3_SK,
# S3_AWS_CONFIG; both servers are stopped when it exits.
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
t_setup
s3aws_config
if ! start_s3rver https; then
	echo "not ok 1 - s3rver (https) did not start: $(tail -3 "$T/s3rver.log")"
	exit 1
fi
S3_TLS_ENDPOINT=$S3_ENDPOINT
mv "$T/s3rver.log" "$T/s3rver-tls.log"
if ! start_s3rver http; then
	echo "not ok 1 - s3rver (http) did not start: $(tail -3 "$T/s3rver.log")"
	exit 1
fi
S3_CA_PEM=$T/ca/ca.pem
S3_AWS_CONFIG=$T/aws.cfg
S3_TMP=$T
export S3_TLS_ENDPOINT S3_CA_PEM S3_AWS_CONFIG S3_TMP
"$@"
