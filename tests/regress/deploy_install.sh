#!/bin/sh
# make install puts programs, man pages, systemd units, sysusers.d and
# tmpfiles.d entries and the example config where PREFIX/DESTDIR say; the
# installed units pass systemd-analyze verify, keep the hardening the
# project promises (docs/operations.md), and score as "OK" or better in
# systemd-analyze security.  NOBUILD=1: installing from the tests must not
# rebuild the shared tree.
. "$PB_ROOT/tests/lib/common.sh"
t_setup
cd "$PB_ROOT" || exit 1

progs="backupctl backup backup-worker backup-scheduler backup-notifier"
make -s install NOBUILD=1 INSTALL_BIN="$PB_BIN" DESTDIR="$T/root" \
    PREFIX=/usr >"$T/install.log" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr succeeds"
sed 's/^/# /' "$T/install.log" | head -20

r=$T/root/usr
miss=
for p in $progs; do [ -x "$r/bin/$p" ] || miss="$miss bin/$p"; done
for f in share/man/man1/backupctl.1 share/man/man1/backup.1 \
    share/man/man5/panel-backup.conf.5 share/man/man8/backup-worker.8 \
    share/man/man8/backup-scheduler.8 share/man/man8/backup-notifier.8 \
    lib/systemd/system/backup-scheduler.service \
    lib/systemd/system/backup-notifier.service \
    lib/systemd/system/backup-worker@.service \
    lib/systemd/system/panel-backup.target \
    lib/sysusers.d/panel-backup.conf lib/tmpfiles.d/panel-backup.conf \
    share/doc/panel-backup/panel-backup.conf.example \
    share/doc/panel-backup/operations.md; do
	[ -f "$r/$f" ] || miss="$miss $f"
