#!/bin/sh
# The archives open silently in every common reader: for each
# BACKUP_COMPRESSION (gz, zst, none), a tree with non-ASCII names,
# symlinks, hard links, long names and a file over several gzip blocks is
# backed up with backupctl run, then read by GNU tar (stderr empty),
# bsdtar, 7-Zip (7zz), Python's tarfile in file and stream mode, busybox
# tar, pigz -d, gzip -t / gzip -l and zstd -t; every extraction is
# compared with the source.  Python's tarfile (before 3.14) and busybox
# have no zstd: they read the zst archive through zstd -d, as a user
# would.  7-Zip refuses, by its own rule, every symlink whose target
# climbs with "..": "Dangerous link path was ignored", and writes an
# empty file instead; those links are the one difference allowed there.
# bsdtar runs in C.UTF-8: in the POSIX locale (a bare Debian has no LANG)
# it refuses every non-ASCII name, on archives bsdtar wrote itself too
# ("Pathname can't be converted from UTF-8 to current locale").  GNU tar,
# busybox, Python and our restore need no locale.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

for tool in bsdtar 7zz busybox pigz zstd python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "not ok 1 - $tool is installed (scripts/deps.sh test)"
		exit 1
	}
done

SRC=$T/home/alice/files
mkdir -p "$SRC" "$T/users" "$T/out"
make_tree "$SRC"
# Names GNU tar used to warn about (hdrcharset), links to them, names
# longer than ustar's 100 and 255 bytes, hard links, a file of 3.5
# gzip blocks of text.
mkdir -p "$SRC/café/日本語" "$SRC/Ünïcødé dir"
printf 'crème brûlée\n' >"$SRC/café/menu-é.txt"
printf 'こんにちは\n' >"$SRC/café/日本語/挨拶.txt"
: >"$SRC/Ünïcødé dir/ёжик"
ln -s "menu-é.txt" "$SRC/café/link-to-é"
ln -s "../../a.txt" "$SRC/café/日本語/up-link"
ln "$SRC/café/menu-é.txt" "$SRC/hard-é"
ln "$SRC/a.txt" "$SRC/hardlink-to-a"
long=$(printf 'd%.0s' $(seq 1 120))
mkdir -p "$SRC/$long/$long"
printf 'deep\n' >"$SRC/$long/$long/$(printf 'f%.0s' $(seq 1 150)).txt"
ln -s "$long/$long" "$SRC/link-to-long"
seq 1 700000 >"$SRC/big.txt"

cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf

# same DIR: DIR/files holds exactly the source tree (names, contents,
# link targets).
same() {
	diff -r --no-dereference "$SRC" "$1/files" >"$T/diff.out" 2>&1
}
fresh() { rm -rf "$T/x" && mkdir "$T/x"; }
# same_7z DIR: as same, but the links leading up may have been refused:
# 7zz said so for each of them and nothing else went wrong.
UP_LINKS="café/日本語/up-link"
same_7z() {
	same "$1" && return 0
	for l in $UP_LINKS; do
		grep -qF "Dangerous link path was ignored : files/$l : " "$T/7z.err" &&
		    [ -f "$1/files/$l" ] && rm -f "$1/files/$l" && cp -P "$SRC/$l" "$1/files/$l" ||
		    return 1
	done
	grep -v -e '^ERROR: Dangerous link path was ignored' -e '^$' \
	    "$T/7z.err" | grep -q . && return 1
	same "$1"
}

