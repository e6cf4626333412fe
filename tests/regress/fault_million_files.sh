#!/bin/sh
# A tree of 1 million files (1000 folders of 1000 small files), read
# through the user's reader process: every file is in the archive, memory
# stays bounded (peak RSS printed), the time is printed.  Takes minutes,
# so it runs only with PB_SOAK=1 (skipped in the default test run).
. "$PB_ROOT/tests/lib/common.sh"

if [ -z "${PB_SOAK:-}" ]; then
	echo "ok 1 # SKIP 1 million files: set PB_SOAK=1"
	echo "1..1"
	exit 0
fi
t_setup
U=pbfault
t_system_user $U

SRC=$T/home/$U/files
mkdir -p "$SRC" "$T/users" "$T/out"
start=$(date +%s)
/usr/bin/python3 - "$SRC" <<'EOP'
import os, sys
root = sys.argv[1]
for d in range(1000):
    p = os.path.join(root, 'd%03d' % d)
    os.mkdir(p)
    for f in range(1000):
        fd = os.open(os.path.join(p, 'f%03d' % f), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b'%d/%d\n' % (d, f))
        os.close(fd)
EOP
chown -R $U: "$T/home/$U"
echo "# made 1000000 files in $(($(date +%s) - start)) s"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=Files\nBACKUP_COMPRESSION=zst\n' \
    "$T/out" >"$T/users/$U.env"
chmod 600 "$T/users/$U.env"

start=$(date +%s)
/usr/bin/time -v -o "$T/time.out" backupctl run $U >"$T/run.out" 2>"$T/run.err"
ok $? "a tree of 1 million files is backed up ($(($(date +%s) - start)) s)"
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time.out")
echo "# peak RSS ${rss} KiB; $(tail -n 1 "$T/run.out")"
[ "$rss" -lt 524288 ]
ok $? "peak RSS ${rss} KiB stays under 512 MiB"
n=$(zstd -dc "$T/out"/*.tar.zst | tar -tf - | grep -c '/f[0-9][0-9][0-9]$')
[ "$n" -eq 1000000 ]
ok $? "all 1000000 files are in the archive ($n)"
zstd -dc "$T/out"/*.tar.zst | tar -xOf - files/d999/f999 | grep -qx '999/999'
ok $? "the last file's content is right"

t_done
