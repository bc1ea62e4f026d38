/* SPDX-License-Identifier: ISC */
/*
 * policy_table: the built-in peer ranges (docs/security.md, Peer deny
 * list), as text so that each row reads like the registry it comes from
 * (RFC 6890 and the IANA special-purpose address registries).
 * policy_peer_new() parses them with the operator parser (a row that fails
 * is a bug and makes policy_peer_new() fail). IPv4-mapped ::ffff:0:0/96
 * is absent on purpose: such peers are judged as IPv4 (policy_canon.c),
 * and the row would parse as IPv4 0.0.0.0/0.
 */
#include <stddef.h>

#include "policy/policy_int.h"

/*
 * Never a peer, and the cloud metadata endpoints: no rule or flag reopens
 * these. Link-local 169.254.0.0/16 is here whole: every cloud puts its
 * metadata services there (169.254.169.254 IMDS, .169.253 DNS, .169.123
 * NTP, AWS ECS 169.254.170.2, EKS Pod Identity .170.23, and more that
 * come and go), and a link-local address is no peer for a relay: it is
 * reachable only on the relay host's own links.
 */
const char *const policy_table_hard[] = {
	"0.0.0.0/8",		/* "this network", CVE-2020-26262 */
	"169.254.0.0/16",	/* link-local, RFC 3927; metadata, see above */
	"240.0.0.0/4",		/* reserved, RFC 1112 */
	"255.255.255.255/32",	/* limited broadcast, RFC 919 */
	"168.63.129.16/32",	/* Azure WireServer (public space) */
	"100.100.100.200/32",	/* Alibaba Cloud metadata */
	"192.0.0.192/32",	/* OCI legacy metadata */
	"::/128",		/* unspecified, CVE-2020-26262 */
	"::2-::ffff:ffff",	/* IPv4-compatible ::/96 minus ::1, RFC 4291 */
	"::ffff:0:0:0/96",	/* IPv4-translated, RFC 2765 */
	"100::/64",		/* discard-only, RFC 6666 */
	"100:0:0:1::/64",	/* dummy prefix */
	"2001::/32",		/* Teredo, RFC 8656 §21.4 */
	"2002::/16",		/* 6to4, RFC 8656 §21.4 */
	"5f00::/16",		/* SRv6 SIDs, RFC 9602 */
	"fd00:ec2::/32",	/* AWS IMDS, EKS (fd00:ec2::254, ::23, ...) */
	"fd20:ce::/32",		/* GCP metadata (fd20:ce::254) */
	"fe80::/10",		/* link-local */
	NULL
};

/* Special-purpose space that an operator allow rule may reopen (private,
 * shared, documentation, benchmarking, protocol assignments). */
const char *const policy_table_default[] = {
	"10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
	"192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	/* IPv6 fails closed outside 2000::/3, the only global unicast
	 * space allocated (RFC 4291 §2.4) */
	"::/3", "4000::/2", "8000::/1",
	/* inside the above; listed so that the table names them: unique
	 * local (RFC 4193) and deprecated site-local (RFC 3879) */
	"fc00::/7", "fec0::/10",
	"2001::/23", "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20",
	NULL
};

/* Categories that only a named flag opens, never a range: an allow rule
 * as wide as 0.0.0.0/0 must not open loopback or multicast by accident. */
const char *const policy_table_loopback[] = {
	"127.0.0.0/8", "::1/128", NULL
};
const char *const policy_table_multicast[] = {
	"224.0.0.0/4", "ff00::/8", NULL
};
const char *const policy_table_nat64[] = {
	"64:ff9b::/96", "64:ff9b:1::/48", NULL
};
