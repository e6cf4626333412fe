/*
 * netpolicy.c - the outbound address policy for connections made for a
 * user (see netpolicy.h for what is refused and why).
 *
 * Design: the check looks at the socket address about to be connected,
 * never at a host name, so DNS rebinding (a name that resolves to a public
 * address when checked and to 127.0.0.1 when used), redirects and
 * numeric spellings (2130706433, 0x7f000001, ::ffff:127.0.0.1) all end up
 * as the same 4 or 16 bytes.  IPv4 inside IPv6 (mapped, compatible,
 * NAT64, 6to4) is unwrapped first and judged as IPv4; Teredo, whose
 * relay reaches any IPv4, is refused whole.
 *
 * Host names in OUTBOUND_ALLOW are resolved when an address would be
 * refused, with the admin's resolver: a name allows what it resolves to
 * now, which is what the admin meant by naming it.
 *
 * Invariants: a struct netpolicy is immutable after netpolicy_new(); a
 * refusal is BK_ECONFIG and never retryable (the same address would be
 * refused again).  Threads: no shared state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "netpolicy.h"
#include "settings.h"
#include "xmalloc.h"

struct net_rule {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

struct netpolicy {
	bool		 any;		/* "*": every address allowed */
	struct net_rule	*nets;
	size_t		 nnets;
	char		**names;
	size_t		 nnames;
};

/* An address reduced to what is compared: IPv4 (4 bytes) or IPv6 (16),
 * with IPv4-mapped IPv6 turned into IPv4. */
struct norm_addr {
	int		 family;
	unsigned char	 b[16];
};

/* 16 bytes of IPv6 into n, unwrapping IPv4-mapped addresses. */
static void
norm_v6(const unsigned char *b, struct norm_addr *n)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	memset(n, 0, sizeof(*n));
	if (memcmp(b, mapped, 12) == 0) {
		n->family = AF_INET;
		memcpy(n->b, b + 12, 4);
	} else {
		n->family = AF_INET6;
		memcpy(n->b, b, 16);
	}
}

static int
normalize(const struct sockaddr *sa, struct norm_addr *n)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	memset(n, 0, sizeof(*n));
	if (sa == NULL)
		return -1;
	/* Copied out, not cast: the caller's storage may be of any type. */
	if (sa->sa_family == AF_INET) {
		memcpy(&s4, sa, sizeof(s4));
		n->family = AF_INET;
		memcpy(n->b, &s4.sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	memcpy(&s6, sa, sizeof(s6));
	norm_v6(s6.sin6_addr.s6_addr, n);
	return 0;
}

static const char *
class_v4(const unsigned char *b)
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];

	if (a == 0xa9fea9feU || a == 0x646464c8U || a == 0xa83f8110U)
		return "cloud metadata";	/* .169.254, .100.200, Azure */
	if ((a >> 24) == 0)
		return "unspecified";
	if ((a >> 24) == 127)
		return "loopback";
	if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8)
		return "private";
	if ((a >> 22) == (0x64400000U >> 22))
		return "shared (100.64.0.0/10)";
	if ((a >> 16) == 0xa9fe)
		return "link-local";
	if ((a >> 8) == 0xc00000 || (a >> 17) == (0xc6120000U >> 17))
		return "reserved";
	if ((a >> 28) == 0xe)
		return "multicast";
	if (a == 0xffffffffU)
		return "broadcast";
	if ((a >> 28) == 0xf)
		return "reserved";
	return NULL;
}

static const char *
class_v6(const unsigned char *b)
{
	static const unsigned char zero[16], nat64[12] = { 0, 0x64, 0xff,
	    0x9b };
	static const unsigned char ec2[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 };

	if (memcmp(b, zero, 16) == 0)
		return "unspecified";
	if (memcmp(b, zero, 15) == 0 && b[15] == 1)
		return "loopback";
	if (memcmp(b, zero, 12) == 0)
		return "IPv4-compatible";
	if (memcmp(b, nat64, 12) == 0)
		return class_v4(b + 12);
	/* RFC 8215 local-use NAT64: a site's own translator, any IPv4
	 * (169.254.169.254, 10/8) embedded at a prefix-length-dependent
	 * place; none of it is a public address. */
	if (memcmp(b, nat64, 4) == 0 && b[4] == 0 && b[5] == 1)
		return "local-use NAT64 (64:ff9b:1::/48)";
	if (b[0] == 0x20 && b[1] == 0x02)	/* 6to4 embeds an IPv4 */
		return class_v4(b + 2);
	/* Teredo tunnels to the (obfuscated) IPv4 in its last 32 bits
	 * through a relay that will send to any of them, 10/8 included:
	 * nothing a user's destination needs, so refused whole. */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return "Teredo (2001::/32)";
	if (memcmp(b, ec2, 16) == 0)
		return "cloud metadata";
	if ((b[0] & 0xfe) == 0xfc)
		return "private (fc00::/7)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "site-local";
	if (b[0] == 0xff)
		return "multicast";
	if (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero, 6) == 0)
		return "reserved";
	return NULL;
}

