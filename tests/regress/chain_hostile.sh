#!/bin/sh
# A hostile tenant's chains (issue 19): hand-made archives at the user's
# own destination, named like incrementals, with path lists and chain
# records of the user's choosing.  The root side (backupctl) must stay
# quick and small, and a restore must change nothing it was not asked to.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/home/alice/files" "$T/users" "$T/state" "$T/out"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
STATE_DIR=$T/state
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
ALLOW_CUSTOM_FILENAME=true
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
printf 'BACKUP_ARCHIVE=%s\nBACKUP_COMPRESSION=none\n' "$T/out" \
    >"$T/users/alice.env"
chmod 600 "$T/users/alice.env"

# mkchain DIR SPEC: archives of one chain (full site.tar, then inc-N),
# each as SPEC (python: a list of dicts, "files": {path: data or None for
# a folder}, "paths": bytes of .panel-backup/paths).
mkchain() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, io, json, sys, tarfile
out, spec = sys.argv[1], eval(sys.argv[2])
full = "site.tar"
h = hashlib.sha256(full.encode()).hexdigest()[:8]
names = [full] + ["inc-%04d-%s-%s" % (s, h, full) for s in range(1, len(spec))]
for s, a in enumerate(spec):
    with tarfile.open("%s/%s" % (out, names[s]), "w",
                      format=tarfile.PAX_FORMAT) as t:
        def add(name, data, kind=tarfile.REGTYPE, mode=0o644):
            m = tarfile.TarInfo(name)
            m.type, m.mode, m.mtime = kind, mode, 1700000000
            if data is not None:
                m.size = len(data)
            t.addfile(m, io.BytesIO(data) if data is not None else None)
        for p, d in a["files"].items():
            if d is None:
                add(p, None, tarfile.DIRTYPE, 0o755)
            else:
                add(p, d)
        rec = {"kind": "full" if s == 0 else "incremental",
               "id": "0123456789abcdef", "chain": full, "seq": s,
               "prev": names[s - 1] if s > 0 else None}
        add(".panel-backup/chain", json.dumps(rec).encode())
        add(".panel-backup/paths", a["paths"])
print(names[-1])
EOF
}

# 1. Thousands of archives named like one long chain: listing them (and
# so every restore, which lists first) is one lookup per archive, not a
# walk from the full for each (that took 23 s for 2,000, hours for 9,999).
python3 - "$T/out" <<'EOF'
import hashlib, os, sys
full = "site.tar"
h = hashlib.sha256(full.encode()).hexdigest()[:8]
open(os.path.join(sys.argv[1], full), "wb").close()
for s in range(1, 10000):
    if s != 5000:
        open(os.path.join(sys.argv[1], "inc-%04d-%s-%s" % (s, h, full)),
             "wb").close()
EOF
timeout 30 backupctl list alice >"$T/l.out" 2>&1
rc=$?
test $rc -eq 0 && test "$(grep -c BROKEN "$T/l.out")" -eq 4999 &&
    grep "^inc-9999-" "$T/l.out" | grep -q "BROKEN: missing inc-5000-" &&
    ! grep "^inc-4999-" "$T/l.out" | grep -q BROKEN
