#!/bin/sh
# Whose databases (issue 16): with panel users alice, alice_x and
# alice_x_y, the default pattern {user}_% matches alice_x_blog for alice
# and alice_x alike; a database belongs to the longest name that claims
# it.  Against a real MariaDB and a real PostgreSQL, each user's archive
# holds exactly that user's databases, and no row of anyone else's.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/servers/mariadb.sh"
. "$PB_ROOT/tests/servers/postgres.sh"
t_setup

DBS="alice_shop alice_x alice_x_blog alice_x_y_wiki alice_x_y alice_xblog"
# alice_x is alice_x's (exact name); alice_x_y alice_x_y's; alice_xblog is
# alice's (alice_x's pattern needs alice_x_...).
expect_alice="alice_shop alice_xblog"
expect_alice_x="alice_x alice_x_blog"
expect_alice_x_y="alice_x_y alice_x_y_wiki"

mariadb_start
ok $? "MariaDB starts on a socket under the test folder"
pg_start
ok $? "PostgreSQL starts on a loopback port"

PW='Db-names-pw-4411'
sql="CREATE USER backup@localhost IDENTIFIED BY '$PW';
GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT, SHOW DATABASES
    ON *.* TO backup@localhost;"
for db in $DBS; do
	sql="$sql CREATE DATABASE $db; CREATE TABLE $db.t (s VARCHAR(64));
	    INSERT INTO $db.t VALUES ('row-of-$db');"
done
mariadb_sql "$sql"
ok $? "MariaDB databases of alice, alice_x and alice_x_y are created"

pg_sql "CREATE ROLE backup LOGIN PASSWORD '$PW';
GRANT pg_read_all_data TO backup;" || exit 1
rc=0
for db in $DBS; do
	pg_sql "CREATE DATABASE $db" &&
	pg_sql "CREATE TABLE t (s text); INSERT INTO t VALUES ('row-of-$db');" \
	    "$db" || rc=1
done
ok $rc "PostgreSQL databases of alice, alice_x and alice_x_y are created"

umask 077
printf '[client]\nuser=backup\npassword=%s\n' "$PW" >"$T/my.cnf"
printf '127.0.0.1:%s:*:backup:%s\n' "$PG_PORT" "$PW" >"$T/pgpass"
mkdir -p "$T/users"
cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
SOURCE_FILES=$T/home/{user}/files
MYSQL_SOCKET=$MARIADB_SOCK
MYSQL_DEFAULTS_FILE=$T/my.cnf
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$PG_PORT
POSTGRES_USER=backup
POSTGRES_PASSFILE=$T/pgpass
TEMP_DIR=$T/spool
ARCHIVE_ROOT=$T/out/{user}
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
for u in alice alice_x alice_x_y; do
	printf 'BACKUP_ARCHIVE=%s\nBACKUP_SOURCES=MySQL Databases,Postgres Databases\nBACKUP_COMPRESSION=none\n' \
	    "$T/out/$u" >"$T/users/$u.env"
done

for u in alice alice_x alice_x_y; do
	backupctl run "$u" >"$T/$u.out" 2>"$T/$u.err"
	ok $? "backupctl run $u succeeds"
	f=$(ls "$T/out/$u"/*.tar 2>/dev/null | head -n 1)
	eval "want=\$expect_$u"
	: >"$T/$u.want"
	for db in $want; do
		printf 'mysql/%s.sql\npostgres/%s.dump\n' "$db" "$db" \
		    >>"$T/$u.want"
	done
	sort -o "$T/$u.want" "$T/$u.want"
	tar -tf "$f" 2>/dev/null | sort >"$T/$u.list"
	diff "$T/$u.want" "$T/$u.list" >"$T/$u.diff" 2>&1
	ok $? "$u's archive holds exactly its own databases ($want)"
	[ -s "$T/$u.diff" ] && sed 's/^/# /' "$T/$u.diff"
	mkdir -p "$T/x/$u" && tar -xf "$f" -C "$T/x/$u" 2>/dev/null
	others=""
	for db in $DBS; do
		case " $want " in *" $db "*) continue ;; esac
		others="$others -e row-of-$db'"
	done
	# pg_dump -Fc compresses table data; the SQL dumps hold it plain.
	[ -d "$T/x/$u/mysql" ] && ! grep -rq $others "$T/x/$u/mysql"
	ok $? "no row of another user's database is in $u's MySQL dumps"
done

# A panel user is a USERS_DIR/*.env file: without alice_x.env, alice_x
# is no user and alice's pattern takes alice_x_blog again.
rm "$T/users/alice_x.env"
rm -rf "$T/out/alice"
backupctl run alice >"$T/alice2.out" 2>"$T/alice2.err"
f=$(ls "$T/out/alice"/*.tar 2>/dev/null | head -n 1)
tar -tf "$f" 2>/dev/null | grep -qx 'mysql/alice_x_blog.sql' &&
    ! tar -tf "$f" | grep -q 'alice_x_y'
ok $? "with no alice_x.env, alice gets alice_x_blog but never alice_x_y's"

t_done
