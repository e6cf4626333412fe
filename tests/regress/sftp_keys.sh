#!/bin/sh
# sftp_keys.sh - every key a user can put in SSH_IDENTITY_FILE, against
# two real sshd configurations.
#
# Debian 12's libssh2 1.10 signs with an RSA key only as "ssh-rsa"
# (SHA-1), which OpenSSH 8.8 and later refuse by default; we sign RSA
# logins as rsa-sha2-256 ourselves (storage/sftp_rsa.c).  Against Debian's
# sshd with its default configuration (no PubkeyAcceptedAlgorithms line:
# ssh-rsa refused) RSA keys log in in OpenSSH format and PEM, with and
# without a passphrase (OpenSSH's aes256-ctr under bcrypt_pbkdf
# included, with ssh-keygen's default aes256-ctr and its -Z
# aes256-gcm@openssh.com), and the server's log shows rsa-sha2-256; a
# wrong passphrase fails naming SSH_IDENTITY_PASSPHRASE; an RSA key we do
# not read ourselves (OpenSSH format with another cipher, -Z aes128-ctr:
# libssh2 reads it, and signs as ssh-rsa only) fails with an error that
# says what to do.  Against a server that still accepts ssh-rsa (PubkeyAcceptedAlgorithms
# +ssh-rsa, HostKeyAlgorithms +ssh-rsa, and only an RSA host key, like an
# old NAS), RSA keys in both formats log in, as do ECDSA in both formats,
# ed25519 (OpenSSH format only: ssh-keygen has no PEM form for it and
# writes OpenSSH format even when asked for PEM, which is checked here)
# and keys with a passphrase in PEM and OpenSSH formats.  Every upload is
# read back from the server's disk.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/sftp.sh"
t_setup

K=$T/files/alice/keys
PP='Pem-Pass-phrase-77'
sftp_setup "$K" "$T/state-stock" "$T/state-legacy"

# name type format [passphrase [ssh-keygen options]]
key() {
	_n=$1 _t=$2 _m=$3 _p=${4:-}
	shift 3; [ $# -gt 0 ] && shift
	if [ "$_m" = PEM ] || [ "$_m" = PKCS8 ]; then
		ssh-keygen -q -t "$_t" -m "$_m" -N "$_p" -C "$_n" -f "$K/$_n"
	else
		ssh-keygen -q -t "$_t" -N "$_p" -C "$_n" "$@" -f "$K/$_n"
	fi || return 1
	set -- "$_n"
	cat "$K/$1.pub" >>"$T/sshd/authorized_keys"
}
: >"$T/sshd/authorized_keys"
key rsa_openssh rsa RFC4716 && key rsa_pem rsa PEM &&
    key ecdsa_openssh ecdsa RFC4716 && key ecdsa_pem ecdsa PEM &&
    key ed25519 ed25519 RFC4716 && key ed25519_pem ed25519 PEM &&
    key rsa_pem_locked rsa PEM "$PP" && key ecdsa_pem_locked ecdsa PEM "$PP" &&
    key rsa_openssh_locked rsa RFC4716 "$PP" &&
    key rsa_openssh_gcm rsa RFC4716 "$PP" -Z aes256-gcm@openssh.com &&
    key rsa_openssh_aes128 rsa RFC4716 "$PP" -Z aes128-ctr &&
    key rsa_pkcs8 rsa PKCS8 && key rsa_pkcs8_locked rsa PKCS8 "$PP" ||
    { echo "not ok 1 - ssh-keygen failed"; exit 1; }
chmod 644 "$T/sshd/authorized_keys"
# The formats are what their names say (ssh-keygen's -m RFC4716 for a
# private key means its own OpenSSH format).
head -1 "$K/rsa_pem" | grep -q "BEGIN RSA PRIVATE KEY" &&
    head -1 "$K/ecdsa_pem" | grep -q "BEGIN EC PRIVATE KEY" &&
    head -1 "$K/rsa_pem_locked" | grep -q "BEGIN RSA PRIVATE KEY" &&
    grep -q "^DEK-Info:" "$K/rsa_pem_locked" &&
    head -1 "$K/rsa_openssh" | grep -q "BEGIN OPENSSH PRIVATE KEY" &&
    head -1 "$K/ecdsa_openssh" | grep -q "BEGIN OPENSSH PRIVATE KEY"
ok $? "the test keys are in the formats their names say"
head -1 "$K/ed25519_pem" | grep -q "BEGIN OPENSSH PRIVATE KEY"
ok $? "ed25519 has no PEM form: ssh-keygen -m PEM writes OpenSSH format"

head -c 100000 /dev/urandom >"$T/data"
put() {	# put STATE KEY NAME [LINES...]: upload $T/data with that key
	st=$1 k=$2 n=$3
	shift 3
	printf 'OUTBOUND_ALLOW=127.0.0.0/8,::1\nSTATE_DIR=%s\nTEMP_DIR=%s/tmp\nSOURCE_FILES=%s/files/{user}\n' \
	    "$T/state-$st" "$T" "$T" >"$T/admin.conf"
	sftp_env "$T/u.env" "SSH_IDENTITY_FILE=keys/$k" "$@"
	case $k in
	ecdsa_openssh)	# a leak inside libssh2 1.10: see sshd_lsan.supp
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" \
		LSAN_OPTIONS="suppressions=$PB_ROOT/tests/servers/sshd_lsan.supp:print_suppressions=0" \
		    "$D" drive "$T/admin.conf" "$T/u.env" alice put "$n" \
		    <"$T/data" >"$T/out" 2>"$T/err" ;;
	*)	"$D" drive "$T/admin.conf" "$T/u.env" alice put "$n" \
		    <"$T/data" >"$T/out" 2>"$T/err" ;;
	esac
}
arrived() {
	cmp -s "$T/data" "$SFTP_HOME/backups/$1"
}

