#!/bin/sh
# tests/run.sh TESTBINDIR - run every test and print "N passed, N failed".
#
# Runs each C test binary under TESTBINDIR and each tests/regress/*.sh.
# Every test prints TAP lines ("ok N - ..." / "not ok N - ..."); a test that
# exits non-zero without a failing line counts as one failure.  Logs of
# failing tests are printed; the rest are kept in $TEST_LOGDIR.
# TESTS=pattern runs only tests whose name contains pattern.
set -u
cd "$(dirname "$0")/.."
bindir=${1:-build/opt/tests}
case $bindir in /*) ;; *) bindir="$(pwd)/$bindir" ;; esac
export PB_ROOT="$(pwd)"
# The programs of the flavor under test (build/<flavor>/bin).
export PB_BIN="$(dirname "$bindir")/bin"
export PB_FAULTFS="$(dirname "$bindir")/lib/faultfs.so"
TEST_LOGDIR=${TEST_LOGDIR:-$(mktemp -d /tmp/pb-test-logs.XXXXXX)}
export TEST_LOGDIR
# One sanitizer setup for everything that runs under the tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PB_ROOT/tests/lsan.supp:print_suppressions=0}"

passed=0
failed=0
failing=""

run_one() {
	name=$1
	shift
	case "$name" in *"${TESTS:-}"*) ;; *) return ;; esac
	log="$TEST_LOGDIR/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	timeout -k 10 ${TEST_TIMEOUT:-600} "$@" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - start ))
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p passed, $f failed, ${secs}s)"
		failing="$failing $log"
	else
		echo "PASS $name ($p passed, ${secs}s)"
	fi
}

for t in $(find "$bindir" -type f -perm -u+x 2>/dev/null | sort); do
	run_one "${t#"$bindir"/}" "$t"
done
for t in tests/regress/*.sh tests/security/*.sh; do
	[ -f "$t" ] || continue
	run_one "$t" sh "$t"
done

for log in $failing; do
	echo
	echo "==== $log (last 60 lines)"
	tail -n 60 "$log"
done
echo
echo "logs: $TEST_LOGDIR"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
