#!/bin/sh
# BACKUP_INCREMENTAL=true at a local folder: the first run is a full, the
# next ones incrementals named inc-NNNN-hhhhhhhh-<full> holding only what
# changed, each ending with .panel-backup/chain and .panel-backup/paths;
# a missing state or a missing last archive makes the next run a full.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/out" "$T/state"
SRC=$T/home/alice/files
make_tree "$SRC"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
STATE_DIR=$T/state
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_INCREMENTAL=true\nBACKUP_COMPRESSION=zst\n' \
    "$T/out" >"$T/users/alice.env"
chmod 600 "$T/users/alice.env"

members() {	# members ARCHIVE: its member names, one a line
	tar -tf "$1" 2>/dev/null
}

backupctl run alice >"$T/run1.out" 2>"$T/run1.err"
ok $? "first run succeeds"
full=$(ls "$T/out")
members "$T/out/$full" | tail -3 | tr '\n' ' ' | grep -q '^.panel-backup/chain .panel-backup/paths .panel-backup/index $'
ok $? "the full ends with .panel-backup/chain and .panel-backup/paths (then the tail index)"
tar -xOf "$T/out/$full" .panel-backup/chain | grep -q '"kind":"full"'
ok $? "its chain member says full"
test -s "$T/state/chain/alice.state"
ok $? "the chain state is saved in STATE_DIR/chain/alice.state"

backupctl run alice >"$T/run2.out" 2>"$T/run2.err"
ok $? "second run succeeds"
grep -q "^incremental 1 of chain $(ls "$T/out" | grep -v '^inc-')\$" "$T/run2.out"
ok $? "backupctl run says: incremental 1 of chain <full>"
inc1=$(ls "$T/out" | grep '^inc-0001-')
echo "$inc1" | grep -Eq "^inc-0001-[0-9a-f]{8}-$full\$"
ok $? "the second run is inc-0001-hhhhhhhh-<full> ($inc1)"
hex=$(printf %s "$full" | sha256sum | cut -c1-8)
test "$inc1" = "inc-0001-$hex-$full"
ok $? "hhhhhhhh is SHA-256 of the full's name"
n=$(members "$T/out/$inc1" | grep -v '^.panel-backup/index$' | grep -vc '/$')
test "$n" -eq 2
ok $? "nothing changed: only the two chain members (and the tail index) besides folders ($n)"

echo changed >>"$SRC/a.txt"
echo new >"$SRC/new.txt"
rm "$SRC/b.txt" 2>/dev/null || rm -f "$(find "$SRC" -type f | grep -v a.txt | head -1)"
backupctl run alice >"$T/run3.out" 2>"$T/run3.err"
ok $? "third run succeeds"
inc2=$(ls "$T/out" | grep '^inc-0002-')
members "$T/out/$inc2" | grep -v '/$' | grep -v '^.panel-backup/' | sort >"$T/m3"
printf 'files/a.txt\nfiles/new.txt\n' | diff - "$T/m3" >/dev/null
ok $? "changed + new file: exactly those two are stored ($(tr '\n' ' ' <"$T/m3"))"
tar -xOf "$T/out/$inc2" .panel-backup/paths | tr '\0' '\n' >"$T/p3"
(cd "$SRC/.." && find files | sort) | diff - "$T/p3" >/dev/null 2>&1 ||
    (cd "$SRC/.." && find files -mindepth 0 | sort; echo ---; cat "$T/p3") >"$T/p3.diff"
grep -q '^files/new.txt$' "$T/p3" && ! grep -q "^files/b.txt\$" "$T/p3"
ok $? "the paths member lists the new file and not the deleted one"
tar -xOf "$T/out/$inc2" .panel-backup/chain | grep -q "\"kind\":\"incremental\",\"id\":\"[0-9a-f]\{16\}\",\"chain\":\"$full\",\"seq\":2,\"prev\":\"$inc1\""
ok $? "its chain member names the chain (and its id), seq 2 and the previous archive"
id1=$(tar -xOf "$T/out/$full" .panel-backup/chain | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
tar -xOf "$T/out/$inc2" .panel-backup/chain | grep -q "\"id\":\"$id1\""
ok $? "the incremental carries its full's chain id ($id1)"

rm "$T/state/chain/alice.state"
backupctl run alice >"$T/run4.out" 2>&1
ok $? "a run without chain state succeeds"
grep -q '^full backup: no chain state$' "$T/run4.out"
ok $? "backupctl run says why it made a full: no chain state"
ls "$T/out" | grep -q '^inc-0003-'
test $? -ne 0
ok $? "without state the run is a full (no inc-0003)"

full4=$(sed -n 's/^wrote \(backup-[^ ]*\) to .*/\1/p' "$T/run4.out")
test -n "$full4" && test "$full4" != "$full" && test -e "$T/out/$full"
ok $? "a second full (in the same second or not) does not overwrite the first ($full, $full4)"

backupctl run alice >"$T/run5.out" 2>&1
rm -f "$T/out"/inc-0001-*
rm -f "$T/out/$full4"
backupctl run alice >"$T/run6.out" 2>&1
ok $? "a run whose chain lost its archives succeeds"
full6=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run6.out")
case $full6 in backup-*) true ;; *) false ;; esac &&
    tar -xOf "$T/out/$full6" .panel-backup/chain | grep -q "\"kind\":\"full\",\"id\":\"[0-9a-f]\{16\}\",\"chain\":\"$full6\""