# 1. A stock server (Debian's sshd, default configuration): RSA keys log
# in as rsa-sha2-256, in every format but one, which says what to do.
sshd_start || { echo "not ok - sshd did not start"; exit 1; }
! grep -qi "PubkeyAcceptedAlgorithms\|HostKeyAlgorithms" "$T/sshd/sshd_config" 2>/dev/null
ok $? "the stock server's config does not touch the key algorithms"
for k in rsa_openssh rsa_pem rsa_pkcs8; do
	put stock "$k" "backup-stock-$k.tar" && arrived "backup-stock-$k.tar"
	ok $? "stock server, RSA key $k: the backup arrives whole $(head -c 300 "$T/err")"
done
for k in rsa_pem_locked rsa_pkcs8_locked rsa_openssh_locked rsa_openssh_gcm; do
	put stock "$k" "backup-stock-$k.tar" "SSH_IDENTITY_PASSPHRASE=$PP" &&
	    arrived "backup-stock-$k.tar"
	ok $? "stock server, RSA key $k with its passphrase: the backup arrives whole $(head -c 300 "$T/err")"
done
grep -q "Accepted publickey for $SFTP_USER .* RSA SHA256:" "$SSHD_LOG" &&
    ! grep -q "signature algorithm ssh-rsa" "$SSHD_LOG"
ok $? "sshd logged RSA logins and no ssh-rsa signature: $(grep -e "Accepted publickey" -e "algorithm ssh-rsa" "$SSHD_LOG" | head -3)"
put stock rsa_openssh_locked backup-stock-wrongpp.tar "SSH_IDENTITY_PASSPHRASE=Not-$PP"
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "SSH_IDENTITY_PASSPHRASE" "$T/err" && ! grep -q "$PP" "$T/err" &&
    ! arrived backup-stock-wrongpp.tar
ok $? "stock server, OpenSSH-format RSA key, wrong passphrase: one line naming SSH_IDENTITY_PASSPHRASE (rc $rc): $(cat "$T/err")"
put stock rsa_openssh_aes128 backup-stock-locked.tar "SSH_IDENTITY_PASSPHRASE=$PP"
rc=$?
ok $((rc != 1)) "stock server, OpenSSH-format RSA key encrypted with aes128-ctr: refused with exit 1 (got $rc)"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "ssh-keygen -p -m PEM" "$T/err" &&
    ! grep -q "$PP" "$T/err"
ok $? "... in one line saying how to convert it: $(cat "$T/err")"
put stock ed25519 backup-stock-ed25519.tar && arrived backup-stock-ed25519.tar
ok $? "stock server, ed25519: the backup arrives whole $(head -c 300 "$T/err")"

# 2. A server that accepts ssh-rsa, with only an RSA host key.
sshd_stop
sshd_new_host_key rsa
SSHD_EXTRA='PubkeyAcceptedAlgorithms +ssh-rsa
HostKeyAlgorithms +ssh-rsa'
sshd_start || { echo "not ok - legacy sshd did not start"; exit 1; }
for k in rsa_openssh rsa_pem ecdsa_openssh ecdsa_pem ed25519 ed25519_pem; do
	put legacy "$k" "backup-$k.tar" && arrived "backup-$k.tar"
	ok $? "ssh-rsa server, key $k: the backup arrives whole $(head -c 300 "$T/err")"
done
grep -q "ssh-rsa" "$T/state-legacy/known_hosts/alice"
ok $? "the server's RSA host key was recorded on first use"
for k in rsa_pem_locked ecdsa_pem_locked; do
	put legacy "$k" "backup-$k.tar" "SSH_IDENTITY_PASSPHRASE=$PP" &&
	    arrived "backup-$k.tar"
	ok $? "PEM key with a passphrase ($k): the backup arrives whole $(head -c 300 "$T/err")"
	put legacy "$k" "backup-x.tar" "SSH_IDENTITY_PASSPHRASE=Not-The-Phrase-1"
	rc=$?
	ok $((rc != 2)) "$k with a wrong passphrase: exit 2 (got $rc)"
	grep -q "SSH_IDENTITY_PASSPHRASE" "$T/err" &&
	    ! grep -q "Not-The-Phrase-1\|$PP" "$T/err" "$T/out"
	ok $? "... naming the setting, no passphrase printed: $(cat "$T/err")"
done
put legacy rsa_pem_locked backup-x.tar
rc=$?
ok $((rc != 2)) "a locked PEM key without SSH_IDENTITY_PASSPHRASE: exit 2 (got $rc)"
[ ! -e "$SFTP_HOME/backups/backup-x.tar" ]
ok $? "failed logins leave nothing under the final name"

t_done