for comp in gz zst none; do
	rm -f "$T/out"/*
	printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=%s\n' \
	    "$T/out" "$comp" >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
	backupctl run alice >"$T/run.out" 2>"$T/run.err"
	ok $? "$comp: backupctl run succeeds"
	f=$T/out/$(ls "$T/out")

	# GNU tar: listing and extraction without a word on stderr.
	tar -tvf "$f" >/dev/null 2>"$T/tar.err" && [ ! -s "$T/tar.err" ]
	ok $? "$comp: GNU tar lists it with an empty stderr $(head -c 200 "$T/tar.err")"
	fresh
	tar -xpf "$f" -C "$T/x" 2>"$T/tar.err" && [ ! -s "$T/tar.err" ] &&
	    same "$T/x"
	ok $? "$comp: GNU tar extracts the source tree, stderr empty $(head -c 200 "$T/tar.err" "$T/diff.out")"

	fresh
	LC_ALL=C.UTF-8 bsdtar -xpf "$f" -C "$T/x" 2>"$T/bsd.err" && [ ! -s "$T/bsd.err" ] &&
	    same "$T/x"
	ok $? "$comp: bsdtar extracts the source tree $(head -c 200 "$T/bsd.err" "$T/diff.out")"

	# 7-Zip opens the compressed layer and the tar inside it.
	fresh
	if [ "$comp" = none ]; then
		7zz x -snl -bso0 -bsp0 -o"$T/x" "$f" >"$T/7z.err" 2>&1
	else
		mkdir "$T/t" &&
		7zz x -bso0 -bsp0 -o"$T/t" "$f" >"$T/7z.err" 2>&1 &&
		7zz x -snl -bso0 -bsp0 -o"$T/x" "$T/t"/* >>"$T/7z.err" 2>&1
		rm -rf "$T/t"
	fi
	same_7z "$T/x"
	ok $? "$comp: 7zz extracts the source tree $(head -c 300 "$T/7z.err" "$T/diff.out")"

	# Python's tarfile: random-access file mode, then stream mode (r|*),
	# which reads the gzip stream once, front to back.
	fresh
	pf=$f
	[ "$comp" != zst ] || { zstd -q -dc "$f" >"$T/plain.tar"; pf=$T/plain.tar; }
	python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1]) as t: t.extractall(sys.argv[2])' \
	    "$pf" "$T/x" >"$T/py.err" 2>&1 && same "$T/x"
	ok $? "$comp: Python tarfile (file mode) extracts the source tree $(head -c 300 "$T/py.err" "$T/diff.out")"
	fresh
	if [ "$comp" = zst ]; then src="zstd -dc $f"; else src="cat $f"; fi
	$src | python3 -c 'import sys, tarfile
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|*") as t: t.extractall(sys.argv[1])' \
	    "$T/x" >"$T/py.err" 2>&1 && same "$T/x"
	ok $? "$comp: Python tarfile (stream mode r|*) extracts the source tree $(head -c 300 "$T/py.err" "$T/diff.out")"

	fresh
	if [ "$comp" = zst ]; then
		zstd -dc "$f" | (cd "$T/x" && busybox tar -x) 2>"$T/bb.err"
	else
		[ "$comp" = gz ] && z=z || z=
		(cd "$T/x" && busybox tar -x${z}f "$f") 2>"$T/bb.err"
	fi
	[ $? -eq 0 ] && same "$T/x"
	ok $? "$comp: busybox tar extracts the source tree $(head -c 300 "$T/bb.err" "$T/diff.out")"

	case $comp in
	gz)
		fresh
		pigz -dc "$f" | tar -xpf - -C "$T/x" 2>"$T/pigz.err" &&
		    [ ! -s "$T/pigz.err" ] && same "$T/x"
		ok $? "gz: pigz -d gives a tar of the source tree $(head -c 200 "$T/pigz.err")"
		gzip -t "$f" 2>"$T/gz.err" && [ ! -s "$T/gz.err" ]
		ok $? "gz: gzip -t accepts it"
		# One member: gzip -l's uncompressed size is the tar's.
		want=$(gzip -dc "$f" | wc -c)
		got=$(gzip -l "$f" | awk 'NR == 2 { print $2 }')
		[ "$want" = "$got" ]
		ok $? "gz: gzip -l reports the real size ($got, want $want)"
		;;
	zst)
		zstd -q -t "$f"
		ok $? "zst: zstd -t accepts it"
		;;
	esac
	# And our own reader, with no warning about the names.
	rm -rf "$T/r"
	backupctl restore alice "$(basename "$f")" --to "$T/r" >"$T/rs.out" 2>"$T/rs.err" &&
	    same "$T/r" && ! grep -qi -e warn -e convert "$T/rs.out" "$T/rs.err"
	ok $? "$comp: backupctl restore gives back the source tree $(head -c 300 "$T/rs.err" "$T/diff.out")"
done

t_done
