/* SPDX-License-Identifier: ISC */
/* policy/policy_peer: every row of the built-in tables (docs/security.md,
 * Peer deny list), in the order of the steps listed in src/policy/policy.h. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "util/addr.h"
#include "tap.h"

#define A	POLICY_ALLOW
#define AR	POLICY_ALLOW_RULE
#define AY	POLICY_ALLOW_RELAY
#define DH	POLICY_DENY_HARD
#define DS	POLICY_DENY_SELF
#define DL	POLICY_DENY_LOOPBACK
#define DM	POLICY_DENY_MULTICAST
#define DN	POLICY_DENY_NAT64
#define DR	POLICY_DENY_RULE
#define DD	POLICY_DENY_DEFAULT
#define DHO	POLICY_DENY_HOST

struct row {
	const char *ip;
	enum policy_verdict want;
};

static enum policy_verdict
judge(const struct policy_peer *p, const char *ip, uint16_t port,
    const char *own)
{
	struct addr a, o;

	if (addr_parse_ip(&a, ip, port) == -1)
		abort();
	if (own != NULL && addr_parse(&o, own, 0) == -1)
		abort();
	return policy_peer_check(p, &a, own != NULL ? &o : NULL);
}

static void
expect(const struct policy_peer *p, const char *what, const char *ip,
    uint16_t port, const char *own, enum policy_verdict want)
{
	enum policy_verdict got = judge(p, ip, port, own);

	if (!ok(got == want, "%s: %s port %u -> %s", what, ip, port,
	    policy_verdict_name(want)))
		diag("got %s", policy_verdict_name(got));
}

static void
rows(const struct policy_peer *p, const char *what, const struct row *r,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		expect(p, what, r[i].ip, 80, NULL, r[i].want);
}

/* Parses a NULL-terminated list into out (capacity 16). */
static size_t
ranges(const char *const *s, struct policy_range *out)
{
	size_t n = 0;

	while (s != NULL && s[n] != NULL) {
		if (n == 16 || policy_range_parse(s[n], &out[n], NULL) == -1)
			abort();
		n++;
	}
	return n;
}

static struct policy_peer *
mk(const char *const *allow, const char *const *deny, bool lo, bool mc,
    bool n64)
{
	struct policy_range ar[16], dr[16];
	struct policy_peer_opts o;
	struct policy_peer *p;
	const char *why = NULL;

	memset(&o, 0, sizeof(o));
	o.allow = ar;
	o.nallow = ranges(allow, ar);
	o.deny = dr;
	o.ndeny = ranges(deny, dr);
	o.allow_loopback = lo;
	o.allow_multicast = mc;
	o.allow_nat64 = n64;
	if ((p = policy_peer_new(&o, &why)) == NULL) {
		diag("policy_peer_new: %s", why ? why : "?");
		abort();
	}
	return p;
}

/* IPv4: inside and just outside every row, and the peers every TURN
 * server must refuse by default. */
static const struct row v4_rows[] = {
	{ "0.0.0.0", DH }, { "0.255.255.255", DH }, { "1.0.0.0", A },
	{ "10.0.0.1", DD }, { "10.255.255.255", DD }, { "9.255.255.255", A },
	{ "11.0.0.0", A },
	{ "100.64.0.1", DD }, { "100.127.255.255", DD },
	{ "100.63.255.255", A }, { "100.128.0.0", A },
	{ "100.100.100.200", DH }, { "100.100.100.201", DD },
	{ "127.0.0.1", DL }, { "127.255.255.254", DL },
	{ "126.255.255.255", A }, { "128.0.0.0", A },
	{ "169.254.0.0", DH }, { "169.254.0.1", DH },
	{ "169.254.255.255", DH }, { "169.254.1.1", DH },
	{ "169.254.168.255", DH }, { "169.254.171.0", DH },
	{ "169.254.169.254", DH }, { "169.254.169.253", DH },
	{ "169.254.169.123", DH }, { "169.254.170.2", DH },
	{ "169.254.170.23", DH },
	{ "169.253.255.255", A }, { "169.255.0.0", A },
	{ "172.16.0.1", DD }, { "172.31.255.255", DD },
	{ "172.15.255.255", A }, { "172.32.0.0", A },
	{ "192.0.0.0", DD }, { "192.0.0.9", DD }, { "192.0.0.10", DD },
	{ "192.0.0.170", DD }, { "192.0.0.192", DH }, { "192.0.1.0", A },
	{ "191.255.255.255", A },
	{ "192.0.2.1", DD }, { "192.0.3.0", A },
	{ "192.31.196.1", DD }, { "192.31.197.0", A },
	{ "192.52.193.1", DD }, { "192.52.194.0", A },
	{ "192.88.99.2", DD }, { "192.88.100.0", A },
	{ "192.168.1.1", DD }, { "192.167.255.255", A }, { "192.169.0.0", A },
	{ "192.175.48.1", DD }, { "192.175.49.0", A },
	{ "198.18.0.1", DD }, { "198.19.255.255", DD },
	{ "198.17.255.255", A }, { "198.20.0.0", A },
	{ "198.51.100.1", DD }, { "198.51.101.0", A },
	{ "203.0.113.1", DD }, { "203.0.114.0", A }, { "203.0.112.255", A },
	{ "224.0.0.1", DM }, { "239.255.255.255", DM },
	{ "223.255.255.255", A },
	{ "240.0.0.1", DH }, { "255.255.255.254", DH },
	{ "255.255.255.255", DH },
	{ "168.63.129.16", DH }, { "168.63.129.17", A },
	{ "1.1.1.1", A }, { "8.8.4.4", A },
};

