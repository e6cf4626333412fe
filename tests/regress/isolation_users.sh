#!/bin/sh
# Isolation between users (USER_ACCOUNTS): two real system accounts; one
# plants a symlink to the other's file, a symlink to /etc/shadow and hard
# links to a root-only file and to the other's private file.  Read with
# the account's own privileges, the archive holds the links as links and
# never the other content; USER_ACCOUNTS=none refuses a Files folder the
# user controls (there is no account to read it as), as docs/security.md
# says.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

A=pbiso_a
B=pbiso_b
created=""
for u in $A $B; do
	if ! getent passwd $u >/dev/null; then
		useradd -M -d /nonexistent -s /usr/sbin/nologin $u &&
		    created="$created $u"
	fi
done
cleanup() {
	for u in $created; do userdel $u 2>/dev/null; done
	t_cleanup
}
trap cleanup EXIT

mkdir -p "$T/home/$A/files/sub" "$T/home/$B/files" "$T/root-only" \
    "$T/users" "$T/out"
FA=$T/home/$A/files
FB=$T/home/$B/files
echo "mine-$A" >"$FA/own.txt"
echo "nested-$A" >"$FA/sub/n.txt"
echo "B-PRIVATE-MARKER-7f3a" >"$FB/secret.txt"
echo "ROOT-ONLY-MARKER-91c2" >"$T/root-only/secret"
chmod 600 "$FB/secret.txt" "$T/root-only/secret"
chmod 700 "$T/root-only"
chown -R $A: "$T/home/$A"
chown -R $B: "$T/home/$B"
chmod 700 "$FA" "$FB"
ln -s "$FB/secret.txt" "$FA/link-to-b"
ln -s /etc/shadow "$FA/link-to-shadow"
# Hard links a user could make where protected_hardlinks is off (or
# before the file's mode changed): made by root here.
ln "$T/root-only/secret" "$FA/hard-root"
ln "$FB/secret.txt" "$FA/hard-b"
chown -h $A: "$FA/link-to-b" "$FA/link-to-shadow"
shadow1=$(head -n 1 /etc/shadow)

cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}
SOURCE_MINECRAFT=$T/mc/{user}
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_COMPRESSION=none\n' "$T/out" \
    >"$T/users/$A.env"
chmod 600 "$T/users/$A.env"

leaks() {	# leaks FILE: which foreign content is in the archive
	grep -a -c -e B-PRIVATE-MARKER -e ROOT-ONLY-MARKER \
	    -e "$shadow1" "$1"
}

