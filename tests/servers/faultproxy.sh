# tests/servers/faultproxy.sh - start faultproxy.py in front of a server.
#
#	. "$PB_ROOT/tests/servers/faultproxy.sh"
#	start_faultproxy NAME HOST:PORT	# FP_PORT; log and rules at
#					# http://127.0.0.1:$FP_PORT/__ctl/
#	fp_faults '[{"match": "partNumber=2", "count": 1, "action": "503"}]'
#	fp_reset
#
# Clients reach it through HTTP_CONNECT_TO=HOST:PORT:127.0.0.1:$FP_PORT.
# Needs t_setup (tests/lib/common.sh) first: $T and t_bg.

start_faultproxy() {
	mkdir -p "$T/fp-$1"
	rm -f "$T/fp-$1/port"
	/usr/bin/python3 "$PB_ROOT/tests/servers/faultproxy.py" \
	    --dir "$T/fp-$1" --upstream "$2" >"$T/fp-$1.log" 2>&1 &
	FP_PID=$!
	t_bg "$FP_PID"
	wait_for 10 test -s "$T/fp-$1/port" || return 1
	FP_PORT=$(cat "$T/fp-$1/port")
	export FP_PORT FP_PID
}

fp_faults() {
	curl -s -o /dev/null -X POST --data-binary "$1" \
	    "http://127.0.0.1:$FP_PORT/__ctl/faults"
}

fp_reset() {
	curl -s -o /dev/null -X POST "http://127.0.0.1:$FP_PORT/__ctl/reset"
}
