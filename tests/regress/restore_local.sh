#!/bin/sh
# list, verify and restore against a local destination, for every
# compression x encryption combination; corrupt, hostile and foreign
# archives; wrong keys.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

flip() {	# flip FILE OFFSET: one bit of that byte inverted (writing a
	# fixed byte would leave it as it was once in 256 runs)
	/usr/bin/python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 1]))' "$1" "$2"
}

mkdir -p "$T/home/alice/files" "$T/users" "$T/out" "$T/state"
SRC=$T/home/alice/files
make_tree "$SRC"
mkdir -p "$SRC/www/site"
seq 1 5000 >"$SRC/www/site/index.php"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
ALLOW_ENCRYPTION=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
age-keygen -o "$T/age.key" 2>/dev/null
AGE_PUB=$(age-keygen -y "$T/age.key")

user_env() {
	printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Files\n' "$T/out" >"$T/users/alice.env"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$T/users/alice.env"; done
	chmod 600 "$T/users/alice.env"
}

for comp in gz zst none; do
	for enc in none age-key age-pass gpg-pass; do
		case $enc in
		none) e= ;;
		age-key) e="AGE_PUBLIC_KEYS=$AGE_PUB" ;;
		age-pass) e="AGE_PASSPHRASE=correct-horse" ;;
		gpg-pass) e="GPG_PASSPHRASE=battery-staple" ;;
		esac
		rm -rf "$T/out"/* "$T/r"
		user_env "BACKUP_COMPRESSION=$comp" $e
		backupctl run alice >/dev/null 2>"$T/run.err" ||
		    { ok 1 "$comp/$enc: backup ($(tail -1 "$T/run.err"))"; continue; }
		name=$(ls "$T/out")
		backupctl list alice --json >"$T/list.json"
		/usr/bin/python3 -c "
import json,sys
d=json.load(open('$T/list.json'))['backups']
assert len(d)==1 and d[0]['name']=='$name' and d[0]['destination']=='local'
assert d[0]['size']>0 and d[0]['time'].endswith('Z')
assert d[0]['kind']=='full' and d[0]['chain']=='$name'" 2>/dev/null
		ok $? "$comp/$enc: list --json shows $name"
		id=
		[ "$enc" = age-key ] && id="--identity $T/age.key"
		backupctl verify alice "$name" $id >"$T/verify.out" 2>&1
		ok $? "$comp/$enc: verify says intact"
		grep -q 'matches the backup job' "$T/verify.out"
		ok $? "$comp/$enc: verify checks size and SHA-256 against the job's record"
		backupctl restore alice "$name" --to "$T/r" $id >/dev/null 2>&1 &&
		    diff -r --no-dereference "$SRC" "$T/r/files" >/dev/null
		ok $? "$comp/$enc: restore gives back the source tree exactly"
	done
done

# Keys from the command line instead of the settings.
rm -rf "$T/out"/* "$T/r"
user_env "AGE_PASSPHRASE=pw from settings"
backupctl run alice >/dev/null 2>&1
name=$(ls "$T/out")
user_env
printf 'wrong\n' >"$T/wrong.pw"
backupctl restore alice "$name" --to "$T/r" --passphrase-file "$T/wrong.pw" >/dev/null 2>"$T/err"
r=$?
[ $r -eq 1 ] && [ -z "$(ls -A "$T/r" 2>/dev/null)" ] && grep -qi 'passphrase\|age' "$T/err"
ok $? "a wrong passphrase: clear error, nothing extracted (exit $r: $(cat "$T/err"))"
printf 'pw from settings\n' >"$T/right.pw"
backupctl restore alice "$name" --to "$T/r" --passphrase-file "$T/right.pw" >/dev/null 2>&1
ok $? "--passphrase-file opens it"
! grep -rq 'pw from settings' "$T/err" "$T/state" 2>/dev/null
ok $? "the passphrase appears in no output and no state file"

# --only: just one folder.
rm -rf "$T/r"
backupctl restore alice "$name" --to "$T/r" --only files/sub --passphrase-file "$T/right.pw" >/dev/null 2>&1
[ -f "$T/r/files/sub/random.bin" ] && [ ! -e "$T/r/files/a.txt" ]
ok $? "restore --only restores just that path"

# A flipped bit: verify fails and names the layer.
for comp in gz zst; do
	rm -rf "$T/out"/*
	user_env "BACKUP_COMPRESSION=$comp"
	backupctl run alice >/dev/null 2>&1
	name=$(ls "$T/out")
	sz=$(stat -c %s "$T/out/$name")
	flip "$T/out/$name" $((sz / 2))
	backupctl verify alice "$name" >/dev/null 2>"$T/err"
	r=$?
	case $comp in gz) layer=gzip ;; zst) layer=zstd ;; esac
	[ $r -eq 1 ] && grep -q "$layer" "$T/err"
	ok $? "$comp: a flipped bit fails verify naming the $layer layer ($(cat "$T/err"))"
done
rm -rf "$T/out"/*
user_env "AGE_PUBLIC_KEYS=$AGE_PUB" BACKUP_COMPRESSION=none
backupctl run alice >/dev/null 2>&1
name=$(ls "$T/out")
sz=$(stat -c %s "$T/out/$name")
flip "$T/out/$name" $((sz - 100))
backupctl verify alice "$name" --identity "$T/age.key" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -qi 'age' "$T/err"
ok $? "age: a flipped bit fails authentication ($(cat "$T/err"))"
rm -rf "$T/out"/*
user_env BACKUP_COMPRESSION=none
backupctl run alice >/dev/null 2>&1
name=$(ls "$T/out")
truncate -s 5000 "$T/out/$name"
backupctl verify alice "$name" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q 'tar layer' "$T/err"
ok $? "a truncated tar fails verify naming the tar layer ($(cat "$T/err"))"

# A hostile archive: nothing lands outside DIR.
rm -rf "$T/out"/* "$T/r" "$T/h" "$T/victim"
mkdir -p "$T/h" "$T/victim"
/usr/bin/python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
with tarfile.open(t + "/out/backup-2020-01-01T00-00-00.tar", "w") as tf:
    def add(name, data=b"x", **kw):
        ti = tarfile.TarInfo(name); ti.size = len(data)
        for k, v in kw.items(): setattr(ti, k, v)
        tf.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    add("files/ok.txt", b"fine")
    add(t + "/victim/abs.txt", b"absolute")
    add("../../../../" + t.lstrip("/") + "/victim/dotdot.txt", b"dotdot")
    add("files/link", type=tarfile.SYMTYPE, linkname=t + "/victim")
    add("files/link/through.txt", b"through a symlink")
PY
backupctl restore alice backup-2020-01-01T00-00-00.tar --to "$T/r" >/dev/null 2>"$T/err"
[ -z "$(ls -A "$T/victim")" ]
ok $? "a hostile archive writes nothing outside DIR ($(ls "$T/victim" | tr '\n' ' '))"
# Refused entries are named and fail the restore (they were dropped
# silently, with success, before issue 16).
[ "$(cat "$T/r/files/ok.txt")" = fine ] &&
    grep -q 'dotdot.txt: refused: a ".." component' "$T/err" &&
    grep -q 'files/link/through.txt: refused: its path goes through a symbolic link' "$T/err" &&
    tail -1 "$T/err" | grep -q 'restored 2 files, 0 folders, 1 link .*; 2 skipped'
ok $? "a hostile archive: each refused entry named, exit 1 \"restored ... 2 skipped\" ($(tail -1 "$T/err"))"

# --only PATH that matches nothing fails naming PATH.
rm -rf "$T/r2"
backupctl restore alice backup-2020-01-01T00-00-00.tar --to "$T/r2" --only files/nope \
    --only files/ok.txt >"$T/o.txt" 2>"$T/err"
r=$?
[ $r -eq 1 ] && grep -q -- '--only files/nope matched nothing in backup-2020-01-01T00-00-00.tar (restored 1 files' "$T/err" &&
    [ "$(cat "$T/r2/files/ok.txt")" = fine ]
ok $? "--only PATH matching nothing: exit 1 naming PATH, counts of what was restored (exit $r: $(tail -1 "$T/err"))"
rm -rf "$T/r2"
backupctl restore alice backup-2020-01-01T00-00-00.tar --to "$T/r2" --only files/ok.txt \
    >"$T/o.txt" 2>"$T/err" && grep -q 'restored 1 file, 0 folders, 0 links' "$T/o.txt"
ok $? "--only files/ok.txt: exit 0, the count says one file ($(cat "$T/o.txt" "$T/err"))"

# A non-empty DIR: refused unless --overwrite, which replaces files but
# never writes through a link found in DIR.
echo changed >"$T/r2/files/ok.txt"
backupctl restore alice backup-2020-01-01T00-00-00.tar --to "$T/r2" --only files/ok.txt \
    >/dev/null 2>"$T/err"
r=$?
[ $r -eq 2 ] && grep -q 'is not empty.*--overwrite' "$T/err" && [ "$(cat "$T/r2/files/ok.txt")" = changed ]
ok $? "restore into a non-empty DIR is refused, nothing replaced (exit $r: $(cat "$T/err"))"
rm "$T/r2/files/ok.txt"
ln -s "$T/victim/planted" "$T/r2/files/ok.txt"
backupctl restore alice backup-2020-01-01T00-00-00.tar --to "$T/r2" --only files/ok.txt \
    --overwrite >/dev/null 2>"$T/err" &&
    [ "$(cat "$T/r2/files/ok.txt")" = fine ] && [ ! -L "$T/r2/files/ok.txt" ] &&
    [ ! -e "$T/victim/planted" ]
ok $? "--overwrite replaces a symlink in DIR by the file, never writing through it ($(cat "$T/err"))"

# Archives of offen/docker-volume-backup: leading slash, backup/<volume>/.
rm -rf "$T/out"/* "$T/r" "$T/offen"
mkdir -p "$T/offen/backup/data"
echo volume >"$T/offen/backup/data/v.txt"
tar -C "$T/offen" -czf "$T/out/backup-2021-08-29T04-00-00.tar.gz" -P --transform 's|^|/|' backup
backupctl restore alice backup-2021-08-29T04-00-00.tar.gz --to "$T/r" >/dev/null 2>&1 &&
    [ "$(cat "$T/r/backup/data/v.txt")" = volume ]
ok $? "an offen archive with leading-slash names restores under DIR"
(cd "$T" && backupctl restore alice backup-2021-08-29T04-00-00.tar.gz --to rel >/dev/null 2>&1) &&
    [ "$(cat "$T/rel/backup/data/v.txt")" = volume ]
ok $? "a relative --to DIR is under the current folder"
gpg_home=$T/gnupg
mkdir -m 700 "$gpg_home"
gpg --homedir "$gpg_home" --batch --yes --pinentry-mode loopback --passphrase pw \
    --symmetric --armor -o "$T/out/backup-2021-08-30T04-00-00.tar.gz.gpg" \
    "$T/out/backup-2021-08-29T04-00-00.tar.gz" 2>/dev/null
gpgconf --homedir "$gpg_home" --kill all 2>/dev/null
printf 'pw\n' >"$T/pw"
rm -rf "$T/r"
backupctl restore alice backup-2021-08-30T04-00-00.tar.gz.gpg --to "$T/r" --passphrase-file "$T/pw" >/dev/null 2>"$T/err" &&
    [ "$(cat "$T/r/backup/data/v.txt")" = volume ]
ok $? "an armored gpg archive of offen restores ($(cat "$T/err"))"

backupctl verify alice no-such-backup.tar.gz >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q 'no backup named no-such-backup.tar.gz' "$T/err"
ok $? "verify of a missing backup: exit 1 and a clear line"

t_done
