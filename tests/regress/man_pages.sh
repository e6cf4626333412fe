#!/bin/sh
# The man pages (man/) render without warnings, panel-backup.conf(5)'s
# settings section is the settings table's (man/gen-conf5.sh), and each
# program's --help and its man page document the same options (and, for
# backupctl, the same commands): what --help shows is in the page, and
# what the page documents is in --help.
. "$PB_ROOT/tests/lib/common.sh"
t_setup
cd "$PB_ROOT" || exit 1

pages="backupctl.1 backup.1 backup-worker.8 backup-scheduler.8 backup-notifier.8 panel-backup.conf.5"
for p in $pages; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "man/$p" 2>&1 >"$T/$p.txt")
	[ -z "$w" ] && grep -q '^NAME' "$T/$p.txt" &&
	    grep -q "^$(echo "$p" | tr '[:lower:]' '[:upper:]' | sed 's/\.[158]$//' |
	    sed 's/\./\\./g')([158])" "$T/$p.txt"
	ok $? "man -l man/$p renders without warnings, with its title and NAME"
	[ -z "$w" ] || printf '# %s\n' "$w"
done

sh man/gen-conf5.sh --check "$PB_BIN/backupctl"
ok $? "panel-backup.conf(5) settings section equals backupctl config example --man (regenerate: sh man/gen-conf5.sh)"
# Each admin key of the example config is an entry of the page (rendered
# without line breaks or hyphenation).
groff -mandoc -Tascii -rLL=3000n -P-cbou man/panel-backup.conf.5 >"$T/conf5.txt"
sed -n 's/^#\([A-Z][A-Z0-9_]*\)=.*/\1/p' deploy/panel-backup.conf.example >"$T/keys"
missing=$(while read -r k; do
	grep -Eq "^     $k( |\$)" "$T/conf5.txt" || echo "$k"
done <"$T/keys")
[ -s "$T/keys" ] && [ -z "$missing" ]
ok $? "panel-backup.conf(5) has an entry for each of the $(wc -l <"$T/keys") admin keys"
[ -z "$missing" ] || echo "# missing: $missing"
grep -A1 '^     WORKER_CONCURRENCY$' "$T/conf5.txt" |
    grep -q "Jobs one backup-worker runs at once\.  Type: integer 1\.\.256\.  Default: '2'\."
ok $? "a setting's entry gives its help, type, range and default"

# --help against the page.  Options: every --long and -x option word.
# Commands (backupctl): the first word of each usage line, with its
# subcommand word(s).  The page is rendered without line breaks or
# hyphenation, SEE ALSO cut off.
compare() {
	prog=$1 page=$2
	"$PB_BIN/$prog" --help >"$T/$prog.help" 2>&1
	groff -mandoc -Tascii -rLL=3000n -P-cbou "man/$page" 2>/dev/null |
	    sed '/^SEE ALSO/,$d' >"$T/$prog.man"
	/usr/bin/python3 - "$T/$prog.help" "$T/$prog.man" "man/$page" <<'PY'
import re, sys
helptext = open(sys.argv[1]).read()
mantext = open(sys.argv[2]).read()
src = open(sys.argv[3]).read()
opt = re.compile(r'(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])(?![\w-])')
h = set(opt.findall(helptext))
m = set(opt.findall(mantext))
# --help itself is accepted by every program (SPEC.md) and documented in
# each page; the daemons' usage lines do not repeat it.
m_only = m - h - {'--help'}
h_only = h - m
bad = 0
if h_only:
    print('# in --help, not in the page:', ' '.join(sorted(h_only)))
    bad = 1
if m_only:
    print('# in the page, not in --help:', ' '.join(sorted(m_only)))
    bad = 1
if 'commands:' in helptext:
    hc = set()
    block = helptext.split('commands:', 1)[1].strip('\n').split('\n\n')[0]
    for line in block.splitlines():
        w = re.split(r'\s{2,}', line.strip())[0].split()
        if not w:
            continue
        if len(w) > 1 and re.fullmatch(r'[a-z]+', w[1]):
            hc.add(w[0] + ' ' + w[1])
        else:
            hc.add(w[0])
        for sub in re.findall(r'\| ' + re.escape(w[0]) + r' ([a-z]+)', line):
            hc.add(w[0] + ' ' + sub)
    mc = set()
    for line in src.splitlines():
        for g in re.findall(r'(?:^\.It |\| )Cm ([a-z]+)((?: [a-z]+)?)(?= |$)', line):
            mc.add((g[0] + g[1]).strip())
    if hc - mc:
        print('# commands in --help, not in the page:', sorted(hc - mc))
        bad = 1
    if mc - hc:
        print('# commands in the page, not in --help:', sorted(mc - hc))
        bad = 1
    print('# %d commands' % len(hc))
print('# %d options' % len(h))
sys.exit(bad)
PY
}
for pp in backupctl:backupctl.1 backup:backup.1 backup-worker:backup-worker.8 \
    backup-scheduler:backup-scheduler.8 backup-notifier:backup-notifier.8; do
	compare "${pp%%:*}" "${pp#*:}"
	ok $? "${pp%%:*} --help and man/${pp#*:} document the same options"
done
t_done
