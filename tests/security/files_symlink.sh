#!/bin/sh
# files_symlink.sh - a hostile user names files in their settings (the
# KEY_FILE variants, SSH_IDENTITY_FILE, AWS_ENDPOINT_CA_CERT) that they
# cannot read themselves: their Files folder swapped for a symlink to /etc
# or to the other account's folder, a hard link to /etc/shadow or to the
# other account's 0600 file, a FIFO, a device, a folder, a 3 GiB file,
# and a value of their own that is invalid.  Through `backupctl config
# check`, `backupctl run` and a real backup-worker (enqueue --wait), each
# is refused with an error naming the setting, fast, and no byte of any
# target is in any output, Redis key or event; nothing is written.
. "$(dirname "$0")/../lib/common.sh"
t_setup
A=pbsec_fa
B=pbsec_fb
t_system_user $A && t_system_user $B || { echo "not ok - accounts"; exit 1; }
start_redis || { echo "not ok - redis-server starts"; exit 1; }

mkdir -p "$T/home/$A/files/sub" "$T/home/$B/files" "$T/users" "$T/archive"
FA=$T/home/$A/files
FB=$T/home/$B/files
echo "gz" >"$FA/good"
echo "BOB-PRIVATE-MARKER-5d1e" >"$FB/secret.txt"
printf 'VALUE-FROM-FILE-MARKER-c0de\n' >"$FA/mine"
chown -R $A: "$T/home/$A"
chown -R $B: "$T/home/$B"
chmod 700 "$FA" "$FB"
chmod 600 "$FB/secret.txt"
# Links a user could make where protected_hardlinks is off (made by root).
ln /etc/shadow "$FA/hard-shadow"
ln "$FB/secret.txt" "$FA/hard-b"
mkfifo "$FA/fifo" && chown $A: "$FA/fifo"
mknod "$FA/zero" c 1 5
truncate -s 3G "$FA/huge" && chown $A: "$FA/huge"
shadow1=$(head -n 1 /etc/shadow)
# (its content changes whenever an account is added on this machine)
shadow_st=$(stat -c '%U %G %a' /etc/shadow)
b_state=$(stat -c '%U %a %s %Y' "$FB/secret.txt")

cat >"$T/pb.conf" <<EOC
REDIS_URL=$REDIS_URL
NODE=sec
USERS_DIR=$T/users
ARCHIVE_ROOT=$T/archive/{user}
SOURCE_FILES=$T/home/{user}/files
JOB_MAX_ATTEMPTS=1
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
backup-worker --config "$T/pb.conf" --concurrency 2 2>"$T/worker.log" &
t_bg $!
: >"$T/all.out"

setenv() {	# setenv KEY=VALUE...: alice's settings
	{ [ -n "${NOLOCAL:-}" ] || echo "BACKUP_ARCHIVE=/"
	  echo "BACKUP_SOURCES=Files"
	  for kv in "$@"; do echo "$kv"; done; } >"$T/users/$A.env"
	chmod 600 "$T/users/$A.env"
}
redis_all() {	# every key's content, whatever its type
	redis-cli -p "$REDIS_PORT" --scan | while read -r k; do
		case $(redis-cli -p "$REDIS_PORT" TYPE "$k") in
		hash) redis-cli -p "$REDIS_PORT" HGETALL "$k" ;;
		list) redis-cli -p "$REDIS_PORT" LRANGE "$k" 0 -1 ;;
		set) redis-cli -p "$REDIS_PORT" SMEMBERS "$k" ;;
		zset) redis-cli -p "$REDIS_PORT" ZRANGE "$k" 0 -1 WITHSCORES ;;
		stream) redis-cli -p "$REDIS_PORT" XRANGE "$k" - + ;;
		*) redis-cli -p "$REDIS_PORT" GET "$k" ;;
		esac
	done
}
leaks() {	# leaks FILE...: is a byte of a target in them?
	grep -a -q -F -e "$shadow1" -e BOB-PRIVATE-MARKER -e VALUE-FROM-FILE-MARKER "$@"
}
# attack NAME SETTING PATTERN KEY=VALUE...: config check, run and a
# worker job each fail within 20 s naming SETTING (and PATTERN), nothing
# leaks, nothing is written.
attack() {
	name=$1 setting=$2 pat=$3
	shift 3
	setenv "$@"
	start=$(date +%s)
	timeout 20 backupctl config check $A >"$T/c.out" 2>&1; crc=$?
	timeout 20 backupctl run $A >"$T/r.out" 2>&1; rrc=$?
	timeout 20 backupctl enqueue $A --wait >"$T/q.out" 2>&1; qrc=$?
	secs=$(( $(date +%s) - start ))
	cat "$T/c.out" "$T/r.out" "$T/q.out" >>"$T/all.out"
	sed 's/^/# /' "$T/c.out" "$T/r.out"
	# config check reads KEY_FILE values; key files are read when the
	# destination is opened (run, worker).
	if [ -z "${NOLOCAL:-}" ]; then
		[ $crc -ne 0 ] && [ $crc -ne 124 ] &&
		    grep -q "$setting" "$T/c.out" &&
		    grep -q -e "$pat" "$T/c.out" && ! leaks "$T/c.out"
		ok $? "$name: config check refuses it naming $setting (rc=$crc)"
	fi
	[ $rrc -ne 0 ] && [ $rrc -ne 124 ] && grep -q "$setting" "$T/r.out" &&
	    grep -q -e "$pat" "$T/r.out" && ! leaks "$T/r.out"
	ok $? "$name: backupctl run fails naming $setting, no byte of the target (rc=$rrc)"
	[ $qrc -ne 0 ] && [ $qrc -ne 124 ] && ! leaks "$T/q.out" &&
	    redis_all >"$T/redis.dump" && ! leaks "$T/redis.dump" &&
	    grep -q "$setting" "$T/redis.dump"
	ok $? "$name: the worker's job fails naming $setting; no byte in any Redis key or event (rc=$qrc)"
	[ $secs -lt 30 ] && [ -z "$(find "$T/archive" -type f)" ]
	ok $? "$name: all three fail fast (${secs}s), no backup written"
}

