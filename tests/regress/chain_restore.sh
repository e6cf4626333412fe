#!/bin/sh
# backupctl restore and verify of an incremental act on the tree at its
# time, whole chain included: for every compression x encryption at a
# local folder, each point of a chain (changed, new, deleted and renamed
# files, file -> folder -> file, a new link, a mode change, a hard link)
# restores file for file (content, mode, type, link target, mtime) what
# the source was then, and what a full backup made then restores.  A
# missing archive is named by list, restore and verify; a chain mixed
# with another of the same full name is refused; --only at a point in
# time; a tampered path list removes nothing outside the restore folder;
# a restore job of an incremental through a real worker.
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
ALLOW_CUSTOM_FILENAME=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
age-keygen -o "$T/age.key" 2>/dev/null
AGE_PUB=$(age-keygen -y "$T/age.key")
export GNUPGHOME=$T/gnupg
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"

meta() {	# meta DIR: everything a user would notice of a tree (mtimes
	# to the second, as tar keeps them)
	(cd "$1" && find . -mindepth 1 -printf '%P %m %y %l %s %T@\n' |
	    sed 's/\.[0-9]*$//' | LC_ALL=C sort)
}

same_tree() {	# same_tree A B: content and meta equal
	diff -r --no-dereference "$1" "$2" >"$T/diff.out" 2>&1 &&
	    meta "$1" >"$T/m1" && meta "$2" >"$T/m2" && cmp -s "$T/m1" "$T/m2"
}

settings() {	# settings COMP ENC [INCREMENTAL]
	{
		printf 'BACKUP_ARCHIVE=%s\n' "$T/out"
		printf 'BACKUP_INCREMENTAL=%s\n' "${3:-true}"
		printf 'BACKUP_COMPRESSION=%s\n' "$1"
		case $2 in
		age) echo "AGE_PUBLIC_KEYS=$AGE_PUB" ;;
		gpg) echo "GPG_PASSPHRASE=chain-restore-pass-19" ;;
		esac
	} >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
}

keys() {	# the restore's key options for ENC
	case $1 in
	age) echo "--identity $T/age.key" ;;
	esac
}

# The source at point K: each step changes what a chain must carry.
step() {
	case $1 in
	0)	make_tree "$SRC"
		echo old >"$SRC/gone.txt"
		echo move >"$SRC/from.txt"
		echo was-a-file >"$SRC/turns"
		mkdir -p "$SRC/olddir/inner" && echo x >"$SRC/olddir/inner/f" ;;
	1)	echo changed >>"$SRC/a.txt"
		echo new >"$SRC/new.txt"
		rm "$SRC/gone.txt"
		mv "$SRC/from.txt" "$SRC/to.txt"
		rm -r "$SRC/olddir" ;;
	2)	rm "$SRC/turns" && mkdir "$SRC/turns" &&
		    echo inside >"$SRC/turns/f"
		ln -s to.txt "$SRC/link"
		chmod 600 "$SRC/new.txt" ;;
	3)	rm -r "$SRC/turns" && echo a-file-again >"$SRC/turns"
		ln "$SRC/sub/deeper/numbers.txt" "$SRC/hard"
		rm "$SRC/link" && ln -s a.txt "$SRC/link" ;;
	esac
}

run() {	# run LOG: one backup, the name it wrote into $NAME
	ls "$T/out" >"$T/before"
	backupctl run alice >"$T/$1" 2>&1 || cat "$T/$1"
	NAME=$(ls "$T/out" | grep -vxF -f "$T/before" | head -1)
}

