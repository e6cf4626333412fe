/*
 * fuzz_notify_url.c - libFuzzer harness of the notification URL parser:
 * nurl_parse (Go net/url's rules) directly, then notify_check_url, which
 * picks the service by scheme and runs that service's own parse() - what
 * `backupctl config check` and the notifier do with NOTIFICATION_URLS.
 * Also the URL list splitter.  Nothing is sent.
 *
 * Services register the tokens they find as secrets; the registry is
 * cleared after each input so it does not grow across runs.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "notify.h"
#include "notify_int.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), why[512], red[1024];
	struct bk_err err = { 0 };
	struct nurl u;
	char **v;
	size_t i;

	memset(&u, 0, sizeof(u));
	if (nurl_parse(s, &u, &err) == 0) {
		if (u.scheme == NULL || u.host == NULL || u.path == NULL)
			abort();
		nurl_free(&u);
	} else if (err.msg[0] == '\0')
		abort();
	why[0] = '\0';
	if (notify_check_url(s, why, sizeof(why)) == -1 && why[0] == '\0')
		abort();	/* a refused URL must say why */
	secret_redact_url(s, red, sizeof(red));
	v = notify_split_urls(s);
	for (i = 0; v[i] != NULL; i++)
		(void)notify_check_url(v[i], NULL, 0);
	strv_free(v);
	secret_clear();
	free(s);
	return 0;
}
