# tests/lib/restore_seek.sh - restore --only over ranges (issue 19 item 5),
# shared by tests/regress/restore_seek_<dest>.sh (POSIX sh).  Needs
# tests/lib/restore_matrix.sh (rm_setup, rm_user, rm_backup, rm_ids) and
# RM_DEST, RM_DEST_LINES, rm_store.
#
# The tree: a 4 KiB file first, ~20 MiB of random data and 6 MiB of text
# in between, a 4 KiB file last, a folder of three.  For gz and zst x
# none and age: restore --only of the first file, of the last file, of
# the folder and of a missing path; the file(s) equal the source, nothing
# else is written, and the bytes downloaded (the note backupctl prints
# from restore_result.stored) are under 1/8 of the object's size.

rs_tree() {
	rm -rf "$SRC"
	mkdir -p "$SRC/aa" "$SRC/mid/sub" "$SRC/zz"
	head -c 4096 /dev/urandom | od -An -tx1 | head -c 4096 >"$SRC/aa/first.txt"
	head -c 20000000 /dev/urandom >"$SRC/mid/random.bin"
	seq 1 900000 >"$SRC/mid/text.txt"
	printf 'one\n' >"$SRC/mid/sub/one.txt"
	head -c 4096 /dev/urandom | od -An -tx1 | head -c 4096 >"$SRC/zz/last.txt"
}

# rs_first / rs_last NAME: the first and last regular file in the archive
# (under files/), as GNU tar lists it.
rs_files() {
	rm_fetch "$1" "$T/whole" || return 1
	case $1 in
	*.age) age -d -i "$T/age.key" "$T/whole" >"$T/whole.plain" || return 1 ;;
	*) cp "$T/whole" "$T/whole.plain" ;;
	esac
	tar -tf "$T/whole.plain" | grep '^files/.*[^/]$' >"$T/members"
	RS_FIRST=$(head -1 "$T/members")
	RS_LAST=$(tail -1 "$T/members")
	RS_SIZE=$(stat -c %s "$T/whole")
	[ -n "$RS_FIRST" ] && [ "$RS_FIRST" != "$RS_LAST" ]
}

# rs_note FILE: the bytes downloaded, from "downloaded N of M bytes".
rs_got() {
	sed -n 's/^backupctl: downloaded \([0-9]*\) of \([0-9]*\) bytes.*/\1/p' "$1" | tail -1
}

# rs_restore LABEL ENC WANT_FILES PATH...: restore --only PATH... into a
# fresh $T/r; exit 0, exactly WANT_FILES files, each equal to the source,
# under 1/8 of the object downloaded.
rs_restore() {
	label=$1
	enc=$2
	want=$3
	shift 3
	rm -rf "$T/r"
	args=
	for p in "$@"; do args="$args --only $p"; done
	# shellcheck disable=SC2086
	backupctl restore alice "$RS_NAME" --to "$T/r" $(rm_ids "$enc") $args \
	    >"$T/rs.out" 2>"$T/rs.err"
	rc=$?
	got=$(rs_got "$T/rs.err")
	n=$(find "$T/r" -type f | wc -l)
	good=0
	[ "$rc" -eq 0 ] && [ "$n" -eq "$want" ] && [ -n "$got" ] &&
	    [ $((got * 8)) -lt "$RS_SIZE" ] || good=1
	for f in $(cd "$T/r" && find . -type f); do
		cmp -s "$T/r/$f" "$SRC/${f#./files/}" || good=1
	done
	ok $good "$RM_DEST $label: restore --only $* gives $want file(s) equal to the source, downloading ${got:-?} of $RS_SIZE bytes (exit $rc, $n files)$(why "$T/rs.err")"
}

rs_matrix() {
	for comp in gz zst; do
		for enc in none age-key; do
			rm_backup "$comp" "$enc"
			ok $? "$RM_DEST $comp/$enc: backup$(why "$T/run.err")"
			RS_NAME=$RM_NAME
			rs_files "$RS_NAME"
			ok $? "$RM_DEST $comp/$enc: stock tools list it ($RS_FIRST ... $RS_LAST)"
			rs_restore "$comp/$enc first block" "$enc" 1 "$RS_FIRST"
			rs_restore "$comp/$enc last block" "$enc" 1 "$RS_LAST"
			rs_restore "$comp/$enc folder" "$enc" 1 files/mid/sub
			rs_restore "$comp/$enc two paths" "$enc" 2 "$RS_FIRST" "$RS_LAST"
			rm -rf "$T/r"
			backupctl restore alice "$RS_NAME" --to "$T/r" $(rm_ids "$enc") \
			    --only files/nope >"$T/rs.out" 2>"$T/rs.err"
			rc=$?
			[ "$rc" -eq 1 ] && grep -q -- "--only files/nope matched nothing in $RS_NAME" "$T/rs.err" &&
			    [ "$(find "$T/r" -type f 2>/dev/null | wc -l)" -eq 0 ]
			ok $? "$RM_DEST $comp/$enc: --only of a missing path fails naming it (exit $rc)$(why "$T/rs.err")"
		done
	done
}

# gpg is not seekable: the whole download, said so.
rs_gpg() {
	rm_backup gz gpg-pass
	RS_NAME=$RM_NAME
	rm -rf "$T/r"
	backupctl restore alice "$RS_NAME" --to "$T/r" --only files/zz/last.txt \
	    >"$T/rs.out" 2>"$T/rs.err"
	rc=$?
	[ "$rc" -eq 0 ] && cmp -s "$T/r/files/zz/last.txt" "$SRC/zz/last.txt" &&
	    grep -q "gpg backups are not seekable: downloading all [0-9]* bytes" "$T/rs.err"
	ok $? "$RM_DEST gz/gpg: restore --only downloads it all and says so (exit $rc)$(why "$T/rs.err")"
}

# An archive without an index (GNU tar's own): the whole download works.
rs_foreign() {
	name=backup-2020-01-01T00-00-00.tar.gz
	tar -czf "$T/foreign.tar.gz" -C "$T/home/alice" files
	rm_store "$T/foreign.tar.gz" "$name"
	rm_user gz none
	rm -rf "$T/r"
	backupctl restore alice "$name" --to "$T/r" --only files/zz/last.txt \
	    >"$T/rs.out" 2>"$T/rs.err"
	rc=$?
	[ "$rc" -eq 0 ] && cmp -s "$T/r/files/zz/last.txt" "$SRC/zz/last.txt" &&
	    [ "$(find "$T/r" -type f | wc -l)" -eq 1 ]
	ok $? "$RM_DEST: an archive without an index (GNU tar's) restores --only by the whole download (exit $rc)$(why "$T/rs.err")"
}
