#!/bin/sh
# cron_diff.sh - `backupctl cron next` against Debian's python3-croniter on
# 3,000 random robfig-valid expressions in UTC (tests/regress/cron_diff.py
# says what is generated, what is left out and why).  CRON_DIFF_SEED and
# CRON_DIFF_COUNT change the sample; the seed is printed.
. "$PB_ROOT/tests/lib/common.sh"

if ! /usr/bin/python3 -c 'import croniter' 2>/dev/null; then
	ok 1 "python3-croniter is installed (scripts/deps.sh)"
	t_done
	exit 1
fi
/usr/bin/python3 "$PB_ROOT/tests/regress/cron_diff.py" "$PB_BIN/backupctl" \
    "${CRON_DIFF_COUNT:-3000}" "${CRON_DIFF_SEED:-20260101}"