/* IPv6, and every IPv4-in-IPv6 wrapper. */
static const struct row v6_rows[] = {
	{ "::", DH }, { "::1", DL }, { "::2", DH },
	{ "::ffff:127.0.0.1", DL }, { "::ffff:10.0.0.1", DD },
	{ "::ffff:169.254.169.254", DH }, { "::ffff:1.1.1.1", A },
	{ "::ffff:0.0.0.0", DH },
	{ "::127.0.0.1", DH }, { "::1.1.1.1", DH }, { "::255.255.255.255", DH },
	{ "::1:0:0:0", DD },
	{ "::ffff:0:127.0.0.1", DH }, { "::ffff:0:1.1.1.1", DH },
	{ "64:ff9b::7f00:1", DN }, { "64:ff9b::a9fe:a9fe", DH },
	{ "64:ff9b::101:101", DN }, { "64:ff9b:1::101:101", DN },
	{ "64:ff9b:2::1", DD },
	{ "100::1", DH }, { "100:0:0:1::1", DH }, { "100:0:0:2::1", DD },
	{ "2001::1", DH }, { "2001:0:4136:e378:8000:63bf:80ff:fffe", DH },
	{ "2001:1::1", DD }, { "2001:1ff:ffff::1", DD }, { "2001:200::1", A },
	{ "2001:db8::1", DD }, { "2001:db7:ffff::1", A }, { "2001:db9::1", A },
	{ "2002:7f00:1::1", DH }, { "2002::1", DH }, { "2003::1", A },
	{ "2001:ffff::1", A },
	{ "2620:4f:8000::1", DD }, { "2620:4f:8001::1", A },
	{ "2620:4f:7fff::1", A },
	{ "3fff::1", DD }, { "3fff:fff::1", DD }, { "3fff:1000::1", A },
	{ "5f00::1", DH }, { "5eff::1", DD }, { "5f01::1", DD },
	{ "fc00::1", DD }, { "fdff::1", DD }, { "fd00:ec2::254", DH },
	{ "fd00:ec2::253", DH }, { "fd00:ec2::123", DH },
	{ "fd00:ec2::23", DH }, { "fd00:ec3::254", DD },
	{ "fd20:ce::254", DH }, { "fd20:ce::1", DH },
	{ "fd20:ce:ffff:ffff:ffff:ffff:ffff:ffff", DH },
	{ "fd20:cd:ffff:ffff:ffff:ffff:ffff:ffff", DD }, { "fd20:cf::", DD },
	{ "64:ff9b::a9fe:101", DH },
	{ "fe80::1", DH }, { "febf:ffff::1", DH }, { "fe7f::1", DD },
	{ "fec0::1", DD }, { "ff02::1", DM }, { "ff00::", DM },
	{ "1fff:ffff::1", DD }, { "4000::1", DD }, { "8000::1", DD },
	{ "2000::1", A }, { "3fff:ffff::1", A }, { "2606:4700::1111", A },
};

static void
test_defaults(void)
{
	static const char *const refused[] = {
		"127.0.0.1", "0.0.0.0", "10.0.0.1", "100.64.0.1",
		"169.254.169.254", "192.168.1.1", "224.0.0.1",
		"255.255.255.255", "100.100.100.200", "168.63.129.16", "::1",
		"::", "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1",
		"64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
		"2001:0:4136:e378:8000:63bf:80ff:fffe", "fd00:ec2::254",
		"fe80::1", "ff02::1", "::ffff:169.254.169.254",
	};
	struct policy_peer *p = mk(NULL, NULL, false, false, false);
	size_t i;

	rows(p, "default", v4_rows, sizeof(v4_rows) / sizeof(v4_rows[0]));
	rows(p, "default", v6_rows, sizeof(v6_rows) / sizeof(v6_rows[0]));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ok(!policy_verdict_is_allowed(judge(p, refused[i], 80, NULL)),
		    "peer %s denied by default", refused[i]);
	expect(p, "port-blind", "10.0.0.1", 0, NULL, DD);
	expect(p, "port-blind", "1.1.1.1", 65535, NULL, A);
	policy_peer_free(p);
}

