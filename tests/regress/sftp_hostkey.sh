#!/bin/sh
# sftp_hostkey.sh - host keys, folders and leftovers against a real sshd:
# trust on first use recorded per user, a changed host key refused with
# both fingerprints, a pinned SSH_HOST_KEY_FINGERPRINT, a server without
# the SFTP subsystem, a folder that cannot be created (the path tried is
# named), and a worker dying mid-upload (nothing under the final name;
# the next cleanup removes the leftover).
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/sftp.sh"
t_setup

sftp_setup "$T/files/alice" "$T/state"
sshd_start || { echo "not ok 1 - sshd did not start"; exit 1; }
sftp_admin_conf
sftp_env "$T/u.env" "SSH_PASSWORD=$SFTP_PASSWORD"
head -c 100000 /dev/urandom >"$T/data"
run() {	# run ENV ACTION [NAME] < input
	"$D" drive "$T/admin.conf" "$@" >"$T/out" 2>"$T/err"
}

old_fp=$(sshd_fingerprint)
run "$T/u.env" alice put backup-1.tar <"$T/data"
ok $? "first contact: the upload succeeds"
grep -q "$old_fp" "$T/state/known_hosts/alice"
ok $? "the host key ($old_fp) is recorded for this user"
run "$T/u.env" alice ls
grep -q "^backup-1.tar 100000 [0-9]" "$T/out"
ok $? "list shows the backup with its size and time"

# The server gets a new host key on the same port.
sshd_stop
sshd_new_host_key
sshd_start || { echo "not ok - sshd did not restart"; exit 1; }
new_fp=$(sshd_fingerprint)
run "$T/u.env" alice put backup-2.tar <"$T/data"
rc=$?
ok $((rc != 1)) "a changed host key fails the upload (exit $rc)"
grep -q "$old_fp" "$T/err" && grep -q "$new_fp" "$T/err" &&
    [ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "one line naming both fingerprints: $(cat "$T/err")"
[ ! -e "$SFTP_HOME/backups/backup-2.tar" ] &&
    ! grep -q "Accepted password" "$SSHD_LOG.new" 2>/dev/null
ok $? "nothing was written to the impostor"
run "$T/u.env" bob put backup-2.tar <"$T/data"
ok $? "another user's first contact is separate (own known_hosts)"

cp "$T/u.env" "$T/pin.env"
echo "SSH_HOST_KEY_FINGERPRINT=$new_fp" >>"$T/pin.env"
run "$T/pin.env" alice put backup-3.tar <"$T/data"
ok $? "a pinned fingerprint that matches is accepted"
cp "$T/u.env" "$T/badpin.env"
echo "SSH_HOST_KEY_FINGERPRINT=$old_fp" >>"$T/badpin.env"
run "$T/badpin.env" carol put backup-4.tar <"$T/data"
rc=$?
ok $((rc != 1)) "a pinned fingerprint that does not match fails (exit $rc)"
grep -q "SSH_HOST_KEY_FINGERPRINT" "$T/err" && grep -q "$new_fp" "$T/err"
ok $? "... naming the setting and the key offered: $(cat "$T/err")"

# A folder the login cannot create: the path tried is named.
cp "$T/pin.env" "$T/root.env"
sed -i "s|^SSH_REMOTE_PATH=.*|SSH_REMOTE_PATH=/root/panel-backups|" \
    "$T/root.env"
run "$T/root.env" alice put backup-5.tar <"$T/data"
rc=$?
ok $((rc != 1)) "an uncreatable folder fails the upload (exit $rc)"
grep -q 'tried "/root/panel-backups"' "$T/err" && grep -q chroot "$T/err"
ok $? "... saying which path was tried: $(cat "$T/err")"

# A worker that dies mid-upload.
run "$T/pin.env" alice crash backup-6.tar <"$T/data"
[ ! -e "$SFTP_HOME/backups/backup-6.tar" ]
ok $? "a dead upload leaves nothing under the final name"
run "$T/pin.env" alice ls
! grep -q "partial" "$T/out"
ok $? "list does not show its leftover"
run "$T/pin.env" alice cleanup &&
    [ ! -e "$SFTP_HOME/backups/backup-6.tar.partial" ] &&
    [ -e "$SFTP_HOME/backups/backup-1.tar" ]
ok $? "the next run's cleanup removes the leftover and keeps backups"
run "$T/pin.env" alice rm backup-1.tar && run "$T/pin.env" alice get \
    backup-1.tar
rc=$?
ok $((rc != 1)) "a deleted backup cannot be downloaded (exit $rc)"

# A server with SFTP disabled.
sshd_stop
sshd_start nosftp || { echo "not ok - sshd did not restart"; exit 1; }
run "$T/pin.env" alice put backup-7.tar <"$T/data"
rc=$?
ok $((rc != 1)) "a server without SFTP fails the upload (exit $rc)"
grep -q "SFTP subsystem" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "... with one clear line: $(cat "$T/err")"
! grep -rq "$SFTP_PASSWORD" "$T/err" "$T/out" "$T/state"
ok $? "the password appears in no output and no state file"

t_done
