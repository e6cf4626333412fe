#!/bin/sh
# archive_root.sh - a hostile user's BACKUP_ARCHIVE.  With the default
# ARCHIVE_ROOT (/var/backups/panel-backup/{user}, root's own): /../bob,
# ../bob, /root and the absolute path of bob's root never reach outside
# alice's folder.  With an ARCHIVE_ROOT a user can write (the admin's
# choice): backups, lists, prunes and verifies run as the user, files
# created there are the user's, symlinks and hard links planted there
# reach nothing the user could not, another user's folder planted at the
# user's name is refused, and a RENAME_EXCHANGE race run by the
# user while backups and prunes run writes and deletes nothing outside.
# Without an account to work as, such a root is refused naming
# USER_ACCOUNTS.  Bob's backups stay untouched throughout.
. "$(dirname "$0")/../lib/common.sh"
t_setup
A=pbsec_ra
B=pbsec_rb
t_system_user $A && t_system_user $B || { echo "not ok - accounts"; exit 1; }
DEF=/var/backups/panel-backup
made_def=
[ -d $DEF ] || made_def=1
cleanup_all() {
	rm -rf "$DEF/$A" "$DEF/$B"
	[ -n "$made_def" ] && rmdir "$DEF" 2>/dev/null
	t_cleanup
}
trap cleanup_all EXIT

for u in $A $B; do
	mkdir -p "$T/home/$u/files"
	echo "data of $u" >"$T/home/$u/files/a.txt"
	chown -R $u: "$T/home/$u"
done
mkdir -p "$T/users" "$T/victim"
echo VICTIM >"$T/victim/keep"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
user_env() {	# user_env USER KEY=VALUE...
	_u=$1
	shift
	{ echo BACKUP_SOURCES=Files; for kv in "$@"; do echo "$kv"; done; } \
	    >"$T/users/$_u.env"
	chmod 600 "$T/users/$_u.env"
}
snap() {	# snap: what must not change (bob's backups, /root, victim)
	{ find "$DEF/$B" "$T/victim" -printf '%p %u %m %s %T@\n' 2>/dev/null
	  find "$DEF/$B" "$T/victim" -type f -exec sha256sum {} + 2>/dev/null
	  ls -la --time-style=full-iso /root; } | sort
}
root_snap=$(ls -la --time-style=full-iso /root)

# Bob's own backup, in his default root.
user_env $B BACKUP_ARCHIVE=/
backupctl run $B >/dev/null 2>&1 && ls "$DEF/$B" | grep -q '^backup-'
ok $? "default ARCHIVE_ROOT: $B's backup lands in $DEF/$B"
[ "$(stat -c '%U %a' "$DEF")" = "root 755" ] &&
    [ "$(stat -c '%U %a' "$DEF/$B")" = "root 700" ]
ok $? "the default root is created 0700 root, its parent 0755 root"
before=$(snap)

try() {	# try NAME VALUE [EXPECT-RC]: alice with BACKUP_ARCHIVE=VALUE
	user_env $A "BACKUP_ARCHIVE=$2" BACKUP_RETENTION_DAYS=0
	backupctl run $A >"$T/out" 2>&1; rc=$?
	backupctl list $A >>"$T/out" 2>&1
	sed 's/^/# /' "$T/out"
	if [ -n "${3:-}" ]; then
		[ $rc -eq "$3" ] && grep -q BACKUP_ARCHIVE "$T/out"
	else
		[ $rc -eq 0 ]
	fi &&
	    [ "$(snap)" = "$before" ] && ! grep -q "$B/backup-" "$T/out"
	ok $? "$1 (rc=$rc); $B's backups, /root and the rest untouched"
}
try "BACKUP_ARCHIVE=/../$B is refused naming BACKUP_ARCHIVE" "/../$B" 2
try "BACKUP_ARCHIVE=../$B is refused" "../$B" 2
try "BACKUP_ARCHIVE=/root lands in alice's root" /root
[ -d "$DEF/$A/root" ] && [ "$(ls -la --time-style=full-iso /root)" = "$root_snap" ]
ok $? "/root got nothing; $DEF/$A/root holds alice's backup"
try "BACKUP_ARCHIVE=$DEF/$B (bob's root, absolute) stays in alice's" "$DEF/$B"
[ -n "$(ls "$DEF/$A/$DEF/$B" 2>/dev/null)" ]
ok $? "... it is the folder $DEF/$A$DEF/$B"

