#!/bin/sh
# Regenerate the SETTINGS section of man/panel-backup.conf.5 from the
# settings table (backupctl config example --man).
#   man/gen-conf5.sh [BACKUPCTL]          rewrite the page in place
#   man/gen-conf5.sh --check [BACKUPCTL]  exit 1 if the page is stale
set -eu
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
cd "$(dirname "$0")/.."
ctl=${1:-bin/backupctl}
page=man/panel-backup.conf.5
sect=$("$ctl" config example --man)
new=$(SECT=$sect awk '
	/^\.\\" settings:begin/ { print; print ENVIRON["SECT"]; skip = 1; next }
	/^\.\\" settings:end/ { skip = 0 }
	!skip { print }' "$page")
if [ "$check" = 1 ]; then
	[ "$new" = "$(cat "$page")" ]
else
	printf '%s\n' "$new" >"$page"
fi
