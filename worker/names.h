/*
 * names.h - backup file names from the BACKUP_FILENAME template, and the
 * reverse: which stored names a template produced, and when.
 *
 * Rendering: "{{ .Extension }}" becomes tar.gz, tar.zst or tar; then the
 * strftime verbs of offen's timeutil (%a %A %w %d %b %B %m %y %Y %H %I %p
 * %M %S %f %z %Z %j %U %W %c %x %X %%) are expanded at the backup's start
 * time in the process's zone; any other verb is dropped, as there.  A name
 * with '/' or that is "." or ".." is refused.
 */
#ifndef BK_NAMES_H
#define BK_NAMES_H

#include <stdbool.h>
#include <time.h>

struct bk_err;

#define NAMES_DEFAULT	"backup-%Y-%m-%dT%H-%M-%S.{{ .Extension }}"

/* Allocated name, or NULL with err (BK_ECONFIG).  tz is unused for now:
 * the process zone applies (jobs run in their own process). */
char	*names_render(const char *tmpl, const char *ext, time_t t,
	    const char *tz, struct bk_err *);

/* Does name come from tmpl (any extension, optionally .gpg or .age
 * appended)?  When tmpl has date verbs and they parse, *when is set and
 * *has_time true. */
bool	names_match(const char *tmpl, const char *name, time_t *when,
	    bool *has_time);

struct settings;

/* The template in force: the user's BACKUP_FILENAME when set and the
 * admin allows custom names (ALLOW_CUSTOM_FILENAME), else NAMES_DEFAULT.
 * Borrowed from the settings. */
const char *names_template(const struct settings *admin,
	    const struct settings *user);

/* An incremental's name: "inc-NNNN-hhhhhhhh-" + full, NNNN = seq (4
 * digits), hhhhhhhh = the first 8 hex digits of SHA-256(full). */
char	*names_inc_render(const char *full, unsigned int seq);
/* The full's name inside an incremental's name (borrowed from name), seq
 * set when not NULL; NULL when name is not of that form or its hash is
 * not that of its full's name. */
const char *names_inc_split(const char *name, unsigned int *seq);

/* "tar.gz" for "gz", "tar.zst" for "zst", "tar" for "none". */
const char *names_extension(const char *compression);

#endif
