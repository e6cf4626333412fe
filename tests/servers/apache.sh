# tests/servers/apache.sh - Apache httpd with mod_dav on loopback ports,
# for the WebDAV tests (POSIX sh).
#
# Source it after tests/lib/common.sh and t_setup:
#	. "$PB_ROOT/tests/servers/apache.sh"
#	dav_certs		# a private CA ($DAV_CA) and a server cert for
#				# localhost/127.0.0.1, shared with rclone.sh
#	apache_start		# $APACHE_HTTP, $APACHE_HTTPS (ports),
#				# $APACHE_DATA (the folder served at /dav)
#	apache_stop
# or run a command with Apache and rclone up (the C tests do this):
#	sh tests/servers/apache.sh run CMD...
#
# A standalone config (nothing of /etc/apache2 is read): basic auth with
# $DAV_USER/$DAV_PASSWORD, /dav served by mod_dav_fs, and /nochunk, the
# same but answering 411 to any chunked request body (mod_rewrite), like
# servers that need a Content-Length, and /digest ($APACHE_DIGEST), the
# same as /dav with HTTP Digest authentication instead of basic.  Both over
# HTTP and HTTPS.

DAV_USER=alice
DAV_PASSWORD='dav-Test-pw-2026'
export DAV_USER DAV_PASSWORD

dav_certs() {
	DAV_CERTS=$T/certs
	DAV_CA=$DAV_CERTS/ca.pem
	export DAV_CERTS DAV_CA
	[ -f "$DAV_CERTS/server.pem" ] && return 0
	mkdir -p "$DAV_CERTS"
	(
	cd "$DAV_CERTS" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=pb test CA" \
	    2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout server.key -out server.csr -subj "/CN=localhost" \
	    2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile ext.cnf -out server.pem \
	    2>/dev/null
	) && chmod 644 "$DAV_CERTS/server.key"
}

apache_start() {
	dav_certs || return 1
	A=$T/apache
	mkdir -p "$A/data" "$A/nochunk" "$A/digest" "$A/lock" "$A/run"
	chown www-data:www-data "$A/data" "$A/nochunk" "$A/digest" "$A/lock"
	htpasswd -bc "$A/htpasswd" "$DAV_USER" "$DAV_PASSWORD" 2>/dev/null
	# htdigest only prompts: its line is user:realm:MD5(user:realm:pw).
	printf '%s:pb digest:%s\n' "$DAV_USER" "$(printf '%s:pb digest:%s' \
	    "$DAV_USER" "$DAV_PASSWORD" | md5sum | cut -d' ' -f1)" \
	    >"$A/htdigest"
	APACHE_HTTP=$(free_port)
	APACHE_HTTPS=$(free_port)
	APACHE_DATA=$A/data
	APACHE_NOCHUNK=$A/nochunk
	APACHE_DIGEST=$A/digest
	m=/usr/lib/apache2/modules
	cat >"$A/httpd.conf" <<CFG
ServerName 127.0.0.1
ServerRoot $A
DefaultRuntimeDir $A/run
PidFile $A/run/httpd.pid
ErrorLog $A/error.log
LogLevel warn
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authn_core_module $m/mod_authn_core.so
LoadModule authn_file_module $m/mod_authn_file.so
LoadModule auth_basic_module $m/mod_auth_basic.so
LoadModule auth_digest_module $m/mod_auth_digest.so
LoadModule authz_user_module $m/mod_authz_user.so
LoadModule dav_module $m/mod_dav.so
LoadModule dav_fs_module $m/mod_dav_fs.so
LoadModule alias_module $m/mod_alias.so
LoadModule mime_module $m/mod_mime.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule ssl_module $m/mod_ssl.so
User www-data
Group www-data
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
Timeout 60
TypesConfig /etc/mime.types
DavLockDB $A/lock/DavLock
LimitRequestBody 0
Listen 127.0.0.1:$APACHE_HTTP
Listen 127.0.0.1:$APACHE_HTTPS https
Alias /dav $A/data
Alias /nochunk $A/nochunk
Alias /digest $A/digest
<Directory />
	Require all denied
</Directory>
<Directory $A/data>
	Dav On
	AuthType Basic
	AuthName "pb test"
	AuthUserFile $A/htpasswd
	Require valid-user
</Directory>
<Directory $A/nochunk>
	Dav On
	AuthType Basic
	AuthName "pb test"
	AuthUserFile $A/htpasswd
	Require valid-user
	RewriteEngine On
	RewriteCond %{HTTP:Transfer-Encoding} chunked [NC]
	RewriteRule ^ - [R=411]
</Directory>
<Directory $A/digest>
	Dav On
	AuthType Digest
	AuthName "pb digest"
	AuthDigestDomain /digest/
	AuthDigestProvider file
	AuthUserFile $A/htdigest
	Require valid-user
</Directory>
SSLSessionCache shmcb:$A/run/ssl_scache(512000)
<VirtualHost 127.0.0.1:$APACHE_HTTPS>
	SSLEngine on
	SSLCertificateFile $DAV_CERTS/server.pem
	SSLCertificateKeyFile $DAV_CERTS/server.key
</VirtualHost>
CFG
	/usr/sbin/apache2 -f "$A/httpd.conf" -DFOREGROUND \
	    2>>"$A/error.log" &
	APACHE_PID=$!
	t_bg "$APACHE_PID"
	export APACHE_HTTP APACHE_HTTPS APACHE_DATA APACHE_NOCHUNK \
	    APACHE_DIGEST APACHE_PID
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$APACHE_HTTP/" &&
	wait_for 10 curl -s -o /dev/null --cacert "$DAV_CA" \
	    "https://127.0.0.1:$APACHE_HTTPS/"
}

apache_stop() {
	[ -n "${APACHE_PID:-}" ] || return 0
	kill "$APACHE_PID" 2>/dev/null
	wait "$APACHE_PID" 2>/dev/null
	APACHE_PID=
}

if [ "${1:-}" = run ]; then
	shift
	PB_ROOT=${PB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
	. "$PB_ROOT/tests/lib/common.sh"
	. "$PB_ROOT/tests/servers/rclone.sh"
	t_setup
	apache_start || { echo "not ok - apache did not start"; \
	    cat "$T/apache/error.log"; exit 1; }
	rclone_start || { echo "not ok - rclone did not start"; exit 1; }
	PB_TMP=$T
	export PB_TMP
	"$@"
	exit $?
fi