static void
test_allow_rules(void)
{
	static const char *const allow[] = {
		"10.0.0.0/8", "169.254.0.0/16", "fc00::/7", "127.0.0.0/8",
		"224.0.0.0/4", "64:ff9b::/96", "2002::/16", "2001::/32",
		"0.0.0.0/8", "192.0.0.192", "2001:db8::/32",
		"::ffff:192.168.0.0/112", NULL
	};
	static const struct row r[] = {
		{ "10.0.0.1", AR }, { "::ffff:10.0.0.1", AR },
		{ "169.254.1.1", DH }, { "169.254.169.254", DH },
		{ "::ffff:169.254.1.1", DH }, { "fd20:ce::1", DH },
		{ "fd20:ce::254", DH }, { "fd20:cf::1", AR },
		{ "169.254.170.2", DH }, { "::ffff:169.254.169.254", DH },
		{ "fd12::1", AR }, { "fd00:ec2::254", DH }, { "fec0::1", DD },
		{ "127.0.0.1", DL }, { "::ffff:127.0.0.1", DL },
		{ "224.0.0.1", DM }, { "64:ff9b::101:101", DN },
		{ "2002:101:101::1", DH }, { "2001::1", DH }, { "0.0.0.1", DH },
		{ "192.0.0.192", DH }, { "192.0.0.10", DD },
		{ "2001:db8::1", AR }, { "192.168.3.4", AR },
		{ "192.169.3.4", A }, { "1.1.1.1", A },
	};
	struct policy_peer *p = mk(allow, NULL, false, false, false);

	rows(p, "allow rules", r, sizeof(r) / sizeof(r[0]));
	policy_peer_free(p);
}

static void
test_everything_allowed(void)
{
	static const char *const allow[] = { "0.0.0.0/0", "::/0", NULL };
	static const struct row r[] = {
		{ "10.0.0.1", AR }, { "fc00::1", AR }, { "1.1.1.1", AR },
		{ "127.0.0.1", DL }, { "::1", DL }, { "ff02::1", DM },
		{ "0.0.0.0", DH }, { "::", DH }, { "2001::1", DH },
		{ "169.254.169.254", DH }, { "255.255.255.255", DH },
		{ "169.254.1.1", DH }, { "fd20:ce::1", DH },
		{ "fe80::1", DH }, { "::127.0.0.1", DH },
		{ "64:ff9b::a00:1", DN },
	};
	struct policy_peer *p = mk(allow, NULL, false, false, false);

	rows(p, "allow all", r, sizeof(r) / sizeof(r[0]));
	policy_peer_free(p);
}

static void
test_flags(void)
{
	static const char *const deny[] = { "127.0.0.2/32", NULL };
	static const char *const allow[] = { "10.0.0.0/8", NULL };
	static const struct row lo[] = {
		{ "127.0.0.1", A }, { "::1", A }, { "::ffff:127.0.0.1", A },
		{ "127.0.0.2", DR }, { "0.0.0.0", DH }, { "::", DH },
		{ "::127.0.0.1", DH }, { "2002:7f00:1::1", DH },
		{ "2001:0:4136:e378:8000:63bf:80ff:fffe", DH },
		{ "64:ff9b::7f00:1", DN }, { "224.0.0.1", DM },
		{ "10.0.0.1", DD },
	};
	static const struct row mc[] = {
		{ "224.0.0.1", A }, { "239.255.255.250", A }, { "ff02::1", A },
		{ "255.255.255.255", DH }, { "127.0.0.1", DL },
		{ "::ffff:224.0.0.251", A },
	};
	static const struct row n64[] = {
		{ "64:ff9b::101:101", A }, { "64:ff9b::7f00:1", DL },
		{ "64:ff9b::a9fe:a9fe", DH }, { "64:ff9b::a00:1", AR },
		{ "64:ff9b::c0a8:101", DD }, { "64:ff9b:1::101:101", A },
		{ "64:ff9b:1:a00:1:c0a8:101:101", A },
		{ "64:ff9b:1:7f00:0:100::", DL },
		{ "64:ff9b:1:a9fe:a9:fe00::", DH },
		{ "64:ff9b:1:101:1:100::", A },
		{ "64:ff9b:1:ffff::a00:1", AR },
		{ "64:ff9b:1::", DH },
	};
	struct policy_peer *p;

	p = mk(NULL, deny, true, false, false);
	rows(p, "allow_loopback", lo, sizeof(lo) / sizeof(lo[0]));
	policy_peer_free(p);
	p = mk(NULL, NULL, false, true, false);
	rows(p, "allow_multicast", mc, sizeof(mc) / sizeof(mc[0]));
	policy_peer_free(p);
	p = mk(allow, NULL, false, false, true);
	rows(p, "allow_nat64", n64, sizeof(n64) / sizeof(n64[0]));
	policy_peer_free(p);
}

