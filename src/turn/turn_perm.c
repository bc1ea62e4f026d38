/* SPDX-License-Identifier: ISC */
/*
 * turn_perm: permissions (RFC 8656 §9, §10) and channels (§12).
 *
 * A permission is a peer IP (the port is ignored, §9) that lives exactly
 * TURN_PERM_LIFETIME seconds (opts.perm_lifetime, which only tests change)
 * from its last CreatePermission or ChannelBind (§9 MUST); a channel
 * binds a number in 0x4000-0x4FFF (or the RFC 5766 range) to a peer
 * ip:port for channel-lifetime seconds (§12). Both are small arrays per
 * allocation, grown only by these requests up to the caps
 * (docs/security.md, Attack catalogue: resource exhaustion), scanned
 * linearly on the data path (at most 128 entries, in practice a handful,
 * which a linear scan serves faster than a hash).
 *
 * Every peer address is canonicalised (::ffff:a.b.c.d is IPv4) and judged
 * by the peer policy before anything is installed: CreatePermission on
 * its IP alone (policy_perm_check, a permission is per IP), ChannelBind on
 * its ip:port with the allocation's own relayed and bound addresses
 * refused (policy_peer_check; docs/security.md, Peer deny list). A request
 * is all or nothing (§10.2).
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/buf.h"

struct turn_perm *
turn_perm_find(struct turn_alloc *a, const struct turn_ip *ip, uint64_t now)
{
	unsigned i;

	for (i = 0; i < a->nperms; i++)
		if (turn_ip_equal(&a->perms[i].ip, ip))
			return turn_now_before(a->perms[i].expires, now) ?
			    &a->perms[i] : NULL;
	return NULL;
}

struct turn_chan *
turn_chan_by_num(struct turn_alloc *a, uint16_t num, uint64_t now)
{
	unsigned i;

	for (i = 0; i < a->nchans; i++)
		if (a->chans[i].num == num)
			return turn_now_before(a->chans[i].expires, now) ?
			    &a->chans[i] : NULL;
	return NULL;
}

struct turn_chan *
turn_chan_by_peer(struct turn_alloc *a, const struct turn_ip *ip,
    uint16_t port, uint64_t now)
{
	unsigned i;

	for (i = 0; i < a->nchans; i++)
		if (a->chans[i].port == port && turn_ip_equal(&a->chans[i].ip, ip))
			return turn_now_before(a->chans[i].expires, now) ?
			    &a->chans[i] : NULL;
	return NULL;
}

/*
 * What the current policy says of the allocation relaying to ip:port
 * (TURN_JUDGE_PEER: a Send indication, ChannelBind, a channel when the
 * policy changes), or of a permission for ip (TURN_JUDGE_PERM:
 * CreatePermission, a permission when the policy changes; port ignored,
 * a permission is per IP, RFC 8656 §9).
 */
enum policy_verdict
turn_peer_verdict(struct turn_engine *e, struct turn_alloc *a,
    const struct turn_ip *ip, uint16_t port, enum turn_judge how)
{
	struct addr peer;

	/* fail closed: no policy installed, or no relay of that family */
	if (e->policy == NULL)
		return POLICY_DENY_DEFAULT;
	if (a->relay[ip->fam].handle == 0)
		return POLICY_DENY_FAMILY;
	turn_ip_to_addr(ip, port, &peer);
	/*
	 * A permission names no port, so the relay's own bound address below
	 * could only be compared on its IP, and that IP is also the bound IP
	 * of every other allocation on this relay IP (relay to relay). The
	 * loop that check prevents needs this allocation's own port, which
	 * every path that sends names and is judged with: a Send indication
	 * on each packet, a channel at ChannelBind and again whenever the
	 * policy changes. For the same reason policy_perm_check() has no
	 * own relayed address.
	 */
	if (how == TURN_JUDGE_PERM)
		return policy_perm_check(e->policy, &peer);
	/* behind external-ip the socket's own address differs from the
	 * advertised one that the policy compares with: the relay never
	 * sends to itself (docs/security.md, Peer deny list) */
	if (port == a->relay[ip->fam].port &&
	    turn_ip_equal(ip, &a->relay[ip->fam].bound))
		return POLICY_DENY_SELF;
	return policy_peer_check(e->policy, &peer, &a->relay[ip->fam].adv);
}

static bool
turn_peer_allowed(struct turn_engine *e, struct turn_alloc *a,
    const struct turn_ip *ip, uint16_t port, enum turn_judge how)
{
	return policy_verdict_is_allowed(turn_peer_verdict(e, a, ip, port,
	    how));
}

