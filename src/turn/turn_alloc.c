/* SPDX-License-Identifier: ISC */
/*
 * turn_alloc: the Allocate (RFC 8656 §7.2) and Refresh (§8.2) requests.
 *
 * Allocate, in the order of §7.2:
 *   step 2: an allocation on this 5-tuple: the same transaction is a
 *     retransmission and gets the stored success again; else 437;
 *   step 3: REQUESTED-TRANSPORT missing or malformed 400, not UDP 442;
 *   step 4: DONT-FRAGMENT is honoured (relay_open flag), so never a 420;
 *   step 5: RESERVATION-TOKEN with EVEN-PORT or an address family 400;
 *   step 6: REQUESTED- and ADDITIONAL-ADDRESS-FAMILY together 400;
 *   step 7: an unknown family 440; none means IPv4;
 *   step 8: EVEN-PORT R=1 with ADDITIONAL-ADDRESS-FAMILY 400;
 *   step 9: ADDITIONAL-ADDRESS-FAMILY IPv4 400; IPv6 asks for a dual
 *     allocation; if only the IPv6 half fails the success carries
 *     ADDRESS-ERROR-CODE (§18.12);
 *   step 10: quotas 486 (counted by the limit hit); then an invalid/expired token, no port or no
 *     socket 508, no relay of the family 440.
 * The lifetime is the default (600 s) unless the client asks for more,
 * capped by max-allocate-lifetime (§6, §7.2).
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "turn/turn.h"
#include "turn/turn_int.h"

/* turn_quota_take() names the limit in enum turn_quota_kind's order. */
_Static_assert((int)TURN_QUOTA_OVER_IP - (int)TURN_QUOTA_OVER_USER ==
    (int)TURN_QUOTA_IP && (int)TURN_QUOTA_OVER_TOTAL -
    (int)TURN_QUOTA_OVER_USER == (int)TURN_QUOTA_TOTAL &&
    (int)TURN_QUOTA_USER == 0, "quota answers follow the kinds");

#define TURN_OPEN_TRIES	16	/* ports tried when the I/O layer finds one taken */
#define TURN_PROTO_UDP	17	/* §18.8 */

struct turn_plan {
	int fam[2];		/* AF_INET / AF_INET6; fam[1] for dual */
	int nfam;
	bool even, reserve, df;
	const uint8_t *token;	/* RESERVATION-TOKEN value, or NULL */
	uint32_t lifetime;	/* s */
	uint8_t newtoken[TURN_RESERVATION_TOKEN_LEN];
	int addr_err;		/* for the second family, 0 if fine */
};

/* §18.6 family byte -> AF_*, 0 for an unknown value (440). */
static int
turn_fam_from_wire(uint8_t f)
{
	return f == 0x01 ? AF_INET : f == 0x02 ? AF_INET6 : 0;
}

/* §7.2 / §8.2: the default unless more is asked for, capped. 0 = 400. */
static int
turn_lifetime(struct turn_engine *e, const struct stun_msg *m, uint32_t *out)
{
	const struct stun_attr *la = stun_msg_attr(m, STUN_ATTR_LIFETIME);
	uint32_t v = TURN_LIFETIME_DEFAULT;

	if (la != NULL) {
		if (stun_attr_u32(la, &v) != 0)
			return -1;
		if (v == 0) {
			*out = 0;
			return 0;
		}
		if (v < TURN_LIFETIME_DEFAULT)
			v = TURN_LIFETIME_DEFAULT;
	}
	if (v > e->opts.max_lifetime)
		v = e->opts.max_lifetime;
	*out = v;
	return 0;
}

/* Steps 3-9: returns 0 or the error code. */
static int
turn_alloc_parse(struct turn_engine *e, const struct stun_msg *m,
    struct turn_plan *p)
{
	const struct stun_attr *tok, *ep, *raf, *aaf;
	uint8_t proto, f;

