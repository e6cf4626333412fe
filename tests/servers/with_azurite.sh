#!/bin/sh
# tests/servers/with_azurite.sh PROG [ARGS] - run PROG with Azurite up and
# a container made by the SDK.  PROG gets AZ_ENDPOINT, AZ_ACCOUNT, AZ_KEY,
# AZ_CONTAINER, AZ_TMP; Azurite is stopped when it exits.
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/azurite.sh"
t_setup
if ! start_azurite; then
	echo "not ok 1 - azurite did not start: $(tail -3 "$T/azurite.log")"
	exit 1
fi
AZ_CONTAINER=pb-container
if ! azsdk mk "$AZ_CONTAINER" 2>"$T/mk.err"; then
	echo "not ok 1 - the SDK could not create a container: $(cat "$T/mk.err")"
	exit 1
fi
AZ_TMP=$T
export AZ_CONTAINER AZ_TMP
"$@"
