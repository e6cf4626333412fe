#!/bin/sh
# scripts/deps.sh [run|test] - install the Debian (and, for test, npm)
# packages panel-backup needs.  Idempotent and non-interactive: packages
# already present are not fetched again, and nothing is printed then.
#
#   run   build and run: compiler, -dev libraries, Redis, gpg, python3 (the
#         demo).  What `make`, `make run` and `make install` use: it never
#         puts database servers, web servers, sshd or npm on the machine,
#         which may be a production hosting server.
#   test  run + the test and benchmark stack: real MariaDB, PostgreSQL,
#         Apache, sshd, awscli, the readers of tests/regress/readers.sh and
#         the npm servers in tests/node/node_modules (not committed).
#         What `make test`, `make bench` and `make deps` use.
#
# Daemons must not start when their package is installed (the tests run
# their own servers on free ports): a policy-rc.d that refuses is put in
# place for the apt-get call only and removed afterwards, also when
# apt-get fails or is interrupted, and only if there was none before.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-test}

RUN_DEBS="build-essential pkg-config
 libhiredis-dev libjansson-dev libarchive-dev libzstd-dev zlib1g-dev
 libcurl4-openssl-dev libssh2-1-dev libgpgme-dev libsodium-dev libdeflate-dev
 libssl-dev libre2-dev libexpat1-dev libmicrohttpd-dev
 redis-server redis-tools gnupg ca-certificates python3 procps"
TEST_DEBS="clang libclang-rt-14-dev
 tar gzip pigz zstd age bsdutils util-linux
 libarchive-tools 7zip busybox redis-sentinel
 python3-croniter python3-aiosmtpd python3-dropbox
 man-db groff-base python3-yaml
 python3-prometheus-client python3-redis
 faketime
 openssh-server openssh-client apache2 apache2-utils rclone awscli
 mariadb-server mariadb-client postgresql postgresql-client
 time curl openssl iproute2 hyperfine restic"

case $mode in
run) DEBS=$RUN_DEBS ;;
test)
	DEBS="$RUN_DEBS $TEST_DEBS"
	# Node.js may come from another packaging that bundles npm; only
	# add Debian's when there is none.
	command -v npm >/dev/null 2>&1 || DEBS="$DEBS nodejs npm"
	;;
*) echo "usage: scripts/deps.sh [run|test]" >&2; exit 2 ;;
esac

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# One dpkg-query for all: make calls this script on every build.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $DEBS 2>/dev/null |
    awk '$NF == "installed" { print $1 }')
installed=" $(echo $installed) "
missing=
for p in $DEBS; do
	case $installed in *" $p "*) ;; *) missing="$missing $p" ;; esac
done

if [ -n "$missing" ]; then
	mkdir -p build
	log=build/deps.log
	echo "deps ($mode): installing:$missing (log: $log)"
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		# shellcheck disable=SC2064
		trap "$SUDO rm -f $policy" EXIT
		trap 'exit 130' INT TERM
		printf '#!/bin/sh\n# panel-backup scripts/deps.sh: only while apt-get runs\nexit 101\n' |
		    $SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
	fi
	export DEBIAN_FRONTEND=noninteractive
	# apt's and dpkg's progress go to the log, shown when they fail.
	# shellcheck disable=SC2086
	if ! { $SUDO apt-get update -qq &&
	    $SUDO apt-get install -y -qq --no-install-recommends $missing; } \
	    >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "deps ($mode): apt-get failed (log: $log)" >&2
		exit 1
	fi
	if [ -n "$policy" ]; then
		$SUDO rm -f "$policy"
		trap - EXIT INT TERM
	fi
fi

# npm test servers, pinned.  The Azure SDK's last releases ask for
# Node >= 20 but run on Debian 12's Node 18 once globalThis.crypto exists
# (tests/servers/azure_sdk.js provides it).
if [ "$mode" = test ] && [ "${DEPS_NPM:-1}" = 1 ] && command -v npm >/dev/null; then
	mkdir -p tests/node
	cd tests/node
	[ -f package.json ] || echo '{"name":"panel-backup-tests","private":true}' > package.json
	need=
	[ -d node_modules/@20minutes/s3rver ] || need="$need @20minutes/s3rver@4.0.4"
	[ -d node_modules/azurite ] || need="$need azurite@3.35.0"
	[ -d node_modules/@azure/storage-blob ] || need="$need @azure/storage-blob@12.32.0"
	[ -d node_modules/cctv-age ] || need="$need cctv-age"
	if [ -n "$need" ]; then
		echo "deps: npm install$need"
		# shellcheck disable=SC2086
		npm install --no-audit --no-fund --loglevel=error $need ||
		    { echo "deps: npm install failed" >&2; exit 1; }
	fi
fi
exit 0
