#!/bin/sh
# restore_hostile.sh - a hostile tenant's own archive, restored: restore
# never grants more than the user has (issue 16).
#
# Two real system accounts.  A hand-made tar (python3 tarfile), gzipped
# and gpg-encrypted as user A's settings say, is placed at A's own local
# destination.  It holds a setuid-root /bin/sh, a setgid file, a sticky
# folder, character and block devices, a FIFO, "../" and absolute names,
# a hard link to /etc/shadow, a symlink to /etc with a file through it,
# and a symlink to B's folder with a file through it.  `backupctl restore`
# must write nothing outside DIR, nothing owned by root and no mode bit
# above 0777 inside it, no device or FIFO; it names every skipped and
# refused entry and exits 1 "... skipped"; B's and root's files stay as
# they were; the legitimate files come back intact.  A DIR reached
# through a symlink A planted (to B's folder, to a root-only folder) is
# refused.  With USER_ACCOUNTS=none, a DIR owned by A is refused.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

A=pbrh_a
B=pbrh_b
t_system_user $A || { ok 1 "create account $A"; t_done; exit; }
t_system_user $B || { ok 1 "create account $B"; t_done; exit; }
UA=$(id -u $A)

HA=$T/home/$A
HB=$T/home/$B
mkdir -p "$HA/files" "$HA/backups" "$HB/files" "$T/root-only" "$T/users" \
    "$T/state" "$T/w"
W=$T/w	# the test's own files, left out of the snapshots
echo "B-PRIVATE-7e1d" >"$HB/files/secret.txt"
echo "ROOT-ONLY-4c2a" >"$T/root-only/secret"
chmod 600 "$HB/files/secret.txt" "$T/root-only/secret"
chmod 700 "$T/root-only"
chown -R $A: "$HA"
chown -R $B: "$HB"
chmod 755 "$HA" "$HB/files"

cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
SOURCE_FILES=$T/home/{user}/files
STATE_DIR=$T/state
ARCHIVE_ROOT=$T/home/{user}
ALLOW_ENCRYPTION=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
cat >"$T/users/$A.env" <<EOE
BACKUP_ARCHIVE=$HA/backups
BACKUP_SOURCES=Files
BACKUP_COMPRESSION=gz
GPG_PASSPHRASE=hostile-tenant-pw
EOE
chmod 600 "$T/users/$A.env"

