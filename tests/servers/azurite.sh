# tests/servers/azurite.sh - start Azurite 3.35.0 (blob only) from a test.
#
#	. "$PB_ROOT/tests/servers/azurite.sh"
#	start_azurite		# AZ_PORT AZ_ENDPOINT AZ_ACCOUNT AZ_KEY
#	start_azurite_tls CADIR	# AZ_TLS_PORT AZ_TLS_ENDPOINT: HTTPS with
#				# CADIR/server.{pem,key} (make_ca of
#				# s3rver.sh), --oauth basic: bearer tokens
#				# are checked (issuer, audience, lifetime)
#
# Always --disableTelemetry; --skipApiVersionCheck for the SDK's newer
# x-ms-version; never --loose.  Needs t_setup first ($T, t_bg).

AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

start_azurite() {
	AZ_PORT=$(free_port)
	mkdir -p "$T/azurite"
	node "$PB_ROOT/tests/node/node_modules/azurite/dist/src/blob/main.js" \
	    --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$T/azurite" \
	    --disableTelemetry --skipApiVersionCheck --silent \
	    >"$T/azurite.log" 2>&1 &
	AZ_PID=$!
	t_bg "$AZ_PID"
	AZ_ENDPOINT="http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT"
	export AZ_PORT AZ_ENDPOINT AZ_ACCOUNT AZ_KEY AZ_PID
	wait_for 30 curl -s -o /dev/null "http://127.0.0.1:$AZ_PORT/"
}

start_azurite_tls() {
	AZ_TLS_PORT=$(free_port)
	mkdir -p "$T/azurite-tls"
	node "$PB_ROOT/tests/node/node_modules/azurite/dist/src/blob/main.js" \
	    --blobHost 127.0.0.1 --blobPort "$AZ_TLS_PORT" \
	    --location "$T/azurite-tls" --cert "$1/server.pem" \
	    --key "$1/server.key" --oauth basic \
	    --disableTelemetry --skipApiVersionCheck --silent \
	    >"$T/azurite-tls.log" 2>&1 &
	AZ_TLS_PID=$!
	t_bg "$AZ_TLS_PID"
	AZ_TLS_ENDPOINT="https://127.0.0.1:$AZ_TLS_PORT/$AZ_ACCOUNT"
	export AZ_TLS_PORT AZ_TLS_ENDPOINT AZ_TLS_PID
	wait_for 30 curl -s -o /dev/null --cacert "$1/ca.pem" \
	    "https://127.0.0.1:$AZ_TLS_PORT/"
}

# The SDK as the independent reader: azsdk ls|get|tier|mk CONTAINER [BLOB]
azsdk() {
	node "$PB_ROOT/tests/servers/azure_sdk.js" "$@"
}
