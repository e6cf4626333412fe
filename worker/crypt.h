/*
 * crypt.h - encryption stages chosen from a user's settings.
 */
#ifndef BK_CRYPT_H
#define BK_CRYPT_H

struct bk_err;
struct settings;
struct stage_type;

/* From the user's settings: *type NULL when no encryption is set; else the
 * encrypting stage, its arg (free with crypt_stage_free) and the file
 * suffix ".gpg" or ".age".  The four settings are mutually exclusive (two
 * set: BK_ECONFIG naming both).  ALLOW_ENCRYPTION is checked by the
 * caller. */
int	crypt_stage_for(const struct settings *user,
	    const struct stage_type **type, void **arg, const char **suffix,
	    struct bk_err *err);
void	crypt_stage_free(void *arg);

#endif