# The archive, made by the tenant (as A) the way a backup of theirs looks.
NAME=backup-2024-01-01T00-00-00.tar.gz.gpg
su -s /bin/sh $A -c "/usr/bin/python3 - '$HA' '$HB'" <<'PY'
import io, sys, tarfile
ha, hb = sys.argv[1], sys.argv[2]
sh = open("/bin/sh", "rb").read()
with tarfile.open(ha + "/evil.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tf:
    def add(name, data=b"", type=tarfile.REGTYPE, mode=0o644, **kw):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.uid, ti.gid = type, mode, 0, 0
        ti.uname = ti.gname = "root"
        ti.mtime = 1600000000
        for k, v in kw.items():
            setattr(ti, k, v)
        if type == tarfile.REGTYPE:
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        else:
            tf.addfile(ti)
    add("files/", type=tarfile.DIRTYPE, mode=0o755)
    add("files/ok.txt", b"legit content\n")
    add("files/sub/", type=tarfile.DIRTYPE, mode=0o750)
    add("files/sub/nested.txt", b"nested legit\n", mode=0o600)
    add("files/hard-ok", type=tarfile.LNKTYPE, linkname="files/ok.txt")
    add("files/suid-sh", sh, mode=0o4755)
    add("files/sgid", b"#!/bin/sh\n", mode=0o2755)
    add("files/sticky/", type=tarfile.DIRTYPE, mode=0o1777)
    add("files/chr", type=tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3)
    add("files/blk", type=tarfile.BLKTYPE, mode=0o666, devmajor=8, devminor=0)
    add("files/fifo", type=tarfile.FIFOTYPE, mode=0o666)
    add("files/shadow", type=tarfile.LNKTYPE, linkname="/etc/shadow")
    add("files/link", type=tarfile.SYMTYPE, linkname="/etc")
    add("files/link/evil", b"through the /etc link\n")
    add("files/tob", type=tarfile.SYMTYPE, linkname=hb + "/files")
    add("files/tob/planted.txt", b"through the link to B\n")
    add("../escape.txt", b"dotdot\n")
    add("//etc/evil-abs", b"absolute\n")
    add("/etc/evil", b"leading slash, stripped once: inside DIR\n")
PY
su -s /bin/sh $A -c "gpg --homedir '$HA/.gnupg' --batch --yes --pinentry-mode loopback \
    --passphrase hostile-tenant-pw --symmetric -o '$HA/backups/$NAME' '$HA/evil.tar.gz'" \
    2>/dev/null
gpgconf --homedir "$HA/.gnupg" --kill all 2>/dev/null
[ -s "$HA/backups/$NAME" ]
ok $? "the tenant placed an encrypted hostile archive at their own destination"

# What must not change: everything under $T but DIR (owner, group, mode,
# size, content), and /etc.
snapshot() {	# snapshot DIR-TO-LEAVE-OUT
	find "$T" -path "$1" -prune -o -path "$W" -prune -o \
	    -path "$T/state" -prune -o -path "$HA/.gnupg" -prune -o \
	    -printf '%p %U %G %m %s %y\n' | sort
	find "$T" -path "$1" -prune -o -path "$W" -prune -o \
	    -path "$HA/.gnupg" -prune -o -type f -print0 | sort -z |
	    xargs -0 sha256sum
	sha256sum /etc/shadow /etc/passwd
	ls -la /etc | awk '{print $1, $3, $9}'
}

DIR=$HA/restore
snapshot "$DIR" >"$W/before"
backupctl restore $A $NAME --to "$DIR" >"$W/out" 2>"$W/err"
rc=$?
snapshot "$DIR" >"$W/after"
[ $rc -eq 1 ] && tail -1 "$W/err" | grep -q 'restored .* skipped'
ok $? "restore exits 1 with \"restored ... skipped\" (exit $rc: $(tail -1 "$W/err"))"
diff "$W/before" "$W/after" >"$W/diff"
ok $? "nothing outside DIR was written or changed ($(head -3 "$W/diff" | tr '\n' ' '))"
[ ! -e /etc/evil ] && [ ! -e /etc/evil-abs ] && [ ! -e "$HA/escape.txt" ] &&
    [ ! -e "$HB/files/planted.txt" ] && [ ! -e /etc/evil-through ]
ok $? "no /etc/evil, /etc/evil-abs, ../escape.txt or file through a link"
[ "$(cat "$HB/files/secret.txt")" = B-PRIVATE-7e1d ] &&
    [ "$(cat "$T/root-only/secret")" = ROOT-ONLY-4c2a ] &&
    [ "$(stat -c %U:%a "$HB/files/secret.txt")" = "$B:600" ]
ok $? "the other account's and root's files are unchanged"
find "$DIR" ! -uid "$UA" -printf '%p %U\n' >"$W/foreign"
[ -d "$DIR" ] && [ ! -s "$W/foreign" ]
ok $? "every entry in DIR belongs to $A, none to root ($(head -3 "$W/foreign" | tr '\n' ' '))"
find "$DIR" -perm /7000 -printf '%p %m\n' >"$W/suid"
[ ! -s "$W/suid" ]
ok $? "no setuid, setgid or sticky bit in DIR ($(cat "$W/suid" | tr '\n' ' '))"
find "$DIR" \( -type b -o -type c -o -type p -o -type s \) >"$W/dev"
[ ! -s "$W/dev" ]
ok $? "no device node, FIFO or socket in DIR ($(cat "$W/dev" | tr '\n' ' '))"
missing=
for n in files/chr files/blk files/fifo ../escape.txt //etc/evil-abs \
    files/shadow files/link/evil files/tob/planted.txt; do
	grep -qF "$n:" "$W/err" || missing="$missing $n"
done
[ -z "$missing" ]
ok $? "each skipped or refused entry is named on stderr (missing:$missing)"
grep -q 'files/chr: skipped: a character device' "$W/err" &&
    grep -q 'files/fifo: skipped: a FIFO' "$W/err" &&
    grep -q 'files/link/evil: refused' "$W/err" &&
    grep -q 'files/shadow: refused: a hard link' "$W/err"
ok $? "each is named with the reason"
grep -q 'files/suid-sh: mode 4755 restored as 0755' "$W/err" &&
    grep -q 'files/sticky: mode 1777 restored as 0777' "$W/err"
ok $? "dropped setuid/setgid/sticky bits are named"
[ "$(cat "$DIR/files/ok.txt")" = "legit content" ] &&
    [ "$(cat "$DIR/files/sub/nested.txt")" = "nested legit" ] &&
    [ "$(stat -c %a "$DIR/files/sub/nested.txt")" = 600 ] &&
    [ "$(stat -c %a "$DIR/files/sub")" = 750 ] &&
    [ "$(stat -c %Y "$DIR/files/ok.txt")" = 1600000000 ] &&
    [ "$(stat -c %i "$DIR/files/ok.txt")" = "$(stat -c %i "$DIR/files/hard-ok")" ] &&
    [ "$(readlink "$DIR/files/link")" = /etc ] &&
    cmp -s /bin/sh "$DIR/files/suid-sh" &&
    [ "$(stat -c %a "$DIR/files/suid-sh")" = 755 ] &&
    [ -f "$DIR/etc/evil" ]
ok $? "the legitimate files are restored intact (content, modes, mtime, hard link, symlink as a link)"

# DIR through a symlink the tenant planted: to B's folder, to root's.
ln -s "$HB/files" "$HA/to-b"
ln -s "$T/root-only" "$HA/to-root"
chown -h $A: "$HA/to-b" "$HA/to-root"
for d in "$HA/to-b/r" "$HA/to-root/r" "$HA/to-b"; do
	snapshot "$DIR" >"$W/before"
	backupctl restore $A $NAME --to "$d" >"$W/out" 2>"$W/err"
	rc=$?
	snapshot "$DIR" >"$W/after"
	[ $rc -ne 0 ] && grep -q 'symbolic link' "$W/err" &&
	    diff -q "$W/before" "$W/after" >/dev/null &&
	    [ ! -e "$HB/files/r" ] && [ ! -e "$T/root-only/r" ] &&
	    [ ! -e "$HB/files/files" ]
	ok $? "--to $d through a planted symlink: refused, nothing written (exit $rc: $(tail -1 "$W/err"))"
done

# A DIR the account may not write: refused before anything is read.
mkdir -m 755 "$T/root-owned"
backupctl restore $A $NAME --to "$T/root-owned/r" >"$W/out" 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "restore writes as the user's account" "$W/err" &&
    [ -z "$(ls -A "$T/root-owned")" ]
ok $? "--to a folder $A may not write: exit 2, a clear error, nothing created (exit $rc: $(tail -1 "$W/err"))"

# verify parses the same hostile archive, reading only.
snapshot /nonexistent >"$W/before"
backupctl verify $A $NAME >"$W/out" 2>"$W/err"
rc=$?
snapshot /nonexistent >"$W/after"
[ $rc -eq 0 ] && diff -q "$W/before" "$W/after" >/dev/null
ok $? "verify reads the hostile archive through and writes nothing (exit $rc)"

# No account to become: the same rules, and a tenant-owned DIR refused.
echo USER_ACCOUNTS=none >>"$T/pb.conf"
mkdir "$HA/mine"
chown $A: "$HA/mine"
backupctl restore $A $NAME --to "$HA/mine" >"$W/out" 2>"$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q USER_ACCOUNTS "$W/err" && [ -z "$(ls -A "$HA/mine")" ]
ok $? "USER_ACCOUNTS=none: a DIR owned by $A is refused naming USER_ACCOUNTS (exit $rc: $(tail -1 "$W/err"))"
# With no account, root reads only an archive root no user controls: the
# same hostile backup, copied to a root-owned one.
mkdir -p -m 700 "$T/rootarch/$A/backups"
cp "$HA/backups/$NAME" "$T/rootarch/$A/backups/"
sed -i "s#^ARCHIVE_ROOT=.*#ARCHIVE_ROOT=$T/rootarch/{user}#" "$T/pb.conf"
sed -i "s#^BACKUP_ARCHIVE=.*#BACKUP_ARCHIVE=backups#" "$T/users/$A.env"
mkdir -m 700 "$T/rootdir"
backupctl restore $A $NAME --to "$T/rootdir/r" >"$W/out" 2>"$W/err"
rc=$?
find "$T/rootdir" \( -perm /7000 -o -type b -o -type c -o -type p \) >"$W/dev"
[ $rc -eq 1 ] && [ ! -s "$W/dev" ] && [ ! -e /etc/evil ] &&
    [ ! -e "$HB/files/planted.txt" ] && [ -f "$T/rootdir/r/files/ok.txt" ]
ok $? "USER_ACCOUNTS=none: no setuid bit, device or FIFO, nothing through a link (exit $rc)"

t_done
