#!/bin/sh
# restore_matrix_azure.sh - issue 11's matrix on Azure Blob (Azurite):
# every compression x encryption backed up, listed, verified and restored
# (diff -r against the source); blobs re-uploaded with one bit flipped by
# Microsoft's SDK fail verify naming the layer; newest first.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/azurite.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
t_setup
rm_setup
start_azurite || { echo "not ok 1 - azurite did not start: $(tail -3 "$T/azurite.log")"; exit 1; }
C=pb-matrix
azsdk mk "$C" || { echo "not ok 1 - the SDK could not make a container"; exit 1; }

RM_DEST=azure
RM_DEST_LINES="AZURE_STORAGE_ACCOUNT_NAME=$AZ_ACCOUNT
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=$AZ_KEY
AZURE_STORAGE_CONTAINER_NAME=$C
AZURE_STORAGE_PATH=backups/alice/
AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$AZ_PORT/{{ .AccountName }}"
rm_fetch() { azsdk get "$C" "backups/alice/$1" >"$2"; }
# The SDK uploads a local file over the blob.
rm_store() { azsdk put "$C" "backups/alice/$2" "$1"; }
rm_server_sizes() { azsdk ls "$C" backups/alice/; }

rm_empty_list
rm_matrix "gz zst none" "none age-key gpg-pass"
rm_sizes_agree
rm_flip zst none "zstd layer"
rm_flip gz gpg-pass gpg
rm_newest_first
! grep -rq -e "$AZ_KEY" -e "$RM_GPG_PASS" "$T/state" "$T"/*.out "$T"/*.err "$T/list.json"
ok $? "azure: no account key or passphrase in any output or state file"

t_done
