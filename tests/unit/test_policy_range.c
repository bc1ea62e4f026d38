/* SPDX-License-Identifier: ISC */
/* policy/policy_range: CIDR and a-b parsing, printing, membership. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "util/addr.h"
#include "tap.h"

/* Parses s and checks its printed form (want) and its family. */
static void
good(const char *s, int family, const char *want)
{
	struct policy_range r;
	char out[POLICY_RANGE_STRLEN];
	const char *why = NULL;

	if (!ok(policy_range_parse(s, &r, &why) == 0, "parse \"%s\"", s)) {
		diag("reason: %s", why ? why : "(none)");
		return;
	}
	is_int(r.family, family, "family of \"%s\"", s);
	is_str(policy_range_str(&r, out, sizeof(out)), want, "print \"%s\"", s);
}

static void
bad(const char *s, const char *want_why)
{
	struct policy_range r;
	const char *why = NULL;
	static const struct policy_range zero;

	memset(&r, 0xa5, sizeof(r));
	ok(policy_range_parse(s, &r, &why) == -1, "refuse \"%s\"", s);
	ok(why != NULL && *why != '\0', "reason for \"%s\": %s", s,
	    why ? why : "(none)");
	if (want_why != NULL)
		is_str(why, want_why, "reason text for \"%s\"", s);
	ok(memcmp(&r, &zero, sizeof(r)) == 0, "out zeroed after \"%s\"", s);
}

/* Whether ip is in the parsed range s. */
static int
has(const char *s, const char *ip)
{
	struct policy_range r;
	struct addr a;

	if (policy_range_parse(s, &r, NULL) == -1 ||
	    addr_parse_ip(&a, ip, 0) == -1)
		return -1;
	return policy_range_has_addr(&r, &a);
}