done
[ -z "$miss" ]
ok $? "the tree has every program, man page, unit and doc"
[ -z "$miss" ] || echo "# missing:$miss"
out=$(find "$T/root" -mindepth 1 -maxdepth 1)
[ "$out" = "$T/root/usr" ]
ok $? "nothing is installed outside PREFIX"
bad=$(find "$r/share" "$r/lib" -type f ! -perm 644)
[ -z "$bad" ] && [ -z "$(find "$r/bin" -type f ! -perm 755)" ]
ok $? "data files are mode 644, programs 755"
"$r/bin/backupctl" --help | grep -q 'config example'
ok $? "the installed backupctl runs"
grep -h '^ExecStart=' "$r"/lib/systemd/system/*.service | sort >"$T/exec"
[ "$(grep -c '^ExecStart=/usr/bin/backup-[a-z]* --config /etc/panel-backup/panel-backup.conf$' "$T/exec")" -eq 3 ]
ok $? "units start the programs from PREFIX/bin (/usr/bin), not /usr/local/bin"
MANPATH="$r/share/man" man -w backupctl panel-backup.conf backup-worker >/dev/null 2>&1 &&
    MANPATH="$r/share/man" MANWIDTH=80 man 5 panel-backup.conf 2>/dev/null | grep -q REDIS_URL
ok $? "man finds the installed pages through MANPATH"

# UNITDIR and a non-default PREFIX.
make -s install NOBUILD=1 INSTALL_BIN="$PB_BIN" DESTDIR="$T/r2" \
    PREFIX=/opt/pb UNITDIR=/etc/systemd/system >/dev/null 2>&1 &&
    [ -f "$T/r2/etc/systemd/system/backup-worker@.service" ] &&
    [ -x "$T/r2/opt/pb/bin/backupctl" ] &&
    grep -q '^ExecStart=/opt/pb/bin/backup-worker ' \
        "$T/r2/etc/systemd/system/backup-worker@.service"
ok $? "UNITDIR and PREFIX=/opt/pb are honoured"

# systemd-analyze checks the units where the programs really are: install
# with PREFIX (no DESTDIR) so the ExecStart paths exist.
P=$T/p
make -s install NOBUILD=1 INSTALL_BIN="$PB_BIN" PREFIX="$P" >/dev/null 2>&1
u=$P/lib/systemd/system
ln -s backup-worker@.service "$u/backup-worker@1.service"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(cd "$u" && systemd-analyze verify --man=no \
	    backup-scheduler.service backup-notifier.service \
	    backup-worker@1.service panel-backup.target 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && [ -z "$out" ]
	ok $? "systemd-analyze verify: no error or warning in any unit"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /'
	for unit in backup-scheduler.service:2.0 backup-notifier.service:2.0 \
	    backup-worker@1.service:3.5; do
		name=${unit%:*} max=${unit#*:}
		lvl=$(cd "$u" && systemd-analyze security --offline=yes "$name" 2>&1 |
		    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		echo "# $name exposure $lvl"
		[ -n "$lvl" ] && awk -v l="$lvl" -v m="$max" 'BEGIN { exit !(l <= m) }'
		ok $? "systemd-analyze security: $name exposure $lvl <= $max"
	done
else
	echo "# systemd-analyze not installed: checking keys only"
fi

# The hardening itself, key by key (a small parser: last assignment wins,
# an empty assignment resets list settings as systemd does).
/usr/bin/python3 - "$u" >"$T/keys.out" <<'PY'
import sys, os
d = sys.argv[1]
def load(name):
    kv, sect = {}, None
    for raw in open(os.path.join(d, name)):
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('['):
            sect = line.strip('[]')
            continue
        k, v = line.split('=', 1)
        kv.setdefault((sect, k), []).append(v)
    return kv
n = 0
def check(cond, msg):
    global n
    n += 1
    print('%d|units: %s' % (0 if cond else 1, msg))
def last(kv, k, s='Service'):
    v = kv.get((s, k))
    return v[-1] if v else None
units = {u: load(u) for u in ('backup-scheduler.service',
    'backup-notifier.service', 'backup-worker@.service')}
for u, kv in units.items():
    ok = all(last(kv, k) == v for k, v in (('NoNewPrivileges', 'yes'),
        ('ProtectSystem', 'strict'), ('PrivateTmp', 'yes'),
        ('PrivateDevices', 'yes'), ('RestrictSUIDSGID', 'yes'),
        ('SystemCallArchitectures', 'native'), ('UMask', '0077'),
        ('RestartPreventExitStatus', '2')))
    ok = ok and last(kv, 'WantedBy', 'Install') == 'panel-backup.target'
    check(ok, u + ': NoNewPrivileges, ProtectSystem=strict, PrivateTmp, '
        'no devices, no setuid files, UMask 0077, no restart on bad settings')
for u in ('backup-scheduler.service', 'backup-notifier.service'):
    kv = units[u]
    check(last(kv, 'User') == 'panel-backup' and
        last(kv, 'CapabilityBoundingSet') == '' and
        last(kv, 'ProtectHome') == 'yes' and
        'ReadWritePaths' not in dict((k[1], 1) for k in kv),
        u + ': runs as panel-backup, no capability, no home, no writable path')
w = units['backup-worker@.service']
caps = set(last(w, 'CapabilityBoundingSet').split())
check(last(w, 'User') in (None, 'root') and caps ==
    {'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_READ_SEARCH', 'CAP_KILL'},
    'worker: root with only CAP_SETUID CAP_SETGID CAP_DAC_READ_SEARCH '
    'CAP_KILL (got %s)' % ' '.join(sorted(caps)))
check(last(w, 'ProtectHome') == 'read-only' and
    last(w, 'StateDirectory') == 'panel-backup' and
    '-/var/backups/panel-backup' in (last(w, 'ReadWritePaths') or '').split(),
    'worker: homes read-only; writes only STATE_DIR and the archive root')
tmo = last(w, 'TimeoutStopSec') or ''
mins = int(tmo[:-3]) if tmo.endswith('min') else 0
check(last(w, 'KillMode') == 'mixed' and mins * 60 > 300,
    'worker: SIGTERM to the worker only, stop timeout (%s) beyond '
    'WORKER_SHUTDOWN_GRACE (5m)' % tmo)
users = open(os.path.join(d, '../../sysusers.d/panel-backup.conf')).read()
check(any(l.split()[:2] == ['u', 'panel-backup'] for l in users.splitlines()
    if l and l[0] != '#'), 'sysusers.d creates the panel-backup account')
PY
[ -s "$T/keys.out" ]
ok $? "the unit files parse"
while IFS='|' read -r st msg; do
	ok "$st" "$msg"
done <"$T/keys.out"
t_done
