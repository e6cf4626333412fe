# tests/lib/sftp.sh - the set-up the SFTP regression tests share
# (tests/regress/sftp_*.sh, POSIX sh): the real sshd of
# tests/servers/sshd.sh and the test_sftp driver of the flavor under test.
#
#	. "$(dirname "$0")/../lib/common.sh"
#	. "$PB_ROOT/tests/lib/sftp.sh"
#	t_setup
#	sftp_setup "$T/files/alice" "$T/state"	# $D, $T/sshd, the login
#	sftp_admin_conf				# $T/admin.conf
. "$PB_ROOT/tests/servers/sshd.sh"

# sftp_setup [DIR...]: $D (the driver of the flavor under test: tests/run.sh
# sets PB_BIN), $T/sshd and the folders named, and the test login; a
# failure ends the test with one "not ok".
sftp_setup() {
	flavor=$(cat "$PB_ROOT/build/flavor" 2>/dev/null || echo opt)
	D=$(dirname "$PB_BIN")/tests/storage/test_sftp
	[ -x "$D" ] || D=$PB_ROOT/build/$flavor/tests/storage/test_sftp
	mkdir -p "$T/sshd" "$@"
	sshd_user || { echo "not ok 1 - cannot create the test login"; exit 1; }
}

# sftp_admin_conf: $T/admin.conf with state, temp and source folders in $T.
sftp_admin_conf() {
	printf 'OUTBOUND_ALLOW=127.0.0.0/8,::1\nSTATE_DIR=%s/state\nTEMP_DIR=%s/tmp\nSOURCE_FILES=%s/files/{user}\n' \
	    "$T" "$T" "$T" >"$T/admin.conf"
}

# sftp_env FILE [LINES...]: a user settings file for the sshd on
# $SSHD_PORT (host, port, login, remote folder), then the lines given.
sftp_env() {
	_f=$1
	shift
	{
		echo "SSH_HOST_NAME=127.0.0.1"
		echo "SSH_PORT=$SSHD_PORT"
		echo "SSH_USER=$SFTP_USER"
		echo "SSH_REMOTE_PATH=$SFTP_HOME/backups"
		for l in "$@"; do echo "$l"; done
	} >"$_f"
}