static void
test_specificity(void)
{
	static const char *const allow[] = {
		"10.0.0.0/8", "10.1.2.0/24", "2001:db8::/32", "192.0.2.5",
		"172.16.0.0-172.16.0.255", NULL
	};
	static const char *const deny[] = {
		"10.1.0.0/16", "2001:db8:bad::/48", "1.0.0.0/8",
		"192.0.2.5/32", "172.16.0.0/24", "203.0.113.0/24", NULL
	};
	static const struct row r[] = {
		{ "10.0.0.1", AR }, { "10.1.0.1", DR }, { "10.1.2.3", AR },
		{ "10.1.3.3", DR }, { "::ffff:10.1.0.1", DR },
		{ "2001:db8::1", AR }, { "2001:db8:bad::1", DR },
		{ "1.1.1.1", DR }, { "2.2.2.2", A },
		{ "192.0.2.5", DR }, { "192.0.2.6", DD },
		{ "172.16.0.9", DR }, { "172.16.1.9", DD },
		{ "203.0.113.1", DR },
		{ "64:ff9b::a01:1", DN },
		{ "169.254.169.254", DH },
	};
	struct policy_peer *p = mk(allow, deny, false, false, false);

	rows(p, "specificity", r, sizeof(r) / sizeof(r[0]));
	policy_peer_free(p);
	/* The same with the lists given the other way round in time. */
	p = mk(deny, allow, false, false, false);
	expect(p, "tie, swapped", "192.0.2.5", 80, NULL, DR);
	expect(p, "tie, swapped", "172.16.0.9", 80, NULL, DR);
	expect(p, "swapped", "10.1.0.1", 80, NULL, AR);
	policy_peer_free(p);
}

/* Builds a policy with self endpoints and relay IPs from strings. */
static struct policy_peer *
mk_net(const char *const *allow, const char *const *self,
    const char *const *relay, uint16_t lo, uint16_t hi, bool lb,
    const char **why)
{
	struct addr sa[16], ra[16];
	struct policy_range ar[16];
	struct policy_peer_opts o;
	size_t n;

	memset(&o, 0, sizeof(o));
	o.allow = ar;
	o.nallow = ranges(allow, ar);
	for (n = 0; self != NULL && self[n] != NULL; n++)
		if (n == 16 || addr_parse(&sa[n], self[n], 0) == -1)
			abort();
	o.self = sa;
	o.nself = n;
	for (n = 0; relay != NULL && relay[n] != NULL; n++)
		if (n == 16 || addr_parse_ip(&ra[n], relay[n], 0) == -1)
			abort();
	o.relay = ra;
	o.nrelay = n;
	o.relay_port_min = lo;
	o.relay_port_max = hi;
	o.allow_loopback = lb;
	return policy_peer_new(&o, why);
}

