/* SPDX-License-Identifier: ISC */
/*
 * policy_peer: building a peer policy and judging a peer against it, in
 * the order of the steps listed in policy.h.
 *
 * All the memory is taken in policy_peer_new(); policy_peer_check() reads
 * the object only, so many workers may share one without a lock.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

static const char *const policy_verdict_names[POLICY_VERDICT_COUNT] = {
	[POLICY_ALLOW] = "allow",
	[POLICY_ALLOW_RULE] = "allow_rule",
	[POLICY_ALLOW_RELAY] = "allow_relay",
	[POLICY_DENY_HARD] = "deny_hard",
	[POLICY_DENY_SELF] = "deny_self",
	[POLICY_DENY_LOOPBACK] = "deny_loopback",
	[POLICY_DENY_MULTICAST] = "deny_multicast",
	[POLICY_DENY_NAT64] = "deny_nat64",
	[POLICY_DENY_RULE] = "deny_rule",
	[POLICY_DENY_DEFAULT] = "deny_default",
	[POLICY_DENY_FAMILY] = "deny_family",
	[POLICY_DENY_HOST] = "deny_host",
};

const char *
policy_verdict_name(enum policy_verdict v)
{
	if ((unsigned)v >= POLICY_VERDICT_COUNT)
		return "unknown";
	return policy_verdict_names[v];
}

bool
policy_verdict_is_allowed(enum policy_verdict v)
{
	return v == POLICY_ALLOW || v == POLICY_ALLOW_RULE ||
	    v == POLICY_ALLOW_RELAY;
}

/* Parses a NULL-terminated table of built-in rows. */
static int
policy_table_load(const char *const *tab, struct policy_range **out,
    size_t *n)
{
	size_t i, count = 0;

	while (tab[count] != NULL)
		count++;
	if (count == 0)
		return -1;	/* a built-in table is never empty */
	if ((*out = calloc(count, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < count; i++)
		if (policy_range_parse(tab[i], &(*out)[i], NULL) == -1)
			return -1;
	*n = count;
	return 0;
}

static bool
policy_range_valid(const struct policy_range *r)
{
	size_t len = policy_family_len(r->family);

	return len != 0 && memcmp(r->lo, r->hi, len) <= 0;
}

/* Most specific (smallest span) first; on a tie deny first, so that an
 * operator who both allows and denies the same range gets the denial. */
static int
policy_rule_cmp(const void *va, const void *vb)
{
	const struct policy_rule *a = va, *b = vb;
	int c;

	if ((c = memcmp(a->span, b->span, sizeof(a->span))) != 0)
		return c;
	return (int)b->deny - (int)a->deny;
}

static int
policy_rules_load(struct policy_peer *p, const struct policy_peer_opts *o,
    const char **why)
{
	size_t i, n = o->nallow + o->ndeny;
	struct policy_rule *r;

	if (n == 0)
		return 0;
	if ((p->rules = calloc(n, sizeof(*p->rules))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = &p->rules[i];
		r->deny = i >= o->nallow;
		r->r = r->deny ? o->deny[i - o->nallow] : o->allow[i];
		if (!policy_range_valid(&r->r)) {
			*why = "invalid peer address range";
			return -1;
		}
		policy_range_span(&r->r, r->span);
	}
	qsort(p->rules, n, sizeof(*p->rules), policy_rule_cmp);
	p->nrules = n;
	return 0;
}

/* Copies addresses in canonical form; wildcards are refused if !any_ok. */
static int
policy_ips_load(const struct addr *a, size_t n, struct policy_ip **out,
    size_t *nout, bool any_ok)
{
	struct addr c;
	size_t i;

	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		policy_addr_canonical(&a[i], &c);
		if (policy_ip_from_addr(&c, &(*out)[i]) == -1 ||
		    (!any_ok && addr_is_any(&c)))
			return -1;
	}
	*nout = n;
	return 0;
}

static int
policy_tables_load(struct policy_peer *p)
{
	if (policy_table_load(policy_table_hard, &p->hard, &p->nhard) == -1 ||
	    policy_table_load(policy_table_default, &p->deflt,
	    &p->ndeflt) == -1 ||
	    policy_table_load(policy_table_loopback, &p->loopback,
	    &p->nloopback) == -1 ||
	    policy_table_load(policy_table_multicast, &p->mcast,
	    &p->nmcast) == -1 ||
	    policy_table_load(policy_table_nat64, &p->nat64,
	    &p->nnat64) == -1)
		return -1;
	return 0;
}

struct policy_peer *
policy_peer_new(const struct policy_peer_opts *o, const char **why)
{
	struct policy_peer *p;
	const char *reason = "out of memory";

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if (policy_tables_load(p) == -1) {
		reason = "built-in peer table broken";
		goto fail;
	}
	if (policy_rules_load(p, o, &reason) == -1)
		goto fail;
	if (policy_ips_load(o->self, o->nself, &p->self, &p->nself,
	    false) == -1) {
		reason = "self endpoint is a wildcard or not IPv4/IPv6";
		goto fail;
	}
	if (policy_ips_load(o->relay, o->nrelay, &p->relay, &p->nrelay,
	    true) == -1) {
		reason = "relay address not IPv4/IPv6";
		goto fail;
	}
	if (policy_host_load(p, o->host, o->nhost) == -1) {
		if (p->host != NULL)
			reason = "host address not IPv4/IPv6";
		goto fail;
	}
	if (o->relay_port_min > o->relay_port_max) {
		reason = "relay port range ends before it starts";
		goto fail;
	}
	p->relay_min = o->relay_port_min;
	p->relay_max = o->relay_port_max;
	p->allow_loopback = o->allow_loopback;
	p->allow_multicast = o->allow_multicast;
	p->allow_nat64 = o->allow_nat64;
	return p;
fail:
	policy_peer_free(p);
	if (why != NULL)
		*why = reason;
	return NULL;
}

void
policy_peer_free(struct policy_peer *p)
{
	if (p == NULL)
		return;
	free(p->hard);
	free(p->deflt);
	free(p->loopback);
	free(p->mcast);
	free(p->nat64);
	free(p->rules);
	free(p->self);
	free(p->relay);
	free(p->host);
	free(p);
}

/* Step 2 for one form: hard rows and the server's own endpoints (for a
 * permission, !port_known, only those that stand for every port). */
static enum policy_verdict
policy_peer_hard(const struct policy_peer *p, const struct policy_ip *f,
    bool port_known)
{
	size_t i;

	if (policy_ranges_have(p->hard, p->nhard, f))
		return POLICY_DENY_HARD;
	for (i = 0; i < p->nself; i++)
		if (policy_ip_equal(&p->self[i], f) && (p->self[i].port == 0 ||
		    (port_known && p->self[i].port == f->port)))
			return POLICY_DENY_SELF;
	return POLICY_ALLOW;
}

/* Step 4: another allocation's relayed address on this server (for a
 * permission, any relay IP while a relay port range exists). */
static bool
policy_peer_is_relay(const struct policy_peer *p, const struct policy_ip *f,
    bool port_known)
{
	size_t i;

	if (p->relay_max == 0 || (port_known && (f->port < p->relay_min ||
	    f->port > p->relay_max)))
		return false;
	for (i = 0; i < p->nrelay; i++)
		if (policy_ip_equal(&p->relay[i], f))
			return true;
	return false;
}

/*
 * Step 5: the flag-only categories. Returns a denial, or POLICY_ALLOW with
 * *opened set when a flag let the form in (it then skips the default set,
 * which also holds it: ::1 and ff00::/8 lie outside 2000::/3).
 */
static enum policy_verdict
policy_peer_gate(const struct policy_peer *p, const struct policy_ip *f,
    bool *opened)
{
	*opened = false;
	if (policy_ranges_have(p->loopback, p->nloopback, f)) {
		if (!p->allow_loopback)
			return POLICY_DENY_LOOPBACK;
		*opened = true;
	} else if (policy_ranges_have(p->mcast, p->nmcast, f)) {
		if (!p->allow_multicast)
			return POLICY_DENY_MULTICAST;
		*opened = true;
	} else if (policy_ranges_have(p->nat64, p->nnat64, f)) {
		if (!p->allow_nat64)
			return POLICY_DENY_NAT64;
		*opened = true;
	}
	return POLICY_ALLOW;
}

/* Step 6: the first (most specific) matching operator rule. -1 none,
 * 0 allow, 1 deny. */
static int
policy_peer_rule(const struct policy_peer *p, const struct policy_ip *f)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (policy_range_has(&p->rules[i].r, f))
			return p->rules[i].deny ? 1 : 0;
	return -1;
}

/* Steps 5-7 for one form; *by_rule when an allow rule let it in. */
static enum policy_verdict
policy_peer_soft(const struct policy_peer *p, const struct policy_ip *f,
    bool *by_rule)
{
	enum policy_verdict v;
	bool opened;
	int rule;

	*by_rule = false;
	if ((v = policy_peer_gate(p, f, &opened)) != POLICY_ALLOW)
		return v;
	if ((rule = policy_peer_rule(p, f)) == 1)
		return POLICY_DENY_RULE;
	if (rule == 0) {
		*by_rule = true;
		return POLICY_ALLOW;
	}
	if (!opened && policy_ranges_have(p->deflt, p->ndeflt, f))
		return POLICY_DENY_DEFAULT;
	return POLICY_ALLOW;
}

/* Steps 2-8 for the n forms of one peer. */
static enum policy_verdict
policy_peer_judge(const struct policy_peer *p, const struct policy_ip *f,
    size_t n, bool port_known)
{
	enum policy_verdict v;
	bool by_rule, any_rule = false;
	size_t i;

	for (i = 0; i < n; i++)
		if ((v = policy_peer_hard(p, &f[i], port_known)) != POLICY_ALLOW)
			return v;
	if ((v = policy_host_judge(p, f, n, port_known)) != POLICY_ALLOW)
		return v;
	/* only a plain address can be a relayed address here */
	if (n == 1 && policy_peer_is_relay(p, &f[0], port_known))
		return POLICY_ALLOW_RELAY;
	for (i = 0; i < n; i++) {
		if ((v = policy_peer_soft(p, &f[i], &by_rule)) != POLICY_ALLOW)
			return v;
		any_rule |= by_rule;
	}
	return any_rule ? POLICY_ALLOW_RULE : POLICY_ALLOW;
}

enum policy_verdict
policy_peer_check(const struct policy_peer *p, const struct addr *peer,
    const struct addr *own_relay)
{
	struct policy_ip f[POLICY_FORMS_MAX], own;
	struct addr c;
	size_t i, n;

	if (p == NULL || peer == NULL || (n = policy_ip_forms(peer, f)) == 0)
		return POLICY_DENY_FAMILY;
	if (own_relay != NULL) {
		/* the allocation's own relayed transport address: a loop */
		policy_addr_canonical(own_relay, &c);
		if (policy_ip_from_addr(&c, &own) == 0)
			for (i = 0; i < n; i++)
				if (policy_ip_equal(&own, &f[i]) &&
				    own.port == f[i].port)
					return POLICY_DENY_SELF;
	}
	return policy_peer_judge(p, f, n, true);
}

enum policy_verdict
policy_perm_check(const struct policy_peer *p, const struct addr *peer)
{
	struct policy_ip f[POLICY_FORMS_MAX];
	size_t n;

	if (p == NULL || peer == NULL || (n = policy_ip_forms(peer, f)) == 0)
		return POLICY_DENY_FAMILY;
	return policy_peer_judge(p, f, n, false);
}
