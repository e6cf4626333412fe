#!/bin/sh
# Regenerate the README's settings reference from the settings table.
#   scripts/readme-reference.sh          rewrite README.md in place
#   scripts/readme-reference.sh --check  exit 1 if README.md is stale
set -eu
cd "$(dirname "$0")/.."
ref=$(bin/backupctl config reference)
new=$(awk -v ref="$ref" '
	/<!-- settings:begin -->/ { print; print ref; skip = 1; next }
	/<!-- settings:end -->/ { skip = 0 }
	!skip { print }' README.md)
if [ "${1:-}" = --check ]; then
	[ "$new" = "$(cat README.md)" ]
else
	printf '%s\n' "$new" > README.md
fi
