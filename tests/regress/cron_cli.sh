#!/bin/sh
# cron_cli.sh - `backupctl cron next EXPR [-n N] [--from TIME]` as a user
# runs it: output format and zone, exit statuses, one clear stderr line on
# bad input; and GNU date (glibc's own zone code) as an independent reader
# of what we print, over 20 years of DST changes in several zones.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

bc() {
	"$PB_BIN/backupctl" "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
}
rc() { cat "$T/rc"; }
lines() { wc -l <"$1" | tr -d ' '; }

# --- output --------------------------------------------------------------
TZ=UTC bc cron next '0 0 * * *' --from 2026-01-01T12:00:00Z
printf '%s\n' 2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z \
    2026-01-05T00:00:00Z 2026-01-06T00:00:00Z >"$T/want"
cmp -s "$T/out" "$T/want" && [ "$(rc)" = 0 ] && [ ! -s "$T/err" ]
ok $? "five daily times after --from, one RFC 3339 time a line, exit 0"

TZ=Europe/Berlin bc cron next '30 2 * * *' -n 2 \
    --from 2026-03-28T12:00:00+01:00
printf '%s\n' 2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00 >"$T/want"
cmp -s "$T/out" "$T/want"
ok $? "in TZ's zone with its offset; 02:30 skipped by DST fires at 03:00: $(tr '\n' ' ' <"$T/out")"

TZ=America/New_York bc cron next '30 1 * * *' -n 2 \
    --from 2024-11-02T12:00:00-04:00
printf '%s\n' 2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00 >"$T/want"
cmp -s "$T/out" "$T/want"
ok $? "01:30 repeated by fall-back fires once: $(tr '\n' ' ' <"$T/out")"

TZ=America/New_York bc cron next 'CRON_TZ=Asia/Tokyo 0 9 * * *' -n1 \
    --from=2026-01-01T00:00:00Z
[ "$(cat "$T/out")" = 2026-01-02T09:00:00+09:00 ]
ok $? "a CRON_TZ= prefix beats TZ: $(cat "$T/out")"

TZ=Europe/Berlin bc cron next '0 12 * * *' -n 1 --from 2026-07-01T12:00:00
[ "$(cat "$T/out")" = 2026-07-02T12:00:00+02:00 ]
ok $? "--from without an offset is a wall time in the zone: $(cat "$T/out")"

TZ=UTC bc cron next @every 90m -n 2 --from 2026-01-01T00:00:00Z
printf '%s\n' 2026-01-01T01:30:00Z 2026-01-01T03:00:00Z >"$T/want"
cmp -s "$T/out" "$T/want"
ok $? "unquoted words are one expression (@every 90m)"

now=$(date +%s)
TZ=UTC bc cron next '*/10 * * * * *'
first=$(head -n 1 "$T/out")
[ "$(rc)" = 0 ] && [ "$(lines "$T/out")" = 5 ] &&
    [ "$(date -d "$first" +%s)" -gt "$now" ] &&
    [ "$(date -d "$first" +%s)" -le $((now + 12)) ]
ok $? "defaults: 5 times, from now ($first)"

grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$' "$T/out"
[ $? = 1 ]
ok $? "every line is RFC 3339"

# --- bad input: exit 2, one line on stderr, nothing on stdout -------------
bad() {
	want_rc=$1 want_msg=$2
	shift 2
	TZ=UTC bc "$@"
	[ "$(rc)" = "$want_rc" ] && [ ! -s "$T/out" ] &&
	    [ "$(lines "$T/err")" = 1 ] && grep -qF -- "$want_msg" "$T/err"
	ok $? "exit $want_rc: $(cat "$T/err")"
}
bad 2 'hour field: "25" is above 23' cron next '0 25 * * *'
bad 2 'day-of-week field: "7" is above 6' cron next '0 0 * * 7'
bad 2 'month field: "FOO" is not a number' cron next '0 0 * FOO *'
bad 2 'expected 5 fields' cron next '0 0 * *'
bad 2 'unknown descriptor "@DAILY"' cron next '@DAILY'
bad 2 '@every: "1d": unknown unit' cron next '@every 1d'
bad 2 'time zone "Mars/Base": unknown' cron next 'TZ=Mars/Base @daily'
bad 2 'time zone prefix "CRON_TZ=UTC" must be followed by a space' \
    cron next 'CRON_TZ=UTC'
bad 2 '-n "0": not a whole number from 1 to 10000' cron next @daily -n 0
bad 2 '-n "x": not a whole number' cron next @daily -n x
bad 2 '--from "tomorrow" is not an RFC 3339 time' cron next @daily \
    --from tomorrow
bad 2 'unknown option "--bogus"' cron next @daily --bogus
bad 2 'usage: backupctl cron next EXPR' cron next
bad 2 'usage: backupctl cron next EXPR' cron
bad 1 '"0 0 30 2 *" never fires' cron next '0 0 30 2 *'
TZ=Nowhere/Land bc cron next @daily
[ "$(rc)" = 2 ] && grep -qF 'time zone "Nowhere/Land": unknown' "$T/err"
ok $? "an unknown TZ is named: $(cat "$T/err")"

# --- GNU date reads what we print -----------------------------------------
# Each printed line, read by date(1) and printed again in the zone, must
# come back unchanged: our TZif reader and POSIX rules agree with glibc's
# on the offset of every instant, 2020-2041 (the table ends in 2037).
# Also the hours: fixed-hour schedules fire at their hour or at the end of
# a DST gap, wildcard-hour ones only at existing wall times.
for z in America/New_York Europe/Berlin Europe/Dublin Australia/Lord_Howe \
    America/Sao_Paulo Asia/Tehran; do
	TZ=$z "$PB_BIN/backupctl" cron next '30 1-3 * 3,4,10,11 0' -n 1500 \
	    --from 2020-01-01T00:00:00Z >"$T/fixed" 2>"$T/err"
	TZ=$z "$PB_BIN/backupctl" cron next '15 */8 * 3,4,10,11 sun' -n 1200 \
	    --from 2020-01-01T00:00:00Z >"$T/wild" 2>>"$T/err"
	cat "$T/fixed" "$T/wild" >"$T/all"
	TZ=$z date -f "$T/all" +%Y-%m-%dT%H:%M:%S%:z |
	    sed 's/+00:00$/Z/' >"$T/back"
	last=$(tail -n 1 "$T/fixed")
	cmp -s "$T/all" "$T/back" && [ ! -s "$T/err" ] &&
	    [ "$(lines "$T/all")" = 2700 ] && [ "${last%%-*}" -ge 2040 ]
	ok $? "$z: date(1) reads 2700 printed times back unchanged (to $last)"
	# fixed hours 1-3 at :30, or a gap's end (xx:00 or, Lord Howe, 02:30)
	! cut -c12-16 "$T/fixed" | grep -Evq '^0[123]:[03]0$'
	ok $? "$z: fixed-hour times are their own or a gap's end"
	! cut -c12-16 "$T/wild" | grep -Evq '^(00|08|16):15$'
	ok $? "$z: wildcard-hour times are only real wall times"
done

t_done