for comp in gz zst none; do
for enc in none age gpg; do
	rm -rf "$SRC" "$T/out" "$T/state/chain" "$T/state/manifests" \
	    "$T/snap" "$T/r"
	mkdir -p "$SRC" "$T/out" "$T/snap"
	settings $comp $enc
	names=""
	for k in 0 1 2 3; do
		step $k
		run run$k.out
		names="$names $NAME"
		cp -a "$SRC" "$T/snap/$k"
	done
	bad=""
	k=0
	for n in $names; do
		rm -rf "$T/r"
		backupctl restore alice "$n" --to "$T/r" $(keys $enc) \
		    >"$T/rs.out" 2>&1
		test $? -eq 0 && same_tree "$T/snap/$k" "$T/r/files" ||
		    { bad="$bad $k"; cat "$T/rs.out" "$T/diff.out" | head -5
		    diff "$T/m1" "$T/m2" | head -6; }
		k=$((k + 1))
	done
	test -z "$bad"
	ok $? "$comp/$enc: every point of full + 3 incrementals restores the source as it was then (content, modes, types, links, mtimes)${bad:+; wrong at:$bad}"
	grep -q "applying its chain: the full and 3 incrementals" "$T/rs.out"
	ok $? "$comp/$enc: restore of the last point says it applied the full and 3 incrementals"
	if [ $comp != none ] && [ $enc != gpg ]; then
		# --only at the last point by ranges: the chain's blocks that
		# hold the paths, its records and lists, nothing else.
		rm -rf "$T/r"
		backupctl restore alice "$NAME" --to "$T/r" $(keys $enc) \
		    --only files/sub --only files/turns --only files/hard \
		    >"$T/ro.out" 2>&1 &&
		    same_tree "$T/snap/3/sub" "$T/r/files/sub" &&
		    test "$(cat "$T/r/files/turns")" = a-file-again &&
		    cmp -s "$T/r/files/hard" "$T/snap/3/hard" &&
		    test ! -e "$T/r/files/a.txt" &&
		    grep -q "by the archives' index" "$T/ro.out"
		ok $? "$comp/$enc: --only at incremental 3 by ranges gives those paths as they were ($(grep downloaded "$T/ro.out"))"
		rm -rf "$T/r"
		backupctl restore alice "$NAME" --to "$T/r" $(keys $enc) \
		    --only files/gone.txt >"$T/ro.out" 2>&1
		test $? -ne 0 && grep -q "matched nothing" "$T/ro.out"
		ok $? "$comp/$enc: --only a file deleted before incremental 3 matches nothing, by ranges too"
	fi
	backupctl verify alice "$NAME" $(keys $enc) >"$T/v.out" 2>&1 &&
	    grep -q "intact, with its whole chain: 4 archives" "$T/v.out"
	ok $? "$comp/$enc: verify of the last point reads all 4 archives"
done
done

# A plain chain for the rest; a full made of the same tree restores the
# same as its last point.
rm -rf "$SRC" "$T/out" "$T/state/chain" "$T/state/manifests" && mkdir -p "$SRC" "$T/out"
settings none none
for k in 0 1 2 3; do step $k; run c$k.out; done
INC1=$(ls "$T/out" | grep '^inc-0001'); INC3=$(ls "$T/out" | grep '^inc-0003')
settings none none false
echo 'BACKUP_FILENAME=plain-%Y-%m-%dT%H-%M-%S.tar' >>"$T/users/alice.env"
rm -rf "$T/r" "$T/rf"
run full.out
backupctl restore alice "$NAME" --to "$T/rf" >/dev/null 2>&1
backupctl restore alice "$INC3" --to "$T/r" >/dev/null 2>&1
same_tree "$T/rf/files" "$T/r/files"
ok $? "the last point of the chain restores exactly what a full backup of the same tree restores"
rm "$T/out/$NAME"
settings none none

# The panel's way: a restore job of incremental 3 run by a worker, as
# the user, into a new folder beside Files; its result says how.
start_redis || { echo "not ok - redis did not start"; exit 1; }
{ cat "$T/pb.conf"; printf 'REDIS_URL=%s\nNODE=cr\nOUTBOUND_ALLOW=127.0.0.0/8\n' "$REDIS_URL"; } >"$T/q.conf"
t_worker --config "$T/q.conf" --concurrency 1 2>"$T/w.log" &
t_bg $!
wait_for 10 sh -c "redis-cli -p $REDIS_PORT ZCARD bk:workers | grep -qx 1"
backupctl --config "$T/q.conf" enqueue alice --restore "$INC3" --wait --json \
    >"$T/job.json" 2>"$T/job.err"