# Files folder swapped for a symlink to /etc.
mv "$FA" "$FA.real"
ln -s /etc "$FA" && chown -h $A: "$FA"
attack "Files -> /etc" BACKUP_COMPRESSION_FILE "cannot read" \
    BACKUP_COMPRESSION_FILE=shadow
# ... and to the other account's folder.
rm "$FA" && ln -s "$FB" "$FA" && chown -h $A: "$FA"
attack "Files -> $B's folder" BACKUP_COMPRESSION_FILE "cannot read" \
    BACKUP_COMPRESSION_FILE=secret.txt
rm "$FA" && mv "$FA.real" "$FA"

attack "hard link to /etc/shadow" BACKUP_COMPRESSION_FILE "cannot read" \
    BACKUP_COMPRESSION_FILE=hard-shadow
attack "hard link to $B's 0600 file" NOTIFICATION_URLS_FILE "cannot read" \
    NOTIFICATION_URLS_FILE=hard-b
attack "a FIFO" BACKUP_COMPRESSION_FILE "FIFO" BACKUP_COMPRESSION_FILE=fifo
attack "a device (/dev/zero)" BACKUP_COMPRESSION_FILE "device" \
    BACKUP_COMPRESSION_FILE=zero
attack "a folder" BACKUP_COMPRESSION_FILE "folder" BACKUP_COMPRESSION_FILE=sub
attack "a 3 GiB file" BACKUP_COMPRESSION_FILE "larger than" \
    BACKUP_COMPRESSION_FILE=huge
attack "an invalid value of their own" \
    "BACKUP_COMPRESSION (from BACKUP_COMPRESSION_FILE)" "not one of" \
    BACKUP_COMPRESSION_FILE=mine
NOLOCAL=1
attack "SSH_IDENTITY_FILE = hard link to $B's file" SSH_IDENTITY_FILE \
    "cannot read" SSH_HOST_NAME=127.0.0.1 SSH_PORT=1 SSH_USER=x \
    SSH_IDENTITY_FILE=hard-b
attack "AWS_ENDPOINT_CA_CERT = hard link to /etc/shadow" \
    AWS_ENDPOINT_CA_CERT "cannot read" AWS_S3_BUCKET_NAME=b \
    AWS_ENDPOINT=127.0.0.1:1 AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s \
    AWS_ENDPOINT_CA_CERT=hard-shadow
NOLOCAL=

# What the user can read still works, as the user.
setenv BACKUP_COMPRESSION_FILE=good
backupctl run $A >"$T/r.out" 2>&1 &&
    [ -n "$(find "$T/archive/$A" -name 'backup-*.tar.gz')" ]
ok $? "a KEY_FILE the user owns is read (BACKUP_COMPRESSION_FILE=good: a .tar.gz)"

! leaks "$T/all.out" "$T/worker.log"
ok $? "no byte of /etc/shadow, $B's file or the value in any output or the worker log"
[ "$(stat -c '%U %G %a' /etc/shadow)" = "$shadow_st" ] &&
    [ "$(stat -c '%U %a %s %Y' "$FB/secret.txt")" = "$b_state" ] &&
    [ "$(cat "$FB/secret.txt")" = BOB-PRIVATE-MARKER-5d1e ]
ok $? "/etc/shadow (owner, mode) and $B's file (content, owner, mode, mtime) are untouched"

t_done