static void
test_self(void)
{
	static const char *const allow[] = {
		"203.0.113.0/24", "2001:db8::/32", "10.0.0.0/8", NULL
	};
	static const char *const self[] = {
		"203.0.113.10:3478", "203.0.113.10:5349", "127.0.0.1:9641",
		"[2001:db8::10]:3478", "10.0.0.5:6379", "198.51.100.255:0",
		"1.2.3.4:3478", "[::ffff:1.2.3.5]:3478", NULL
	};
	static const char *const wild4[] = { "0.0.0.0:3478", NULL };
	static const char *const wild6[] = { "[::]:3478", NULL };
	struct policy_peer *p;
	const char *why = NULL;

	p = mk_net(allow, self, NULL, 0, 0, true, &why);
	if (!ok(p != NULL, "policy with self entries"))
		return;
	expect(p, "self", "203.0.113.10", 3478, NULL, DS);
	expect(p, "self", "203.0.113.10", 3479, NULL, AR);
	expect(p, "self", "203.0.113.10", 5349, NULL, DS);
	expect(p, "self", "203.0.113.11", 3478, NULL, AR);
	expect(p, "self beats allow_loopback", "127.0.0.1", 9641, NULL, DS);
	expect(p, "self", "::ffff:127.0.0.1", 9641, NULL, DS);
	expect(p, "self", "127.0.0.1", 9642, NULL, A);
	expect(p, "self", "2001:db8::10", 3478, NULL, DS);
	expect(p, "self", "2001:db8::10", 3479, NULL, AR);
	expect(p, "self redis", "10.0.0.5", 6379, NULL, DS);
	expect(p, "self redis", "10.0.0.5", 6380, NULL, AR);
	expect(p, "self every port", "198.51.100.255", 1, NULL, DS);
	expect(p, "self every port", "198.51.100.255", 65535, NULL, DS);
	expect(p, "self every port", "198.51.100.254", 1, NULL, DD);
	expect(p, "self external", "1.2.3.4", 3478, NULL, DS);
	expect(p, "self external", "1.2.3.4", 3479, NULL, A);
	expect(p, "self via NAT64", "64:ff9b::102:304", 3478, NULL, DS);
	expect(p, "self mapped", "1.2.3.5", 3478, NULL, DS);
	expect(p, "self mapped", "1.2.3.5", 3477, NULL, A);
	policy_peer_free(p);
	why = NULL;
	ok(mk_net(NULL, wild4, NULL, 0, 0, false, &why) == NULL && why != NULL,
	    "wildcard IPv4 self entry refused (%s)", why ? why : "");
	why = NULL;
	ok(mk_net(NULL, wild6, NULL, 0, 0, false, &why) == NULL && why != NULL,
	    "wildcard IPv6 self entry refused (%s)", why ? why : "");
}

static void
test_relay(void)
{
	static const char *const relay[] = {
		"192.0.2.1", "1.1.1.1", "2001:db8::7", "127.0.0.1",
		"::ffff:10.9.9.9", NULL
	};
	static const char *const self[] = { "192.0.2.1:50001", NULL };
	struct policy_peer *p;
	const char *why = NULL;

	p = mk_net(NULL, self, relay, 49152, 65535, false, &why);
	if (!ok(p != NULL, "policy with relay IPs"))
		return;
	expect(p, "relay", "192.0.2.1", 50000, NULL, AY);
	expect(p, "relay", "192.0.2.1", 50000, "192.0.2.1:50002", AY);
	expect(p, "relay own", "192.0.2.1", 50000, "192.0.2.1:50000", DS);
	expect(p, "relay own mapped", "::ffff:192.0.2.1", 50000,
	    "192.0.2.1:50000", DS);
	expect(p, "relay own, mapped own", "192.0.2.1", 50000,
	    "[::ffff:192.0.2.1]:50000", DS);
	expect(p, "relay", "192.0.2.1", 49152, NULL, AY);
	expect(p, "relay", "192.0.2.1", 65535, NULL, AY);
	expect(p, "relay below range", "192.0.2.1", 49151, NULL, DD);
	expect(p, "relay listener port", "192.0.2.1", 3478, NULL, DD);
	expect(p, "relay, self entry wins", "192.0.2.1", 50001, NULL, DS);
	expect(p, "not a relay IP", "192.0.2.2", 50000, NULL, DD);
	expect(p, "relay mapped", "::ffff:192.0.2.1", 50000, NULL, AY);
	expect(p, "relay v6", "2001:db8::7", 60000, NULL, AY);
	expect(p, "relay v6 own", "2001:db8::7", 60000, "[2001:db8::7]:60000",
	    DS);
	expect(p, "relay v6 other", "2001:db8::8", 60000, NULL, DD);
	expect(p, "relay public own", "1.1.1.1", 50000, "1.1.1.1:50000", DS);
	expect(p, "relay public other", "1.1.1.1", 50001, "1.1.1.1:50000", AY);
	expect(p, "public, own relay elsewhere", "1.1.1.2", 50000,
	    "1.1.1.1:50000", A);
	expect(p, "relay on loopback (test setups)", "127.0.0.1", 50000, NULL,
	    AY);
	expect(p, "loopback outside relay range", "127.0.0.1", 22, NULL, DL);
	expect(p, "relay given mapped", "10.9.9.9", 50000, NULL, AY);
	expect(p, "wrapped relay IP is not a relay", "64:ff9b::c000:201", 50000,
	    NULL, DN);
	policy_peer_free(p);

	p = mk_net(NULL, NULL, relay, 0, 0, false, &why);
	if (ok(p != NULL, "relay IPs without a port range")) {
		expect(p, "no relay range", "192.0.2.1", 50000, NULL, DD);
		expect(p, "own relay still refused", "1.1.1.1", 50000,
		    "1.1.1.1:50000", DS);
		policy_peer_free(p);
	}
	why = NULL;
	ok(mk_net(NULL, NULL, relay, 60000, 50000, false, &why) == NULL &&
	    why != NULL, "relay range min > max refused (%s)", why ? why : "");
}

