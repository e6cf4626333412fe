#!/bin/sh
# sftp_auth.sh - logging in to a real sshd every way a user can configure:
# password, ed25519/ECDSA/RSA keys in OpenSSH and PEM formats, a key with
# a passphrase; and the failures: wrong password, wrong or missing
# passphrase, unknown key, a key outside the user's files, a closed port.
# Each failure is one line naming the host or the setting, with the
# documented exit status, and no secret in it.  Uploads are read back with
# the stock sftp client.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/sftp.sh"
t_setup

sftp_setup "$T/files/alice/keys" "$T/state"
sshd_keys || { echo "not ok 1 - ssh-keygen failed"; exit 1; }
sshd_start || { echo "not ok 1 - sshd did not start"; exit 1; }
cp "$SFTP_KEYS"/id_* "$T/files/alice/keys/"
sftp_admin_conf
head -c 200000 /dev/urandom >"$T/data"

# env FILE LINES...: a user settings file for this server.
env_file() {
	sftp_env "$@"
	chmod 600 "$1"
}

put() {	# put ENV NAME: upload $T/data; stderr in $T/err
	"$D" drive "$T/admin.conf" "$1" alice put "$2" <"$T/data" \
	    >"$T/out" 2>"$T/err"
}

# The stock sftp client (its own key, no host key bookkeeping) reads it.
sftp_get() {
	printf 'get %s %s\n' "$SFTP_HOME/backups/$1" "$T/got" >"$T/batch"
	rm -f "$T/got"
	sftp -q -P "$SSHD_PORT" -i "$SFTP_KEYS/id_ed25519" -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -b "$T/batch" "$SFTP_USER@127.0.0.1" >/dev/null 2>&1 &&
	    cmp -s "$T/data" "$T/got"
}

env_file "$T/pw.env" "SSH_PASSWORD=$SFTP_PASSWORD"
put "$T/pw.env" backup-pw.tar.gz
ok $? "password login: upload succeeds"
sftp_get backup-pw.tar.gz
ok $? "password login: the stock sftp client reads back the same bytes"

for k in id_ed25519 id_ecdsa; do
	env_file "$T/$k.env" "SSH_IDENTITY_FILE=keys/$k"
	put "$T/$k.env" "backup-$k.tar.gz"
	ok $? "key $k: upload succeeds $(head -c 200 "$T/err")"
	sftp_get "backup-$k.tar.gz"
	ok $? "key $k: the stock sftp client reads back the same bytes"
done

# libssh2 1.10 (Debian 12) signs RSA with SHA-1 only, which OpenSSH 9.2
# refuses; the login is signed as rsa-sha2-256 instead (sftp_rsa.c), so a
# PEM RSA key logs in to the stock server (sftp_keys.sh: every format).
env_file "$T/rsa.env" "SSH_IDENTITY_FILE=keys/id_rsa"
put "$T/rsa.env" backup-rsa.tar.gz
ok $? "RSA key on a server refusing ssh-rsa: upload succeeds $(head -c 200 "$T/err")"
sftp_get backup-rsa.tar.gz
ok $? "... and the stock sftp client reads back the same bytes"

env_file "$T/abs.env" "SSH_IDENTITY_FILE=/var/www/html/keys/id_ed25519"
put "$T/abs.env" backup-abs.tar.gz
ok $? "SSH_IDENTITY_FILE under /var/www/html/ means the user's files"

env_file "$T/locked.env" "SSH_IDENTITY_FILE=keys/id_locked" \
    "SSH_IDENTITY_PASSPHRASE=$SFTP_KEY_PASSPHRASE"
put "$T/locked.env" backup-locked.tar.gz
ok $? "key with a passphrase: upload succeeds $(head -c 200 "$T/err")"

env_file "$T/badpp.env" "SSH_IDENTITY_FILE=keys/id_locked" \
    "SSH_IDENTITY_PASSPHRASE=not-the-Passphrase"
put "$T/badpp.env" backup-x.tar.gz
rc=$?
ok $((rc != 2)) "wrong passphrase is a settings error: exit 2 (got $rc)"
grep -q SSH_IDENTITY "$T/err"
ok $? "wrong passphrase: the error names the key setting: $(cat "$T/err")"
! grep -q "not-the-Passphrase" "$T/err" "$T/out"
ok $? "wrong passphrase: the passphrase is not printed"

env_file "$T/stranger.env" "SSH_IDENTITY_FILE=keys/id_stranger"
put "$T/stranger.env" backup-x.tar.gz
rc=$?
ok $((rc != 1)) "an unauthorized key is refused with exit 1 (got $rc)"

env_file "$T/badpw.env" "SSH_PASSWORD=Wrong-Password-77"
put "$T/badpw.env" backup-x.tar.gz
rc=$?
ok $((rc != 1)) "wrong password: exit status 1 (got $rc)"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "127.0.0.1:$SSHD_PORT" "$T/err" &&
    grep -q "login refused" "$T/err"
ok $? "wrong password: one line naming host and port: $(cat "$T/err")"
! grep -q "Wrong-Password-77" "$T/err" "$T/out"
ok $? "wrong password: the password is not printed"
[ ! -e "$SFTP_HOME/backups/backup-x.tar.gz" ]
ok $? "failed logins leave nothing under the final name"

env_file "$T/escape.env" "SSH_PASSWORD=$SFTP_PASSWORD" \
    "SSH_IDENTITY_FILE=../../../etc/ssh/ssh_host_ed25519_key"
put "$T/escape.env" backup-x.tar.gz
rc=$?
ok $((rc != 2)) "a key path outside the user's files is refused (exit $rc)"
grep -q SSH_IDENTITY_FILE "$T/err"
ok $? "... naming SSH_IDENTITY_FILE: $(cat "$T/err")"

closed=$(free_port)
env_file "$T/closed.env" "SSH_PASSWORD=$SFTP_PASSWORD"
sed -i "s/^SSH_PORT=.*/SSH_PORT=$closed/" "$T/closed.env"
put "$T/closed.env" backup-x.tar.gz
rc=$?
ok $((rc != 3)) "a closed port is 'unreachable': exit status 3 (got $rc)"
grep -q "127.0.0.1:$closed" "$T/err"
ok $? "... naming host and port: $(cat "$T/err")"

t_done