ok $? "an archive of the chain missing at the destination: a full, named by BACKUP_FILENAME ($full6)"
test "$full6" != "$full4" && test "$full6" != "$full"
ok $? "a new chain never takes an old chain's name"
grep -qx "full backup: $full4 missing at local:$T/out" "$T/run6.out"
ok $? "and says which archive is missing where ($(grep '^full backup' "$T/run6.out"))"

backupctl run alice >"$T/run7.out" 2>&1
backupctl list alice >"$T/list.out" 2>&1
head -1 "$T/list.out" | grep -Eq 'NAME +DEST +SIZE +TIME +KIND +CHAIN'
ok $? "backupctl list has KIND and CHAIN columns"
i=$(ls "$T/out" | grep '^inc-' | head -1)
grep -Eq "^$i +local .* incremental +${i#inc-????-????????-}\$" "$T/list.out"
ok $? "an incremental is listed as incremental of its full ($i)"
backupctl list alice --json >"$T/list.json"
# The names written, oldest first, as the runs said (deleted ones dropped).
for r in 1 2 3 4 5 6 7; do
	sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run$r.out"
done | while read -r n; do [ -e "$T/out/$n" ] && echo "$n"; done >"$T/written"
python3 - "$T/list.json" "$full6" "$T/written" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["backups"]
written = open(sys.argv[3]).read().split()
names = [x["name"] for x in b]
assert len(names) == len(set(names)), names
fulls = {x["name"] for x in b if x["kind"] == "full"}
for x in b:
    if x["name"].startswith("inc-"):
        assert x["kind"] == "incremental" and x["seq"] == int(x["name"][4:8]), x
        assert x["chain"] == x["name"][18:] and x["chain"] in fulls, x
        assert not x["chain"].startswith("inc-"), x
    else:
        assert x["kind"] == "full" and x["chain"] == x["name"], x
        assert x["seq"] == 0 and x["name"].startswith("backup-"), x
inc = [x for x in b if x["name"].startswith("inc-0001-")]
assert len(inc) == 1 and inc[0]["chain"] == sys.argv[2], inc
assert names == written[::-1], (names, written)
PY
ok $? "list --json: each incremental's chain is a listed full, each full its own chain, newest first as written"

# BACKUP_CHAIN_LENGTH=2: the run after inc-2 starts a new chain.
runs() {	# runs N: N runs; $KINDS: what each wrote, inc-N or full
	KINDS=""
	for _r in $(seq 1 "$1"); do
		echo "run $_r" >>"$SRC/a.txt"
		backupctl run alice >"$T/run.out" 2>&1 || return 1
		case $(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run.out") in
		inc-*) KINDS="$KINDS inc-$(sed -n 's/^incremental \([0-9]*\) of chain .*/\1/p' "$T/run.out")" ;;
		*) KINDS="$KINDS full" ;;
		esac
	done
}
printf 'BACKUP_CHAIN_LENGTH=2\n' >>"$T/users/alice.env"
rm -f "$T/state/chain/alice.state"
runs 5
test "$KINDS" = " full inc-1 inc-2 full inc-1"
ok $? "BACKUP_CHAIN_LENGTH=2: full, inc-1, inc-2, then a new chain ($KINDS)"
runs 2
grep -qx 'full backup: chain length 2 reached' "$T/run.out"
ok $? "and the full says why ($(grep '^full' "$T/run.out"))"

# BACKUP_FULL_INTERVAL=1d: a chain whose full (as the state records it)
# is two days old starts anew; one an hour old goes on.
sed -i 's/^BACKUP_CHAIN_LENGTH=.*/BACKUP_FULL_INTERVAL=1d/' "$T/users/alice.env"
back() {	# back SECONDS: the state's full_time moved that far back
	python3 - "$T/state/chain/alice.state" "$1" <<'PY'
import json, sys
p, d = sys.argv[1], int(sys.argv[2])
s = json.load(open(p))
s["full_time"] -= d
json.dump(s, open(p, "w"))
PY
}
runs 1 && back 3600 && runs 1
test "$KINDS" = " inc-2"
ok $? "BACKUP_FULL_INTERVAL=1d: a full an hour old: an incremental ($KINDS)"
back 172800 && runs 1
test "$KINDS" = " full" && grep -qx 'full backup: full interval 1d reached' "$T/run.out"
ok $? "a full two days old: a new chain, and says why ($(grep '^full' "$T/run.out"))"

# A state older than the destination (put back from a copy): the next
# incremental's name is taken; a full, rather than replace it.
cp "$T/state/chain/alice.state" "$T/old.state"
runs 1
taken=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run.out")
cp "$T/old.state" "$T/state/chain/alice.state"
runs 1
test "$KINDS" = " full" &&
    grep -qx "full backup: $taken already at local:$T/out (the chain state is older than the destination)" "$T/run.out"
ok $? "the next incremental already at the destination: a full, and says why ($(grep '^full' "$T/run.out"))"
t_done
