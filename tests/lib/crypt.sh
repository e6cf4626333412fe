# tests/lib/crypt.sh - the set-up tests/regress/crypt_*.sh share (POSIX
# sh): user alice's files, a panel config that allows encryption, her
# settings file, and a check that a .tar.gz gives her files back.
#
#	. "$PB_ROOT/tests/lib/common.sh"
#	. "$PB_ROOT/tests/lib/crypt.sh"
#	t_setup
#	crypt_setup "$T/k"	# $SRC, $T/pb.conf, $T/out; the folders named
#	user_env "AGE_PASSPHRASE=..."
#	same_tree backup.tar.gz

# crypt_setup [DIR...]: alice's files in $SRC, backups going to $T/out,
# the config in $PANEL_BACKUP_CONFIG; makes the folders named too.
crypt_setup() {
	mkdir -p "$T/home/alice/files" "$T/users" "$T/out" "$@"
	SRC=$T/home/alice/files
	make_tree "$SRC"
	cat >"$T/pb.conf" <<EOC
USERS_DIR=$T/users
OUTBOUND_ALLOW=127.0.0.0/8,::1
ARCHIVE_ROOT=/
SOURCE_FILES=$T/home/{user}/files
SOURCE_EMAILS=$T/mail/{user}
SOURCE_VHOSTS=$T/vhosts/{user}
SOURCE_MINECRAFT=$T/mc/{user}
ALLOW_ENCRYPTION=true
EOC
	export PANEL_BACKUP_CONFIG=$T/pb.conf
}

# user_env [LINE...]: alice's settings file: backups to $T/out, then the
# lines given.
user_env() {
	printf 'BACKUP_ARCHIVE=%s\n' "$T/out" >"$T/users/alice.env"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$T/users/alice.env"; done
	chmod 600 "$T/users/alice.env"
}

# same_tree TAR.GZ: does it hold exactly alice's files?
same_tree() {
	rm -rf "$T/x" && mkdir "$T/x" && tar -xzf "$1" -C "$T/x" &&
	    diff -r --no-dereference "$SRC" "$T/x/files" >/dev/null 2>&1
}
