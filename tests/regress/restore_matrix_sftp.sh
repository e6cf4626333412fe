#!/bin/sh
# restore_matrix_sftp.sh - issue 11's matrix on SFTP (OpenSSH's sshd,
# password login): every compression x encryption backed up, listed,
# verified and restored (diff -r against the source); files re-uploaded
# with one bit flipped by the stock sftp client fail verify naming the
# layer; newest first.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/sshd.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup
mkdir -p "$T/sshd"
sshd_user || { echo "not ok 1 - cannot create the test login"; exit 1; }
sshd_keys || { echo "not ok 1 - ssh-keygen failed"; exit 1; }
sshd_start || { echo "not ok 1 - sshd did not start"; exit 1; }

RM_DEST=sftp
DIR=$SFTP_HOME/backups
RM_DEST_LINES="SSH_HOST_NAME=127.0.0.1
SSH_PORT=$SSHD_PORT
SSH_USER=$SFTP_USER
SSH_PASSWORD=$SFTP_PASSWORD
SSH_REMOTE_PATH=$DIR
SSH_HOST_KEY_FINGERPRINT=$(sshd_fingerprint)"
# The stock sftp client, with its own key and no host key bookkeeping.
sftp_batch() {
	printf '%s\n' "$@" >"$T/batch"
	sftp -q -P "$SSHD_PORT" -i "$SFTP_KEYS/id_ed25519" -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -b "$T/batch" "$SFTP_USER@127.0.0.1"
}
rm_fetch() { sftp_batch "get $DIR/$1 $2" >/dev/null; }
rm_store() { sftp_batch "put $1 $DIR/$2" >/dev/null; }
rm_server_sizes() {
	sftp_batch "ls -ln $DIR" | awk '$1 ~ /^-/ { n = split($NF, p, "/"); print p[n], $5 }'
}

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
rm_sizes_agree
rm_flip none gpg-pass gpg
rm_flip zst none "zstd layer"
rm_newest_first
rm_remove() { sftp_batch "rm $DIR/$1" >/dev/null; }
rm_chain gz gpg-pass
! grep -rq -e "$SFTP_PASSWORD" -e "$RM_GPG_PASS" "$T/state" "$T"/*.out "$T"/*.err "$T/list.json"
ok $? "sftp: no password or passphrase in any output or state file"

t_done