/* What a host-address policy is built from (NULL-terminated lists). */
struct host_spec {
	const char *const *allow, *const *self, *const *relay, *const *host;
	uint16_t lo, hi;
	bool n64;
};

static size_t
addrs(const char *const *s, struct addr *out, bool with_port)
{
	size_t n;

	for (n = 0; s != NULL && s[n] != NULL; n++)
		if (n == 16 || (with_port ? addr_parse(&out[n], s[n], 0) :
		    addr_parse_ip(&out[n], s[n], 0)) == -1)
			abort();
	return n;
}

static struct policy_peer *
mk_host(const struct host_spec *h, const char **why)
{
	struct addr sa[16], ra[16], ha[16];
	struct policy_range ar[16];
	struct policy_peer_opts o;

	memset(&o, 0, sizeof(o));
	o.allow = ar;
	o.nallow = ranges(h->allow, ar);
	o.self = sa;
	o.nself = addrs(h->self, sa, true);
	o.relay = ra;
	o.nrelay = addrs(h->relay, ra, false);
	o.host = ha;
	o.nhost = addrs(h->host, ha, false);
	o.relay_port_min = h->lo;
	o.relay_port_max = h->hi;
	o.allow_nat64 = h->n64;
	return policy_peer_new(&o, why);
}

/* Judges ip:port with policy_perm_check() (the port must not matter). */
static void
expect_perm(const struct policy_peer *p, const char *what, const char *ip,
    uint16_t port, enum policy_verdict want)
{
	enum policy_verdict got;
	struct addr a;

	if (addr_parse_ip(&a, ip, port) == -1)
		abort();
	got = policy_perm_check(p, &a);
	if (!ok(got == want, "permission %s: %s port %u -> %s", what, ip, port,
	    policy_verdict_name(want)))
		diag("got %s", policy_verdict_name(got));
}

static void
expect_host(const struct policy_peer *p, const char *ip, uint16_t port,
    enum policy_verdict want)
{
	enum policy_verdict got;
	struct addr a;

	if (addr_parse_ip(&a, ip, port) == -1)
		abort();
	got = policy_host_check(p, &a);
	if (!ok(got == want, "host check: %s port %u -> %s", ip, port,
	    policy_verdict_name(want)))
		diag("got %s", policy_verdict_name(got));
}

/* The host's own addresses: the relay ports only, whatever the rules. */
static const char *const h_allow[] = {
	"1.2.3.0/24", "2606:4700::/32", "10.0.0.0/8", "5.6.7.0/24", NULL
};
static const char *const h_relay[] = { "1.2.3.4", "2606:4700::10", NULL };
static const char *const h_host[] = {
	"2606:4700::10", "1.2.3.4", "10.0.0.5", "::ffff:5.6.7.8", "0.0.0.0",
	"::", "1.2.3.4", "127.0.0.1", "9.9.9.9", NULL
};

static void
test_host_ports(const struct policy_peer *p)
{
	static const uint16_t bad[] = { 53, 161, 11211, 3478, 1, 49151, 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect(p, "host, allowed by rule", "1.2.3.4", bad[i], NULL,
		    DHO);
		expect(p, "host, mapped", "::ffff:1.2.3.4", bad[i], NULL, DHO);
		expect(p, "host, NAT64", "64:ff9b::102:304", bad[i], NULL,
		    DHO);
		expect(p, "host v6", "2606:4700::10", bad[i], NULL, DHO);
		expect(p, "host, private", "10.0.0.5", bad[i], NULL, DHO);
		expect(p, "host given mapped", "5.6.7.8", bad[i], NULL, DHO);
		expect(p, "host, no rule needed", "9.9.9.9", bad[i], NULL, DHO);
		expect(p, "neighbour of a host", "1.2.3.5", bad[i], NULL, AR);
		expect(p, "neighbour of a v6 host", "2606:4700::11", bad[i],
		    NULL, AR);
		expect_host(p, "1.2.3.4", bad[i], DHO);
		expect_host(p, "::ffff:1.2.3.4", bad[i], DHO);
		expect_host(p, "64:ff9b::102:304", bad[i], DHO);
		expect_host(p, "2606:4700::10", bad[i], DHO);
		expect_host(p, "1.2.3.5", bad[i], A);
	}
	expect(p, "relay to relay", "1.2.3.4", 49152, NULL, AY);
	expect(p, "relay to relay", "1.2.3.4", 50000, NULL, AY);
	expect(p, "relay to relay", "1.2.3.4", 65535, NULL, AY);
	expect(p, "relay to relay, mapped", "::ffff:1.2.3.4", 50000, NULL, AY);
	expect(p, "relay to relay v6", "2606:4700::10", 60000, NULL, AY);
	expect(p, "own relayed address", "1.2.3.4", 50000, "1.2.3.4:50000",
	    DS);
	expect(p, "host, not a relay IP, relay port", "10.0.0.5", 50000, NULL,
	    AR);
	expect(p, "host, not a relay IP, relay port", "9.9.9.9", 50000, NULL,
	    A);
	expect(p, "host via NAT64, relay port", "64:ff9b::102:304", 50000,
	    NULL, AR);
	expect(p, "listener beats host", "1.2.3.4", 3479, NULL, DS);
	expect(p, "loopback host", "127.0.0.1", 53, NULL, DHO);
	expect(p, "loopback host, relay port", "127.0.0.1", 50000, NULL, DL);
	expect(p, "wildcard is not a host entry", "0.0.0.1", 53, NULL, DH);
	expect(p, "hard beats host", "0.0.0.0", 53, NULL, DH);
	expect_host(p, "1.2.3.4", 50000, A);
	expect_host(p, "2606:4700::10", 49152, A);
}

