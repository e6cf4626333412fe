#!/bin/sh
# restore_matrix_local.sh - issue 11's matrix on a local folder
# (BACKUP_ARCHIVE): every compression x encryption backed up, listed,
# verified and restored (diff -r against the source); flipped bits in the
# stored file caught by each layer; two backups listed newest first.
# The helpers are in tests/lib/restore_matrix.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup

RM_DEST=local
RM_DEST_LINES="BACKUP_ARCHIVE=$T/archive"
rm_fetch() { cp "$T/archive/$1" "$2"; }
rm_store() { cp "$1" "$T/archive/$2"; }
rm_server_sizes() { cd "$T/archive" && stat -c '%n %s' -- *; }

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
rm_sizes_agree
rm_flip gz none "gzip layer"
rm_flip zst gpg-pass gpg
rm_flip none none "stored object"
rm_newest_first

t_done
