#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer harnesses (tests/fuzz/fuzz.mk,
# clang, into build/fuzz/) and run each for FUZZ_SECONDS (default 60).
#
#   FUZZ_SECONDS=600 sh tests/fuzz/run.sh            every harness, 10 min
#   FUZZ_ONLY="cron xml" FUZZ_PARALLEL=2 sh tests/fuzz/run.sh
#
# Seeds are read from tests/fuzz/corpus/<name>/ (never written); what the
# fuzzer learns grows in build/fuzz/corpus/<name>/.  A crash, leak or
# timeout leaves its input in build/fuzz/crashes/<name>/: commit it under
# tests/fuzz/regress/<name>/ so test_fuzz_regress replays it in `make test`.
# Prints one line per harness: executions and crashes; exits 1 if any
# harness crashed.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
all="dotenv cron notify_url age_header job_msg xml"
only=${FUZZ_ONLY:-$all}
par=${FUZZ_PARALLEL:-1}
out=build/fuzz

command -v clang >/dev/null || { echo "fuzz: clang is not installed (make deps)" >&2; exit 2; }
nice make -s -f tests/fuzz/fuzz.mk -j2 || exit 2

# Crashes of this run only (older inputs may already be regress tests).
mkdir -p "$out"
stamp=$out/.run-start
touch "$stamp"

run_one() {
	name=$1
	mkdir -p "$out/corpus/$name" "$out/crashes/$name" "$out/logs"
	log="$out/logs/$name.log"
	maxlen=4096
	[ "$name" = age_header ] && maxlen=8192
	# UBSan findings abort, so they count as crashes too.
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	nice "$out/fuzz_$name" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=1024 -max_len=$maxlen -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/$name/" \
	    "$out/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=$(find "$out/crashes/$name" -type f -newer "$stamp" | wc -l)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "fuzz_$name: ${execs:-?} executions, $crashes crashes," \
	    "${cov:-cov: ?} edges, ${secs}s, exit $rc (log $log)"
	[ "$crashes" -eq 0 ] && [ "$rc" -eq 0 ]
}

fail=0
set -- $only
while [ $# -gt 0 ]; do
	pids=""
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$par" ]; do
		run_one "$1" &
		pids="$pids $!"
		shift
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || fail=1
	done
done
exit $fail
