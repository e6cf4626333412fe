#!/bin/sh
# xml_hostile.sh - hostile XML answers from S3 (s3rver), Azure Blob
# (Azurite) and WebDAV (Apache mod_dav), played by faultproxy.py in front
# of each, reached through HTTP_CONNECT_TO as in production: a DOCTYPE with
# nested entities, an external entity (never fetched), nesting 100,000
# deep, a 1 GiB listing, invalid UTF-8, a truncated document and an
# <Error> document with a 2xx status.  Each listing fails with an error
# naming the destination and the reason, within bounded time and memory;
# once the server behaves, the backup made before is listed again
# (nothing lost).  An S3 CompleteMultipartUpload answered 200 with an
# <Error> body is retried; if it keeps failing the run fails and no
# backup appears.
. "$(dirname "$0")/../lib/common.sh"
. "$PB_ROOT/tests/servers/s3rver.sh"
. "$PB_ROOT/tests/servers/azurite.sh"
. "$PB_ROOT/tests/servers/apache.sh"
. "$PB_ROOT/tests/servers/faultproxy.sh"
t_setup

start_s3rver http || { echo "not ok 1 - s3rver starts"; exit 1; }
start_azurite || { echo "not ok 1 - azurite starts"; exit 1; }
azsdk mk pb-hostile || { echo "not ok 1 - azurite container"; exit 1; }
apache_start || { echo "not ok 1 - apache starts"; exit 1; }
start_faultproxy s3 "127.0.0.1:$S3_PORT" || { echo "not ok 1 - proxy"; exit 1; }
FP_S3=$FP_PORT
start_faultproxy az "127.0.0.1:$AZ_PORT" || { echo "not ok 1 - proxy"; exit 1; }
FP_AZ=$FP_PORT
start_faultproxy dav "127.0.0.1:$APACHE_HTTP" || { echo "not ok 1 - proxy"; exit 1; }
FP_DAV=$FP_PORT

mkdir -p "$T/users" "$T/home/s3u" "$T/home/azu" "$T/home/davu"
for u in s3u azu davu; do echo "$u" >"$T/home/$u/a.txt"; done
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
SOURCE_FILES=$T/home/{user}
HTTP_CONNECT_TO=127.0.0.1:$S3_PORT:127.0.0.1:$FP_S3,127.0.0.1:$AZ_PORT:127.0.0.1:$FP_AZ,127.0.0.1:$APACHE_HTTP:127.0.0.1:$FP_DAV
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
common='BACKUP_SOURCES=Files
BACKUP_COMPRESSION=none'
cat >"$T/users/s3u.env" <<EOC
$common
AWS_S3_BUCKET_NAME=$S3_BUCKET
AWS_ENDPOINT=127.0.0.1:$S3_PORT
AWS_ENDPOINT_PROTO=http
AWS_ACCESS_KEY_ID=$S3_AK
AWS_SECRET_ACCESS_KEY=$S3_SK
AWS_PART_SIZE=5
EOC
cat >"$T/users/azu.env" <<EOC
$common
AZURE_STORAGE_ACCOUNT_NAME=$AZ_ACCOUNT
AZURE_STORAGE_PRIMARY_ACCOUNT_KEY=$AZ_KEY
AZURE_STORAGE_CONTAINER_NAME=pb-hostile
AZURE_STORAGE_ENDPOINT=http://127.0.0.1:$AZ_PORT/{{ .AccountName }}
EOC
cat >"$T/users/davu.env" <<EOC
$common
WEBDAV_URL=http://127.0.0.1:$APACHE_HTTP/dav
WEBDAV_PATH=/hostile
WEBDAV_USERNAME=$DAV_USER
WEBDAV_PASSWORD=$DAV_PASSWORD
EOC
chmod 600 "$T/users/"*.env

for u in s3u azu davu; do
	backupctl run "$u" >/dev/null 2>"$T/run.err" &&
	    [ "$(backupctl list "$u" 2>/dev/null | grep -c backup-)" -eq 1 ]
	ok $? "$u: one backup made and listed through the proxy ($(tail -1 "$T/run.err"))"
done

# hostile USER PROXYPORT MATCH ROOT STATUS WHERE: every kind on USER's
# listing requests; WHERE is what the error must name.
hostile() {
	u=$1 FP_PORT=$2 match=$3 root=$4 status=$5 where=$6
	for kind in doctype xxe deep huge utf8 truncated error; do
		case $kind in
		doctype|xxe) why="DOCTYPE" ;;
		deep) why="nested deeper" ;;
		huge) why="larger than 256 MiB\|16 MiB of names" ;;
		utf8) why="not well-formed" ;;
		truncated) why="truncated\|unclosed token" ;;
		error) why="error document: InternalError" ;;
		esac
		fp_faults "[{\"match\": \"$match\", \"count\": -1, \"action\": \"xml\", \"xml\": \"$kind\", \"root\": \"$root\", \"status\": $status}]"
		start=$(date +%s)
		/usr/bin/time -f %M -o "$T/rss" backupctl list "$u" >"$T/out" 2>"$T/err"
		rc=$? secs=$(($(date +%s) - start))
		rss=$(tail -1 "$T/rss")
		[ $rc -ne 0 ] && grep -q "$where" "$T/err" && grep -q "$why" "$T/err" &&
		    [ $secs -lt 60 ] && [ "$rss" -lt 200000 ] &&
		    ! grep -q backup- "$T/out"
		ok $? "$u, $kind: list fails naming $where (rc=$rc, ${secs}s, ${rss} KiB: $(head -c 300 "$T/err"))"
	done
	fp_reset
	[ "$(curl -s -H 'X-Count: 1' "http://127.0.0.1:$FP_PORT/__ctl/xxe")" = 0 ]
	ok $? "$u: the external entity was never fetched"
	[ "$(backupctl list "$u" 2>/dev/null | grep -c backup-)" -eq 1 ]
	ok $? "$u: once the server behaves, the backup is listed again"
}
hostile s3u "$FP_S3" "list-type=2" ListBucketResult 200 "127.0.0.1:$S3_PORT"
hostile azu "$FP_AZ" "comp=list" EnumerationResults 200 "127.0.0.1:$AZ_PORT"
hostile davu "$FP_DAV" "^PROPFIND" multistatus 207 "127.0.0.1:$APACHE_HTTP/dav/hostile"

# S3 may answer CompleteMultipartUpload 200 with an <Error>: once is
# retried; always fails the run, and no backup appears.
head -c 12000000 /dev/urandom >"$T/home/s3u/big.bin"
FP_PORT=$FP_S3
fp_faults '[{"match": "^POST .*uploadId=", "count": 1, "action": "xml", "xml": "error", "status": 200}]'
backupctl run s3u >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && [ "$(backupctl list s3u 2>/dev/null | grep -c backup-)" -eq 2 ]
ok $? "one <Error> with 200 on CompleteMultipartUpload is retried: the run succeeds (rc=$rc $(tail -1 "$T/err"))"
fp_faults '[{"match": "^POST .*uploadId=", "count": -1, "action": "xml", "xml": "error", "status": 200}]'
backupctl run s3u >/dev/null 2>"$T/err"
rc=$?
fp_reset
[ $rc -ne 0 ] && grep -q "CompleteMultipartUpload" "$T/err" &&
    grep -q "127.0.0.1:$S3_PORT" "$T/err" &&
    [ "$(backupctl list s3u 2>/dev/null | grep -c backup-)" -eq 2 ]
ok $? "an <Error> with 200 every time fails the run naming the host, no backup added (rc=$rc: $(tail -1 "$T/err"))"
t_done
