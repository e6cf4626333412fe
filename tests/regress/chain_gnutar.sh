#!/bin/sh
# The docs/restore.md recipe, run with stock GNU tar, gzip, zstd, age and
# gpg: a chain (full + two incrementals with changed, new, deleted and
# renamed files and a type change) restores file for file the tree as it
# was at the last archive, for every compression and encryption.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/state"
SRC=$T/home/alice/files
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
STATE_DIR=$T/state
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
ALLOW_ENCRYPTION=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
age-keygen -o "$T/age.key" 2>/dev/null
AGE_PUB=$(age-keygen -y "$T/age.key")
printf 'chain-gnutar-pass-19' >"$T/gpg.pass"
export AGE_KEY=$T/age.key GPG_PASS_FILE=$T/gpg.pass
export GNUPGHOME=$T/gnupg
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"

# The recipe exactly as docs/restore.md has it (the first sh block).
sed -n '/^```sh$/,/^```$/p' "$PB_ROOT/docs/restore.md" | sed '1d;$d' \
    >"$T/recipe.sh"

meta() {	# meta DIR: path, mode, type and link target of everything
	(cd "$1" && find . -mindepth 1 -printf '%P %m %y %l\n' | LC_ALL=C sort)
}

for comp in gz zst none; do
for enc in none age-key gpg-pass; do
	rm -rf "$SRC" "$T/out" "$T/state/chain" "$T/r"
	mkdir -p "$SRC" "$T/out" "$T/r"
	make_tree "$SRC"
	echo old >"$SRC/gone.txt"
	echo move >"$SRC/from.txt"
	echo was-a-file >"$SRC/turns"
	{
		printf 'BACKUP_ARCHIVE=%s\nBACKUP_INCREMENTAL=true\n' "$T/out"
		printf 'BACKUP_COMPRESSION=%s\n' "$comp"
		case $enc in
		age-key) echo "AGE_PUBLIC_KEYS=$AGE_PUB" ;;
		gpg-pass) echo "GPG_PASSPHRASE=chain-gnutar-pass-19" ;;
		esac
	} >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
	backupctl run alice >"$T/run.out" 2>&1 || cat "$T/run.out"
	FULL=$(ls "$T/out")
	echo changed >>"$SRC/a.txt"
	echo new >"$SRC/new.txt"
	rm "$SRC/gone.txt"
	mv "$SRC/from.txt" "$SRC/to.txt"
	backupctl run alice >"$T/run.out" 2>&1 || cat "$T/run.out"
	rm "$SRC/turns" && mkdir "$SRC/turns" && echo inside >"$SRC/turns/f"
	ln -s to.txt "$SRC/link"
	chmod 600 "$SRC/new.txt"
	backupctl run alice >"$T/run.out" 2>&1 || cat "$T/run.out"
	n=$(ls "$T/out" | grep -c '^inc-')
	(cd "$T/r" && DIR=$T/out FULL=$FULL sh "$T/recipe.sh") \
	    >"$T/recipe.out" 2>&1
	rc=$?
	test $rc -eq 0 && test "$n" -eq 2 &&
	    diff -r --no-dereference "$SRC" "$T/r/restored/files" \
	    >"$T/diff.out" 2>&1 &&
	    meta "$SRC" >"$T/m1" && meta "$T/r/restored/files" >"$T/m2" &&
	    cmp -s "$T/m1" "$T/m2"
	r=$?
	ok $r "$comp/$enc: full + $n incrementals through the GNU tar recipe give the tree file for file (modes, links, deletions, renames, type change)"
	test $r -eq 0 ||
	    { cat "$T/recipe.out" "$T/diff.out"; diff "$T/m1" "$T/m2"; } | head -20
done
done
t_done
