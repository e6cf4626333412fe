/*
 * localdir.h - a user's local destination folder (BACKUP_ARCHIVE under
 * the admin's ARCHIVE_ROOT), reached with no more than the user's reach.
 *
 * Where the folder and every folder above it are root's alone, the
 * caller works there itself, but only through the folder's descriptor
 * (opened component by component with O_NOFOLLOW).  Anywhere a user can
 * write, every operation runs in a child that has become the user, which
 * hands back the descriptor it opened.  See docs/security.md.
 */
#ifndef BK_LOCALDIR_H
#define BK_LOCALDIR_H

#include <stdbool.h>

struct bk_err;
struct localdir;
struct settings;

#define ARCHIVE_ROOT_DEFAULT	"/var/backups/panel-backup/{user}"

/*
 * Open user's destination: archive (BACKUP_ARCHIVE) is relative to the
 * ARCHIVE_ROOT of admin (NULL: the default) for user; a leading "/" or
 * the root's own path in front is accepted, ".." is refused, "" and "."
 * are the root.  Missing folders are created (the root 0700, folders
 * above it 0755, when root creates them; as the user otherwise).
 * BK_ECONFIG naming the setting when refused.
 */
int		 localdir_open(const struct settings *admin, const char *user,
		    const char *archive, struct localdir **, struct bk_err *);
void		 localdir_close(struct localdir *);
/* The folder's path, for messages. */
const char	*localdir_path(const struct localdir *);
/* True when operations run as the user (a user-writable place). */
bool		 localdir_as_user(const struct localdir *);

/* A descriptor of the folder, for listing (the caller closes it). */
int		 localdir_dirfd(struct localdir *, struct bk_err *);
/* Open name for writing, created 0600 if missing (O_NOFOLLOW; a regular
 * file only).  Returns the descriptor or -1. */
int		 localdir_create(struct localdir *, const char *name,
		    struct bk_err *);
/* Open name for reading (O_NOFOLLOW; a regular file only); BK_ENOENT if
 * missing.  Returns the descriptor or -1. */
int		 localdir_open_read(struct localdir *, const char *name,
		    struct bk_err *);
/* Rename from to to within the folder and make it durable. */
int		 localdir_rename(struct localdir *, const char *from,
		    const char *to, struct bk_err *);
/* Remove name (BK_ENOENT if missing). */
int		 localdir_unlink(struct localdir *, const char *name,
		    struct bk_err *);

#endif
