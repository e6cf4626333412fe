#!/bin/sh
# deploy/Dockerfile and deploy/compose.yaml, checked statically (docker
# cannot run here): the runtime stage installs the Debian package of every
# shared library the programs link to (readelf NEEDED, resolved with dpkg
# -S) and no build tool; the build stage installs the -dev package of each
# pkg-config module the Makefile uses; the compose file parses, runs the
# three daemons from the image against the redis service with the volumes
# and capabilities documented, and its config loads as a valid admin config.
. "$PB_ROOT/tests/lib/common.sh"
t_setup
cd "$PB_ROOT" || exit 1
df=deploy/Dockerfile

# The apt-get install list of each stage (continuation lines joined).
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$df" | awk -v out="$T" '
	/^FROM / { stage++ }
	/apt-get install/ {
		sub(/.*apt-get install/, "")
		sub(/&&.*/, "")
		n = split($0, w, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (w[i] != "" && w[i] !~ /^-/)
				print w[i] > (out "/stage" stage)
	}'
[ -s "$T/stage1" ] && [ -s "$T/stage2" ] &&
    [ "$(grep -c '^FROM ' "$df")" -eq 2 ] &&
    grep -q '^FROM debian:12 AS build$' "$df" &&
    grep -q '^FROM debian:12-slim$' "$df"
ok $? "Dockerfile: a Debian 12 build stage and a debian:12-slim runtime stage"

# The libraries the programs link to directly.
: >"$T/needed"
for p in backupctl backup backup-worker backup-scheduler backup-notifier; do
	readelf -d "$PB_BIN/$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >>"$T/needed"
done
sort -u "$T/needed" -o "$T/needed"
# Sanitizer runtimes (a SAN=1 test run) are not shipped.
grep -Ev '^lib(asan|ubsan|lsan|tsan)\.' "$T/needed" >"$T/needed.rt"
: >"$T/pkgs"
unresolved=
while read -r so; do
	path=$(for p in backupctl backup backup-worker backup-scheduler \
	    backup-notifier; do ldd "$PB_BIN/$p"; done 2>/dev/null |
	    awk -v s="$so" '$1 == s && $3 ~ /^\// { print $3; exit }')
	pkg=
	for cand in "$path" "$(readlink -f "$path" 2>/dev/null)"; do
		[ -n "$cand" ] || continue
		for c in "$cand" "/usr$cand" "${cand#/usr}"; do
			pkg=$(dpkg -S "$c" 2>/dev/null | head -n1 | cut -d: -f1)
			[ -n "$pkg" ] && break 2
		done
	done
	if [ -z "$pkg" ]; then
		unresolved="$unresolved $so"
	else
		echo "$pkg" >>"$T/pkgs"
	fi
done <"$T/needed.rt"
sort -u "$T/pkgs" -o "$T/pkgs"
[ -z "$unresolved" ] && [ "$(wc -l <"$T/pkgs")" -ge 10 ]
ok $? "each of the $(wc -l <"$T/needed.rt") libraries the programs link to resolves to a Debian package"
[ -z "$unresolved" ] || echo "# unresolved:$unresolved"
echo "# runtime packages: $(tr '\n' ' ' <"$T/pkgs")"
missing=$(comm -23 "$T/pkgs" "$(sort -u "$T/stage2" >"$T/s2"; echo "$T/s2")")
[ -z "$missing" ]
ok $? "the runtime stage installs every one of them"
[ -z "$missing" ] || echo "# missing from the runtime stage: $missing"
grep -Eq -- '-dev$|^build-essential$|^gcc|^pkg-config$|^make$' "$T/stage2"
[ $? -ne 0 ]
ok $? "the runtime stage installs no -dev package or build tool"
grep -qx gnupg "$T/stage2" && grep -qx ca-certificates "$T/stage2"
ok $? "the runtime stage has gpg (run by gpgme) and CA certificates"

# The build stage: the -dev package owning each pkg-config module's .pc.
mods=$(sed -n -e '/^PKGS[ \t]*:=/{' -e ':a' -e '/\\$/{N;ba' -e '}' -e 'p' -e '}' \
    Makefile | sed -e 's/^PKGS[ \t]*:=//' -e 's/\\$//' | tr -s ' \t\n' '\n\n\n' |
    grep -v '^$')
miss=
for m in $mods; do
	pc=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)/$m.pc
	dev=$(dpkg -S "$pc" 2>/dev/null | head -n1 | cut -d: -f1)
	[ -z "$dev" ] && dev=$(dpkg -S "$(readlink -f "$pc")" 2>/dev/null | head -n1 | cut -d: -f1)
	grep -qx "$dev" "$T/stage1" || miss="$miss $m($dev)"
