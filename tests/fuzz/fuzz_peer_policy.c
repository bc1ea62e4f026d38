/* SPDX-License-Identifier: ISC */
/*
 * fuzz_peer_policy: the peer policy against a second, independent model.
 *
 * Input: byte 0 picks the flags (bits 0-2: loopback, multicast, NAT64), a
 * template (bits 3-5) that lays a wrapper prefix over the address, so the
 * fuzzer reaches the mapped, compatible, NAT64, 6to4 and Teredo forms, and
 * (bit 6) a policy with host addresses, relay IPs and a relay port range;
 * bytes 1-2 the port; then 4 or 16 address bytes. The whole input is also
 * given to policy_range_parse() as a string.
 *
 * The model below matches prefixes bit by bit from its own table (the
 * library compares lo/hi byte ranges built by its parser, and binary
 * searches its host addresses) and derives the canonical forms on its own.
 * Invariants: the verdicts of policy_peer_check(), policy_perm_check() and
 * policy_host_check() equal the model's; never allowed if any canonical
 * form is in the hard or (absent allow rules) the default deny set, or is
 * a host address on a port outside the relay range; with allow-everything
 * rules, never allowed if any form is hard-denied or in a flag-only
 * category whose flag is off; a peer equal to the allocation's own relayed
 * address is always refused. An accepted range prints to text that parses
 * back to the same range.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum ref_class { REF_NONE, REF_HARD, REF_LOOP, REF_MCAST, REF_NAT64,
    REF_DEFAULT };

struct ref_row {
	int v6;
	uint8_t p[16];
	unsigned plen;
	enum ref_class c;
};

/* The built-in tables (docs/security.md, Peer deny list), written as
 * prefixes (no a-b ranges). */
static const struct ref_row ref_rows[] = {
	{ 0, { 0 }, 8, REF_HARD },
	{ 0, { 169, 254 }, 16, REF_HARD },
	{ 0, { 240 }, 4, REF_HARD },
	{ 0, { 168, 63, 129, 16 }, 32, REF_HARD },
	{ 0, { 100, 100, 100, 200 }, 32, REF_HARD },
	{ 0, { 192, 0, 0, 192 }, 32, REF_HARD },
	{ 1, { 0 }, 128, REF_HARD },
	{ 1, { [8] = 0xff, [9] = 0xff }, 96, REF_HARD },
	{ 1, { 0x01, 0x00 }, 64, REF_HARD },
	{ 1, { 0x01, 0x00, [7] = 1 }, 64, REF_HARD },
	{ 1, { 0x20, 0x01 }, 32, REF_HARD },
	{ 1, { 0x20, 0x02 }, 16, REF_HARD },
	{ 1, { 0x5f, 0x00 }, 16, REF_HARD },
	{ 1, { 0xfd, 0x00, 0x0e, 0xc2 }, 32, REF_HARD },
	{ 1, { 0xfd, 0x20, 0x00, 0xce }, 32, REF_HARD },
	{ 1, { 0xfe, 0x80 }, 10, REF_HARD },
	{ 0, { 127 }, 8, REF_LOOP },
	{ 1, { [15] = 1 }, 128, REF_LOOP },
	{ 0, { 224 }, 4, REF_MCAST },
	{ 1, { 0xff }, 8, REF_MCAST },
	{ 1, { 0x00, 0x64, 0xff, 0x9b }, 96, REF_NAT64 },
	{ 1, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, REF_NAT64 },
	{ 0, { 10 }, 8, REF_DEFAULT },
	{ 0, { 100, 64 }, 10, REF_DEFAULT },
	{ 0, { 172, 16 }, 12, REF_DEFAULT },
	{ 0, { 192, 0, 0 }, 24, REF_DEFAULT },
	{ 0, { 192, 0, 2 }, 24, REF_DEFAULT },
	{ 0, { 192, 31, 196 }, 24, REF_DEFAULT },
	{ 0, { 192, 52, 193 }, 24, REF_DEFAULT },
	{ 0, { 192, 88, 99 }, 24, REF_DEFAULT },
	{ 0, { 192, 168 }, 16, REF_DEFAULT },
	{ 0, { 192, 175, 48 }, 24, REF_DEFAULT },
	{ 0, { 198, 18 }, 15, REF_DEFAULT },
	{ 0, { 198, 51, 100 }, 24, REF_DEFAULT },
	{ 0, { 203, 0, 113 }, 24, REF_DEFAULT },
	{ 1, { 0x20, 0x01, 0x00, 0x00 }, 23, REF_DEFAULT },
	{ 1, { 0x20, 0x01, 0x0d, 0xb8 }, 32, REF_DEFAULT },
	{ 1, { 0x26, 0x20, 0x00, 0x4f, 0x80, 0x00 }, 48, REF_DEFAULT },
	{ 1, { 0x3f, 0xff }, 20, REF_DEFAULT },
};

