/* SPDX-License-Identifier: ISC */
/* util/addr: parsing, RFC 5952 printing, comparison. */
#include <arpa/inet.h>
#include <string.h>

#include "util/addr.h"
#include "tap.h"

static void
roundtrip(const char *in, uint16_t defport, const char *want)
{
	struct addr a;
	char s[ADDR_STRLEN];

	if (!ok(addr_parse(&a, in, defport) == 0, "parse \"%s\"", in))
		return;
	is_str(addr_str(&a, s, sizeof(s)), want, "print \"%s\"", in);
}

static void
ip6(const char *in, const char *want)
{
	struct addr a;
	char s[ADDR_STRLEN];

	ok(addr_parse_ip(&a, in, 0) == 0 && addr_family(&a) == AF_INET6,
	    "parse_ip \"%s\"", in);
	is_str(addr_ip_str(&a, s, sizeof(s)), want, "RFC 5952 form of %s", in);
}

int
main(void)
{
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1",
		"1.2.3.4:+5", "1.2.3.4: 5", "[::1", "[::1]x", "[::1]:",
		"[1.2.3.4]:5", "example.com", "1.2.3.4.5", "::1:", "[::1]:99999",
		"1.2.3.4%1", "fe80::1%eth0", "01.2.3.4", " 1.2.3.4",
		"1.2.3.4:80:80", "[::1]:080000",
	};
	struct addr a, b;
	struct sockaddr_in sin;
	char s[ADDR_STRLEN];
	size_t i;

	roundtrip("1.2.3.4:5", 0, "1.2.3.4:5");
	roundtrip("1.2.3.4", 3478, "1.2.3.4:3478");
	roundtrip("[::1]:80", 0, "[::1]:80");
	roundtrip("[::1]", 7, "[::1]:7");
	roundtrip("::1", 7, "[::1]:7");
	roundtrip("[2001:DB8::1]:65535", 0, "[2001:db8::1]:65535");
	roundtrip("255.255.255.255:0", 9, "255.255.255.255:0");
	roundtrip("[fe80::1%3]:5", 0, "[fe80::1%3]:5");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(addr_parse(&a, bad[i], 1), -1, "refuse \"%s\"", bad[i]);

	/* RFC 5952 §4 */
	ip6("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1");
	ip6("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	ip6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	ip6("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	ip6("0:0:0:0:0:0:0:0", "::");
	ip6("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	ip6("::7f00:1", "::7f00:1");
	ip6("1::", "1::");
	ip6("1:0:0:0:0:0:0:0", "1::");
	ip6("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0");
	ip6("0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7");
	ip6("ABCD:EF01::", "abcd:ef01::");

	addr_parse(&a, "10.0.0.1:80", 0);
	addr_parse(&b, "10.0.0.1:81", 0);
	ok(!addr_equal(&a, &b, true) && addr_equal(&a, &b, false), "addr_equal ports");
	addr_set_port(&b, 80);
	ok(addr_equal(&a, &b, true) && addr_port(&b) == 80, "set_port");
	addr_parse(&b, "[::ffff:10.0.0.1]:80", 0);
	ok(!addr_equal(&a, &b, false), "families differ");
	is_int(addr_len(&a), sizeof(struct sockaddr_in), "addr_len v4");
	is_int(addr_len(&b), sizeof(struct sockaddr_in6), "addr_len v6");
	ok(!addr_is_any(&a), "not any");
	addr_parse(&a, "0.0.0.0", 0);
	ok(addr_is_any(&a), "0.0.0.0 is any");
	addr_parse(&a, "::", 0);
	ok(addr_is_any(&a), ":: is any");

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4242);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ok(addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "from sockaddr");
	is_str(addr_str(&a, s, sizeof(s)), "127.0.0.1:4242", "sockaddr copied");
	is_int(addr_from_sockaddr(&a, (struct sockaddr *)&sin, 4), -1,
	    "short sockaddr refused");
	sin.sin_family = AF_UNIX;
	is_int(addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof(sin)), -1,
	    "AF_UNIX refused");
	addr_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535", 0);
	ok(strlen(addr_str(&a, s, sizeof(s))) < ADDR_STRLEN, "longest form fits");
	is_str(s, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535",
	    "longest form");
	addr_str(&a, s, 8);
	ok(strlen(s) == 7, "truncated safely");
	return tap_done();
}
