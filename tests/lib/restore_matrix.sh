# tests/lib/restore_matrix.sh - the list/verify/restore matrix of issue 11,
# shared by tests/regress/restore_matrix_<dest>.sh (POSIX sh).
#
#	. "$PB_ROOT/tests/lib/common.sh"
#	. "$PB_ROOT/tests/lib/restore_matrix.sh"
#	t_setup
#	rm_setup			# $SRC (user alice's files), $RM_CONF
#	RM_DEST=s3			# the name `list` shows
#	RM_LABEL="webdav (rclone)"	# in test names (default $RM_DEST)
#	RM_DEST_LINES="AWS_...=..."	# the user's destination settings,
#					# one per line
#	rm_fetch() { NAME FILE }	# stock client: stored object -> FILE
#	rm_store() { FILE NAME }	# stock client: FILE -> stored object
#	rm_server_sizes() { }		# the server's own listing:
#					# "name size" lines
#	rm_empty_list			# before anything is written
#	rm_matrix "gz zst none" "none age-key gpg-pass"
#	rm_sizes_agree
#	rm_flip gz none gzip		# a flipped bit, verify names the layer
#	rm_newest_first
#	t_done
#
# Every backup is made by `backupctl run alice` of a user configured for
# that one destination, listed with `backupctl list alice --json`,
# verified with `backupctl verify` and restored with `backupctl restore
# --to` an empty folder, then compared with `diff -r` against the source.
# The backups of the matrix stay at the destination (their names differ
# by extension), so the end of the matrix lists nine or more at once.

rm_setup() {
	mkdir -p "$T/home/alice/files" "$T/users" "$T/state" "$T/tmp"
	SRC=$T/home/alice/files
	# Small: every combination runs six times over on two cores.
	mkdir -p "$SRC/sub/deeper" "$SRC/empty" "$SRC/www/site"
	printf 'hello\n' >"$SRC/a.txt"
	head -c 40000 /dev/urandom >"$SRC/sub/random.bin"
	seq 1 3000 >"$SRC/sub/deeper/numbers.txt"
	printf '<?php echo 1;\n' >"$SRC/www/site/index.php"
	ln -s a.txt "$SRC/link-to-a"
	: >"$SRC/zero"
	chmod 640 "$SRC/sub/deeper/numbers.txt"
	RM_CONF=$T/pb.conf
	cat >"$RM_CONF" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
TEMP_DIR=$T/tmp
ALLOW_ENCRYPTION=true
EOC
	PANEL_BACKUP_CONFIG=$RM_CONF
	export PANEL_BACKUP_CONFIG
	age-keygen -o "$T/age.key" 2>/dev/null
	RM_AGE_PUB=$(age-keygen -y "$T/age.key")
	RM_AGE_PASS='age-Matrix-pass-31'
	RM_GPG_PASS='gpg-Matrix-pass-47'
	RM_NAMES=
}

# rm_admin LINE: one more admin setting (HTTP_CA_FILE, HTTP_CONNECT_TO).
rm_admin() {
	printf '%s\n' "$1" >>"$RM_CONF"
}

# rm_user COMP ENC: alice's settings, this destination alone.
rm_user() {
	{
		printf '%s\n' "$RM_DEST_LINES"
		echo "BACKUP_SOURCES=Files"
		echo "BACKUP_COMPRESSION=$1"
		case $2 in
		age-key) echo "AGE_PUBLIC_KEYS=$RM_AGE_PUB" ;;
		age-pass) echo "AGE_PASSPHRASE=$RM_AGE_PASS" ;;
		gpg-pass) echo "GPG_PASSPHRASE=$RM_GPG_PASS" ;;
		esac
	} >"$T/users/alice.env"
	chmod 600 "$T/users/alice.env"
}

# rm_ids ENC: the extra restore/verify arguments (the age identity is
# never in a user's settings: only the public key is).
rm_ids() {
	[ "$1" = age-key ] && echo "--identity $T/age.key"
}

# rm_backup COMP ENC: one `backupctl run`; sets $RM_NAME, the name it
# says it wrote.
rm_backup() {
	rm_user "$1" "$2"
	RM_NAME=
	backupctl run alice >"$T/run.out" 2>"$T/run.err" || return 1
	RM_NAME=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run.out" | head -1)
	[ -n "$RM_NAME" ]
}

# rm_listed NAME: list --json shows NAME at this destination with a size
# and an RFC 3339 UTC time; prints its size.
rm_listed() {
	backupctl list alice --json >"$T/list.json" 2>"$T/list.err" || return 1
	/usr/bin/python3 - "$T/list.json" "$1" "$RM_DEST" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))["backups"]
