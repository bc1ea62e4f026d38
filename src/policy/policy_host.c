/* SPDX-License-Identifier: ISC */
/*
 * policy_host: this machine's own addresses, and the rule (step 3 of
 * policy.h) that keeps a relay off them outside the relay port range.
 *
 * Why: a relayed packet towards one of the host's addresses leaves with
 * the host itself as its source. Whatever listens there (a resolver on 53,
 * SNMP on 161, memcached on 11211, anything bound to the wildcard address)
 * sees a local client, which it and the host firewall usually trust. The
 * self entries name only the server's own listeners; this rule covers
 * every other port. The one legitimate peer on a host address is another
 * allocation's relayed transport address (relay to relay: two clients of
 * this server, each behind its own allocation), always inside the relay
 * port range. See docs/security.md, Peer deny list.
 *
 * The addresses are sorted and deduplicated once by policy_peer_new(); a
 * lookup is a binary search over a handful of entries, with no allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* Family first, then the bytes (IPv4 is zero-padded); the port is not
 * part of the key. */
static int
policy_ip_cmp(const void *va, const void *vb)
{
	const struct policy_ip *a = va, *b = vb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

/* Canonical IPs of a[0..n), wildcards skipped, sorted, unique. 0 or -1
 * (out of memory, or an address neither IPv4 nor IPv6). */
int
policy_host_load(struct policy_peer *p, const struct addr *a, size_t n)
{
	struct addr c;
	size_t i, k = 0;

	if (n == 0)
		return 0;
	if ((p->host = calloc(n, sizeof(*p->host))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		policy_addr_canonical(&a[i], &c);
		if (policy_ip_from_addr(&c, &p->host[k]) == -1)
			return -1;
		if (addr_is_any(&c))
			continue;
		p->host[k++].port = 0;
	}
	qsort(p->host, k, sizeof(*p->host), policy_ip_cmp);
	for (i = n = 0; i < k; i++)
		if (n == 0 || policy_ip_cmp(&p->host[n - 1], &p->host[i]) != 0)
			p->host[n++] = p->host[i];
	p->nhost = n;
	return 0;
}

static bool
policy_host_has(const struct policy_peer *p, const struct policy_ip *f)
{
	size_t lo = 0, hi = p->nhost, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = policy_ip_cmp(f, &p->host[mid])) == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * A relay port is the only port a host address may be reached on. For a
 * permission (!port_known, RFC 8656 §9: per IP) a host address passes
 * whenever a relay port range exists, since relay to relay must stay
 * possible; the port-aware checks refuse its other ports later.
 */
enum policy_verdict
policy_host_judge(const struct policy_peer *p, const struct policy_ip *f,
    size_t n, bool port_known)
{
	size_t i;

	if (p->nhost == 0)
		return POLICY_ALLOW;
	if (p->relay_max != 0 && (!port_known ||
	    (f[0].port >= p->relay_min && f[0].port <= p->relay_max)))
		return POLICY_ALLOW;	/* all the forms share the port */
	for (i = 0; i < n; i++)
		if (policy_host_has(p, &f[i]))
			return POLICY_DENY_HOST;
	return POLICY_ALLOW;
}

enum policy_verdict
policy_host_check(const struct policy_peer *p, const struct addr *peer)
{
	struct policy_ip f[POLICY_FORMS_MAX];
	size_t n;

	if (p == NULL || peer == NULL || (n = policy_ip_forms(peer, f)) == 0)
		return POLICY_DENY_FAMILY;
	return policy_host_judge(p, f, n, true);
}
