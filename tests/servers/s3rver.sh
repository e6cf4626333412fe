# tests/servers/s3rver.sh - start s3rver (and a private CA) from a test.
#
#	. "$PB_ROOT/tests/servers/s3rver.sh"
#	make_ca DIR			# DIR/ca.pem, DIR/server.{key,pem} for 127.0.0.1
#	start_s3rver http|https	# S3_PORT S3_ENDPOINT S3_BUCKET S3_AK S3_SK
#
# Needs t_setup (tests/lib/common.sh) first: $T and t_bg.

S3_BUCKET=${S3_BUCKET:-pb-bucket}
S3_AK=${S3_AK:-PBTESTACCESSKEY}
S3_SK=${S3_SK:-pbTestSecretKey/ForS3rver+Only0123456789}

# A private CA and a server certificate for 127.0.0.1 and localhost.
make_ca() {
	mkdir -p "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pb test CA" \
	    -keyout "$1/ca.key" -out "$1/ca.pem" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout "$1/server.key" -out "$1/server.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$1/ext.cnf"
	openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
	    -CAcreateserial -days 2 -extfile "$1/ext.cnf" \
	    -out "$1/server.pem" >/dev/null 2>&1
}

start_s3rver() {
	S3_PORT=$(free_port)
	mkdir -p "$T/s3data"
	if [ "$1" = https ]; then
		[ -f "$T/ca/ca.pem" ] || make_ca "$T/ca" || return 1
		node --openssl-legacy-provider "$PB_ROOT/tests/servers/s3rver.js" \
		    "$S3_PORT" "$T/s3data" "$S3_BUCKET" "$S3_AK" "$S3_SK" \
		    "$T/ca/server.key" "$T/ca/server.pem" >"$T/s3rver.log" 2>&1 &
		S3_URL="https://127.0.0.1:$S3_PORT"
	else
		node --openssl-legacy-provider "$PB_ROOT/tests/servers/s3rver.js" \
		    "$S3_PORT" "$T/s3data" "$S3_BUCKET" "$S3_AK" "$S3_SK" \
		    >"$T/s3rver.log" 2>&1 &
		S3_URL="http://127.0.0.1:$S3_PORT"
	fi
	S3_PID=$!
	t_bg "$S3_PID"
	S3_ENDPOINT="127.0.0.1:$S3_PORT"
	export S3_PORT S3_ENDPOINT S3_BUCKET S3_AK S3_SK S3_URL S3_PID
	wait_for 20 grep -q ready "$T/s3rver.log"
}

# Debian's aws CLI (not the pyenv shim), path-style, against the server.
s3aws() {
	AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK \
	AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE="$T/aws.cfg" \
	AWS_CA_BUNDLE="${S3_CA:-/etc/ssl/certs/ca-certificates.crt}" \
	    /usr/bin/aws --endpoint-url "$S3_URL" "$@"
}
s3aws_config() {
	printf '[default]\ns3 =\n    addressing_style = path\n' >"$T/aws.cfg"
}