static void
membership(void)
{
	is_int(has("10.0.0.0/8", "10.0.0.0"), 1, "10/8 has 10.0.0.0");
	is_int(has("10.0.0.0/8", "10.255.255.255"), 1, "10/8 has its top");
	is_int(has("10.0.0.0/8", "11.0.0.0"), 0, "10/8 lacks 11.0.0.0");
	is_int(has("10.0.0.0/8", "9.255.255.255"), 0,
	    "10/8 lacks 9.255.255.255");
	is_int(has("10.0.0.0/8", "::ffff:10.0.0.1"), 0,
	    "membership is literal: no canonicalisation");
	is_int(has("10.0.0.1-10.0.0.9", "10.0.0.9"), 1, "a-b inclusive top");
	is_int(has("10.0.0.1-10.0.0.9", "10.0.0.10"), 0, "a-b excludes b+1");
	is_int(has("10.0.0.1-10.0.0.9", "10.0.0.0"), 0, "a-b excludes a-1");
	is_int(has("2001:db8::/32", "2001:db8:ffff::1"), 1, "v6 /32 has");
	is_int(has("2001:db8::/32", "2001:db9::"), 0, "v6 /32 lacks next");
	is_int(has("2001:db8::/32", "32.1.13.184"), 0, "family must match");
	is_int(has("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1,
	    "::/0 has the top address");
	is_int(has("0.0.0.0/0", "255.255.255.255"), 1, "0/0 has all IPv4");
	is_int(has("1.2.3.4", "1.2.3.4"), 1, "bare IP has itself");
	is_int(has("1.2.3.4", "1.2.3.5"), 0, "bare IP is a /32");
	is_int(has("fe80::1-fe80::ff", "fe80::80"), 1, "v6 a-b has middle");
	is_int(has("fe80::1-fe80::ff", "fe80::100"), 0, "v6 a-b lacks b+1");
	is_int(has("::ffff:10.0.0.0/104", "10.1.2.3"), 1,
	    "a mapped rule is stored as IPv4");
}

static void
wide(const char *s, int want)
{
	struct policy_range r;

	if (policy_range_parse(s, &r, NULL) == -1)
		abort();
	is_int(policy_range_is_wide(&r), want, "\"%s\" wide: %d", s, want);
}

int
main(void)
{
	good("10.0.0.0/8", AF_INET, "10.0.0.0/8");
	good("0.0.0.0/0", AF_INET, "0.0.0.0/0");
	good("1.2.3.4", AF_INET, "1.2.3.4/32");
	good("1.2.3.4/32", AF_INET, "1.2.3.4/32");
	good("255.255.255.255/32", AF_INET, "255.255.255.255/32");
	good("192.168.0.0/16", AF_INET, "192.168.0.0/16");
	good("100.64.0.0/10", AF_INET, "100.64.0.0/10");
	good("2001:db8::/32", AF_INET6, "2001:db8::/32");
	good("2001:DB8::/32", AF_INET6, "2001:db8::/32");
	good("::/0", AF_INET6, "::/0");
	good("::1", AF_INET6, "::1/128");
	good("fe80::/10", AF_INET6, "fe80::/10");
	good("10.0.0.1-10.0.0.9", AF_INET, "10.0.0.1-10.0.0.9");
	good("10.0.0.0-10.0.0.255", AF_INET, "10.0.0.0/24");
	good("10.0.0.5-10.0.0.5", AF_INET, "10.0.0.5/32");
	good("0.0.0.0-255.255.255.255", AF_INET, "0.0.0.0/0");
	good("2001:db8::1-2001:db8::9", AF_INET6, "2001:db8::1-2001:db8::9");
	good("::2-::ffff:ffff", AF_INET6, "::2-::ffff:ffff");
	good("::ffff:10.0.0.0/104", AF_INET, "10.0.0.0/8");
	good("::ffff:10.0.0.1-::ffff:10.0.0.9", AF_INET, "10.0.0.1-10.0.0.9");
	good("::fffe:0:0/95", AF_INET6, "::fffe:0:0/95");
	bad("::ffff:0:0/95", "host bits set after the prefix length");

	bad("", "empty address range");
	bad("10.0.0.1/8", "host bits set after the prefix length");
	bad("2001:db8::1/32", "host bits set after the prefix length");
	bad("10.0.0.0/33", "prefix length not in 0-32");
	bad("::/129", "prefix length not in 0-128");
	bad("10.0.0.0/08", NULL);
	bad("10.0.0.0/+8", NULL);
	bad("10.0.0.0/-8", NULL);
	bad("10.0.0.0/", NULL);
	bad("10.0.0.0/8/8", NULL);
	bad("10.0.0.0/1000", NULL);
	bad(" 10.0.0.0/8", "space or control byte in address range");
	bad("10.0.0.0/8 ", NULL);
	bad("10.0.0.0 /8", NULL);
	bad("10.0.0.1 - 10.0.0.9", NULL);
	bad("10.0.0.0/8\t", NULL);
	bad("10.0.0.9-10.0.0.1", "a-b range ends before it starts");
	bad("10.0.0.1-::1", "a-b range mixes IPv4 and IPv6");
	bad("::1-10.0.0.1", "a-b range mixes IPv4 and IPv6");
	bad("10.0.0.1-", "bad last address of a-b range");
	bad("-10.0.0.1", "bad first address of a-b range");
	bad("10.0.0.1-10.0.0.2-10.0.0.3", NULL);
	bad("10.0.0.0/8-10.0.0.9", NULL);
	bad("10.0.0.1-10.0.0.9/32", NULL);
	bad("fe80::1%eth0", "scope id in address range");
	bad("fe80::1%1/128", NULL);
	bad("10.0.0", "bad IP address");
	bad("010.0.0.0/8", NULL);
	bad("example.com", NULL);
	bad("1.2.3.4:80", NULL);
	bad("[::1]", NULL);
	bad("10.0.0.0/8\x7f", NULL);
	bad("10.0.0.\xc3\xa9", NULL);
	bad("1111:2222:3333:4444:5555:6666:7777:8888:9999", NULL);
	membership();
	wide("10.0.0.0/8", 0);
	wide("10.0.0.0/7", 1);
	wide("0.0.0.0/0", 1);
	wide("10.0.0.0-11.0.0.0", 1);
	wide("10.0.0.0-10.255.255.255", 0);
	wide("1.2.3.4", 0);
	wide("2001::/16", 0);
	wide("2000::/15", 1);
	wide("::/0", 1);
	wide("2001:db8::/32", 0);
	wide("2001::-2002::", 1);
	{
		const char *why = "untouched";
		struct policy_range r;

		ok(policy_range_parse(NULL, &r, &why) == -1, "NULL refused");
		ok(policy_range_parse("10.0.0.0", &r, NULL) == 0,
		    "why may be NULL");
	}
	return tap_done();
}