	memset(p, 0, sizeof(*p));
	if (stun_attr_requested_transport(stun_msg_attr(m,
	    STUN_ATTR_REQUESTED_TRANSPORT), &proto) != 0)
		return STUN_ERR_BAD_REQUEST;
	if (proto != TURN_PROTO_UDP)
		return STUN_ERR_UNSUPPORTED_TRANSPORT;
	p->df = stun_msg_attr(m, STUN_ATTR_DONT_FRAGMENT) != NULL;
	tok = stun_msg_attr(m, STUN_ATTR_RESERVATION_TOKEN);
	ep = stun_msg_attr(m, STUN_ATTR_EVEN_PORT);
	raf = stun_msg_attr(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	aaf = stun_msg_attr(m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	if (tok != NULL && (ep != NULL || raf != NULL || aaf != NULL ||
	    tok->len != TURN_RESERVATION_TOKEN_LEN))
		return STUN_ERR_BAD_REQUEST;
	p->token = tok != NULL ? tok->val : NULL;
	if (raf != NULL && aaf != NULL)
		return STUN_ERR_BAD_REQUEST;
	p->fam[0] = AF_INET;
	p->nfam = 1;
	if (raf != NULL) {
		if (stun_attr_family(raf, &f) != 0)
			return STUN_ERR_BAD_REQUEST;
		if ((p->fam[0] = turn_fam_from_wire(f)) == 0)
			return STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	}
	if (ep != NULL) {
		if (stun_attr_even_port(ep, &p->reserve) != 0)
			return STUN_ERR_BAD_REQUEST;
		p->even = true;
		if (p->reserve && aaf != NULL)
			return STUN_ERR_BAD_REQUEST;
	}
	if (aaf != NULL) {
		if (stun_attr_family(aaf, &f) != 0 || f == 0x01)
			return STUN_ERR_BAD_REQUEST;
		if (turn_fam_from_wire(f) != AF_INET6)
			return STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		p->fam[1] = AF_INET6;
		p->nfam = 2;
	}
	if (turn_lifetime(e, m, &p->lifetime) != 0)
		return STUN_ERR_BAD_REQUEST;
	if (p->lifetime == 0)	/* LIFETIME 0 on Allocate: the default */
		p->lifetime = TURN_LIFETIME_DEFAULT < e->opts.max_lifetime ?
		    TURN_LIFETIME_DEFAULT : e->opts.max_lifetime;
	return 0;
}

/* Fills in a relay that relay_open bound. */
static void
turn_alloc_bound(struct turn_engine *e, struct turn_relay *rl, int family,
    unsigned ip, uint16_t port, const struct addr *bound, uint64_t handle)
{
	const struct addr *ext = turn_ports_external(e->opts.ports, family, ip);

	if (ext == NULL)
		ext = family == AF_INET ? &e->opts.external4 :
		    &e->opts.external6;
	rl->port = port;
	rl->ip = (uint16_t)ip;
	rl->handle = handle;
	turn_ip_from_addr(bound, &rl->bound);
	/* external-ip: the address clients and peers see (behind NAT) */
	rl->adv = addr_family(ext) == family ? *ext : *bound;
	addr_set_port(&rl->adv, addr_port(bound));
	turn_table_add_relay(e, rl);
}

/* Gives back what turn_alloc_open took for one try. */
static void
turn_alloc_untake(struct turn_engine *e, int family, unsigned ip,
    uint16_t port, bool pair)
{
	turn_ports_release(e->opts.ports, family, ip, port);
	if (pair)
		turn_ports_release(e->opts.ports, family, ip, port + 1);
}

/* Opens the relay of one family on an address from the pool (any relay
 * IP of the family). 0 or the error code (440/508). */
static int
turn_alloc_open(struct turn_engine *e, struct turn_alloc *a, int family,
    struct turn_plan *p, uint64_t now)
{
	const struct turn_io *io = e->opts.io;
	struct addr bound;
	uint64_t handle;
	uint16_t port = 0;
	unsigned ip = 0;
	int i, rc, tfam, fi = turn_fam_index(family);
	bool fixed = p->token != NULL && family == p->fam[0];

	if (fi < 0)
		return STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (fixed && (turn_ports_redeem(e->opts.ports, p->token, now, &tfam,
	    &ip, &port) != 0 || tfam != family))
		return STUN_ERR_INSUFFICIENT_CAPACITY;	/* §7.2 step 10 */
	for (i = 0; i < TURN_OPEN_TRIES; i++) {
		if (!fixed && turn_ports_take(e->opts.ports, family, p->even,
		    p->reserve, &ip, &port) != 0)
			return STUN_ERR_INSUFFICIENT_CAPACITY;
		memset(&bound, 0, sizeof(bound));
		handle = 0;
		rc = io->relay_open(io->ctx, family, ip, port,
		    p->df ? TURN_RELAY_DONT_FRAGMENT : 0, &bound, &handle);
		if (rc == TURN_IO_OK && handle != 0)
			break;
		turn_alloc_untake(e, family, ip, port, p->reserve);
		if (rc == TURN_IO_NO_FAMILY)
			return STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		if (rc != TURN_IO_PORT_IN_USE || fixed)
			return STUN_ERR_INSUFFICIENT_CAPACITY;
	}
	if (i == TURN_OPEN_TRIES)
		return STUN_ERR_INSUFFICIENT_CAPACITY;
	turn_alloc_bound(e, &a->relay[fi], family, ip, port, &bound, handle);
	/* §7.2: port N+1 held for a later Allocate with the token */
	if (p->reserve && turn_ports_reserve(e->opts.ports, family, ip,
	    port + 1, now, p->newtoken) != 0) {
		turn_ports_release(e->opts.ports, family, ip, port + 1);
		turn_table_close_relay(e, &a->relay[fi]);
		return STUN_ERR_INSUFFICIENT_CAPACITY;
	}
	return 0;
}

/* Who made it (USERNAME, or the user of a USERHASH) and the quota user. */
static int
turn_alloc_names(struct turn_alloc *a, const struct auth_result *res)
{
	const uint8_t *name = res->username;
	size_t nlen = res->username_len;

	if (name == NULL) {
		name = res->user;
		nlen = res->user_len;
	}
	if ((a->name = malloc(nlen + res->user_len + 1)) == NULL)
		return -1;
	memcpy(a->name, name, nlen);
	a->name_len = nlen;
	a->quser = a->name + nlen;
	if (res->user_len > 0)
		memcpy(a->quser, res->user, res->user_len);
	a->quser_len = res->user_len;
	a->cred_expiry = res->rest ? res->expiry : 0;
	return 0;
}

/* ADDRESS-ERROR-CODE (§18.12): family, reserved, class, number, reason. */
static void
turn_add_address_error(struct stun_builder *b, int family, int code)
{
	const char *reason = stun_error_reason(code);
	uint8_t v[4 + 128];
	size_t rlen = strlen(reason);

	if (rlen > 127)
		rlen = 127;
	v[0] = family == AF_INET ? 0x01 : 0x02;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
	stun_add(b, STUN_ATTR_ADDRESS_ERROR_CODE, v, 4 + rlen);
}

/* §7.2: the success, kept for retransmissions. */
static void
turn_alloc_reply(struct turn_engine *e, struct turn_req *r,
    struct turn_alloc *a, const struct turn_plan *p)
{
	struct stun_builder b;
	struct addr mapped;
	int i, fi;

	stun_builder_reply(&b, r->out->buf, r->out->cap, r->m, STUN_SUCCESS);
	for (i = 0; i < p->nfam; i++) {
		fi = turn_fam_index(p->fam[i]);
		if (a->relay[fi].handle != 0)
			stun_add_xor_addr(&b, STUN_ATTR_XOR_RELAYED_ADDRESS,
			    &a->relay[fi].adv);
	}
	stun_add_u32(&b, STUN_ATTR_LIFETIME, p->lifetime);
	if (p->reserve)
		stun_add(&b, STUN_ATTR_RESERVATION_TOKEN, p->newtoken,
		    sizeof(p->newtoken));
	policy_addr_canonical(&r->t->client, &mapped);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
	if (p->addr_err != 0)
		turn_add_address_error(&b, p->fam[1], p->addr_err);
	if (e->software_len > 0)
		stun_add(&b, STUN_ATTR_SOFTWARE, e->opts.software,
		    e->software_len);
	turn_req_finish(r, &b);
	if (r->out->len > 0 && (a->resp = malloc(r->out->len)) != NULL) {
		memcpy(a->resp, r->out->buf, r->out->len);
		a->resp_len = r->out->len;
	}
}

/* Step 2 (§7.2): 1 if answered (retransmission or 437). */
static int
turn_alloc_existing(struct turn_engine *e, struct turn_req *r)
{
	struct turn_alloc *a = turn_table_find(e, r->t);

	if (a == NULL)
		return 0;
	if (!turn_now_before(a->expires, r->now)) {
		turn_table_remove(e, a, TURN_END_EXPIRED);
		r->out->oc.alloc_ended = true;
		r->out->oc.end = TURN_END_EXPIRED;
		return 0;
	}
	if (memcmp(a->tid, r->m->tid, STUN_TID_LEN) == 0 && a->resp != NULL &&
	    a->resp_len <= r->out->cap) {
		memcpy(r->out->buf, a->resp, a->resp_len);
		r->out->len = a->resp_len;
		r->out->drop = TURN_DROP_NONE;
		return 1;
	}
	turn_req_error(e, r, STUN_ERR_ALLOCATION_MISMATCH);
	return 1;
}

/* The first alternate-server of a family, or NULL. */
static const struct addr *
turn_alloc_alternate(const struct turn_engine *e, int family)
{
	size_t i;

	for (i = 0; i < e->opts.nalternates; i++)
		if (addr_family(&e->opts.alternates[i]) == family)
			return &e->opts.alternates[i];
	return NULL;
}

/* An alternate without a port means the port the request arrived on. */
static void
turn_alloc_add_alternate(struct stun_builder *b, const struct addr *alt,
    const struct turn_tuple *t)
{
	struct addr a = *alt;

	if (addr_port(&a) == 0)
		addr_set_port(&a, addr_port(&t->local));
	stun_add_addr(b, STUN_ATTR_ALTERNATE_SERVER, &a);
}

/*
 * Draining: an authenticated new Allocate is sent elsewhere, signed like
 * every answer to an authenticated request. 300 Try Alternate with an
 * ALTERNATE-SERVER of the client's family ("MUST contain an IP address of
 * the same address family as the source IP address of the request") and
 * one of the other family when configured ("SHOULD include an additional
 * ALTERNATE-SERVER attribute for each other address family"), RFC 8489
 * §10; 508 when there is none of the client's family. The answer creates
 * nothing and is smaller than the request.
 */
static void
turn_alloc_drained(struct turn_engine *e, struct turn_req *r)
{
	const int fam = addr_family(&r->t->client);
	const struct addr *same = turn_alloc_alternate(e, fam), *other;
	struct stun_builder b;

	r->out->oc.drained = true;
	if (same == NULL) {
		turn_req_error(e, r, STUN_ERR_INSUFFICIENT_CAPACITY);
		return;
	}
	other = turn_alloc_alternate(e, fam == AF_INET ? AF_INET6 : AF_INET);
	stun_builder_reply(&b, r->out->buf, r->out->cap, r->m, STUN_ERROR);
	r->out->oc.code = STUN_ERR_TRY_ALTERNATE;
	stun_add_error(&b, STUN_ERR_TRY_ALTERNATE);
	turn_alloc_add_alternate(&b, same, r->t);
	if (other != NULL)
		turn_alloc_add_alternate(&b, other, r->t);
	turn_req_finish(r, &b);
}

void
turn_alloc_request(struct turn_engine *e, struct turn_req *r)
{
	struct turn_plan p;
	struct turn_alloc *a = NULL;
	enum turn_quota_take qt;
	int code;

	if (turn_alloc_existing(e, r))
		return;
	if (e->draining) {
		turn_alloc_drained(e, r);
		return;
	}
	if ((code = turn_alloc_parse(e, r->m, &p)) != 0)
		goto fail;
	code = STUN_ERR_INSUFFICIENT_CAPACITY;
	if ((a = turn_table_add(e, r->t)) == NULL ||
	    turn_alloc_names(a, r->auth) != 0)
		goto fail;
	memcpy(a->tid, r->m->tid, STUN_TID_LEN);
	/* step 10: per user-id, per client IP and in total; which
	 * limit refused is counted for tern_quota_refusals_total{kind} */
	qt = turn_quota_take(e->opts.quota, a->quser, a->quser_len,
	    &r->t->client);
	if (qt == TURN_QUOTA_NO_MEMORY) {
		code = STUN_ERR_INSUFFICIENT_CAPACITY;	/* as a full table */
		goto fail;
	}
	if (qt != TURN_QUOTA_TAKEN) {
		e->stats.quota_refusals[qt - TURN_QUOTA_OVER_USER]++;
		turn_outcome_quota(r->out,
		    (enum turn_quota_kind)(qt - TURN_QUOTA_OVER_USER));
		code = STUN_ERR_ALLOCATION_QUOTA;
		goto fail;
	}
	a->quota_held = true;
	if ((code = turn_alloc_open(e, a, p.fam[0], &p, r->now)) != 0)
		goto fail;
	/* step 9: the IPv6 half of a dual allocation may fail alone */
	if (p.nfam == 2)
		p.addr_err = turn_alloc_open(e, a, p.fam[1], &p, r->now);
	a->expires = r->now + (uint64_t)p.lifetime * 1000;
	turn_alloc_reply(e, r, a, &p);
	if (r->out->len == 0) {
		/* nobody would know of it */
		turn_table_remove(e, a, TURN_END_DELETED);
		return;
	}
	turn_table_commit(e, a, r->now);
	r->out->oc.alloc_created = true;
	return;
fail:
	if (a != NULL)	/* never live: no event */
		turn_table_remove(e, a, TURN_END_DELETED);
	turn_req_error(e, r, code);
}

static void
turn_refresh_reply(struct turn_engine *e, struct turn_req *r, uint32_t life)
{
	struct stun_builder b;

	(void)e;
	stun_builder_reply(&b, r->out->buf, r->out->cap, r->m, STUN_SUCCESS);
	stun_add_u32(&b, STUN_ATTR_LIFETIME, life);
	turn_req_finish(r, &b);
}

/* §8.2: LIFETIME 0 deletes (one family of a dual allocation when
 * REQUESTED-ADDRESS-FAMILY names it), else the allocation lives on for
 * the desired lifetime. Data never refreshes (§6): only this does. */
void
turn_refresh_request(struct turn_engine *e, struct turn_req *r)
{
	const struct stun_attr *raf;
	struct turn_alloc *a;
	uint32_t life;
	uint8_t f;
	int fi = -1;

	if ((a = turn_req_alloc(e, r)) == NULL)
		return;
	raf = stun_msg_attr(r->m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	if (raf != NULL) {
		if (stun_attr_family(raf, &f) != 0) {
			turn_req_error(e, r, STUN_ERR_BAD_REQUEST);
			return;
		}
		fi = turn_fam_index(turn_fam_from_wire(f));
		if (fi < 0 || a->relay[fi].handle == 0) {
			turn_req_error(e, r,
			    STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
			return;
		}
	}
	if (turn_lifetime(e, r->m, &life) != 0) {
		turn_req_error(e, r, STUN_ERR_BAD_REQUEST);
		return;
	}
	if (life == 0 && fi >= 0 && a->relay[!fi].handle != 0) {
		turn_table_close_family(e, a, fi);
		/* its permissions and channels go with it: the policy check
		 * fails closed for a family without a relay */
		turn_perm_prune(e, a, r->now, true);
	} else if (life == 0) {
		turn_table_remove(e, a, TURN_END_DELETED);
		r->out->oc.alloc_ended = true;
		r->out->oc.end = TURN_END_DELETED;
	} else
		a->expires = r->now + (uint64_t)life * 1000;
	turn_refresh_reply(e, r, life);
}
