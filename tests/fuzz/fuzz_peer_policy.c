/* SPDX-License-Identifier: ISC */
/*
 * fuzz_peer_policy: the peer policy against a second, independent model.
 *
 * Input: byte 0 picks the flags (bits 0-2: loopback, multicast, NAT64) and
 * a template (bits 3-5) that lays a wrapper prefix over the address, so the
 * fuzzer reaches the mapped, compatible, NAT64, 6to4 and Teredo forms;
 * bytes 1-2 the port; then 4 or 16 address bytes. The whole input is also
 * given to policy_range_parse() as a string.
 *
 * The model below matches prefixes bit by bit from its own table (the
 * library compares lo/hi byte ranges built by its parser) and derives the
 * canonical forms on its own. Invariants: the verdicts are equal; never
 * allowed if any canonical form is in the hard or (absent allow rules) the
 * default deny set; with allow-everything rules, never allowed if any form
 * is hard-denied or in a flag-only category whose flag is off; a peer equal
 * to the allocation's own relayed address is always refused. An accepted
 * range prints to text that parses back to the same range.
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

/* Reference part D, written as prefixes (no a-b ranges). */
static const struct ref_row ref_rows[] = {
	{ 0, { 0 }, 8, REF_HARD },
	{ 0, { 169, 254, 169 }, 24, REF_HARD },
	{ 0, { 169, 254, 170 }, 24, REF_HARD },
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
	{ 1, { 0xfe, 0x80 }, 10, REF_HARD },
	{ 0, { 127 }, 8, REF_LOOP },
	{ 1, { [15] = 1 }, 128, REF_LOOP },
	{ 0, { 224 }, 4, REF_MCAST },
	{ 1, { 0xff }, 8, REF_MCAST },
	{ 1, { 0x00, 0x64, 0xff, 0x9b }, 96, REF_NAT64 },
	{ 1, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, REF_NAT64 },
	{ 0, { 10 }, 8, REF_DEFAULT },
	{ 0, { 100, 64 }, 10, REF_DEFAULT },
	{ 0, { 169, 254 }, 16, REF_DEFAULT },
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

/* The model's verdict: flags in bits 0-2; allow_all for "0/0, ::/0". */
static enum policy_verdict
ref_judge(const struct addr *a, unsigned flags, int allow_all)
{
	static const enum ref_class gate[3] = { REF_LOOP, REF_MCAST,
	    REF_NAT64 };
	static const enum policy_verdict deny[3] = { POLICY_DENY_LOOPBACK,
	    POLICY_DENY_MULTICAST, POLICY_DENY_NAT64 };
	struct ref_form f[2];
	size_t i, g, n = ref_forms(a, f);
	int opened;

	for (i = 0; i < n; i++)
		if (ref_classify(&f[i], REF_HARD) == REF_HARD)
			return POLICY_DENY_HARD;
	for (i = 0; i < n; i++) {
		opened = 0;
		for (g = 0; g < 3 && !opened; g++) {
			if (ref_classify(&f[i], gate[g]) != gate[g])
				continue;
			if (!(flags & (1u << g)))
				return deny[g];
			opened = 1;
		}
		if (!opened && !allow_all &&
		    ref_classify(&f[i], REF_DEFAULT) == REF_DEFAULT)
			return POLICY_DENY_DEFAULT;
	}
	return allow_all ? POLICY_ALLOW_RULE : POLICY_ALLOW;
}

static const struct policy_peer *
fuzz_policy(unsigned flags, int allow_all)
{
	static struct policy_peer *cache[16];
	struct policy_range all[2];
	struct policy_peer_opts o;
	size_t k = flags | (allow_all ? 8u : 0u);

	if (cache[k] != NULL)
		return cache[k];
	memset(&o, 0, sizeof(o));
	if (allow_all) {
		if (policy_range_parse("0.0.0.0/0", &all[0], NULL) == -1 ||
		    policy_range_parse("::/0", &all[1], NULL) == -1)
			abort();
		o.allow = all;
		o.nallow = 2;
	}
	o.allow_loopback = flags & 1;
	o.allow_multicast = (flags >> 1) & 1;
	o.allow_nat64 = (flags >> 2) & 1;
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

static void
fuzz_verdicts(const uint8_t *data, size_t size)
{
	struct addr a;
	uint8_t b[16] = { 0 };
	unsigned flags, t;
	enum policy_verdict got, want;
	int all;

	if (size < 3)
		return;
	flags = data[0] & 7;
	t = (data[0] >> 3) & 7;
	memcpy(b, data + 3, size - 3 > 16 ? 16 : size - 3);
	memset(&a, 0, sizeof(a));
	if (t == 1) {
		a.u.sin.sin_family = AF_INET;
		a.u.sin.sin_port = (uint16_t)(data[1] << 8 | data[2]);
		memcpy(&a.u.sin.sin_addr, b, 4);
	} else {
		fuzz_template(t, b);
		a.u.sin6.sin6_family = AF_INET6;
		a.u.sin6.sin6_port = (uint16_t)(data[1] << 8 | data[2]);
		memcpy(&a.u.sin6.sin6_addr, b, 16);
	}
	for (all = 0; all < 2; all++) {
		got = policy_peer_check(fuzz_policy(flags, all), &a, NULL);
		want = ref_judge(&a, flags, all);
		if ((want == POLICY_DENY_HARD || want == POLICY_DENY_DEFAULT) &&
		    policy_verdict_is_allowed(got))
			abort();	/* the invariant itself */
		if (got != want) {
			fprintf(stderr, "verdict %s, model %s\n",
			    policy_verdict_name(got),
			    policy_verdict_name(want));
			abort();
		}
		if (policy_peer_check(fuzz_policy(flags, all), &a, &a) !=
		    POLICY_DENY_SELF)
			abort();
	}
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
