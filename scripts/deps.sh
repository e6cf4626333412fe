#!/bin/sh
# Install every Debian and npm package needed to build, test and benchmark
# panel-backup. Idempotent and non-interactive: packages already present are
# not fetched again; npm packages go to tests/node_modules (not committed).
set -eu
cd "$(dirname "$0")/.."

DEBS="build-essential pkg-config clang libclang-rt-14-dev
 libhiredis-dev libjansson-dev libarchive-dev libzstd-dev zlib1g-dev
 libcurl4-openssl-dev libssh2-1-dev libgpgme-dev libsodium-dev libdeflate-dev
 libssl-dev libpcre2-dev
 redis-server redis-tools redis-sentinel tar gzip pigz zstd gnupg age bsdutils util-linux
 python3-croniter python3-aiosmtpd python3-dropbox
 man-db groff-base python3-yaml
 python3-prometheus-client
 faketime
 openssh-server openssh-client apache2 apache2-utils rclone awscli
 mariadb-server mariadb-client postgresql postgresql-client
 time curl ca-certificates openssl procps iproute2 hyperfine"
# Node.js may come from another packaging that bundles npm; only add
# Debian's when there is none.
command -v npm >/dev/null 2>&1 || DEBS="$DEBS nodejs npm"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=
for p in $DEBS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done

# The distro daemons must not start on install: tests run their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
fi

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# npm test servers, pinned to versions that run on Debian's Node 20.
if [ "${DEPS_NPM:-1}" = 1 ] && command -v npm >/dev/null; then
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
		npm install --no-audit --no-fund --loglevel=error $need
	fi
fi
echo "deps: ok"
