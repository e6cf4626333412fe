#!/bin/sh
# deploy/panel-backup.conf.example is `backupctl config example`'s output
# (every admin key of the settings table, commented out at its default):
# it must not drift from the table, and every line of it must be a valid
# admin setting once uncommented.
. "$PB_ROOT/tests/lib/common.sh"
t_setup
cd "$PB_ROOT" || exit 1

backupctl config example >"$T/gen.conf"
ok $? "backupctl config example exits 0"
cmp -s "$T/gen.conf" deploy/panel-backup.conf.example
ok $? "deploy/panel-backup.conf.example equals backupctl config example" \
    " (regenerate: bin/backupctl config example > deploy/panel-backup.conf.example)"
diff -u deploy/panel-backup.conf.example "$T/gen.conf" | head -20

# Every admin key of the reference (type column "admin+user" or an Admin:
# group) appears as a commented KEY= line, and no user-only key does.
backupctl config reference | awk -F'`' '
	/^#### Admin/ { admin = 1; next }
	/^#### / { admin = 0; next }
	/^\| `/ && (admin || /admin\+user/) { print $2 }' | sort >"$T/want"
sed -n 's/^#\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$T/gen.conf" | sort >"$T/got"
[ -s "$T/want" ] && cmp -s "$T/want" "$T/got"
ok $? "the example has exactly the admin keys of the reference ($(wc -l <"$T/want") keys)"
diff "$T/want" "$T/got"

grep -q '^#REDIS_URL=redis://127.0.0.1:6379/0$' "$T/gen.conf" &&
    grep -q '^#USERS_DIR=/etc/panel-backup/users$' "$T/gen.conf" &&
    grep -q '^#WORKER_CONCURRENCY=2$' "$T/gen.conf"
ok $? "SPEC defaults appear as #KEY=default"
awk '/^#[A-Z_]+=/ { if (prev !~ /^# type: /) bad = 1 } { prev = $0 }
    END { exit bad }' "$T/gen.conf"
ok $? "each key is preceded by its help and a type/range line"
grep -q '^# type: integer 1\.\.256$' "$T/gen.conf" &&
    grep -q '^# type: one of auto,system,none$' "$T/gen.conf"
ok $? "ranges and choices are shown"
awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$T/gen.conf"
ok $? "no line is longer than 80 columns"

# Uncommented as a whole, the example is a valid admin config: loading it
# (through config check of an empty user file) reports no problem.
sed 's/^#\([A-Z][A-Z0-9_]*=\)/\1/' "$T/gen.conf" >"$T/all.conf"
mkdir -p "$T/arch"
printf "BACKUP_ARCHIVE=%s\n" "$T/arch" >"$T/user.env"
out=$(backupctl --config "$T/all.conf" config check --env-file "$T/user.env" 2>&1)
rc=$?
[ "$rc" -eq 0 ]
ok $? "the example with every key uncommented loads as a valid admin config"
[ "$rc" -eq 0 ] || echo "# $out"

# A bad value in that file is refused naming the setting.
sed 's/^WORKER_CONCURRENCY=.*/WORKER_CONCURRENCY=0/' "$T/all.conf" >"$T/bad.conf"
out=$(backupctl --config "$T/bad.conf" config check --env-file "$T/user.env" 2>&1)
rc=$?
[ "$rc" -eq 2 ] && printf '%s\n' "$out" | grep -q WORKER_CONCURRENCY
ok $? "an out-of-range value is refused naming the setting (exit $rc)"

backupctl config example --bogus >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "config example with an unknown option is a usage error (2)"
t_done