m = [b for b in d if b["name"] == sys.argv[2]]
assert len(m) == 1, m
b = m[0]
assert b["destination"] == sys.argv[3], b
assert isinstance(b["size"], int) and b["size"] > 0, b
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["time"]), b
print(b["size"])
PY
}

# rm_empty_list: before the first backup (the folder does not exist yet)
# list --json exits 0 with no backups, and verify of a name that is not
# there exits 1 saying so.
rm_empty_list() {
	rm_user gz none
	backupctl list alice --json >"$T/list.json" 2>"$T/list.err" &&
	    [ ! -s "$T/list.err" ] &&
	    /usr/bin/python3 -c 'import json, sys
assert json.load(open(sys.argv[1])) == {"backups": []}' "$T/list.json" \
	    2>>"$T/list.err"
	ok $? "${RM_LABEL:-$RM_DEST}: list --json of a destination not yet written to: exit 0, no backups$(why "$T/list.err")"
	backupctl verify alice backup-2020-01-01T00-00-00.tar.gz \
	    >/dev/null 2>"$T/verify.err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "no backup named backup-2020-01-01T00-00-00.tar.gz" "$T/verify.err"
	ok $? "${RM_LABEL:-$RM_DEST}: verify of a missing backup exits 1 (got $rc)$(why "$T/verify.err")"
}

# why FILE: " (its last line)" when FILE has something to say.
why() {
	[ -s "$1" ] && printf ' (%s)' "$(tail -1 "$1")"
}

# rm_matrix "COMPS" "ENCS": the full round trip for each combination.
rm_matrix() {
	for comp in $1; do
		for enc in $2; do
			rm_one "$comp" "$enc"
		done
	done
}

rm_one() {
	c=$1/$2
	if ! rm_backup "$1" "$2"; then
		ok 1 "${RM_LABEL:-$RM_DEST} $c: backupctl run ($(tail -1 "$T/run.err"))"
		return
	fi
	RM_NAMES="$RM_NAMES $RM_NAME"
	case $1 in
	gz) ext=.tar.gz ;;
	zst) ext=.tar.zst ;;
	none) ext=.tar ;;
	esac
	case $2 in
	age-*) ext=$ext.age ;;
	gpg-*) ext=$ext.gpg ;;
	esac
	case $RM_NAME in
	*"$ext") ok 0 "${RM_LABEL:-$RM_DEST} $c: backupctl run wrote $RM_NAME" ;;
	*) ok 1 "${RM_LABEL:-$RM_DEST} $c: backupctl run wrote $RM_NAME, not *$ext" ;;
	esac
	rm_listed "$RM_NAME" >/dev/null 2>&1
	ok $? "${RM_LABEL:-$RM_DEST} $c: list --json shows it at $RM_DEST$(why "$T/list.err")"
	backupctl verify alice "$RM_NAME" $(rm_ids "$2") >"$T/verify.out" \
	    2>&1 && grep -q "matches the backup job" "$T/verify.out"
	ok $? "${RM_LABEL:-$RM_DEST} $c: verify exits 0, size and SHA-256 match the job's ($(tail -1 "$T/verify.out"))"
	rm -rf "$T/r"
	mkdir "$T/r"
	backupctl restore alice "$RM_NAME" --to "$T/r" $(rm_ids "$2") \
	    >"$T/restore.out" 2>&1 &&
	    diff -r --no-dereference "$SRC" "$T/r/files" >"$T/diff" 2>&1
	ok $? "${RM_LABEL:-$RM_DEST} $c: restore --to an empty folder, diff -r finds no difference ($(tail -1 "$T/restore.out") $(head -3 "$T/diff"))"
}

# rm_sizes_agree: the sizes `list` shows are those the server holds, as
# its own client lists them.
rm_sizes_agree() {
	backupctl list alice --json >"$T/list.json" 2>"$T/list.err"
	rm_server_sizes >"$T/server.sizes" 2>"$T/server.err"
	/usr/bin/python3 - "$T/list.json" "$T/server.sizes" $RM_NAMES \
	    2>>"$T/server.err" <<'PY'
import json, sys
d = {b["name"]: b["size"] for b in json.load(open(sys.argv[1]))["backups"]}
s = {}
for line in open(sys.argv[2]):
    n, z = line.split()
    s[n.rsplit("/", 1)[-1]] = int(z)
names = sys.argv[3:]
assert names, "no backups"
for n in names:
    assert d.get(n) == s.get(n), (n, d.get(n), s.get(n))
PY
	ok $? "${RM_LABEL:-$RM_DEST}: every size in list --json is the size the server holds$(why "$T/server.err")"
}