struct ref_form {
	int v6;
	uint8_t b[16];
};

static int
ref_prefix(const uint8_t *a, const uint8_t *p, unsigned plen)
{
	unsigned i;

	for (i = 0; i < plen; i++)
		if (((a[i / 8] >> (7 - i % 8)) ^ (p[i / 8] >> (7 - i % 8))) & 1)
			return 0;
	return 1;
}

/* The most severe class of one form (hard first). */
static enum ref_class
ref_classify(const struct ref_form *f, enum ref_class want)
{
	static const uint8_t compat[16], loop2[16] = { [15] = 1 };
	size_t i;

	if (f->v6) {
		if (want == REF_HARD && ref_prefix(f->b, compat, 96) &&
		    !ref_prefix(f->b, loop2, 127))
			return REF_HARD;	/* ::/96 but :: and ::1 */
		if (want == REF_DEFAULT && !ref_prefix(f->b,
		    (const uint8_t[16]){ 0x20 }, 3))
			return REF_DEFAULT;	/* outside 2000::/3 */
	}
	for (i = 0; i < sizeof(ref_rows) / sizeof(ref_rows[0]); i++)
		if (ref_rows[i].c == want && ref_rows[i].v6 == f->v6 &&
		    ref_prefix(f->b, ref_rows[i].p, ref_rows[i].plen))
			return want;
	return REF_NONE;
}

static void
ref_v4(struct ref_form *f, const uint8_t *b, uint8_t x)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 4; i++)
		f->b[i] = b[i] ^ x;
}

static size_t
ref_forms(const struct addr *a, struct ref_form f[2])
{
	const uint8_t *b = (const uint8_t *)&a->u.sin6.sin6_addr;
	static const uint8_t z[16];
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t transl[16] = { [8] = 0xff, [9] = 0xff };

	if (a->u.sa.sa_family == AF_INET) {
		ref_v4(&f[0], (const uint8_t *)&a->u.sin.sin_addr, 0);
		return 1;
	}
	if (ref_prefix(b, mapped, 96)) {
		ref_v4(&f[0], b + 12, 0);
		return 1;
	}
	f[0].v6 = 1;
	memcpy(f[0].b, b, 16);
	if (ref_prefix(b, z, 96) && (b[12] | b[13] | b[14] | (b[15] & 0xfe)))
		ref_v4(&f[1], b + 12, 0);
	else if (ref_prefix(b, transl, 96) ||
	    ref_prefix(b, (const uint8_t[16]){ 0, 0x64, 0xff, 0x9b }, 96))
		ref_v4(&f[1], b + 12, 0);
	else if (ref_prefix(b, (const uint8_t[16]){ 0, 0x64, 0xff, 0x9b, 0, 1 },
	    48)) {
		if (b[8] == 0 && ref_prefix(b + 11, z, 40))
			ref_v4(&f[1], (const uint8_t[4]){ b[6], b[7], b[9],
			    b[10] }, 0);
		else
			ref_v4(&f[1], b + 12, 0);
	} else if (b[0] == 0x20 && b[1] == 0x02)
		ref_v4(&f[1], b + 2, 0);
	else if (ref_prefix(b, (const uint8_t[16]){ 0x20, 0x01 }, 32))
		ref_v4(&f[1], b + 12, 0xff);
	else
		return 1;
	return 2;
}

/*
 * The host-address policy (input bit 6): host addresses (a wildcard among
 * them, which adds nothing), the relay IPs among them, two self entries
 * and a relay port range, as text for the library and bytes for the model.
 */
#define REF_RELAY_MIN	49152
#define REF_RELAY_MAX	65000
static const char *const fuzz_hosts[] = {
	"1.2.3.4", "10.0.0.5", "127.0.0.1", "::ffff:5.6.7.8", "0.0.0.0",
	"2606:4700::10", "fd12::1", "::", "1.2.3.4"
};
static const char *const fuzz_relays[] = { "1.2.3.4", "2606:4700::10" };
static const char *const fuzz_selfs[] = { "1.2.3.4:3478", "9.9.9.255:0" };
static const struct ref_form ref_hosts[] = {
	{ 0, { 1, 2, 3, 4 } }, { 0, { 10, 0, 0, 5 } }, { 0, { 127, 0, 0, 1 } },
	{ 0, { 5, 6, 7, 8 } }, { 1, { 0x26, 0x06, 0x47, 0x00, [15] = 0x10 } },
	{ 1, { 0xfd, 0x12, [15] = 1 } },
};
static const struct ref_form ref_relays[] = {
	{ 0, { 1, 2, 3, 4 } }, { 1, { 0x26, 0x06, 0x47, 0x00, [15] = 0x10 } },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
ref_in(const struct ref_form *f, const struct ref_form *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i].v6 == f->v6 && memcmp(set[i].b, f->b, 16) == 0)
			return 1;
	return 0;
}

