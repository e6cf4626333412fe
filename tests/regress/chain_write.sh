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
tar -xOf "$T/out/$inc2" .panel-backup/chain | grep -q "\"kind\":\"incremental\",\"chain\":\"$full\",\"seq\":2,\"prev\":\"$inc1\""
ok $? "its chain member names the chain, seq 2 and the previous archive"

rm "$T/state/chain/alice.state"
backupctl run alice >"$T/run4.out" 2>&1
ok $? "a run without chain state succeeds"
grep -q '^full backup: no chain state$' "$T/run4.out"
ok $? "backupctl run says why it made a full: no chain state"
ls "$T/out" | grep -q '^inc-0003-'
test $? -ne 0
ok $? "without state the run is a full (no inc-0003)"

backupctl run alice >"$T/run5.out" 2>&1
rm -f "$T/out"/inc-0001-*
last=$(ls -t "$T/out" | head -1)
rm -f "$T/out/$last"
backupctl run alice >"$T/run6.out" 2>&1
ok $? "a run whose last archive is gone succeeds"
tar -xOf "$T/out/$(ls -t "$T/out" | head -1)" .panel-backup/chain | grep -q '"kind":"full"'
ok $? "the last archive missing at the destination: a full"
grep -q '^full backup: last archive missing at destination$' "$T/run6.out"
ok $? "and says so"

backupctl run alice >"$T/run7.out" 2>&1
backupctl list alice >"$T/list.out" 2>&1
head -1 "$T/list.out" | grep -Eq 'NAME +DEST +SIZE +TIME +KIND +CHAIN'
ok $? "backupctl list has KIND and CHAIN columns"
i=$(ls "$T/out" | grep '^inc-' | head -1)
grep -Eq "^$i +local .* incremental +${i#inc-????-????????-}\$" "$T/list.out"
ok $? "an incremental is listed as incremental of its full ($i)"
backupctl list alice --json >"$T/list.json"
python3 - "$T/list.json" "$i" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["backups"]
inc = [x for x in b if x["name"] == sys.argv[2]][0]
assert inc["kind"] == "incremental" and inc["chain"] == sys.argv[2][18:]
for x in b:
    want = x["name"][18:] if x["name"].startswith("inc-") else x["name"]
    assert x["chain"] == want and x["kind"] in ("full", "incremental")
PY
ok $? "list --json gives each backup kind and chain"
t_done