/usr/bin/python3 - "$T/job.json" "$SRC" <<'PY' >"$T/job.check" 2>&1
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
r = j["result"]
assert j["state"] == "succeeded", j
assert r["archives"] == 4 and r["removed"] > 0, r
subprocess.run(["diff", "-r", "--no-dereference", sys.argv[2], r["to"] + "/files"], check=True)
PY
ok $? "a restore job of incremental 3 (worker, --wait --json) applies 4 archives and gives the tree as it was ($(tail -1 "$T/job.check") $(tail -1 "$T/job.err"))"

# By ranges on a chain worth it: a 24 MiB full, an incremental that
# changed one small file; --only that file downloads a small part.
rm -rf "$SRC" "$T/out" "$T/state/chain" "$T/state/manifests" && mkdir -p "$SRC/big" "$T/out"
head -c 25165824 /dev/urandom >"$SRC/big/blob.bin"
echo v1 >"$SRC/small.txt"
settings zst none
run big0.out
echo v2 >"$SRC/small.txt"
run big1.out
BIG=$NAME
total=$(du -cb "$T/out"/* | tail -1 | cut -f1)
rm -rf "$T/r"
backupctl restore alice "$BIG" --to "$T/r" --only files/small.txt >"$T/rb.out" 2>&1
got=$(sed -n 's/.*downloaded \([0-9]*\) of.*/\1/p' "$T/rb.out")
test "$(cat "$T/r/files/small.txt" 2>/dev/null)" = v2 && test -n "$got" &&
    test "$got" -lt $((total / 20))
ok $? "--only one small file at an incremental of a ${total}-byte chain downloads ${got:-?} bytes (< 5%)"
rm -rf "$SRC" "$T/out" "$T/state/chain" "$T/state/manifests" && mkdir -p "$SRC" "$T/out"
settings none none
for k in 0 1 2 3; do step $k; run c$k.out; done
INC1=$(ls "$T/out" | grep '^inc-0001'); INC3=$(ls "$T/out" | grep '^inc-0003')

# --only at a point in time.
rm -rf "$T/r"
backupctl restore alice "$INC1" --to "$T/r" --only files/to.txt \
    >"$T/o.out" 2>&1 && test "$(cat "$T/r/files/to.txt")" = move &&
    test "$(find "$T/r" -type f | wc -l)" -eq 1
ok $? "--only files/to.txt at incremental 1 restores just that file, as it was"
rm -rf "$T/r"
backupctl restore alice "$INC1" --to "$T/r" --only files/turns/f >"$T/o.out" 2>&1
test $? -ne 0 && grep -q "matched nothing" "$T/o.out"
ok $? "--only a path that exists only later matches nothing at incremental 1"
rm -rf "$T/r"
backupctl restore alice "$INC3" --to "$T/r" --only files/gone.txt >"$T/o.out" 2>&1
test $? -ne 0 && grep -q "matched nothing" "$T/o.out"
ok $? "--only a file the full had but incremental 1 deleted matches nothing at incremental 3"

# A folder with files that are not the backup's (--overwrite into a used
# folder) is left, and named; nothing else of the user's is touched.
rm -rf "$T/r" && mkdir -p "$T/r/files/olddir" && echo mine >"$T/r/files/olddir/mine"
echo mine >"$T/r/keep-me"
backupctl restore alice "$INC1" --to "$T/r" --overwrite >"$T/o.out" 2>&1
test $? -eq 0 && test -f "$T/r/files/olddir/mine" && test -f "$T/r/keep-me" &&
    test ! -e "$T/r/files/olddir/inner" && grep -q "olddir: kept" "$T/o.out"
ok $? "--overwrite: the chain removes what it deleted, keeps the user's own files and says so"

# A tampered incremental: its path list names "..", an absolute path and
# one real file.  Only that file goes; nothing outside the folder.
mkdir -p "$T/victim" && echo precious >"$T/victim/v" && echo precious >"$T/vfile"
python3 - "$T/out/$INC1" "$T/out/inc-tampered.tar" "$T/r2" <<'EOF'
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as i, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as o:
    for m in i.getmembers():
        data = i.extractfile(m).read() if m.isfile() else None
        if m.name == ".panel-backup/paths":
            names = [n for n in data.split(b"\0") if n and n != b"files/a.txt"]
            names += [b"../../vfile", b"/" + sys.argv[3].encode() + b"/../victim/v", b"../victim"]
            data = b"\0".join(names) + b"\0"
            m.size = len(data)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
EOF
mv "$T/out/inc-tampered.tar" "$T/out/$INC1"
rm -rf "$T/state/manifests"	# the job's record would (rightly) refuse it
rm -rf "$T/r2"
backupctl restore alice "$INC1" --to "$T/r2" >"$T/t.out" 2>&1
rc=$?
test -f "$T/vfile" && test -f "$T/victim/v" && test ! -e "$T/r2/files/a.txt" &&
    test -f "$T/r2/files/to.txt"
ok $? "a tampered path list removes only inside the restore folder (exit $rc)"

# A missing archive: list, restore and verify name it.
INC2=$(ls "$T/out" | grep '^inc-0002')
mv "$T/out/$INC2" "$T/inc2.saved"
backupctl list alice >"$T/l.out" 2>&1
grep "^$INC3 " "$T/l.out" | grep -q "BROKEN: missing $INC2"
ok $? "list marks incremental 3 BROKEN, naming the missing incremental 2"
backupctl list alice --json | python3 -c '
import json, sys
b = {x["name"]: x for x in json.load(sys.stdin)["backups"]}
i3 = [x for n, x in b.items() if n.startswith("inc-0003")][0]
i1 = [x for n, x in b.items() if n.startswith("inc-0001")][0]
assert i3["broken"] is True and i3["missing"].startswith("inc-0002"), i3
assert "broken" not in i1, i1'
ok $? "list --json: broken true and missing on incremental 3, not on incremental 1"
rm -rf "$T/r"
backupctl restore alice "$INC3" --to "$T/r" >"$T/b.out" 2>&1
rc=$?
test $rc -ne 0 && grep -q "chain is broken: $INC2, which it needs, is not at" "$T/b.out" &&
    test ! -e "$T/r/files"
ok $? "restore of incremental 3 fails (exit $rc) naming $INC2, and writes nothing"
backupctl verify alice "$INC3" >"$T/b.out" 2>&1
test $? -ne 0 && grep -q "$INC2" "$T/b.out"
ok $? "verify of incremental 3 fails naming the missing archive"
mv "$T/inc2.saved" "$T/out/$INC2"

# Two chains with one full name (a BACKUP_FILENAME without a date): the
# second full replaced the first; the first chain's later incremental is
# refused rather than applied over the wrong full.
rm -rf "$T/out" "$T/state/chain" "$T/state/manifests" "$SRC" && mkdir -p "$T/out" "$SRC"
settings zst none
echo 'BACKUP_FILENAME=site.tar.zst' >>"$T/users/alice.env"
step 0; run s0.out; step 1; run s1.out; step 2; run s2.out
OLD2=$(ls "$T/out" | grep '^inc-0002'); mv "$T/out/$OLD2" "$T/old2"
rm -f "$T/state/chain/alice.state"
run s3.out			# a new full named site.tar.zst
step 3; run s4.out		# its incremental 1
mv "$T/old2" "$T/out/$OLD2"
rm -rf "$T/r"
backupctl restore alice "$OLD2" --to "$T/r" >"$T/x.out" 2>&1
test $? -ne 0 && grep -q "not the next archive of this chain" "$T/x.out"
ok $? "an incremental of an older chain with the same full name is refused, not applied"

# A chain made within one second, its full named to sort after "inc-":
# list still puts the newest archive first.
rm -rf "$T/out" "$T/state/chain" && mkdir -p "$T/out"
settings none none
echo 'BACKUP_FILENAME=site-%Y%m%dT%H%M%S.tar' >>"$T/users/alice.env"
run o1.out; echo 1 >"$SRC/o.txt"; run o2.out; echo 2 >"$SRC/o.txt"; run o3.out
backupctl list alice --json | /usr/bin/python3 -c '
import json, sys
n = [b["name"] for b in json.load(sys.stdin)["backups"]]
assert [x[:8] for x in n] == ["inc-0002", "inc-0001", "site-202"], n'
ok $? "list puts a chain newest first, incremental 2, 1, then its full, whatever the names sort as"
t_done