/* The self entries: 1.2.3.4 on 3478 (ports known only), 9.9.9.255 on all. */
static int
ref_self(const struct ref_form *f, uint16_t port, int port_known)
{
	static const struct ref_form listener = { 0, { 1, 2, 3, 4 } };
	static const struct ref_form bcast = { 0, { 9, 9, 9, 255 } };

	return ref_in(f, &bcast, 1) ||
	    (port_known && port == 3478 && ref_in(f, &listener, 1));
}

/* The model's host rule: a host form off the relay ports. */
static int
ref_host_denied(const struct ref_form *f, size_t n, uint16_t port,
    int port_known)
{
	size_t i;

	if (!port_known || (port >= REF_RELAY_MIN && port <= REF_RELAY_MAX))
		return 0;
	for (i = 0; i < n; i++)
		if (ref_in(&f[i], ref_hosts, NITEMS(ref_hosts)))
			return 1;
	return 0;
}

/* Flags in bits 0-2; allow_all for "0/0, ::/0"; hosts for bit 6. */
struct ref_policy {
	unsigned flags;
	int allow_all, hosts, port_known;
};

static enum policy_verdict
ref_judge(const struct addr *a, const struct ref_policy *rp)
{
	static const enum ref_class gate[3] = { REF_LOOP, REF_MCAST,
	    REF_NAT64 };
	static const enum policy_verdict deny[3] = { POLICY_DENY_LOOPBACK,
	    POLICY_DENY_MULTICAST, POLICY_DENY_NAT64 };
	struct ref_form f[2];
	size_t i, g, n = ref_forms(a, f);
	uint16_t port = ntohs(a->u.sin.sin_port);
	int opened;

	for (i = 0; i < n; i++) {
		if (ref_classify(&f[i], REF_HARD) == REF_HARD)
			return POLICY_DENY_HARD;
		if (rp->hosts && ref_self(&f[i], port, rp->port_known))
			return POLICY_DENY_SELF;
	}
	if (rp->hosts && ref_host_denied(f, n, port, rp->port_known))
		return POLICY_DENY_HOST;
	if (rp->hosts && n == 1 && ref_in(&f[0], ref_relays,
	    NITEMS(ref_relays)) && (!rp->port_known ||
	    (port >= REF_RELAY_MIN && port <= REF_RELAY_MAX)))
		return POLICY_ALLOW_RELAY;
	for (i = 0; i < n; i++) {
		opened = 0;
		for (g = 0; g < 3 && !opened; g++) {
			if (ref_classify(&f[i], gate[g]) != gate[g])
				continue;
			if (!(rp->flags & (1u << g)))
				return deny[g];
			opened = 1;
		}
		if (!opened && !rp->allow_all &&
		    ref_classify(&f[i], REF_DEFAULT) == REF_DEFAULT)
			return POLICY_DENY_DEFAULT;
	}
	return rp->allow_all ? POLICY_ALLOW_RULE : POLICY_ALLOW;
}

static void
fuzz_addrs(const char *const *s, size_t n, struct addr *out, int port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((port ? addr_parse(&out[i], s[i], 0) :
		    addr_parse_ip(&out[i], s[i], 0)) == -1)
			abort();
}

static const struct policy_peer *
fuzz_policy(const struct ref_policy *rp)
{
	static struct policy_peer *cache[32];
	struct addr host[NITEMS(fuzz_hosts)], relay[NITEMS(fuzz_relays)];
	struct addr self[NITEMS(fuzz_selfs)];
	struct policy_range all[2];
	struct policy_peer_opts o;
	size_t k = rp->flags | (rp->allow_all ? 8u : 0u) |
	    (rp->hosts ? 16u : 0u);

	if (cache[k] != NULL)
		return cache[k];
	memset(&o, 0, sizeof(o));
	if (rp->allow_all) {
		if (policy_range_parse("0.0.0.0/0", &all[0], NULL) == -1 ||
		    policy_range_parse("::/0", &all[1], NULL) == -1)
			abort();
		o.allow = all;
		o.nallow = 2;
	}
	if (rp->hosts) {
		fuzz_addrs(fuzz_hosts, NITEMS(fuzz_hosts), host, 0);
		fuzz_addrs(fuzz_relays, NITEMS(fuzz_relays), relay, 0);
		fuzz_addrs(fuzz_selfs, NITEMS(fuzz_selfs), self, 1);
		o.host = host;
		o.nhost = NITEMS(host);
		o.relay = relay;
		o.nrelay = NITEMS(relay);
		o.self = self;
		o.nself = NITEMS(self);
		o.relay_port_min = REF_RELAY_MIN;
		o.relay_port_max = REF_RELAY_MAX;
	}
	o.allow_loopback = rp->flags & 1;
	o.allow_multicast = (rp->flags >> 1) & 1;
	o.allow_nat64 = (rp->flags >> 2) & 1;
	if ((cache[k] = policy_peer_new(&o, NULL)) == NULL)
		abort();
	return cache[k];
}