# --- auto (the default): read as pbiso_a ---
backupctl run $A >"$T/run.out" 2>"$T/run.err"
ok $? "USER_ACCOUNTS=auto: backupctl run $A succeeds"
f=$(ls "$T/out"/*.tar)
tar -tvf "$f" >"$T/list"
grep -q "^l.* files/link-to-b -> $FB/secret.txt\$" "$T/list"
ok $? "a symlink to another account's file is stored as a link"
grep -q '^l.* files/link-to-shadow -> /etc/shadow$' "$T/list"
ok $? "a symlink to /etc/shadow is stored as a link"
[ "$(leaks "$f")" -eq 0 ]
ok $? "no byte of the other account's, root's or /etc/shadow's content is in the archive"
! grep -q -e 'files/hard-root' -e 'files/hard-b' "$T/list"
ok $? "hard links to files $A cannot read are left out"
grep 'file unreadable; skipped' "$T/run.err" | grep -q hard-root &&
    grep 'file unreadable; skipped' "$T/run.err" | grep -q hard-b
ok $? "each file left out is named in a warning"
rm -rf "$T/x" && mkdir "$T/x" && tar -xf "$f" -C "$T/x" &&
    [ "$(cat "$T/x/files/own.txt")" = "mine-$A" ] &&
    [ "$(cat "$T/x/files/sub/n.txt")" = "nested-$A" ]
ok $? "$A's own files are in the archive, intact"
grep -q "^-rw-r--r-- $A/$A .* files/own.txt\$" "$T/list"
ok $? "owners are kept ($A/$A)"
[ "$(stat -c %U "$f")" = root ]
ok $? "the backup file is written by the worker, not the user"

# The reader really is the user: a file $A owns but made unreadable to
# itself is skipped although root could read it.
echo "SELF-LOCKED" >"$FA/locked"
chown $A: "$FA/locked"
chmod 000 "$FA/locked"
rm -f "$T/out"/*
backupctl run $A >/dev/null 2>"$T/run.err"
f=$(ls "$T/out"/*.tar)
! tar -tf "$f" | grep -q files/locked &&
    grep 'file unreadable' "$T/run.err" | grep -q locked
ok $? "the reader runs with $A's uid: a mode-000 file is unreadable to it"
rm -f "$FA/locked"

# A folder of the user that only root may enter.
mkdir "$FA/rootdir" && echo ROOTDIR-MARKER >"$FA/rootdir/x" &&
    chmod 700 "$FA/rootdir"
rm -f "$T/out"/*
backupctl run $A >/dev/null 2>"$T/run.err"
f=$(ls "$T/out"/*.tar)
! grep -a -q ROOTDIR-MARKER "$f" && grep -q 'folder unreadable' "$T/run.err"
ok $? "a root-owned folder planted in the files is not entered"
rm -rf "$FA/rootdir"

# --- system: the same, and a user without an account is refused ---
echo USER_ACCOUNTS=system >>"$T/pb.conf"
rm -f "$T/out"/*
backupctl run $A >/dev/null 2>&1 && [ "$(leaks "$T/out"/*.tar)" -eq 0 ]
ok $? "USER_ACCOUNTS=system: $A's backup holds no foreign content"
mkdir -p "$T/home/nosuchacct/files"
echo hi >"$T/home/nosuchacct/files/a"
printf 'BACKUP_ARCHIVE=%s\n' "$T/out2" >"$T/users/nosuchacct.env"
chmod 600 "$T/users/nosuchacct.env"
backupctl run nosuchacct >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'USER_ACCOUNTS' "$T/run.err" &&
    grep -q nosuchacct "$T/run.err" && [ ! -e "$T/out2" ]
ok $? "USER_ACCOUNTS=system without a system account: exit 2 naming USER_ACCOUNTS, nothing written (rc=$rc)"

# --- auto without an account: read as the worker ---
sed -i '/^USER_ACCOUNTS=/d' "$T/pb.conf"
backupctl run nosuchacct >/dev/null 2>&1 && tar -tf "$T/out2"/*.tar.gz |
    grep -q '^files/a$'
ok $? "USER_ACCOUNTS=auto without an account: backed up as the worker"

# --- none: no account to read as, so what a user controls is refused ---
echo USER_ACCOUNTS=none >>"$T/pb.conf"
rm -f "$T/out"/*
backupctl run $A >/dev/null 2>"$T/run.err"
rc=$?
sed 's/^/# /' "$T/run.err"
[ $rc -ne 0 ] && grep -q 'USER_ACCOUNTS' "$T/run.err" &&
    grep -q "$T/home/$A" "$T/run.err"
ok $? "USER_ACCOUNTS=none: $A's own Files folder is refused naming it and USER_ACCOUNTS (rc=$rc)"
! ls "$T/out"/*.tar >/dev/null 2>&1 &&
    ! grep -q -e B-PRIVATE-MARKER -e ROOT-ONLY-MARKER -e "$shadow1" "$T/run.err"
ok $? "USER_ACCOUNTS=none: no backup written, no foreign byte in any output"

# A root-owned Files folder with one folder inside that the user owns: the
# user could plant a hard link there at any time, so root refuses that too.
C=$T/home/carl/files
mkdir -p "$C/site/upload"
echo public >"$C/site/index.html"
chown $A: "$C/site/upload"
ln "$T/root-only/secret" "$C/site/upload/planted" 2>/dev/null ||
    cp "$T/root-only/secret" "$C/site/upload/planted"
printf 'BACKUP_ARCHIVE=%s\nBACKUP_COMPRESSION=none\n' "$T/out" \
    >"$T/users/carl.env"
chmod 600 "$T/users/carl.env"
backupctl run carl >/dev/null 2>"$T/run.err"
rc=$?
sed 's/^/# /' "$T/run.err"
[ $rc -ne 0 ] && grep -q 'USER_ACCOUNTS' "$T/run.err" &&
    grep -q "site/upload" "$T/run.err" && ! ls "$T/out"/*.tar >/dev/null 2>&1
ok $? "USER_ACCOUNTS=none: a user-owned folder deep in a root-owned Files folder is refused (rc=$rc)"

t_done
