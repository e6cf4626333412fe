#!/bin/sh
# restore_seek_local.sh - restore --only by ranges at a local destination
# (tests/lib/restore_seek.sh: gz/zst x none/age, first and last block, a
# folder, two paths, a missing path; gpg and a foreign archive fall back),
# and tenant-rewritten indexes (tests/regress/seek_rewrite.py): a footer
# pointing elsewhere, huge counts, a block table that lies about its
# bytes, an index that puts one member's name on another's bytes.  Each
# ends in a fallback to the whole download (said so) or a clear error,
# and nothing is written outside the restore folder.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/lib/restore_matrix.sh"
. "$PB_ROOT/tests/lib/restore_seek.sh"
t_setup
rm_setup
RM_DEST=local
mkdir -p "$T/dest"
RM_DEST_LINES="BACKUP_ARCHIVE=$T/dest"
rm_fetch() { cp "$T/dest/$1" "$2"; }
rm_store() { cp "$1" "$T/dest/$2"; }
rs_tree
rs_matrix
rs_gpg
rs_foreign

# Rewritten indexes on a plain gz backup.
rm_backup gz none
base=$RM_NAME
for how in footer-anywhere footer-past-end huge-counts lying-crc lying-member; do
	name=$(printf 'backup-2021-01-0%dT00-00-00.tar.gz' "$(echo "footer-anywhere footer-past-end huge-counts lying-crc lying-member" | tr ' ' '\n' | grep -n "^$how$" | cut -d: -f1)")
	/usr/bin/python3 "$PB_ROOT/tests/regress/seek_rewrite.py" "$how" "$T/dest/$base" "$T/dest/$name" 2>"$T/py.err"
	ok $? "rewrite: $how$(why "$T/py.err")"
	rm -rf "$T/r" "$T/outside"
	backupctl restore alice "$name" --to "$T/r" --only files/aa/first.txt \
	    >"$T/rs.out" 2>"$T/rs.err"
	rc=$?
	case $how in
	lying-member)
		# files/aa/first.txt's entry points at files/zz/last.txt's
		# bytes: the extraction refuses what --only did not ask for.
		[ "$rc" -eq 1 ] && grep -q -- "--only files/aa/first.txt matched nothing" "$T/rs.err" &&
		    [ "$(find "$T/r" -type f 2>/dev/null | wc -l)" -eq 0 ] ;;
	lying-crc)
		[ "$rc" -ne 0 ] && grep -q "does not match the index" "$T/rs.err" ;;
	*)
		[ "$rc" -eq 0 ] && cmp -s "$T/r/files/aa/first.txt" "$SRC/aa/first.txt" &&
		    grep -q "downloading the whole backup" "$T/rs.err" ;;
	esac
	ok $? "rewritten index ($how): a clear error or the whole download, said so (exit $rc)$(why "$T/rs.err")"
	[ ! -e "$T/outside" ] && [ -z "$(find "$T" -newer "$T/rs.out" -type f ! -path "$T/r/*" ! -path "$T/state/*" ! -path "$T/tmp/*" ! -name 'rs.*' 2>/dev/null | head -1)" ]
	ok $? "rewritten index ($how): nothing written outside the restore folder"
done

t_done
