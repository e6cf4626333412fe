#!/bin/sh
# age end to end: `backupctl run` with AGE_PUBLIC_KEYS / AGE_PASSPHRASE
# writes a .tar.gz.age that the stock age tool opens (X25519, ssh-ed25519,
# passphrase typed on a pty), and `backupctl decrypt` opens what age -r,
# -R and -p wrote.  Damage, wrong keys and bad settings fail loudly, and
# no secret shows up in any output.
. "$PB_ROOT/tests/lib/common.sh"
. "$PB_ROOT/tests/lib/crypt.sh"
t_setup

crypt_setup "$T/k"

age-keygen -o "$T/k/id" 2>/dev/null
RCPT=$(age-keygen -y "$T/k/id")
ssh-keygen -q -t ed25519 -N '' -C alice@test -f "$T/k/ed"
ssh-keygen -q -t rsa -b 2048 -N '' -C alice@test -f "$T/k/rsa"

# Two recipients (X25519 and ssh-ed25519): either identity opens it.
user_env "AGE_PUBLIC_KEYS=$RCPT, $(cat "$T/k/ed.pub")"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run with AGE_PUBLIC_KEYS succeeds"
f=$(ls "$T/out")
echo "$f" | grep -Eq '^backup-.*\.tar\.gz\.age$'
ok $? "the backup is named .tar.gz.age ($f)"
age -d -i "$T/k/id" -o "$T/x.tgz" "$T/out/$f" && same_tree "$T/x.tgz"
ok $? "age -d -i (X25519 identity) opens it; tar gives back the tree"
age -d -i "$T/k/ed" -o "$T/y.tgz" "$T/out/$f" && same_tree "$T/y.tgz"
ok $? "age -d -i (ssh-ed25519 key) opens it too"
backupctl decrypt --identity "$T/k/ed" "$T/out/$f" "$T/z.tgz" &&
    same_tree "$T/z.tgz"
ok $? "backupctl decrypt with the ssh key opens it"

# Passphrase: age reads it from a terminal only, so give it a pty.
rm -f "$T/out"/*
user_env "AGE_PASSPHRASE=tr0ub4dor&3 horse"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
ok $? "backupctl run with AGE_PASSPHRASE succeeds"
f=$(ls "$T/out")
printf 'tr0ub4dor&3 horse\n' | script -qec "age -d -o $T/p.tgz $T/out/$f" \
    /dev/null >/dev/null && same_tree "$T/p.tgz"
ok $? "age -d with the passphrase typed on a pty opens it"
! grep -rq 'tr0ub4dor' "$T/run.out" "$T/run.err" "$T/out"
ok $? "the passphrase appears in no output and not in the file"

# Both encryption settings, and encryption not allowed.
user_env "AGE_PASSPHRASE=x1234567" "GPG_PASSPHRASE=y1234567"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
[ $? -eq 2 ] && grep -q AGE_PASSPHRASE "$T/run.err" &&
    grep -q GPG_PASSPHRASE "$T/run.err"
ok $? "two encryption settings: exit 2 naming both"
sed -i 's/ALLOW_ENCRYPTION=true/ALLOW_ENCRYPTION=false/' "$T/pb.conf"
rm -f "$T/out"/*
user_env "AGE_PUBLIC_KEYS=$RCPT"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
rc=$?
[ $rc -ne 0 ] && grep -q ALLOW_ENCRYPTION "$T/run.err" &&
    [ -z "$(ls "$T/out")" ]
ok $? "encryption not allowed: the job fails naming ALLOW_ENCRYPTION, no plain backup (exit $rc)"
sed -i 's/ALLOW_ENCRYPTION=false/ALLOW_ENCRYPTION=true/' "$T/pb.conf"
user_env "AGE_PUBLIC_KEYS=age1qqqqbroken"
backupctl run alice >"$T/run.out" 2>"$T/run.err"
[ $? -eq 2 ] && grep -q AGE_PUBLIC_KEYS "$T/run.err"
ok $? "a malformed age1 key: exit 2 naming AGE_PUBLIC_KEYS"

# The reference tool's files, opened by backupctl decrypt.
tar -czf "$T/plain.tgz" -C "$T/home/alice" files
age -r "$RCPT" -o "$T/r.age" "$T/plain.tgz"
backupctl decrypt --identity "$T/k/id" "$T/r.age" "$T/r.out" &&
    cmp -s "$T/r.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens age -r output (X25519)"
age -a -r "$RCPT" -o "$T/a.age" "$T/plain.tgz"
backupctl decrypt --identity "$T/k/id" "$T/a.age" "$T/a.out" &&
    cmp -s "$T/a.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens ASCII-armored age -a output"
for k in ed rsa; do
	age -R "$T/k/$k.pub" -o "$T/$k.age" "$T/plain.tgz"
	backupctl decrypt --identity "$T/k/$k" <"$T/$k.age" >"$T/$k.out" &&
	    cmp -s "$T/$k.out" "$T/plain.tgz"
	ok $? "backupctl decrypt opens age -R $k.pub output (stdin to stdout)"
done
printf 'pw one\npw one\n' | script -qec "age -p -o $T/p.age $T/plain.tgz" \
    /dev/null >/dev/null
printf 'pw one\n' >"$T/k/pass"
backupctl decrypt --passphrase-file "$T/k/pass" "$T/p.age" "$T/p.out" &&
    cmp -s "$T/p.out" "$T/plain.tgz"
ok $? "backupctl decrypt opens age -p output with --passphrase-file"

# Failures: wrong identity, wrong passphrase, truncation, a flipped bit.
age-keygen -o "$T/k/other" 2>/dev/null
backupctl decrypt --identity "$T/k/other" "$T/r.age" "$T/w.out" 2>"$T/err"
[ $? -eq 1 ] && [ ! -e "$T/w.out" ] && grep -q 'no identity' "$T/err"
ok $? "a wrong identity: exit 1, no output file ($(cat "$T/err"))"
printf 'pw two\n' >"$T/k/bad"
backupctl decrypt --passphrase-file "$T/k/bad" "$T/p.age" "$T/w.out" \
    2>"$T/err"
[ $? -eq 1 ] && ! grep -q 'pw two' "$T/err"
ok $? "a wrong passphrase: exit 1, the passphrase is not echoed"
size=$(stat -c %s "$T/r.age")
head -c $((size - 1)) "$T/r.age" >"$T/t.age"
backupctl decrypt --identity "$T/k/id" "$T/t.age" "$T/w.out" 2>"$T/err"
[ $? -eq 1 ] && [ ! -e "$T/w.out" ] && ls "$T" | grep -vq partial
ok $? "a truncated file: exit 1, nothing left behind ($(cat "$T/err"))"
cp "$T/r.age" "$T/f.age"
old=$(od -An -tu1 -j $((size / 2)) -N1 "$T/f.age" | tr -d ' ')	# a real flip,
printf "$(printf '\\%03o' $((old ^ 1)))" |			# not a fixed byte
    dd of="$T/f.age" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
backupctl decrypt --identity "$T/k/id" "$T/f.age" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q 'authentication' "$T/err"
ok $? "a flipped byte: exit 1 ($(cat "$T/err"))"
backupctl decrypt --identity "$T/k/id" "$T/plain.tgz" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q 'neither age nor OpenPGP' "$T/err"
ok $? "an unencrypted file is refused"
backupctl decrypt "$T/r.age" >/dev/null 2>"$T/err"
[ $? -eq 2 ]
ok $? "no key given: exit 2"

t_done
