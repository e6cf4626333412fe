#!/bin/sh
# tests/servers/with_azurite.sh PROG [ARGS] - run PROG with Azurite up and
# a container made by the SDK, plus: a second Azurite over HTTPS (private
# CA, --oauth basic) with the same container, the metadata stand-in
# (imds.py) for managed identity, and faultproxy.py in front of the plain
# one.  PROG gets AZ_ENDPOINT, AZ_PORT, AZ_ACCOUNT, AZ_KEY, AZ_CONTAINER,
# AZ_TMP, AZ_TLS_ENDPOINT, AZ_TLS_PORT, AZ_CA_PEM, IMDS_URL, IMDS_AZ_URL,
# FP_PORT; everything is stopped when it exits.
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/azurite.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"	# make_ca
. "$PB_ROOT/tests/servers/imds.sh"
. "$PB_ROOT/tests/servers/faultproxy.sh"
t_setup
make_ca "$T/ca" || { echo "not ok 1 - cannot make a CA"; exit 1; }
if ! start_azurite || ! start_azurite_tls "$T/ca"; then
	echo "not ok 1 - azurite did not start: $(tail -3 "$T/azurite.log" "$T/azurite-tls.log")"
	exit 1
fi
AZ_CONTAINER=pb-container
AZ_CA_PEM=$T/ca/ca.pem
if ! azsdk mk "$AZ_CONTAINER" 2>"$T/mk.err" ||
    ! AZ_ENDPOINT=$AZ_TLS_ENDPOINT NODE_EXTRA_CA_CERTS=$AZ_CA_PEM \
    azsdk mk "$AZ_CONTAINER" 2>>"$T/mk.err"; then
	echo "not ok 1 - the SDK could not create a container: $(cat "$T/mk.err")"
	exit 1
fi
if ! IMDS_KEYS=unused:unused start_imds; then
	echo "not ok 1 - imds.py did not start: $(tail -3 "$T/imds.log")"
	exit 1
fi
if ! start_faultproxy az "127.0.0.1:$AZ_PORT"; then
	echo "not ok 1 - faultproxy.py did not start: $(tail -3 "$T/fp-az.log")"
	exit 1
fi
AZ_TMP=$T
export AZ_CONTAINER AZ_TMP AZ_CA_PEM
"$@"
