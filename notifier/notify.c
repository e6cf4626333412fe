/*
 * notify.c - placeholder until the notification services land (issue 9):
 * logs the event instead of sending it.
 */
#include "log.h"
#include "notify.h"

int
notify_event(const struct settings *admin, const struct settings *user,
    const struct notify_event *ev)
{
	(void)admin;
	(void)user;
	log_kv(LOG_INFO, "notification (services not built yet)",
	    "event", ev->kind == NOTIFY_SUCCEEDED ? "succeeded" : "failed",
	    "user", ev->user != NULL ? ev->user : "", (char *)NULL);
	return 0;
}