# rm_flip COMP ENC WORD [AT]: a fresh backup, one byte of the stored
# object changed through the server's own client (at byte AT, default the
# middle; negative: from the end); verify exits 1 and its error names the
# layer (WORD) in one line.
rm_flip() {
	if ! rm_backup "$1" "$2"; then
		ok 1 "${RM_LABEL:-$RM_DEST} $1/$2 flip: backupctl run ($(tail -1 "$T/run.err"))"
		return
	fi
	name=$RM_NAME
	rm -f "$T/obj"
	if ! rm_fetch "$name" "$T/obj" 2>"$T/fetch.err" || [ ! -s "$T/obj" ]; then
		ok 1 "${RM_LABEL:-$RM_DEST}: the stock client fetches $name ($(cat "$T/fetch.err"))"
		return
	fi
	sz=$(stat -c %s "$T/obj")
	at=${4:-$((sz / 2))}
	[ "$at" -lt 0 ] && at=$((sz + at))
	old=$(od -An -tu1 -j "$at" -N1 "$T/obj" | tr -d ' ')
	printf "$(printf '\\%03o' $((old ^ 16)))" |
	    dd of="$T/obj" bs=1 seek="$at" conv=notrunc 2>/dev/null
	if ! rm_store "$T/obj" "$name" 2>"$T/store.err"; then
		ok 1 "${RM_LABEL:-$RM_DEST}: the stock client stores the changed $name ($(cat "$T/store.err"))"
		return
	fi
	# (no read-back: had the copy not landed, verify would pass)
	backupctl verify alice "$name" $(rm_ids "$2") >"$T/verify.out" \
	    2>"$T/verify.err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "$3" "$T/verify.err" &&
	    [ "$(wc -l <"$T/verify.err")" -eq 1 ]
	ok $? "${RM_LABEL:-$RM_DEST} $1/$2: byte $at of $name flipped through the server's client: verify exits 1 (got $rc), one line naming $3: $(cat "$T/verify.err")"
	rm -rf "$T/r"
	mkdir "$T/r"
	backupctl restore alice "$name" --to "$T/r" $(rm_ids "$2") \
	    >"$T/restore.out" 2>"$T/restore.err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "$3" "$T/restore.err"
	ok $? "${RM_LABEL:-$RM_DEST} $1/$2: restore of the flipped object exits 1 (got $rc) naming $3$(why "$T/restore.err")"
}

# rm_newest_first: two more backups a second apart (the default names
# have one-second resolution); list shows every backup of the run newest
# first, the latest on top.
rm_newest_first() {
	rm_backup gz none || { ok 1 "${RM_LABEL:-$RM_DEST}: first of two backups"; return; }
	first=$RM_NAME
	s=$(date +%s)
	wait_for 3 sh -c "[ \$(date +%s) -gt $s ]"
	rm_backup gz none || { ok 1 "${RM_LABEL:-$RM_DEST}: second of two backups"; return; }
	second=$RM_NAME
	[ "$first" != "$second" ]
	ok $? "${RM_LABEL:-$RM_DEST}: two runs a second apart write two backups ($first, $second)"
	backupctl list alice --json >"$T/list.json" 2>"$T/list.err" &&
	/usr/bin/python3 - "$T/list.json" "$first" "$second" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["backups"]
names = [b["name"] for b in d]
times = [b["time"] for b in d]
assert names[0] == sys.argv[3] and names.index(sys.argv[2]) > 0, names
assert times == sorted(times, reverse=True), times
assert len(d) >= 3, names
PY
	ok $? "${RM_LABEL:-$RM_DEST}: list --json shows all $(grep -c '"name"' "$T/list.json") backups newest first, the newest on top"
	backupctl list alice >"$T/list.txt" 2>&1
	head -1 "$T/list.txt" | grep -q "^NAME  *DEST  *SIZE  *TIME  *KIND  *CHAIN$" &&
	    sed -n 2p "$T/list.txt" | grep -q "^$second  *$RM_DEST "
	ok $? "${RM_LABEL:-$RM_DEST}: plain list has a header row and puts the newest first: $(head -2 "$T/list.txt")"
}