void
turn_perm_prune(struct turn_engine *e, struct turn_alloc *a, uint64_t now,
    bool policy_too)
{
	unsigned i, n;

	for (i = n = 0; i < a->nperms; i++) {
		if (!turn_now_before(a->perms[i].expires, now) ||
		    (policy_too && !turn_peer_allowed(e, a, &a->perms[i].ip, 0,
		    TURN_JUDGE_PERM)))
			continue;
		a->perms[n++] = a->perms[i];
	}
	e->stats.permissions -= a->nperms - n;
	a->nperms = n;
	for (i = n = 0; i < a->nchans; i++) {
		if (!turn_now_before(a->chans[i].expires, now) ||
		    (policy_too && !turn_peer_allowed(e, a, &a->chans[i].ip,
		    a->chans[i].port, TURN_JUDGE_PEER)))
			continue;
		a->chans[n++] = a->chans[i];
	}
	e->stats.channels -= a->nchans - n;
	a->nchans = n;
}

/* Doubles *cap from 8 until it holds want (at most max). 0 or -1. */
static int
turn_perm_resize(void **arr, unsigned *cap, unsigned want, unsigned max,
    size_t size)
{
	unsigned n = *cap != 0 ? *cap : 8;
	void *p;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	if (n > max)
		n = max;
	if ((p = reallocarray(*arr, n, size)) == NULL)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* Room for want permissions / channels in total: 0 or -1 (no memory). */
static int
turn_perm_grow(const struct turn_engine *e, struct turn_alloc *a,
    unsigned want_perms, unsigned want_chans)
{
	const unsigned max_perms = e->opts.max_permissions;
	const unsigned max_chans = e->opts.max_channels;
	void *p = a->perms, *c = a->chans;
	int rc;

	rc = turn_perm_resize(&p, &a->capperms, want_perms, max_perms,
	    sizeof(*a->perms));
	a->perms = p;
	if (rc == 0)
		rc = turn_perm_resize(&c, &a->capchans, want_chans, max_chans,
		    sizeof(*a->chans));
	a->chans = c;
	return rc;
}

/* Installs or refreshes (§9: exactly 300 s from now). Room was made. */
static void
turn_perm_set(struct turn_engine *e, struct turn_alloc *a,
    const struct turn_ip *ip, uint64_t now)
{
	unsigned i;

	for (i = 0; i < a->nperms; i++)
		if (turn_ip_equal(&a->perms[i].ip, ip))
			break;
	if (i == a->nperms) {
		a->perms[a->nperms++].ip = *ip;
		e->stats.permissions++;
		a->use.permissions++;
	}
	a->perms[i].expires = now + e->opts.perm_lifetime * 1000ull;
}

/* One XOR-PEER-ADDRESS: decoded, canonical, judged as how says (its IP
 * for CreatePermission, ip:port for ChannelBind). 0 or the code. */
static int
turn_peer_judge(struct turn_engine *e, struct turn_alloc *a,
    const struct stun_attr *at, struct turn_req *r, enum turn_judge how,
    struct turn_ip *ip, uint16_t *port)
{
	const uint8_t *tid = r->m->tid;
	enum policy_verdict v;
	struct addr raw, peer;
	int fi;

	if (stun_attr_xor_addr(at, tid, &raw) != 0)
		return STUN_ERR_BAD_REQUEST;
	/* §10.2, §12.2: the family on the wire has no relay in this
	 * allocation. Judged on the wire form, so that ::ffff:127.0.0.1 on an
	 * IPv6 relay is a policy refusal (403), not a family mismatch
	 * (443 only where the allocation cannot match). */
	fi = turn_fam_index(addr_family(&raw));
	if (fi < 0 || a->relay[fi].handle == 0)
		return STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH;
	policy_addr_canonical(&raw, &peer);
	/* The IPv4-mapped form itself is never a peer, whatever the rules
	 * say about the IPv4 address in it; a client that means that address
	 * sends it as family 0x01, so the address judged is the address used
	 * (docs/security.md, Peer deny list: Canonical forms). */
	if (addr_family(&peer) != addr_family(&raw)) {
		turn_outcome_refused(r->out, POLICY_DENY_HARD);
		return STUN_ERR_FORBIDDEN;
	}
	turn_ip_from_addr(&peer, ip);
	*port = addr_port(&peer);
	/* §10.2 "MAY impose restrictions": 403 (docs/security.md, Peer deny
	 * list) */
	v = turn_peer_verdict(e, a, ip, *port, how);
	if (!policy_verdict_is_allowed(v)) {
		turn_outcome_refused(r->out, v);
		return STUN_ERR_FORBIDDEN;
	}
	return 0;
}

static void
turn_empty_success(struct turn_req *r)
{
	struct stun_builder b;

	stun_builder_reply(&b, r->out->buf, r->out->cap, r->m, STUN_SUCCESS);
	turn_req_finish(r, &b);
}

/* Every XOR-PEER-ADDRESS before the integrity attributes (the decoder
 * indexes only the first of a type). Count, or -code. */
static int
turn_perm_collect(struct turn_engine *e, struct turn_req *r,
    struct turn_alloc *a, struct turn_ip *ips)
{
	const struct stun_msg *m = r->m;
	struct stun_attr at;
	size_t off = STUN_HEADER_LEN, end = m->raw_len;
	uint16_t port;
	int n = 0, code;

	if (m->mi_off != 0)
		end = m->mi_off;	/* RFC 8489 §14.5: later ones ignored */
	else if (m->mi256_off != 0)
		end = m->mi256_off;
	while (off + 4 <= end) {
		at.type = buf_get_u16(m->raw + off);
		at.len = buf_get_u16(m->raw + off + 2);
		at.val = m->raw + off + 4;
		off += 4 + (((size_t)at.len + 3) & ~(size_t)3);
		if (at.type != STUN_ATTR_XOR_PEER_ADDRESS)
			continue;
		if ((unsigned)n == e->opts.max_peers_per_request) {
			turn_outcome_quota(r->out, TURN_QUOTA_PERMISSIONS);
			return -STUN_ERR_INSUFFICIENT_CAPACITY;
		}
		if ((code = turn_peer_judge(e, a, &at, r, TURN_JUDGE_PERM,
		    &ips[n], &port)) != 0)
			return -code;
		n++;
	}
	return n;
}

/* §10.2: all the permissions or none. */
void
turn_perm_request(struct turn_engine *e, struct turn_req *r)
{
	struct turn_ip ips[TURN_MAX_PEERS_LIMIT];
	struct turn_alloc *a;
	unsigned fresh = 0;
	int i, j, n;

	if ((a = turn_req_alloc(e, r)) == NULL)
		return;
	if ((n = turn_perm_collect(e, r, a, ips)) <= 0) {
		turn_req_error(e, r, n == 0 ? STUN_ERR_BAD_REQUEST : -n);
		return;
	}
	turn_perm_prune(e, a, r->now, false);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (turn_ip_equal(&ips[i], &ips[j]))
				break;
		if (j == i && turn_perm_find(a, &ips[i], r->now) == NULL)
			fresh++;
	}
	if (a->nperms + fresh > e->opts.max_permissions ||
	    turn_perm_grow(e, a, a->nperms + fresh, 0) != 0) {
		turn_outcome_quota(r->out, TURN_QUOTA_PERMISSIONS);
		turn_req_error(e, r, STUN_ERR_INSUFFICIENT_CAPACITY);
		return;
	}
	for (i = 0; i < n; i++)
		turn_perm_set(e, a, &ips[i], r->now);
	turn_empty_success(r);
}

