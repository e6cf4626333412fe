#!/bin/sh
# Path sources from the admin's SOURCE_* templates: BACKUP_SOURCES picks
# among them (case-insensitive), each lands under its archive folder, a
# template may list several folders and files, "All" skips what a user
# does not have with a note, and a source named explicitly that is missing
# fails the job.  GNU tar reads every archive; extracted trees are compared
# with the sources byte for byte.
. "$PB_ROOT/tests/lib/common.sh"
t_setup

mkdir -p "$T/users" "$T/out" "$T/home/alice/files" "$T/mail/alice/cur" \
    "$T/mail/alice/new" "$T/mail/alice/tmp" "$T/vhosts" "$T/vhost-dirs/alice" \
    "$T/mc/alice/world/region" "$T/mail/bob/cur"
echo 'hello' >"$T/home/alice/files/a.txt"
printf 'From: x@example.org\nSubject: hi\n\nbody\n' \
    >"$T/mail/alice/cur/1700000000.M1P1.host:2,S"
printf 'Subject: new\n\nnew\n' >"$T/mail/alice/new/1700000001.M2P2.host"
echo 'bob mail' >"$T/mail/bob/cur/bob-only"
echo '<VirtualHost *:80> ServerName alice.example </VirtualHost>' \
    >"$T/vhosts/alice.conf"
echo '<VirtualHost *:443> ServerName alice.example </VirtualHost>' \
    >"$T/vhosts/alice-ssl.conf"
echo '<VirtualHost *:80> ServerName bob.example </VirtualHost>' \
    >"$T/vhosts/bob.conf"
echo 'location / {}' >"$T/vhost-dirs/alice/nginx.conf"
head -c 20000 /dev/urandom >"$T/mc/alice/world/region/r.0.0.mca"
echo 'level-name=world' >"$T/mc/alice/server.properties"

cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}.conf, $T/vhosts/{user}-ssl.conf,$T/vhost-dirs/{user},$T/vhosts/{user}-missing.conf
SOURCE_MINECRAFT=$T/mc/{user}
EOC
export PANEL_BACKUP_CONFIG=$T/pb.conf
user_env() {	# user_env KEY=VALUE... : alice's settings
	printf 'BACKUP_ARCHIVE=%s\nBACKUP_COMPRESSION=none\n' "$T/out" \
	    >"$T/users/alice.env"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$T/users/alice.env"; done
}
extract() {	# extract: the one archive in $T/out into $T/x
	rm -rf "$T/x" && mkdir "$T/x" && tar -xpf "$T/out"/*.tar -C "$T/x"
}
top() {		# top: the archive's top-level folders, one a line
	tar -tf "$T/out"/*.tar | cut -d/ -f1 | sort -u | tr '\n' ' '
}

user_env 'BACKUP_SOURCES=Emails,VirtualHosts'
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "BACKUP_SOURCES=Emails,VirtualHosts succeeds"
[ "$(top)" = "emails vhosts " ]
ok $? "the archive has exactly the folders emails/ and vhosts/ ($(top))"
extract && diff -r "$T/mail/alice" "$T/x/emails" >"$T/diff" 2>&1
ok $? "emails/ is alice's mail folder, byte for byte (maildir names with : and ,)"
[ -d "$T/x/emails/tmp" ]
ok $? "an empty maildir folder (tmp/) is kept"
cmp -s "$T/vhosts/alice.conf" "$T/x/vhosts/alice.conf" &&
    cmp -s "$T/vhosts/alice-ssl.conf" "$T/x/vhosts/alice-ssl.conf" &&
    diff -r "$T/vhost-dirs/alice" "$T/x/vhosts/alice" >"$T/diff" 2>&1
ok $? "a list of vhost paths: files and a folder, each under vhosts/ by its name"
[ "$(find "$T/x/vhosts" -type f | wc -l)" -eq 3 ] &&
    ! grep -rq bob "$T/x"
ok $? "nothing of bob's (his vhost file, his mail) is in alice's archive"
grep -q 'alice-missing.conf' "$T/run.err"
ok $? "a listed path alice does not have is skipped with a note"

rm -f "$T/out"/*
user_env 'BACKUP_SOURCES= emails , VIRTUALHOSTS,minecraft data'
backupctl run alice >/dev/null 2>&1 && [ "$(top)" = "emails minecraft vhosts " ]
ok $? "source names are case-insensitive and trimmed; Minecraft Data lands in minecraft/"
extract && diff -r "$T/mc/alice" "$T/x/minecraft" >"$T/diff" 2>&1
ok $? "minecraft/ is alice's world, byte for byte"

# All: every source configured for alice; one she lacks is skipped.
rm -rf "$T/mc/alice" "$T/out"/*
user_env BACKUP_SOURCES=All
backupctl run alice >/dev/null 2>"$T/run.err"
ok $? "BACKUP_SOURCES=All succeeds while alice has no Minecraft folder"
[ "$(top)" = "emails files vhosts " ]
ok $? "All gives files/, emails/ and vhosts/ ($(top))"
grep -q 'Minecraft Data' "$T/run.err"
ok $? "the missing Minecraft Data source is noted"

# Named explicitly, a missing source fails the job.
rm -f "$T/out"/*
user_env 'BACKUP_SOURCES=Files,Minecraft Data'
backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 1 ] && grep -q "Minecraft Data" "$T/run.err" &&
    grep -q "$T/mc/alice" "$T/run.err" && [ -z "$(ls "$T/out")" ]
ok $? "a named source that is missing: exit 1 naming it and its path, no backup (rc=$rc)"

user_env 'BACKUP_SOURCES=Files,Mail'
backupctl run alice >/dev/null 2>"$T/run.err"
rc=$?
[ $rc -eq 2 ] && grep -q BACKUP_SOURCES "$T/run.err" &&
    grep -q '"Mail"' "$T/run.err"
ok $? "an unknown source name: exit 2 naming BACKUP_SOURCES and the name (rc=$rc)"

# Two listed paths with the same last name would collide in the archive.
sed "s|^SOURCE_EMAILS=.*|SOURCE_EMAILS=$T/mail/{user},$T/home/{user}|" \
    "$T/pb.conf" >"$T/pb-dup.conf"
user_env BACKUP_SOURCES=Emails
PANEL_BACKUP_CONFIG=$T/pb-dup.conf backupctl run alice >/dev/null \
    2>"$T/run.err"
rc=$?
[ $rc -eq 2 ] && grep -q SOURCE_EMAILS "$T/run.err"
ok $? "two listed paths sharing a name: exit 2 naming SOURCE_EMAILS (rc=$rc)"

# The user's own settings cannot point a source elsewhere.
rm -f "$T/out"/*
user_env BACKUP_SOURCES=Emails "SOURCE_EMAILS=$T/mail/bob"
backupctl run alice >/dev/null 2>"$T/run.err"
extract && diff -r "$T/mail/alice" "$T/x/emails" >/dev/null 2>&1 &&
    ! grep -rq 'bob mail' "$T/x" &&
    grep 'level=warn' "$T/run.err" | grep -q 'setting=SOURCE_EMAILS'
ok $? "SOURCE_EMAILS in a user's file is ignored with a warning: still alice's mail"

t_done
