/* SPDX-License-Identifier: ISC */
/*
 * policy_int: shared by the policy/ source files only (see policy.h).
 */
#ifndef TERN_POLICY_INT_H
#define TERN_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* The address (or wrapper) and the IPv4 it carries. */
#define POLICY_FORMS_MAX	2

/* One IP (and port) in the form the tables use. */
struct policy_ip {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t b[16];		/* IPv4 in b[0..3], rest zero */
	uint16_t port;		/* host order */
};

/* One operator rule, kept sorted most specific first (deny first on a tie). */
struct policy_rule {
	struct policy_range r;
	uint8_t span[16];	/* hi - lo, for the "smallest wins" order */
	bool deny;
};

struct policy_peer {
	struct policy_range *hard, *deflt, *loopback, *mcast, *nat64;
	size_t nhard, ndeflt, nloopback, nmcast, nnat64;
	struct policy_rule *rules;
	size_t nrules;
	struct policy_ip *self;
	size_t nself;
	struct policy_ip *relay;
	size_t nrelay;
	struct policy_ip *host;	/* sorted, unique, ports zero */
	size_t nhost;
	uint16_t relay_min, relay_max;
	bool allow_loopback, allow_multicast, allow_nat64;
};

/* policy_range.c */
size_t policy_family_len(int family);	/* 4, 16, or 0 */
bool policy_range_has(const struct policy_range *r, const struct policy_ip *ip);
bool policy_ranges_have(const struct policy_range *r, size_t n,
    const struct policy_ip *ip);
void policy_range_span(const struct policy_range *r, uint8_t span[16]);

/* policy_canon.c */
int policy_ip_from_addr(const struct addr *a, struct policy_ip *out);
/* Fills forms[0] (canonical address) and the embedded IPv4 forms; returns
 * how many (1..POLICY_FORMS_MAX), or 0 for an unsupported family. */
size_t policy_ip_forms(const struct addr *a,
    struct policy_ip forms[POLICY_FORMS_MAX]);
bool policy_ip_equal(const struct policy_ip *a, const struct policy_ip *b);

/* policy_host.c */
int policy_host_load(struct policy_peer *p, const struct addr *a, size_t n);
/* Step 3 for the n forms of one peer; port_known false: a permission. */
enum policy_verdict policy_host_judge(const struct policy_peer *p,
    const struct policy_ip *f, size_t n, bool port_known);

/* policy_table.c: the built-in ranges, as text (parsed by policy_peer_new). */
extern const char *const policy_table_hard[];
extern const char *const policy_table_default[];
extern const char *const policy_table_loopback[];
extern const char *const policy_table_multicast[];
extern const char *const policy_table_nat64[];


#endif