done
[ -n "$mods" ] && [ -z "$miss" ]
ok $? "the build stage installs the -dev package of each of the $(echo $mods | wc -w) pkg-config modules"
[ -z "$miss" ] || echo "# missing from the build stage:$miss"
grep -q '^COPY --from=build /out/usr/bin/ /usr/bin/$' "$df" &&
    grep -q 'make install NOBUILD=1 DESTDIR=/out PREFIX=/usr' "$df" &&
    grep -qx build deploy/Dockerfile.dockerignore &&
    grep -qx bin deploy/Dockerfile.dockerignore
ok $? "the runtime gets the programs make install put in /out; host build outputs stay out of the context"

# compose.yaml
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	/usr/bin/python3 - deploy/compose.yaml >"$T/compose.out" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
def check(c, m):
    print('%d|compose: %s' % (0 if c else 1, m))
s = d.get('services', {})
check(set(s) == {'redis', 'scheduler', 'worker', 'notifier'},
      'services redis, scheduler, worker, notifier (got %s)' % sorted(s))
progs = {'scheduler': 'backup-scheduler', 'worker': 'backup-worker',
         'notifier': 'backup-notifier'}
good = True
for name, prog in progs.items():
    v = s.get(name, {})
    good &= v.get('command', [None])[0] == prog
    good &= v.get('build', {}).get('dockerfile') == 'deploy/Dockerfile'
    good &= 'redis' in v.get('depends_on', {})
    good &= any(str(m).endswith(':/etc/panel-backup/panel-backup.conf:ro')
                for m in v.get('volumes', []))
    good &= any(str(m).endswith(':/etc/panel-backup/users:ro')
                for m in v.get('volumes', []))
    good &= v.get('cap_drop') == ['ALL'] and v.get('read_only') is True
check(good, 'each daemon runs its program from deploy/Dockerfile after '
      'redis, read-only, all capabilities dropped, config and users mounted')
check(all(s.get(n, {}).get('user') == 'panel-backup'
          for n in ('scheduler', 'notifier')) and
      not s.get('scheduler', {}).get('cap_add') and
      not s.get('notifier', {}).get('cap_add'),
      'scheduler and notifier run as panel-backup with no capability')
w = s.get('worker', {})
vols = [str(m) for m in w.get('volumes', [])]
check(sorted(w.get('cap_add', [])) ==
      ['DAC_READ_SEARCH', 'KILL', 'SETGID', 'SETUID'],
      'the worker adds only SETUID, SETGID, DAC_READ_SEARCH, KILL')
check(any(m.startswith('state:/var/lib/panel-backup') for m in vols) and
      any(m.endswith(':/var/backups/panel-backup') for m in vols) and
      any(m == '/home:/home:ro' for m in vols) and
      'state' in (d.get('volumes') or {}),
      'the worker has the state volume, the archive folder and /home read-only')
check('healthcheck' in s.get('redis', {}) and
      s['scheduler']['depends_on']['redis'].get('condition') ==
      'service_healthy', 'daemons wait for a healthy redis')
PY
	[ -s "$T/compose.out" ]
	ok $? "deploy/compose.yaml parses as YAML (python3-yaml)"
	while IFS='|' read -r st msg; do
		ok "$st" "$msg"
	done <"$T/compose.out"
else
	for k in 'services:' '  redis:' '  scheduler:' '  worker:' '  notifier:'; do
		grep -q "^$k" deploy/compose.yaml
		ok $? "compose.yaml has $k (python3-yaml missing: key check only)"
	done
fi

# The compose config: REDIS_URL names the redis service, NODE is fixed,
# and the file is a valid admin config.
c=deploy/docker/panel-backup.conf
grep -qx 'REDIS_URL=redis://redis:6379/0' "$c" && grep -Eq '^NODE=[a-z0-9]+$' "$c"
ok $? "the compose config points at the redis service and fixes NODE"
printf 'AWS_S3_BUCKET_NAME=b\nAWS_ACCESS_KEY_ID=k\nAWS_SECRET_ACCESS_KEY=s\n' >"$T/u.env"
out=$(backupctl --config "$c" config check --env-file "$T/u.env" 2>&1)
rc=$?
[ "$rc" -eq 0 ]
ok $? "the compose config loads as a valid admin config"
[ "$rc" -eq 0 ] || echo "# $out"
t_done
