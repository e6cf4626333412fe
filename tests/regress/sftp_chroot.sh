#!/bin/sh
# sftp_chroot.sh - an SFTP account locked into a chroot, as hosting
# providers and storage boxes set them up: sshd's `Match User` with
# `ChrootDirectory` (a root-owned folder) and `ForceCommand internal-sftp`.
#
# The classic mix-up is giving SSH_REMOTE_PATH as the folder's path on the
# server's disk; inside the chroot that path does not exist and "/" is not
# writable.  That must fail with one line that says which path was tried
# and hints at the chroot, naming the folder most likely meant, leaving
# nothing anywhere; the path as the account sees it (relative to the login
# folder, or absolute from the chroot) works, and the bytes land in the
# chroot on the host's disk.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/sftp.sh"
t_setup

sftp_setup "$T/files/alice" "$T/state"
sshd_chroot_user || { echo "not ok 1 - cannot create the chroot login"; exit 1; }
SSHD_ALLOW=$CHROOT_USER
SSHD_EXTRA="Match User $CHROOT_USER
	ChrootDirectory $CHROOT_DIR
	ForceCommand internal-sftp
	AllowTcpForwarding no"
sshd_start || { echo "not ok 1 - sshd did not start"; cat "$T/sshd/sshd.log"; exit 1; }
sftp_admin_conf
head -c 120000 /dev/urandom >"$T/data"

put() {	# put REMOTE_PATH NAME
	{
		echo "SSH_HOST_NAME=127.0.0.1"
		echo "SSH_PORT=$SSHD_PORT"
		echo "SSH_USER=$CHROOT_USER"
		echo "SSH_PASSWORD=$SFTP_PASSWORD"
		echo "SSH_REMOTE_PATH=$1"
	} >"$T/u.env"
	"$D" drive "$T/admin.conf" "$T/u.env" alice put "$2" <"$T/data" \
	    >"$T/out" 2>"$T/err"
}

host_path=$CHROOT_DIR/upload/backups
put "$host_path" backup-1.tar
rc=$?
ok $((rc != 1)) "SSH_REMOTE_PATH given as the host's path: exit 1 (got $rc)"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "SSH_REMOTE_PATH" "$T/err" &&
    grep -qF "\"$host_path\"" "$T/err" && grep -q "tried \"/" "$T/err" &&
    grep -q "chroot" "$T/err"
ok $? "... one line naming the setting, the path tried and the chroot: $(cat "$T/err")"
grep -q 'probably "upload/backups"' "$T/err"
ok $? "... and it names the folder meant, as the chrooted login sees it"
! grep -q "$SFTP_PASSWORD" "$T/err" "$T/out"
ok $? "... no password in it"
[ -z "$(find "$CHROOT_DIR" -name 'backup-1.tar*')" ] &&
    [ ! -e "$host_path" ] && [ ! -e "$CHROOT_DIR$CHROOT_DIR" ]
ok $? "... and nothing was created, neither in the chroot nor under it"

put upload/backups backup-2.tar
ok $? "the path relative to the login folder works $(cat "$T/err")"
cmp -s "$T/data" "$CHROOT_DIR/upload/backups/backup-2.tar"
ok $? "... the backup lands whole in the chroot on the host's disk"
[ -z "$(find "$CHROOT_DIR" -name '*.partial')" ]
ok $? "... with no partial file left"
[ "$(stat -c %U "$CHROOT_DIR/upload/backups")" = "$CHROOT_USER" ]
ok $? "... the missing folder was created, owned by the chrooted login"

put /upload/backups backup-3.tar
ok $? "the absolute path as the chrooted login sees it works $(cat "$T/err")"
cmp -s "$T/data" "$CHROOT_DIR/upload/backups/backup-3.tar"
ok $? "... and lands in the same folder"

"$D" drive "$T/admin.conf" "$T/u.env" alice ls >"$T/out" 2>"$T/err"
[ "$(awk '{print $1}' "$T/out" | sort | tr '\n' ' ')" = \
    "backup-2.tar backup-3.tar " ]
ok $? "list inside the chroot shows both backups: $(cat "$T/out" "$T/err")"

t_done
