/*
 * test_netpolicy.c - the outbound policy's address classes and the
 * OUTBOUND_ALLOW parser (common/netpolicy.c), without any network: every
 * check is on a socket address built here.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "netpolicy.h"
#include "tap.h"

/* A socket address for an IPv4 or IPv6 literal. */
static socklen_t
addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) != 1)
		abort();
	s6->sin6_family = AF_INET6;
	return sizeof(*s6);
}

static int
check(const struct netpolicy *np, const char *a, struct bk_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(a, &ss);

	return netpolicy_check(np, NULL, (struct sockaddr *)&ss, len, err);
}

static void
test_defaults(void)
{
	static const char *const refused[] = { "127.0.0.1", "127.255.0.9",
	    "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255",
	    "192.168.1.1", "100.64.0.1", "100.100.100.200", "169.254.169.254",
	    "169.254.1.1", "168.63.129.16", "224.0.0.1", "239.1.1.1",
	    "255.255.255.255", "240.0.0.1", "::1", "::", "::ffff:127.0.0.1",
	    "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1",
	    "64:ff9b::7f00:1", "2002:7f00:1::1", "fe80::1", "febf::1",
	    "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1",
	    "64:ff9b:1::a9fe:a9fe", "64:ff9b:1:a9fe:a9:fe00::",
	    "2001:0:4136:e378:8000:63bf:f5ff:fffe" };
	static const char *const allowed[] = { "8.8.8.8", "1.1.1.1",
	    "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
	    "169.253.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8",
	    "64:ff9b::808:808", "2002:808:808::1" };
	struct netpolicy *np = netpolicy_new(NULL, NULL);
	struct bk_err err = { 0 };
	size_t i, bad = 0;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (check(np, refused[i], &err) != -1) {
			printf("# not refused: %s\n", refused[i]);
			bad++;
		}
	ok(bad == 0, "the default policy refuses all %zu loopback, private, "
	    "link-local, metadata, multicast and wrapped forms",
	    sizeof(refused) / sizeof(refused[0]));
	bad = 0;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (check(np, allowed[i], &err) != 0) {
			printf("# refused: %s: %s\n", allowed[i], err.msg);
			bad++;
		}
	ok(bad == 0, "and lets %zu public addresses through, neighbours of "
	    "the ranges included", sizeof(allowed) / sizeof(allowed[0]));
	check(np, "169.254.169.254", &err);
	ok(err.code == BK_ECONFIG && !err.retryable && strstr(err.msg,
	    "169.254.169.254") && strstr(err.msg, "cloud metadata") &&
	    strstr(err.msg, "OUTBOUND_ALLOW"), "a refusal is a config error, "
	    "not retried, naming the address, its class and the setting: %s",
	    err.msg);
	netpolicy_free(np);
}

static void
test_allow(void)
{
	struct bk_err err = { 0 };
	struct netpolicy *np;

	np = netpolicy_new("127.0.0.1, 10.0.0.0/8,[fd00::5],::ffff:192.168.0.0/"
	    "112,backup.internal", &err);
	ok(np != NULL, "OUTBOUND_ALLOW takes IPs, CIDRs, brackets, mapped "
	    "CIDRs and names (%s)", np == NULL ? err.msg : "");
	ok(check(np, "127.0.0.1", &err) == 0 && check(np, "::ffff:127.0.0.1",
	    &err) == 0, "an allowed IPv4 is allowed in its mapped form too");
	ok(check(np, "127.0.0.2", &err) == -1, "but not its neighbour");
	ok(check(np, "10.200.3.4", &err) == 0 && check(np, "11.0.0.1", &err) ==
	    0 && check(np, "172.16.0.1", &err) == -1, "a CIDR allows its "
	    "range only");
	ok(check(np, "fd00::5", &err) == 0 && check(np, "fd00::6", &err) ==
	    -1, "an IPv6 literal in brackets");
	ok(check(np, "192.168.7.7", &err) == 0 && check(np, "192.169.0.1",
	    &err) == 0, "a ::ffff:a.b.c.d/112 range is the IPv4 /16");
	netpolicy_free(np);
	np = netpolicy_new("localhost", &err);
	ok(np != NULL && check(np, "::1", &err) == 0 && check(np, "127.0.0.1",
	    &err) == 0 && check(np, "10.0.0.1", &err) == -1, "a name allows "
	    "what it resolves to (localhost: 127.0.0.1 and ::1, as libcurl "
	    "resolves it), nothing else");
	netpolicy_free(np);

	np = netpolicy_new("*", &err);
	ok(np != NULL && check(np, "169.254.169.254", &err) == 0, "\"*\" "
	    "allows everything");
	netpolicy_free(np);
	ok(netpolicy_new("10.0.0.0/33", &err) == NULL && strstr(err.msg,
	    "OUTBOUND_ALLOW") && strstr(err.msg, "10.0.0.0/33"),
	    "a bad prefix length is an error naming the setting: %s", err.msg);
	ok(netpolicy_new("exa mple", &err) == NULL, "so is a bad name");
}

int
main(void)
{
	test_defaults();
	test_allow();
	return tap_done();
}