# --- an ARCHIVE_ROOT users can write: a sticky shared folder ---
mkdir -p "$T/uw" && chmod 1777 "$T/uw"
sed -i '/^ARCHIVE_ROOT=/d' "$T/pb.conf"
sed -i "s|^USERS_DIR=.*|&\nARCHIVE_ROOT=$T/uw/{user}|" "$T/pb.conf"
setpriv --reuid=$B --regid=$B --clear-groups mkdir -m 700 "$T/uw/$B"
echo "BOB-UW-MARKER" >"$T/uw/$B/backup-bob.tar.gz"
chown $B: "$T/uw/$B/backup-bob.tar.gz"
chmod 600 "$T/uw/$B/backup-bob.tar.gz"
uw_snap() {
	{ find "$T/uw/$B" "$T/victim" -printf '%p %u %m %s %T@\n'
	  stat -c '%U %G %a' /etc/shadow
	  sha256sum "$T/uw/$B"/* "$T/victim"/*; } | sort
}
ubefore=$(uw_snap)

# Bob plants his own folder (a symlink to it) at alice's name in the
# shared root first: alice's backups must not land where bob rules.
setpriv --reuid=$B --regid=$B --clear-groups sh -c "mkdir -m 777 '$T/uw/loot' &&
	ln -s '$T/uw/loot' '$T/uw/$A'"
user_env $A BACKUP_ARCHIVE=/
backupctl run $A >"$T/out" 2>&1
rc=$?
sed 's/^/# /' "$T/out"
[ $rc -ne 0 ] && grep -q 'another account' "$T/out" &&
    [ -z "$(ls -A "$T/uw/loot")" ]
ok $? "a folder of $B's planted at $A's name in a shared root is refused, nothing written into it (rc=$rc)"
rm -f "$T/uw/$A"
rm -rf "$T/uw/loot"
setpriv --reuid=$B --regid=$B --clear-groups ln -s /tmp "$T/uw/$A"
backupctl run $A >"$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'another account' "$T/out"
ok $? "... and so is a symlink of $B's to a shared root-owned folder (/tmp) (rc=$rc)"
rm -f "$T/uw/$A"

user_env $A BACKUP_ARCHIVE=/ BACKUP_RETENTION_DAYS=1
backupctl run $A >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(stat -c %U "$T/uw/$A")" = $A ] &&
    [ -z "$(find "$T/uw/$A" ! -user $A)" ] &&
    [ -n "$(find "$T/uw/$A" -name 'backup-*.tar.gz' -user $A)" ]
ok $? "a user-writable root: the backup works and every file created there is $A's (rc=$rc)"
backupctl list $A --json >"$T/list" 2>&1 && grep -q 'backup-' "$T/list"
ok $? "list works there (as $A)"
name=$(ls "$T/uw/$A" | grep '^backup-' | head -n 1)
backupctl verify $A "$name" >/dev/null 2>&1
ok $? "verify works there (as $A)"

# Planted where alice can write: an old backup to prune, a symlink and a
# hard link (root makes it, as where protected_hardlinks is off) named
# like backups.
setpriv --reuid=$A --regid=$A --clear-groups sh -c "
	echo old >'$T/uw/$A/backup-2000-01-01T00-00-00.tar.gz' &&
	touch -d 2000-01-01 '$T/uw/$A/backup-2000-01-01T00-00-00.tar.gz' &&
	ln -s /etc/shadow '$T/uw/$A/backup-2001-01-01T00-00-00.tar.gz'"
ln /etc/shadow "$T/uw/$A/backup-2002-01-01T00-00-00.tar.gz"
backupctl verify $A backup-2001-01-01T00-00-00.tar.gz >"$T/out" 2>&1; r1=$?
backupctl verify $A backup-2002-01-01T00-00-00.tar.gz >>"$T/out" 2>&1; r2=$?
sed 's/^/# /' "$T/out"
shadow1=$(head -n 1 /etc/shadow)
[ $r1 -ne 0 ] && [ $r2 -ne 0 ] && ! grep -a -q -F "$shadow1" "$T/out"
ok $? "verify of a planted symlink or hard link to /etc/shadow fails, no byte of it shown ($r1, $r2)"
backupctl run $A >/dev/null 2>&1
[ ! -e "$T/uw/$A/backup-2000-01-01T00-00-00.tar.gz" ]
ok $? "pruning works there (as $A): the old backup is gone"
[ "$(uw_snap)" = "$ubefore" ]
ok $? "/etc/shadow, $B's folder and the victim are untouched"

# Symlinks planted where alice can write.
ln -s "$T/uw/$B" "$T/uw/$A/tobob" && chown -h $A: "$T/uw/$A/tobob"
ln -s "$T/victim" "$T/uw/$A/tovictim" && chown -h $A: "$T/uw/$A/tovictim"
for d in tobob tovictim tobob/deeper; do
	user_env $A "BACKUP_ARCHIVE=$d" BACKUP_RETENTION_DAYS=0
	backupctl run $A >"$T/out" 2>&1; rc=$?
	[ $rc -ne 0 ] && grep -q BACKUP_ARCHIVE "$T/out" &&
	    [ "$(uw_snap)" = "$ubefore" ]
	ok $? "BACKUP_ARCHIVE=$d (a symlink $A planted) fails, nothing outside touched (rc=$rc)"
done
mv "$T/uw/$A" "$T/uw/$A.real"
ln -s "$T/uw/$B" "$T/uw/$A" && chown -h $A: "$T/uw/$A"
user_env $A BACKUP_ARCHIVE=/ BACKUP_RETENTION_DAYS=0
backupctl run $A >"$T/out" 2>&1; rc=$?
backupctl list $A >>"$T/out" 2>&1
[ $rc -ne 0 ] && ! grep -q -e BOB-UW-MARKER -e backup-bob "$T/out" &&
    [ "$(uw_snap)" = "$ubefore" ]
ok $? "alice's root itself a symlink to $B's: refused as $A, $B's backup not listed or pruned (rc=$rc)"
rm "$T/uw/$A" && mv "$T/uw/$A.real" "$T/uw/$A"

# A RENAME_EXCHANGE race by alice while backups and prunes run: d is a
# folder, x a symlink to the victim; the two swap as fast as they can.
cat >"$T/race.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b, stop = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3]
n = 0
while not os.path.exists(stop) and n < 2000000:
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    n += 1
PY
setpriv --reuid=$A --regid=$A --clear-groups sh -c "
	mkdir -p '$T/uw/$A/d' && ln -s '$T/victim' '$T/uw/$A/x'"
setpriv --reuid=$A --regid=$A --clear-groups python3 "$T/race.py" \
    "$T/uw/$A/d" "$T/uw/$A/x" "$T/stop" &
RP=$!
t_bg $RP
user_env $A BACKUP_ARCHIVE=d BACKUP_RETENTION_DAYS=0
wins=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	backupctl run $A >/dev/null 2>&1 && wins=$((wins + 1))
	backupctl list $A >/dev/null 2>&1
done
touch "$T/stop"
wait $RP
[ "$(uw_snap)" = "$ubefore" ] && [ -z "$(find "$T/uw/$A" ! -user $A)" ]
ok $? "20 backups and prunes under a RENAME_EXCHANGE race ($wins ran): nothing written or deleted outside, every file $A's"

# No account to work as: a user-writable root is refused.
echo USER_ACCOUNTS=none >>"$T/pb.conf"
chown -R root: "$T/home/$A"	# so the sources are readable without one
rm -rf "$T/uw/$A"/backup-*
user_env $A BACKUP_ARCHIVE=/
backupctl run $A >"$T/out" 2>&1; rc=$?
sed 's/^/# /' "$T/out"
[ $rc -ne 0 ] && grep -q 'ARCHIVE_ROOT.*USER_ACCOUNTS' "$T/out" &&
    [ -z "$(ls "$T/uw/$A" | grep '^backup-')" ]
ok $? "USER_ACCOUNTS=none: a root $A can write is refused naming USER_ACCOUNTS, nothing written (rc=$rc)"
[ "$(snap)" = "$before" ] && [ "$(uw_snap)" = "$ubefore" ]
ok $? "in the end: $B's backups (both roots), /root, /etc/shadow and the victim are untouched"

t_done