const char *
netpolicy_class(const struct sockaddr *sa)
{
	struct norm_addr n;

	if (normalize(sa, &n) == -1)
		return "non-IP";
	return n.family == AF_INET ? class_v4(n.b) : class_v6(n.b);
}

static bool
rule_match(const struct net_rule *r, const struct norm_addr *n)
{
	int full = r->bits / 8, rest = r->bits % 8;
	unsigned char mask;

	if (r->family != n->family)
		return false;
	if (memcmp(r->addr, n->b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (r->addr[full] & mask) == (n->b[full] & mask);
}

/* An IP literal (brackets allowed) into a rule covering it whole. */
static int
parse_ip(const char *s, struct net_rule *r)
{
	unsigned char b[16];
	struct norm_addr n;
	char tmp[64];
	size_t len = strlen(s);

	if (len >= sizeof(tmp))
		return -1;
	if (s[0] == '[' && len > 2 && s[len - 1] == ']') {
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
	} else
		memcpy(tmp, s, len + 1);
	memset(&n, 0, sizeof(n));
	if (inet_pton(AF_INET, tmp, b) == 1) {
		n.family = AF_INET;
		memcpy(n.b, b, 4);
	} else if (inet_pton(AF_INET6, tmp, b) == 1)
		norm_v6(b, &n);
	else
		return -1;
	r->family = n.family;
	memcpy(r->addr, n.b, sizeof(r->addr));
	r->bits = n.family == AF_INET ? 32 : 128;
	return 0;
}

static bool
valid_name(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return false;
	return true;
}

static int
parse_item(struct netpolicy *np, const char *item, struct bk_err *err)
{
	struct net_rule r;
	char *copy, *slash, *end;
	long bits;
	int rc;

	if (strcmp(item, "*") == 0) {
		np->any = true;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	copy = xstrdup(item);
	if ((slash = strchr(copy, '/')) != NULL)
		*slash++ = '\0';
	rc = parse_ip(copy, &r);
	if (rc == 0 && slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		/* ::ffff:a.b.c.d/n was turned into IPv4: n counts 96 less. */
		if (r.family == AF_INET && strchr(copy, ':') != NULL)
			bits -= 96;
		if (errno != 0 || end == slash || *end != '\0' || bits < 0 ||
		    bits > (r.family == AF_INET ? 32 : 128))
			rc = -1;
		else
			r.bits = (int)bits;
	}
	if (rc == 0) {
		np->nets = xreallocarray(np->nets, np->nnets + 1,
		    sizeof(*np->nets));
		np->nets[np->nnets++] = r;
	} else if (slash == NULL && valid_name(copy)) {
		np->names = xreallocarray(np->names, np->nnames + 1,
		    sizeof(*np->names));
		np->names[np->nnames++] = xstrdup(copy);
		rc = 0;
	}
	free(copy);
	if (rc == -1)
		return bk_err_set(err, BK_ECONFIG, "OUTBOUND_ALLOW: \"%s\": "
		    "not an address, a CIDR range or a host name", item);
	return 0;
}

struct netpolicy *
netpolicy_new(const char *allow, struct bk_err *err)
{
	struct netpolicy *np = xcalloc(1, sizeof(*np));
	char **items;
	size_t i;

	if (allow == NULL || *allow == '\0')
		return np;
	items = split_list(allow, NULL);
	for (i = 0; items[i] != NULL; i++)
		if (parse_item(np, items[i], err) == -1) {
			strv_free(items);
			netpolicy_free(np);
			return NULL;
		}
	strv_free(items);
	return np;
}

struct netpolicy *
netpolicy_from(const struct settings *admin)
{
	struct netpolicy *np;

	np = netpolicy_new(admin != NULL ? settings_get(admin,
	    "OUTBOUND_ALLOW") : NULL, NULL);
	return np != NULL ? np : netpolicy_new(NULL, NULL);
}

void
netpolicy_free(struct netpolicy *np)
{
	size_t i;

	if (np == NULL)
		return;
	for (i = 0; i < np->nnames; i++)
		free(np->names[i]);
	free(np->names);
	free(np->nets);
	free(np);
}

/* Does the allow-listed name resolve to n (now)? */
static bool
name_has(const char *name, const struct norm_addr *n)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct norm_addr m;
	bool found = false;
	size_t len = strlen(name);

	/* libcurl answers "localhost" and "*.localhost" itself, with both
	 * 127.0.0.1 and ::1, whatever /etc/hosts says: so does this. */
	if (strcasecmp(name, "localhost") == 0 || (len > 10 &&
	    strcasecmp(name + len - 10, ".localhost") == 0)) {
		const char *c = n->family == AF_INET ? class_v4(n->b) :
		    class_v6(n->b);

		return c != NULL && strcmp(c, "loopback") == 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai != NULL && !found; ai = ai->ai_next)
		if (normalize(ai->ai_addr, &m) == 0 && m.family == n->family &&
		    memcmp(m.b, n->b, m.family == AF_INET ? 4 : 16) == 0)
			found = true;
	freeaddrinfo(res);
	return found;
}

static void
addr_text(const struct sockaddr *sa, char *dst, size_t size)
{
	const void *a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else {
		snprintf(dst, size, "family %d", sa->sa_family);
		return;
	}
	if (inet_ntop(sa->sa_family, a, dst, (socklen_t)size) == NULL)
		snprintf(dst, size, "?");
}

int
netpolicy_check(const struct netpolicy *np, const char *host,
    const struct sockaddr *sa, socklen_t len, struct bk_err *err)
{
	struct norm_addr n;
	const char *cls;
	char at[INET6_ADDRSTRLEN + 16];
	size_t i;
	bool ip;

	(void)len;
	ip = normalize(sa, &n) == 0;
	if (!ip)
		cls = "non-IP";
	else if ((cls = n.family == AF_INET ? class_v4(n.b) :
	    class_v6(n.b)) == NULL)
		return 0;
	if (np != NULL && np->any)
		return 0;
	for (i = 0; np != NULL && ip && i < np->nnets; i++)
		if (rule_match(&np->nets[i], &n))
			return 0;
	for (i = 0; np != NULL && ip && i < np->nnames; i++)
		if ((host != NULL && strcasecmp(host, np->names[i]) == 0) ||
		    name_has(np->names[i], &n))
			return 0;
	addr_text(sa, at, sizeof(at));
	bk_err_set(err, BK_ECONFIG, "%s%saddress %s refused (%s): "
	    "connections for users may not reach it unless the admin allows "
	    "it in OUTBOUND_ALLOW", host != NULL ? host : "",
	    host != NULL ? ": " : "", at, cls);
	if (err != NULL)
		err->retryable = false;
	return -1;
}

/* Connect fd to ai within timeout_ms; 0, or -1 with errno. */
static int
connect_within(int fd, const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET,
	    SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
		return 0;
	errno = soerr != 0 ? soerr : ETIMEDOUT;
	return -1;
}

int
netpolicy_connect(const struct netpolicy *np, const char *what,
    const char *host, int port, int timeout_ms, struct bk_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct bk_err refusal;
	bool refused = false, tried = false;
	char ports[16];
	int fd = -1, rc, soerr = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ports, sizeof(ports), "%d", port);
	if ((rc = getaddrinfo(host, ports, &hints, &res)) != 0)
		return bk_err_set(err, BK_EUNREACH, "%s: %s: %s", what, host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* Checked before the socket exists: nothing is sent. */
		if (netpolicy_check(np, host, ai->ai_addr, ai->ai_addrlen,
		    refused ? NULL : &refusal) == -1) {
			refused = true;
			continue;
		}
		tried = true;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect_within(fd, ai, timeout_ms) == 0)
			break;
		soerr = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1 && refused && !tried) {
		bk_err_prefix(&refusal, "%s", what);
		if (err != NULL)
			*err = refusal;
		return -1;
	}
	if (fd == -1) {
		errno = soerr;
		return bk_err_sys(err, BK_EUNREACH, "%s:%d: cannot connect",
		    host, port);
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