static void
test_host_perm(const struct policy_peer *p)
{
	expect_perm(p, "relay IP", "1.2.3.4", 0, AY);
	expect_perm(p, "relay IP", "1.2.3.4", 53, AY);
	expect_perm(p, "relay IP, listener port", "1.2.3.4", 3479, AY);
	expect_perm(p, "relay IP mapped", "::ffff:1.2.3.4", 11211, AY);
	expect_perm(p, "relay IP v6", "2606:4700::10", 161, AY);
	expect_perm(p, "host", "10.0.0.5", 53, AR);
	expect_perm(p, "host", "9.9.9.9", 0, A);
	expect_perm(p, "host via NAT64", "64:ff9b::102:304", 53, AR);
	expect_perm(p, "every-port self entry", "1.2.3.255", 9, DS);
	expect_perm(p, "link-local", "169.254.1.1", 50000, DH);
	expect_perm(p, "GCP metadata", "fd20:ce::254", 80, DH);
	expect_perm(p, "private", "172.16.0.1", 50000, DD);
	expect_perm(p, "loopback host", "127.0.0.1", 50000, DL);
}

static void
test_host(void)
{
	static const char *const self[] = {
		"1.2.3.4:3479", "1.2.3.255:0", NULL
	};
	static const char *const bad[] = { "1.2.3.4", NULL };
	struct host_spec h = { h_allow, self, h_relay, h_host, 49152, 65535,
	    true };
	struct policy_peer *p;
	struct policy_peer_opts o;
	struct addr unix_host;
	const char *why = NULL;

	if (!ok((p = mk_host(&h, &why)) != NULL, "policy with host addresses"))
		return;
	test_host_ports(p);
	test_host_perm(p);
	policy_peer_free(p);

	/* Without a relay port range no port of a host address is open. */
	h.lo = h.hi = 0;
	if (ok((p = mk_host(&h, &why)) != NULL, "host, no relay range")) {
		expect(p, "no relay range", "1.2.3.4", 50000, NULL, DHO);
		expect_perm(p, "no relay range", "1.2.3.4", 0, DHO);
		expect_perm(p, "no relay range, v6", "2606:4700::10", 0, DHO);
		expect_perm(p, "no relay range, not a host", "1.2.3.5", 0, AR);
		expect_host(p, "1.2.3.4", 50000, DHO);
		policy_peer_free(p);
	}
	/* The same host, NAT64 closed: the host rule still names it. */
	h.lo = 49152;
	h.hi = 65535;
	h.n64 = false;
	h.allow = NULL;
	h.self = NULL;
	h.host = bad;
	if (ok((p = mk_host(&h, &why)) != NULL, "host, no rules")) {
		expect(p, "no rules", "1.2.3.4", 53, NULL, DHO);
		expect(p, "no rules", "1.2.3.4", 50000, NULL, AY);
		expect(p, "no rules, NAT64", "64:ff9b::102:304", 53, NULL, DHO);
		expect(p, "no rules, NAT64", "64:ff9b::102:304", 50000, NULL,
		    DN);
		expect(p, "no rules, not a host", "1.2.3.5", 53, NULL, A);
		policy_peer_free(p);
	}
	memset(&o, 0, sizeof(o));
	memset(&unix_host, 0, sizeof(unix_host));
	unix_host.u.sa.sa_family = AF_UNIX;
	o.host = &unix_host;
	o.nhost = 1;
	why = NULL;
	ok(policy_peer_new(&o, &why) == NULL && why != NULL &&
	    strcmp(why, "out of memory") != 0,
	    "AF_UNIX host address refused (%s)", why ? why : "");
	expect_host(NULL, "1.2.3.4", 53, POLICY_DENY_FAMILY);
}

