# tests/servers/imds.sh - start the metadata-service stand-in (imds.py).
#
#	. "$PB_ROOT/tests/servers/imds.sh"
#	IMDS_KEYS="AK:SK,AK2:SK2" start_imds [--ttl S] [--az-ttl S]
#		# IMDS_URL (the AWS_IAM_ROLE_ENDPOINT), IMDS_AZ_URL (the
#		# AZURE_IMDS_ENDPOINT), IMDS_PORT
#	imds_stat cred_gets	# a counter of GET /__ctl/stats
#
# Needs t_setup (tests/lib/common.sh) first: $T and t_bg.

start_imds() {
	mkdir -p "$T/imds"
	rm -f "$T/imds/port"
	IMDS_KEYS=$IMDS_KEYS /usr/bin/python3 "$PB_ROOT/tests/servers/imds.py" \
	    --dir "$T/imds" "$@" >"$T/imds.log" 2>&1 &
	IMDS_PID=$!
	t_bg "$IMDS_PID"
	wait_for 10 test -s "$T/imds/port" || return 1
	IMDS_PORT=$(cat "$T/imds/port")
	IMDS_URL="http://127.0.0.1:$IMDS_PORT"
	IMDS_AZ_URL="$IMDS_URL/metadata/identity/oauth2/token"
	export IMDS_PORT IMDS_URL IMDS_AZ_URL IMDS_PID
}

imds_stat() {
	curl -s "$IMDS_URL/__ctl/stats" |
	    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# imds_ttl "302,3600": lifetimes of the next credentials, in turn.
imds_ttl() {
	curl -s -o /dev/null -X POST --data-binary "$1" "$IMDS_URL/__ctl/ttl"
}
