#!/bin/sh
# scripts/bare-check.sh [DIR] - `make bare-check`: the README's two
# commands, as a new user runs them, on a bare Debian 12.
#
# debootstraps a minbase bookworm root in DIR (default a new
# /var/tmp/pb-bare.XXXXXX), adds only git, make and ca-certificates (and
# this machine's extra CA certificates, /usr/local/share/ca-certificates/,
# when its TLS traffic goes through a proxy of its own), clones this
# repository's current branch into it and runs, in a chroot with /proc,
# /sys and /dev, first `make run` (DEMO_ONESHOT=1: the demo stops itself
# once the backup landed) and then `make test`.  Each must pass in one
# invocation.  Output goes to the terminal and to DIR.log.
#
# Needs root, the Debian mirror (BARE_MIRROR, default deb.debian.org) and
# the npm registry; takes about an hour on two cores, so it is not part of
# make test or .ci/run (see docs/HACKING.md).  BARE_TEST=0 skips make test;
# BARE_BENCH=0 skips the `make` and `make bench` that follow it.
# Everything it mounts is unmounted at exit, and what still runs in the
# root then (a test's server) is stopped first; DIR is kept (BARE_KEEP=0
# removes it).
set -eu
cd "$(dirname "$0")/.."
REPO=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "bare-check: needs root (debootstrap, chroot)" >&2; exit 2; }
DIR=${1:-$(mktemp -d /var/tmp/pb-bare.XXXXXX)}
MIRROR=${BARE_MIRROR:-http://deb.debian.org/debian}
BRANCH=$(git rev-parse --abbrev-ref HEAD)
R=$DIR/root
LOG=$DIR.log
mkdir -p "$DIR"

# What still runs in the root, then the mounts, deepest first.
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	for m in dev/shm dev proc sys; do
		mountpoint -q "$R/$m" 2>/dev/null && umount -R -l "$R/$m"
	done
	[ "${BARE_KEEP:-1}" = 1 ] || rm -rf "$DIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bare-check: $*" | tee -a "$LOG"; }
: >"$LOG"

if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>"$LOG" 2>&1
fi
if [ ! -x "$R/usr/bin/apt-get" ]; then
	say "debootstrap --variant=minbase bookworm $R"
	debootstrap --variant=minbase bookworm "$R" "$MIRROR" >>"$LOG" 2>&1 || {
		tail -20 "$LOG"; exit 1; }
fi
cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
extra_ca=
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] || continue
	mkdir -p "$R/usr/local/share/ca-certificates"
	cp "$c" "$R/usr/local/share/ca-certificates/"
	extra_ca=1
done
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true

mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
mount --rbind /dev "$R/dev"
mount --make-rslave "$R/dev"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"

# Node reads its own CA list, not the system's: with a proxy's CA, point
# it at the system bundle too (a machine without one needs nothing).
ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb"
[ -z "$extra_ca" ] || ENV="$ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
inroot() {
	# shellcheck disable=SC2086
	chroot "$R" env -i $ENV sh -c "$1"
}

say "apt-get install git make ca-certificates"
inroot 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends git make ca-certificates &&
    update-ca-certificates' >>"$LOG" 2>&1 || { tail -20 "$LOG"; exit 1; }

rm -rf "$R/root/panel-backup"
git clone -q -b "$BRANCH" "$REPO" "$R/root/panel-backup"
say "cloned $BRANCH at $(git -C "$R/root/panel-backup" rev-parse --short HEAD)"

say "make run (DEMO_ONESHOT=1)"
inroot 'cd /root/panel-backup && DEMO_ONESHOT=1 make run; echo "make run: exit $?"' 2>&1 |
    tee -a "$LOG"
grep -q '^make run: exit 0$' "$LOG" || { say "make run FAILED"; exit 1; }
[ ! -e "$R/usr/sbin/policy-rc.d" ] || { say "policy-rc.d left behind"; exit 1; }

if [ "${BARE_TEST:-1}" = 1 ]; then
	say "make test"
	inroot 'cd /root/panel-backup && make test; echo "make test: exit $?"' 2>&1 |
	    tee -a "$LOG"
	grep -q '^make test: exit 0$' "$LOG" || { say "make test FAILED"; exit 1; }
	[ ! -e "$R/usr/sbin/policy-rc.d" ] || { say "policy-rc.d left behind"; exit 1; }
fi
# make and make bench as a new user types them next (a small corpus: the
# point is that they run on this machine, not the figures).
if [ "${BARE_BENCH:-1}" = 1 ]; then
	say "make; make bench (small corpus)"
	inroot 'cd /root/panel-backup && make >/dev/null; echo "make: exit $?"; BENCH_SIZE_MIB=64 BENCH_SMALL=2000 BENCH_RUNS=1 make bench; echo "make bench: exit $?"' 2>&1 |
	    tee -a "$LOG"
	grep -q '^make: exit 0$' "$LOG" && grep -q '^make bench: exit 0$' "$LOG" ||
	    { say "make or make bench FAILED"; exit 1; }
fi
say "passed (log: $LOG)"