/* §12.2: checks, then the binding and its permission. */
void
turn_chan_request(struct turn_engine *e, struct turn_req *r)
{
	const struct stun_attr *pa;
	struct turn_alloc *a;
	struct turn_chan *c, *c2;
	struct turn_ip ip;
	uint16_t num, port;
	unsigned i, ci;
	int code;

	if ((a = turn_req_alloc(e, r)) == NULL)
		return;
	pa = stun_msg_attr(r->m, STUN_ATTR_XOR_PEER_ADDRESS);
	if (stun_attr_channel_max(stun_msg_attr(r->m, STUN_ATTR_CHANNEL_NUMBER),
	    e->chan_max, &num) != 0 || pa == NULL) {
		turn_req_error(e, r, STUN_ERR_BAD_REQUEST);
		return;
	}
	if ((code = turn_peer_judge(e, a, pa, r, TURN_JUDGE_PEER, &ip,
	    &port)) != 0) {
		turn_req_error(e, r, code);
		return;
	}
	turn_perm_prune(e, a, r->now, false);
	c = turn_chan_by_num(a, num, r->now);
	c2 = turn_chan_by_peer(a, &ip, port, r->now);
	/* conflicting bindings in either direction: 400 */
	if (c != c2) {
		turn_req_error(e, r, STUN_ERR_BAD_REQUEST);
		return;
	}
	/* the arrays may move when they grow: keep an index, not c */
	i = turn_perm_find(a, &ip, r->now) == NULL ? 1 : 0;
	ci = c != NULL ? (unsigned)(c - a->chans) : a->nchans;
	if ((c == NULL && a->nchans >= e->opts.max_channels) ||
	    a->nperms + i > e->opts.max_permissions ||
	    turn_perm_grow(e, a, a->nperms + i, a->nchans + (c == NULL)) != 0) {
		turn_outcome_quota(r->out, TURN_QUOTA_CHANNELS);
		turn_req_error(e, r, STUN_ERR_INSUFFICIENT_CAPACITY);
		return;
	}
	c = &a->chans[ci];
	if (ci == a->nchans) {
		a->nchans++;
		c->num = num;
		c->port = port;
		c->ip = ip;
		e->stats.channels++;
		a->use.channels++;
	}
	c->expires = r->now + (uint64_t)e->opts.channel_lifetime * 1000;
	turn_perm_set(e, a, &ip, r->now);	/* §12.2: and its permission */
	turn_empty_success(r);
}
