# tests/servers/sshd.sh - OpenSSH's sshd on a loopback port, for the SFTP
# tests (POSIX sh).
#
# Source it after tests/lib/common.sh and t_setup:
#	. "$PB_ROOT/tests/servers/sshd.sh"
#	sshd_user		# the test login $SFTP_USER / $SFTP_PASSWORD
#	sshd_keys		# client keys in $SFTP_KEYS (see below)
#	sshd_start [nosftp]	# $SSHD_PORT, $SSHD_PID, $SSHD_LOG; host key
#				# $T/sshd/host_key (kept across restarts)
#	sshd_stop
#	sshd_new_host_key [TYPE]	# a different host key (ed25519, or
#				# TYPE: rsa, ecdsa) for the next start
#	sshd_chroot_user	# $CHROOT_USER / $SFTP_PASSWORD locked into
#				# $CHROOT_DIR (root-owned, outside /tmp) with
#				# a folder "upload" it owns; removed at exit
# Before sshd_start, SSHD_EXTRA may hold more config lines (appended last,
# so a Match block fits), and SSHD_ALLOW more logins for AllowUsers.
# or run a command with a server up (the C tests do this):
#	sh tests/servers/sshd.sh run CMD...
#
# The server has its own config, host key and authorized_keys file;
# `Subsystem sftp internal-sftp` unless started "nosftp".  The login is a
# real system user created once (idempotent); it owns $SFTP_HOME, a
# folder under $T where uploads may go.

SFTP_USER=pbsftp
SFTP_PASSWORD='pb-sftp-Test-2026'
export SFTP_USER SFTP_PASSWORD

sshd_user() {
	if ! id "$SFTP_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /usr/sbin/nologin "$SFTP_USER" \
		    2>/dev/null || id "$SFTP_USER" >/dev/null || return 1
	fi
	# Same password every run: concurrent runs never race on it.
	echo "$SFTP_USER:$SFTP_PASSWORD" | chpasswd || return 1
	SFTP_HOME=$T/sftp-home
	mkdir -p "$SFTP_HOME"
	chown "$SFTP_USER" "$SFTP_HOME"
	chmod 700 "$SFTP_HOME"
	export SFTP_HOME
}

# Client keys: ed25519 (OpenSSH format, plain and with a passphrase),
# ECDSA and RSA in PEM format, all authorized.
sshd_keys() {
	SFTP_KEYS=$T/keys
	SFTP_KEY_PASSPHRASE='key-Pass-phrase-42'
	mkdir -p "$SFTP_KEYS"
	ssh-keygen -q -t ed25519 -N '' -C plain -f "$SFTP_KEYS/id_ed25519" &&
	ssh-keygen -q -t ed25519 -N "$SFTP_KEY_PASSPHRASE" -C locked \
	    -f "$SFTP_KEYS/id_locked" &&
	ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C ecdsa \
	    -f "$SFTP_KEYS/id_ecdsa" &&
	ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C rsa \
	    -f "$SFTP_KEYS/id_rsa" &&
	ssh-keygen -q -t ed25519 -N '' -C stranger \
	    -f "$SFTP_KEYS/id_stranger" || return 1
	cat "$SFTP_KEYS/id_ed25519.pub" "$SFTP_KEYS/id_locked.pub" \
	    "$SFTP_KEYS/id_ecdsa.pub" "$SFTP_KEYS/id_rsa.pub" \
	    >"$T/sshd/authorized_keys"
	chmod 644 "$T/sshd/authorized_keys"
	export SFTP_KEYS SFTP_KEY_PASSPHRASE
}

sshd_new_host_key() {
	rm -f "$T/sshd/host_key" "$T/sshd/host_key.pub"
	ssh-keygen -q -t "${1:-ed25519}" -N '' -f "$T/sshd/host_key"
}

# sshd refuses a ChrootDirectory with any component writable by others
# (/tmp is): so it lives under /var/lib, and the EXIT trap removes it.
CHROOT_USER=pbchroot
export CHROOT_USER
sshd_chroot_user() {
	if ! id "$CHROOT_USER" >/dev/null 2>&1; then
		useradd -M -d / -s /usr/sbin/nologin "$CHROOT_USER" \
		    2>/dev/null || id "$CHROOT_USER" >/dev/null || return 1
	fi
	echo "$CHROOT_USER:$SFTP_PASSWORD" | chpasswd || return 1
	CHROOT_DIR=$(mktemp -d /var/lib/pb-chroot.XXXXXX) || return 1
	trap 'rm -rf "$CHROOT_DIR"; t_cleanup' EXIT
	chmod 755 "$CHROOT_DIR"
	mkdir "$CHROOT_DIR/upload"
	chown "$CHROOT_USER" "$CHROOT_DIR/upload"
	chmod 700 "$CHROOT_DIR/upload"
	export CHROOT_DIR
}

_sshd_config() {
	cat <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $T/sshd/host_key
PidFile $T/sshd/sshd.pid
UsePAM no
PermitRootLogin no
StrictModes no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $T/sshd/authorized_keys
AllowUsers $SFTP_USER ${SSHD_ALLOW:-}
MaxStartups 50
LogLevel VERBOSE
CFG
	[ "${1:-}" = nosftp ] || echo "Subsystem sftp internal-sftp"
	[ -z "${SSHD_EXTRA:-}" ] || printf '%s\n' "$SSHD_EXTRA"
}

sshd_start() {
	mkdir -p /run/sshd "$T/sshd"
	chmod 755 /run/sshd
	[ -f "$T/sshd/host_key" ] || sshd_new_host_key
	[ -f "$T/sshd/authorized_keys" ] || : >"$T/sshd/authorized_keys"
	SSHD_PORT=${SSHD_PORT:-$(free_port)}
	_sshd_config "${1:-}" >"$T/sshd/sshd_config"
	/usr/sbin/sshd -t -f "$T/sshd/sshd_config" || return 1
	SSHD_LOG=$T/sshd/sshd.log
	/usr/sbin/sshd -D -e -f "$T/sshd/sshd_config" 2>>"$SSHD_LOG" &
	SSHD_PID=$!
	t_bg "$SSHD_PID"
	export SSHD_PORT SSHD_PID SSHD_LOG
	wait_for 10 ssh-keyscan -T 2 -p "$SSHD_PORT" 127.0.0.1
}

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
}

# The host key's fingerprint as ssh-keygen prints it (SHA256:...).
sshd_fingerprint() {
	ssh-keygen -lf "$T/sshd/host_key.pub" | awk '{print $2}'
}

if [ "${1:-}" = run ]; then
	shift
	PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
	. "$PB_ROOT/tests/lib/common.sh"
	t_setup
	mkdir -p "$T/sshd"
	sshd_user || { echo "not ok - cannot create $SFTP_USER"; exit 1; }
	sshd_keys || { echo "not ok - ssh-keygen failed"; exit 1; }
	sshd_start || { echo "not ok - sshd did not start"; exit 1; }
	PB_TMP=$T
	SSHD_FP=$(sshd_fingerprint)
	export PB_TMP SSHD_FP
	"$@"
	exit $?
fi
