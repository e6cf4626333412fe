#!/bin/sh
# gpg end to end: `backupctl run` with GPG_PASSPHRASE or a multi-line
# GPG_PUBLIC_KEY_RING writes a .tar.gz.gpg that stock gpg opens (loopback
# passphrase, private key); `backupctl decrypt` opens what gpg -c / -e
# wrote.  Unusable keys are named by fingerprint; nothing of ours (home
# directory, agent) is left running; secrets appear in no output.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/lib/crypt.sh"
t_setup

crypt_setup "$T/tmp"
export TMPDIR=$T/tmp	# where our private GNUPGHOMEs go

GH=$T/gh
mkdir -m 700 "$GH"
printf 'no-auto-key-retrieve\nauto-key-locate local\ndisable-dirmngr\ntrust-model always\n' \
    >"$GH/gpg.conf"
G="gpg --homedir $GH --batch --yes --pinentry-mode loopback"
stop_agent() { gpgconf --homedir "$GH" --kill all; }
trap 'stop_agent; t_cleanup' EXIT

$G --passphrase '' --quick-gen-key 'Alice <alice@example.org>' \
    future-default default never 2>/dev/null
$G --passphrase '' --faked-system-time 20200101T000000 \
    --quick-gen-key 'Old <old@example.org>' future-default default 1d \
    2>/dev/null
$G --armor --export alice@example.org >"$T/alice.asc"
$G --armor --export old@example.org >"$T/old.asc"
$G --passphrase '' --armor --export-secret-keys alice@example.org \
    >"$T/alice.sec"
OLDFPR=$($G --with-colons --list-keys old@example.org |
    awk -F: '/^fpr/ { print $10; exit }')

no_leftovers() {
	[ -z "$(ls "$T/tmp")" ] && ! pgrep -f "$T/tm[p]/pb-gnupg" >/dev/null
}

user_env "GPG_PASSPHRASE=c0rrect-h0rse"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run with GPG_PASSPHRASE succeeds"
f=$(ls "$T/out")
echo "$f" | grep -Eq '^backup-.*\.tar\.gz\.gpg$'
ok $? "the backup is named .tar.gz.gpg ($f)"
$G --passphrase c0rrect-h0rse -o "$T/s.tgz" -d "$T/out/$f" 2>/dev/null &&
    same_tree "$T/s.tgz"
ok $? "gpg -d with the passphrase opens it; tar gives back the tree"
$G --list-packets "$T/out/$f" 2>/dev/null | grep -q 'cipher 9'
ok $? "the session key is AES-256"
no_leftovers
ok $? "no private GNUPGHOME or agent of ours is left"
! grep -rq 'c0rrect-h0rse' "$T/run.out" "$T/run.err"
ok $? "the passphrase appears in no output"

# A multi-line armored key ring in double quotes, as SPEC.md allows.
rm -f "$T/out"/*
user_env "GPG_PUBLIC_KEY_RING=\"$(cat "$T/alice.asc")\""
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run with GPG_PUBLIC_KEY_RING succeeds"
f=$(ls "$T/out")
$G -o "$T/k.tgz" -d "$T/out/$f" 2>/dev/null && same_tree "$T/k.tgz"
ok $? "gpg -d with Alice's private key opens it"
backupctl decrypt --identity "$T/alice.sec" "$T/out/$f" "$T/d.tgz" &&
    same_tree "$T/d.tgz"
ok $? "backupctl decrypt with the exported private key opens it"

rm -f "$T/out"/*
user_env "GPG_PUBLIC_KEY_RING=\"$(cat "$T/alice.asc" "$T/old.asc")\""
backupctl run alice >"$T/run.out" 2>"$T/run.err"
[ $? -eq 2 ] && grep -q "$OLDFPR" "$T/run.err" && grep -q expired "$T/run.err" &&
    [ -z "$(ls "$T/out")" ]
ok $? "an expired key in the ring: exit 2 naming its fingerprint"
no_leftovers
ok $? "nothing of ours is left after the failure"

# gpg's own files opened by backupctl decrypt.
tar -czf "$T/plain.tgz" -C "$T/home/alice" files
$G --passphrase 'pw one' -c -o "$T/c.gpg" "$T/plain.tgz"
printf 'pw one\n' >"$T/pass"
backupctl decrypt --passphrase-file "$T/pass" "$T/c.gpg" "$T/c.out" &&
    cmp -s "$T/c.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens gpg -c output with --passphrase-file"
$G -e -r alice@example.org -o "$T/e.gpg" "$T/plain.tgz"
backupctl decrypt --identity "$T/alice.sec" <"$T/e.gpg" >"$T/e.out" &&
    cmp -s "$T/e.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens gpg -e output with the private key"
$G -e -a -r alice@example.org -o "$T/a.asc" "$T/plain.tgz"
backupctl decrypt --identity "$T/alice.sec" "$T/a.asc" "$T/a.out" &&
    cmp -s "$T/a.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens armored gpg output (offen's key ring files)"
printf 'pw two\n' >"$T/bad"
backupctl decrypt --passphrase-file "$T/bad" "$T/c.gpg" "$T/w.out" 2>"$T/err"
[ $? -eq 1 ] && [ ! -e "$T/w.out" ] && ! grep -q 'pw two' "$T/err"
ok $? "a wrong passphrase: exit 1, no output ($(cat "$T/err"))"
size=$(stat -c %s "$T/c.gpg")
head -c $((size - 20)) "$T/c.gpg" >"$T/t.gpg"
backupctl decrypt --passphrase-file "$T/pass" "$T/t.gpg" "$T/w.out" 2>"$T/err"
[ $? -eq 1 ] && [ ! -e "$T/w.out" ]
ok $? "a truncated file: exit 1, no output ($(cat "$T/err"))"
no_leftovers
ok $? "nothing of ours is left after decrypting"

t_done
