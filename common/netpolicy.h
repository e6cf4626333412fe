/*
 * netpolicy.h - which addresses a connection made for a user may reach.
 *
 * Every connection to an endpoint a user chose (destinations, notification
 * URLs) is checked on the address actually connected, after DNS and after
 * any redirect or HTTP_CONNECT_TO mapping.  By default loopback,
 * unspecified, link-local, private, shared (CGNAT), multicast, broadcast
 * and the cloud metadata addresses are refused, in their IPv4, IPv6 and
 * IPv4-mapped/compatible/NAT64/6to4 forms, and Teredo.  The admin's OUTBOUND_ALLOW
 * lists what may be reached anyway: IPs, CIDRs, host names (whatever the
 * name resolves to at connect time), or "*" for everything.
 *
 * libc only: the libcurl glue is in http.c, the libssh2 one in
 * storage/sftp_session.c (through netpolicy_connect()).
 *
 * Threads: a struct netpolicy is read-only once made; any thread may
 * check against it.
 */
#ifndef BK_NETPOLICY_H
#define BK_NETPOLICY_H

#include <stdbool.h>
#include <sys/socket.h>

struct bk_err;
struct settings;
struct netpolicy;

/*
 * Parse an OUTBOUND_ALLOW value (NULL or "" allows nothing extra).
 * Returns NULL with err (BK_ECONFIG, naming OUTBOUND_ALLOW and the item)
 * when an item is neither an address, a CIDR nor a host name.
 */
struct netpolicy *netpolicy_new(const char *allow, struct bk_err *);
/* The policy of an admin config (NULL: the defaults).  A bad
 * OUTBOUND_ALLOW allows nothing extra and is reported by config check. */
struct netpolicy *netpolicy_from(const struct settings *admin);
void	netpolicy_free(struct netpolicy *);

/*
 * 0 if sa may be connected to.  Else -1 with err: BK_ECONFIG, not
 * retryable, naming host (may be NULL), the address, why it is refused
 * and OUTBOUND_ALLOW.
 */
int	netpolicy_check(const struct netpolicy *, const char *host,
	    const struct sockaddr *sa, socklen_t len, struct bk_err *);

/*
 * Resolve host, and connect a TCP socket to the first address the policy
 * allows, each attempt within timeout_ms.  Returns a blocking descriptor
 * (close-on-exec), or -1 with err: the refusal when every address was
 * refused, else BK_EUNREACH naming what (a setting) and host:port.
 */
int	netpolicy_connect(const struct netpolicy *, const char *what,
	    const char *host, int port, int timeout_ms, struct bk_err *);

/* The class of a refused address ("loopback", "private", ...), or NULL
 * when the default policy lets it through.  For tests and messages. */
const char *netpolicy_class(const struct sockaddr *sa);

#endif