static void
test_canonical(void)
{
	static const char *const in[][2] = {
		{ "[::ffff:1.2.3.4]:80", "1.2.3.4:80" },
		{ "[::ffff:127.0.0.1]:5", "127.0.0.1:5" },
		{ "[::1.2.3.4]:80", "[::102:304]:80" },
		{ "[::ffff:0:1.2.3.4]:80", "[::ffff:0:102:304]:80" },
		{ "1.2.3.4:7", "1.2.3.4:7" },
		{ "[2001:db8::1]:9", "[2001:db8::1]:9" },
	};
	struct addr a, b;
	char s[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (addr_parse(&a, in[i][0], 0) == -1)
			abort();
		policy_addr_canonical(&a, &b);
		is_str(addr_str(&b, s, sizeof(s)), in[i][1], "canonical %s",
		    in[i][0]);
		policy_addr_canonical(&a, &a);
		ok(addr_equal(&a, &b, true), "in place %s", in[i][0]);
	}
}

static void
test_api(void)
{
	struct policy_range bad[1];
	struct policy_peer_opts o;
	struct policy_peer *p;
	struct addr a;
	const char *why = NULL;
	int i, j, nallowed = 0;

	for (i = 0; i < POLICY_VERDICT_COUNT; i++) {
		ok(strcmp(policy_verdict_name(i), "unknown") != 0,
		    "verdict %d has a name (%s)", i, policy_verdict_name(i));
		for (j = 0; j < i; j++)
			ok(strcmp(policy_verdict_name(i),
			    policy_verdict_name(j)) != 0,
			    "names %d and %d differ", i, j);
		nallowed += policy_verdict_is_allowed(i);
	}
	is_int(nallowed, 3, "three allowing verdicts");
	is_str(policy_verdict_name(POLICY_DENY_HOST), "deny_host", "label");
	is_str(policy_verdict_name(POLICY_VERDICT_COUNT), "unknown",
	    "out of range name");
	is_str(policy_verdict_name(POLICY_DENY_HARD), "deny_hard", "label");

	memset(&o, 0, sizeof(o));
	memset(bad, 0, sizeof(bad));
	o.deny = bad;
	o.ndeny = 1;
	ok(policy_peer_new(&o, &why) == NULL && why != NULL,
	    "a zeroed range is refused (%s)", why ? why : "");
	if (policy_range_parse("10.0.0.0/8", bad, NULL) == -1)
		abort();
	bad[0].lo[0] = 11;
	why = NULL;
	ok(policy_peer_new(&o, &why) == NULL && why != NULL,
	    "a range with lo > hi is refused (%s)", why ? why : "");

	if (addr_parse_ip(&a, "1.1.1.1", 80) == -1)
		abort();
	is_int(policy_peer_check(NULL, &a, NULL), POLICY_DENY_FAMILY,
	    "no policy fails closed");
	p = mk(NULL, NULL, false, false, false);
	is_int(policy_peer_check(p, NULL, NULL), POLICY_DENY_FAMILY,
	    "no peer fails closed");
	memset(&a, 0, sizeof(a));
	a.u.sa.sa_family = AF_UNIX;
	is_int(policy_peer_check(p, &a, NULL), POLICY_DENY_FAMILY,
	    "AF_UNIX peer refused");
	is_int(policy_perm_check(p, &a), POLICY_DENY_FAMILY,
	    "AF_UNIX permission refused");
	is_int(policy_host_check(p, &a), POLICY_DENY_FAMILY,
	    "AF_UNIX host check refused");
	is_int(policy_perm_check(p, NULL), POLICY_DENY_FAMILY,
	    "no permission peer fails closed");
	is_int(policy_host_check(p, NULL), POLICY_DENY_FAMILY,
	    "no host peer fails closed");
	policy_peer_free(p);
	policy_peer_free(NULL);
	/* returning from free(NULL) (ASan in build-asan) is the check */
}

int
main(void)
{
	test_defaults();
	test_allow_rules();
	test_everything_allowed();
	test_flags();
	test_specificity();
	test_self();
	test_relay();
	test_host();
	test_canonical();
	test_api();
	return tap_done();
}
