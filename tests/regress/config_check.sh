#!/bin/sh
# backupctl config check reports, all at once, what would certainly fail
# later: a schedule more frequent than MIN_SCHEDULE_INTERVAL_SECONDS (the
# scheduler would never run it), a BACKUP_ARCHIVE that is a file, a
# selected source whose folder does not exist.  A notification URL that
# cannot be parsed is a warning: the backup runs, and says so.  And
# `backupctl SUBCOMMAND --help` answers for every subcommand.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/users" "$T/home/alice/files" "$T/out"
echo hi >"$T/home/alice/files/a.txt"
: >"$T/a-file"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
MIN_SCHEDULE_INTERVAL_SECONDS=900
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
user_env() {
	printf '%s\n' "$@" >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
}

user_env "BACKUP_ARCHIVE=$T/a-file" "BACKUP_SOURCES=Files, Emails" \
    "BACKUP_CRON_EXPRESSION=*/5 * * * *"
backupctl config check alice >"$T/out.txt" 2>&1
rc=$?
ok $((rc != 2)) "three problems: exit 2 (got $rc)"
grep -q "BACKUP_CRON_EXPRESSION.*fires every 300s.*MIN_SCHEDULE_INTERVAL_SECONDS=900" "$T/out.txt"
ok $? "the schedule more frequent than MIN_SCHEDULE_INTERVAL_SECONDS is an error"
grep -q "BACKUP_ARCHIVE.*$T/a-file is a file" "$T/out.txt"
ok $? "a BACKUP_ARCHIVE that is a file is an error"
grep -q "BACKUP_SOURCES.*Emails is selected, but its folder $T/mail/alice does not exist" "$T/out.txt"
ok $? "a selected source folder that does not exist is an error"
[ "$(grep -c -i error "$T/out.txt")" -eq 3 ]
ok $? "all three, one line each: $(cat "$T/out.txt")"

# The same under All: missing sources are skipped there, not errors.
user_env "BACKUP_ARCHIVE=$T/out" "BACKUP_SOURCES=All"
backupctl config check alice >"$T/out.txt" 2>&1
ok $? "BACKUP_SOURCES=All with sources absent: no error $(cat "$T/out.txt")"

user_env "BACKUP_ARCHIVE=$T/out" "BACKUP_SOURCES=Files" \
    "NOTIFICATION_URLS=nosuch://x/y"
backupctl config check alice >"$T/out.txt" 2>&1
rc=$?
ok $rc "an unparsable notification URL: config check exits 0 (got $rc)"
grep -qi "warn.*NOTIFICATION_URLS.*backup still runs" "$T/out.txt"
ok $? "... with a warning naming NOTIFICATION_URLS: $(cat "$T/out.txt")"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
rc=$?
ok $rc "backupctl run with that URL: the backup succeeds (got $rc) $(head -c 300 "$T/run.err")"
ls "$T/out" | grep -q '^backup-.*\.tar\.gz$'
ok $? "... and the backup is there"
grep -q "NOTIFICATION_URLS" "$T/run.err" && grep -q "1 warning" "$T/run.out"
ok $? "... the warning is logged and counted in the result: $(cat "$T/run.out")"
grep -q "^warning: NOTIFICATION_URLS: .*backup still runs" "$T/run.out"
ok $? "... and the result says what it was"

# The same backup as a queued job: the warning is in the job record's
# result, where a panel shows it.
start_redis || { echo "not ok - redis-server starts"; exit 1; }
printf 'REDIS_URL=%s\nNODE=cc\n' "$REDIS_URL" >>"$T/pb.conf"
backup-worker --config "$T/pb.conf" 2>"$T/w.log" &
t_bg $!
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
id=$(backupctl enqueue alice --wait 2>/dev/null)
ok $? "a queued backup with that URL succeeds ($id)"
backupctl status --json "$id" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
w = j["result"]["warnings"]
assert j["state"] == "succeeded" and len(w) == 1, j
assert w[0].startswith("NOTIFICATION_URLS: ") and "unknown service" in w[0] and "backup still runs" in w[0], w
'
ok $? "... its job record's result carries the warning: $(backupctl status --json "$id" 2>&1 | head -c 600)"
grep -q "NOTIFICATION_URLS" "$T/w.log"
ok $? "... and the worker logged it"

bad=
for c in run enqueue status jobs workers stats metrics health cancel list \
    restore verify decrypt config cron notify; do
	backupctl "$c" --help >"$T/h.out" 2>"$T/h.err" &&
	    grep -q "^usage: backupctl $c" "$T/h.out" && [ ! -s "$T/h.err" ] ||
	    bad="$bad $c"
done
[ -z "$bad" ]
ok $? "backupctl SUBCOMMAND --help prints its usage on stdout, exit 0 (failing:$bad)"

t_done
