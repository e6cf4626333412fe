/* TEMPORARY (lead): weak stand-ins until worker/stage_crypt.c lands. */
#include <stddef.h>

#include "crypt.h"
#include "err.h"
#include "settings.h"

__attribute__((weak)) int
crypt_stage_for(const struct settings *user, const struct stage_type **type,
    void **arg, const char **suffix, struct bk_err *err)
{
	*type = NULL;
	*arg = NULL;
	*suffix = "";
	if (settings_is_set(user, "GPG_PASSPHRASE") ||
	    settings_is_set(user, "AGE_PASSPHRASE") ||
	    settings_is_set(user, "GPG_PUBLIC_KEY_RING") ||
	    settings_is_set(user, "AGE_PUBLIC_KEYS"))
		return bk_err_set(err, BK_ENOTSUP, "encryption not built yet");
	return 0;
}

__attribute__((weak)) void
crypt_stage_free(void *arg)
{
	(void)arg;
}
