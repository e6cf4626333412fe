#!/bin/sh
# The README's settings reference is derived from the settings table and
# must not drift from it (regenerate: scripts/readme-reference.sh).
. "$PB_ROOT/tests/lib/common.sh"
cd "$PB_ROOT" || exit 1
sh scripts/readme-reference.sh --check
ok $? "README settings reference matches backupctl config reference"
backupctl config reference | grep -q '^| `BACKUP_CRON_EXPRESSION` | cron | `@daily` |'
ok $? "the reference lists each setting with type and default"
t_done