ok $? "list of a full and 9,998 incrementals (one missing) ends in time (exit $rc) and marks exactly those past the gap broken"
rm -f "$T/out"/*

# 2. A path list of 8 million two-byte names (16 MiB, a few KiB
# compressed): the extraction process keeps it in one buffer, not one
# allocation per name (that was 40 bytes a name, 20 GiB at the 512 MiB
# cap; 395 MB here).  Peak RSS of backupctl and its child stays under
# 250 MB.
LAST=$(mkchain "$T/out" '[{"files": {"files": None, "files/x": b"x\n"},
    "paths": b"files\0files/x\0"},
    {"files": {"files/y": b"y\n"},
    "paths": b"files\0files/x\0files/y\0" + b"f\0" * 8000000}]')
rm -rf "$T/r"
python3 - "$T/r" "$LAST" >"$T/rss" 2>"$T/m.out" <<'EOF'
import resource, subprocess, sys
r = subprocess.run(["backupctl", "restore", "alice", sys.argv[2], "--to",
                    sys.argv[1]], stdout=sys.stderr, stderr=sys.stderr)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
read rc kb <"$T/rss"
test "$rc" -eq 0 && test "$kb" -lt 250000 && test -f "$T/r/files/x" &&
    test -f "$T/r/files/y"
ok $? "a chain whose path list has 8 million names restores in $kb KiB peak (exit $rc)"
rm -f "$T/out"/*

# 3. --overwrite into a used folder: an incremental where a folder of the
# user's own stands turns it into a file.  Only what the previous archive
# listed in it goes; the user's own file stays, and the entry is named.
LAST=$(mkchain "$T/out" '[{"files": {"files": None, "files/docs": None,
    "files/docs/a": b"a\n"}, "paths": b"files\0files/docs\0files/docs/a\0"},
    {"files": {"files/docs": b"now a file\n"},
    "paths": b"files\0files/docs\0"}]')
rm -rf "$T/r" && mkdir -p "$T/r/files/docs/own" &&
    echo mine >"$T/r/files/docs/own/mine"
backupctl restore alice "$LAST" --to "$T/r" --overwrite >"$T/o.out" 2>&1
rc=$?
test $rc -ne 0 && test "$(cat "$T/r/files/docs/own/mine")" = mine &&
    test ! -e "$T/r/files/docs/a" && grep -q "files/docs" "$T/o.out"
ok $? "a chain's folder-to-file over the user's own folder keeps the user's file, removes the backup's, names it (exit $rc)"
rm -rf "$T/r"
backupctl restore alice "$LAST" --to "$T/r" >"$T/o.out" 2>&1 &&
    test "$(cat "$T/r/files/docs")" = "now a file"
ok $? "the same chain into an empty folder turns the folder into the file"
rm -f "$T/out"/*

# 4. The state a race leaves (a folder swapped for a link to elsewhere
# while the removal pass runs), made by the archive itself: incremental 1
# turns files/docs into a link to a folder outside, and no longer lists
# files/docs/a; incremental 2 lists nothing under files/ln either.  The
# removals reach nothing through either link; the link it dropped goes.
mkdir -p "$T/victim" && echo precious >"$T/victim/a" && echo precious >"$T/victim/b"
LAST=$(mkchain "$T/out" "[{'files': {'files': None, 'files/docs': None,
    'files/docs/a': b'a\n'},
    'paths': b'files\0files/docs\0files/docs/a\0'},
    {'files': {}, 'paths': b'files\0files/docs\0files/ln\0files/ln/b\0'},
    {'files': {}, 'paths': b'files\0files/docs\0'}]")
python3 - "$T/out" "$T/victim" <<'EOF'
import glob, io, sys, tarfile
# The links go in with tarfile's own types (mkchain makes files/folders).
for n, links in ((1, ["files/docs", "files/ln"]),):
    p = glob.glob("%s/inc-0001-*" % sys.argv[1])[0]
    with tarfile.open(p) as t:
        ms = [(m, t.extractfile(m).read() if m.isfile() else None)
              for m in t.getmembers()]
    with tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        for l in links:
            m = tarfile.TarInfo(l)
            m.type, m.linkname, m.mtime = tarfile.SYMTYPE, sys.argv[2], 1700000000
            t.addfile(m)
        for m, d in ms:
            t.addfile(m, io.BytesIO(d) if d is not None else None)
EOF
rm -rf "$T/r"
backupctl restore alice "$LAST" --to "$T/r" >"$T/o.out" 2>&1
rc=$?
test -f "$T/victim/a" && test -f "$T/victim/b" && test -L "$T/r/files/docs" &&
    test ! -e "$T/r/files/ln" && test ! -L "$T/r/files/ln"
ok $? "removals through a link that replaced a folder reach nothing outside the restore folder (exit $rc)"
rm -f "$T/out"/*

# 5. Past the cap on names (32 Mi; here 33.6 million empty ones in 32 MiB):
# refused naming the list, nothing parsed.
LAST=$(mkchain "$T/out" '[{"files": {"files": None}, "paths": b"files\0"},
    {"files": {}, "paths": b"\0" * 33600000}]')
rm -rf "$T/r"
backupctl restore alice "$LAST" --to "$T/r" >"$T/o.out" 2>&1
rc=$?
test $rc -ne 0 && grep -q "paths lists more than 33554432 paths" "$T/o.out"
ok $? "a path list of more than 32 Mi names is refused naming it (exit $rc)"
rm -f "$T/out"/*

# 6. --overwrite into a used folder: a path list naming the user's own
# file (one no archive of the chain holds), which the next list drops.
# Removal is for what this restore made; the user's file stays.
LAST=$(mkchain "$T/out" '[{"files": {"files": None, "files/x": b"x\n"},
    "paths": b"files\0files/x\0files/keep.txt\0files/own\0"},
    {"files": {}, "paths": b"files\0"}]')
rm -rf "$T/r" && mkdir -p "$T/r/files/own" && echo mine >"$T/r/files/keep.txt"
backupctl restore alice "$LAST" --to "$T/r" --overwrite >"$T/o.out" 2>&1
rc=$?
test $rc -eq 0 && test "$(cat "$T/r/files/keep.txt")" = mine &&
    test -d "$T/r/files/own" && test ! -e "$T/r/files/x"
ok $? "a path list naming files the chain never held removes none of them, only what it restored (exit $rc)"
rm -f "$T/out"/*

t_done