/* Lays template t over the 16 address bytes. */
static void
fuzz_template(unsigned t, uint8_t b[16])
{
	switch (t) {
	case 2:	/* ::ffff:a.b.c.d */
		memset(b, 0, 10);
		b[10] = b[11] = 0xff;
		break;
	case 3:	/* 64:ff9b::/96 */
		memcpy(b, (const uint8_t[12]){ 0, 0x64, 0xff, 0x9b }, 12);
		break;
	case 4:	/* 2002::/16 */
		b[0] = 0x20;
		b[1] = 0x02;
		break;
	case 5:	/* Teredo */
		memcpy(b, (const uint8_t[4]){ 0x20, 0x01, 0, 0 }, 4);
		break;
	case 6:	/* ::a.b.c.d */
		memset(b, 0, 12);
		break;
	case 7:	/* 64:ff9b:1::/48 */
		memcpy(b, (const uint8_t[6]){ 0, 0x64, 0xff, 0x9b, 0, 1 }, 6);
		break;
	default:
		break;
	}
}

/* Dies when the library and the model disagree. */
static void
fuzz_same(const char *what, enum policy_verdict got, enum policy_verdict want)
{
	if (got == want)
		return;
	fprintf(stderr, "%s: verdict %s, model %s\n", what,
	    policy_verdict_name(got), policy_verdict_name(want));
	abort();
}

/* Every check of one address against one policy. */
static void
fuzz_checks(const struct addr *a, struct ref_policy *rp)
{
	const struct policy_peer *p = fuzz_policy(rp);
	struct ref_form f[2];
	size_t n = ref_forms(a, f);
	uint16_t port = ntohs(a->u.sin.sin_port);
	enum policy_verdict got, want;
	int host_off;

	rp->port_known = 1;
	got = policy_peer_check(p, a, NULL);
	want = ref_judge(a, rp);
	host_off = rp->hosts && ref_host_denied(f, n, port, 1);
	/* the invariants themselves, before the comparison */
	if ((want == POLICY_DENY_HARD || want == POLICY_DENY_DEFAULT ||
	    host_off) && policy_verdict_is_allowed(got))
		abort();
	fuzz_same("peer", got, want);
	fuzz_same("host", policy_host_check(p, a),
	    host_off ? POLICY_DENY_HOST : POLICY_ALLOW);
	if (policy_peer_check(p, a, a) != POLICY_DENY_SELF)
		abort();
	rp->port_known = 0;
	fuzz_same("permission", policy_perm_check(p, a), ref_judge(a, rp));
}

static void
fuzz_verdicts(const uint8_t *data, size_t size)
{
	struct ref_policy rp;
	struct addr a;
	uint8_t b[16] = { 0 };
	unsigned t;

	if (size < 3)
		return;
	memset(&rp, 0, sizeof(rp));
	rp.flags = data[0] & 7;
	rp.hosts = (data[0] >> 6) & 1;
	t = (data[0] >> 3) & 7;
	memcpy(b, data + 3, size - 3 > 16 ? 16 : size - 3);
	memset(&a, 0, sizeof(a));
	if (t == 1) {
		a.u.sin.sin_family = AF_INET;
		a.u.sin.sin_port = htons((uint16_t)(data[1] << 8 | data[2]));
		memcpy(&a.u.sin.sin_addr, b, 4);
	} else {
		fuzz_template(t, b);
		a.u.sin6.sin6_family = AF_INET6;
		a.u.sin6.sin6_port = htons((uint16_t)(data[1] << 8 | data[2]));
		memcpy(&a.u.sin6.sin6_addr, b, 16);
	}
	for (rp.allow_all = 0; rp.allow_all < 2; rp.allow_all++)
		fuzz_checks(&a, &rp);
}

static void
fuzz_range(const uint8_t *data, size_t size)
{
	struct policy_range r, back;
	char s[256], out[POLICY_RANGE_STRLEN];
	const char *why = NULL;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (policy_range_parse(s, &r, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if ((r.family != AF_INET && r.family != AF_INET6) ||
	    memcmp(r.lo, r.hi, 16) > 0)
		abort();
	policy_range_str(&r, out, sizeof(out));
	if (policy_range_parse(out, &back, &why) == -1 ||
	    memcmp(&r, &back, sizeof(r)) != 0) {
		fprintf(stderr, "\"%s\" printed as \"%s\"\n", s, out);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_verdicts(data, size);
	fuzz_range(data, size);
	return 0;
}
