#!/bin/sh
# bench/listing_scrape.sh - the two numbers of issue 22, for one or more
# builds side by side (BINS: space-separated bin/ folders; default this
# tree's build/opt/bin):
#
#   list   peak RSS (/usr/bin/time -v) and wall time of `backupctl list`
#          of BENCH_OBJECTS (default 100,000) backups in one s3rver bucket,
#          read in pages of 1000 as from AWS
#   scrape time to answer GET /metrics of backup-scheduler while 60 slow
#          clients hold connections (tests/servers/slow_clients.py), capped
#          at BENCH_SCRAPE_MAX seconds (default 60)
#
#   BINS="/tmp/base/build/opt/bin $PWD/build/opt/bin" sh bench/listing_scrape.sh
#
# BENCH_ONLY=list, dav or scrape runs one part; dav is the same listing
# from Apache mod_dav, where it is one PROPFIND answer of the whole folder
# (about 100 MB for 100,000 files), so what parsing a document costs shows
# apart from what the listing keeps.  (BENCH_PAGE=N asks S3 for pages of N
# keys; s3rver caps them at 1000 as AWS does.)
#
# The objects are written straight into s3rver's data folder (a PUT each
# would take longer than the listing); s3rver serves them as it would any.
set -u
PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
t_setup
N=${BENCH_OBJECTS:-100000}
BINS=${BINS:-$PB_ROOT/build/opt/bin}
SCRAPE_MAX=${BENCH_SCRAPE_MAX:-60}
ONLY=${BENCH_ONLY:-}
[ -n "${BENCH_PAGE:-}" ] && PB_TEST_LIST_PAGE=$BENCH_PAGE && export PB_TEST_LIST_PAGE

mkdir -p "$T/users" "$T/files/u"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/files/{user}
EOC
if [ "$ONLY" != scrape ] && [ "$ONLY" != dav ]; then
start_s3rver http || { echo "s3rver did not start"; exit 1; }
/usr/bin/python3 - "$T/s3data/$S3_BUCKET" "$N" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
t0 = 1700000000
for i in range(n):
    name = time.strftime("backup-%Y-%m-%dT%H-%M-%S.tar", time.gmtime(t0 + i * 60))
    p = os.path.join(d, name + "._S3rver_object")
    with open(p, "w") as f:
        f.write("x")
    with open(p + ".md5", "w") as f:
        f.write("9dd4e461268c8034f5c8564e155c67a6")
PY
cat >"$T/users/u.env" <<EOC
BACKUP_SOURCES=Files
AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_ENDPOINT=127.0.0.1:$S3_PORT
AWS_ENDPOINT_PROTO=http
AWS_ACCESS_KEY_ID=$S3_AK
AWS_SECRET_ACCESS_KEY=$S3_SK
EOC
chmod 600 "$T/users/u.env"

for bin in $BINS; do
	/usr/bin/time -v "$bin/backupctl" --config "$T/pb.conf" list u \
	    >"$T/list.out" 2>"$T/list.err"
	rc=$?
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/list.err")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/list.err")
	echo "list  $bin: $(grep -c backup- "$T/list.out") of $N listed (pages of ${BENCH_PAGE:-1000}), exit $rc, peak RSS ${rss} KiB, ${wall}"
	[ $rc -eq 0 ] || tail -2 "$T/list.err" | head -1
done
fi
[ "$ONLY" = list ] && { t_done >/dev/null; exit 0; }

if [ "$ONLY" = dav ]; then
. "$PB_ROOT/tests/servers/apache.sh"
apache_start || { echo "apache did not start"; exit 1; }
mkdir -p "$APACHE_DATA/bench"
/usr/bin/python3 - "$APACHE_DATA/bench" "$N" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name = time.strftime("backup-%Y-%m-%dT%H-%M-%S.tar", time.gmtime(1700000000 + i * 60))
    with open(os.path.join(d, name), "w") as f:
        f.write("x")
PY
chown -R www-data:www-data "$APACHE_DATA/bench"
cat >"$T/users/d.env" <<EOC
BACKUP_SOURCES=Files
WEBDAV_URL=http://127.0.0.1:$APACHE_HTTP/dav
WEBDAV_PATH=/bench
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$DAV_PASSWORD
EOC
chmod 600 "$T/users/d.env"
for bin in $BINS; do
	/usr/bin/time -v "$bin/backupctl" --config "$T/pb.conf" list d \
	    >"$T/list.out" 2>"$T/list.err"
	rc=$?
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/list.err")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/list.err")
	echo "dav   $bin: $(grep -c backup- "$T/list.out") of $N listed (one PROPFIND), exit $rc, peak RSS ${rss} KiB, ${wall}"
	[ $rc -eq 0 ] || grep backupctl: "$T/list.err" | head -1
done
t_done >/dev/null
exit 0
fi

start_redis || { echo "redis-server did not start"; exit 1; }
for bin in $BINS; do
	port=$(free_port)
	cat >"$T/sched.conf" <<EOC
REDIS_URL=$REDIS_URL
NODE=bench
USERS_DIR=$T/nousers
OUTBOUND_ALLOW=127.0.0.0/8,::1
METRICS_LISTEN=127.0.0.1:$port
EOC
	mkdir -p "$T/nousers"
	"$bin/backup-scheduler" --config "$T/sched.conf" 2>"$T/sched.log" &
	sp=$!
	wait_for 10 curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/metrics"
	rm -f "$T/slow.ready"
	/usr/bin/python3 "$PB_ROOT/tests/servers/slow_clients.py" slow "$port" 60 \
	    "$T/slow.ready" & cp=$!
	wait_for 30 test -f "$T/slow.ready"
	t=$(curl -s -o /dev/null -m "$SCRAPE_MAX" -w '%{http_code} %{time_total}' \
	    "http://127.0.0.1:$port/metrics")
	echo "scrape $bin: $(cat "$T/slow.ready" | tr -d '\n') slow clients: HTTP ${t% *} after ${t#* } s (cap ${SCRAPE_MAX} s; 000 = no answer)"
	kill $cp $sp 2>/dev/null
	wait $cp $sp 2>/dev/null
done
t_done >/dev/null