# rm_chain COMP ENC: an incremental chain at this destination (issue 19):
# a full and two incrementals (a changed, a new, a deleted and a renamed
# file, a file turned folder), each point restored through its chain and
# compared with the source as it was then; list shows kind and chain;
# with rm_remove set (NAME: delete it with the stock client), a missing
# middle archive breaks restore of the last point, naming it.
rm_chain() {
	c="${RM_LABEL:-$RM_DEST} chain $1/$2"
	rm_admin "ALLOW_CUSTOM_FILENAME=true"
	rm -rf "$T/state/chain" "$T/snap"
	mkdir -p "$T/snap"
	pts=""
	for k in 0 1 2; do
		case $k in
		1)	echo changed >>"$SRC/a.txt"; echo new >"$SRC/new.txt"
			rm "$SRC/zero"; mv "$SRC/www/site/index.php" "$SRC/www/site/home.php" ;;
		2)	rm "$SRC/new.txt"; mkdir "$SRC/new.txt"
			echo inside >"$SRC/new.txt/f" ;;
		esac
		rm_user "$1" "$2"
		printf 'BACKUP_INCREMENTAL=true\nBACKUP_FILENAME=chain-%%Y%%m%%dT%%H%%M%%S%s\n' \
		    "$(echo "$1" | sed 's/^gz$/.tar.gz/; s/^zst$/.tar.zst/; s/^none$/.tar/')" \
		    >>"$T/users/alice.env"
		backupctl run alice >"$T/run.out" 2>"$T/run.err"
		n=$(sed -n 's/^wrote \([^ ]*\) to .*/\1/p' "$T/run.out" | head -1)
		[ -n "$n" ] || { ok 1 "$c: run $k ($(tail -1 "$T/run.err"))"; return; }
		pts="$pts $n"
		cp -a "$SRC" "$T/snap/$k"
	done
	set -- $pts "$2"
	full=$1 inc1=$2 inc2=$3 enc=$4
	case "$inc1 $inc2" in
	"inc-0001-"*" inc-0002-"*) ok 0 "$c: a full and two incrementals ($full, $inc1, $inc2)" ;;
	*) ok 1 "$c: a full and two incrementals, not: $pts" ;;
	esac
	backupctl list alice --json >"$T/list.json" 2>"$T/list.err" &&
	/usr/bin/python3 - "$T/list.json" "$full" "$inc2" <<'PY'
import json, sys
b = {x["name"]: x for x in json.load(open(sys.argv[1]))["backups"]}
f, i2 = b[sys.argv[2]], b[sys.argv[3]]
assert f["kind"] == "full" and f["chain"] == sys.argv[2], f
assert i2["kind"] == "incremental" and i2["chain"] == sys.argv[2] and i2["seq"] == 2, i2
assert "broken" not in i2, i2
PY
	ok $? "$c: list --json: the full and incremental 2 with kind, chain and seq"
	bad=""
	k=0
	for n in $full $inc1 $inc2; do
		rm -rf "$T/r"
		backupctl restore alice "$n" --to "$T/r" $(rm_ids "$enc") \
		    >"$T/restore.out" 2>&1 &&
		    diff -r --no-dereference "$T/snap/$k" "$T/r/files" >"$T/diff" 2>&1 ||
		    bad="$bad $k ($(tail -1 "$T/restore.out") $(head -2 "$T/diff"))"
		k=$((k + 1))
	done
	test -z "$bad"
	ok $? "$c: every point restores the tree as it was (deleted, renamed, file turned folder)${bad:+; wrong at:$bad}"
	backupctl verify alice "$inc2" $(rm_ids "$enc") >"$T/verify.out" 2>&1 &&
	    grep -q "intact, with its whole chain: 3 archives" "$T/verify.out"
	ok $? "$c: verify of incremental 2 reads its 3 archives ($(tail -1 "$T/verify.out"))"
	command -v rm_remove >/dev/null 2>&1 || return 0
	rm_remove "$inc1"
	rm -rf "$T/r"
	backupctl restore alice "$inc2" --to "$T/r" $(rm_ids "$enc") \
	    >"$T/restore.out" 2>&1
	test $? -ne 0 && grep -q "$inc1, which it needs, is not at" "$T/restore.out" &&
	    backupctl list alice >"$T/list.txt" 2>&1 &&
	    grep "^$inc2 " "$T/list.txt" | grep -q "BROKEN: missing $inc1"
	ok $? "$c: with incremental 1 deleted at the server, list says BROKEN and restore fails naming it ($(tail -1 "$T/restore.out"))"
}
