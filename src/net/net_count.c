/* SPDX-License-Identifier: ISC */
/*
 * Counting on the worker's side (issue 5; net_metrics.c says where each
 * count comes from). Everything here runs on the worker that owns the
 * block: metrics_count() on its own block, no lock, no allocation, no
 * log. What needs a decode (a reply's ERROR-CODE, a refused peer) runs
 * only for answers, never for relayed data.
 */
#include <string.h>

#include "net/net_int.h"

/* Index of the relay family label. */
static unsigned
net_count_family(int family)
{
	return family == AF_INET6 ? METRICS_IPV6 : METRICS_IPV4;
}

/*
 * Method and code of a response we built (not remote input, but walked
 * with bounds all the same): 0 for a success, the ERROR-CODE otherwise.
 * -1 if it is not a response.
 */
static int
net_count_reply_parse(const uint8_t *p, size_t len, uint16_t *method,
    unsigned *code)
{
	uint16_t type, atype, alen;
	enum stun_class cls;
	size_t off;

	if (len < STUN_HEADER_LEN || !stun_is_stun_byte(p[0]))
		return -1;
	type = (uint16_t)(p[0] << 8 | p[1]);
	cls = stun_type_class(type);
	if (cls != STUN_SUCCESS && cls != STUN_ERROR)
		return -1;
	*method = stun_type_method(type);
	*code = cls == STUN_SUCCESS ? 0 : 999;
	if (cls == STUN_SUCCESS)
		return 0;
	for (off = STUN_HEADER_LEN; off + 4 <= len;
	    off += 4 + (((size_t)alen + 3) & ~(size_t)3)) {
		atype = (uint16_t)(p[off] << 8 | p[off + 1]);
		alen = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		if (atype == STUN_ATTR_ERROR_CODE && alen >= 4 &&
		    off + 8 <= len) {
			*code = (unsigned)(p[off + 6] & 0x7) * 100 + p[off + 7];
			break;
		}
	}
	return 0;
}

/*
 * A peer the engine refused (403 to CreatePermission or ChannelBind, a
 * Send dropped by the policy): judged again with the same snapshot to
 * learn the verdict, which the engine does not report. The first refused
 * XOR-PEER-ADDRESS counts; when none is refused here, the engine refused
 * the allocation's own relayed address (C7), which this check cannot see.
 */
static void
net_count_refusal(struct net_worker *w, const uint8_t *pkt, size_t len)
{
	enum policy_verdict v = POLICY_DENY_SELF, one;
	struct stun_attr a;
	struct addr peer;
	uint16_t alen;
	size_t off;

	if (w->env == NULL || w->env->policy == NULL || len < STUN_HEADER_LEN)
		return;
	for (off = STUN_HEADER_LEN; off + 4 <= len;
	    off += 4 + (((size_t)alen + 3) & ~(size_t)3)) {
		a.type = (uint16_t)(pkt[off] << 8 | pkt[off + 1]);
		alen = (uint16_t)(pkt[off + 2] << 8 | pkt[off + 3]);
		if (a.type != STUN_ATTR_XOR_PEER_ADDRESS || off + 4 + alen > len)
			continue;
		a.len = alen;
		a.val = pkt + off + 4;
		if (stun_attr_xor_addr(&a, pkt + 8, &peer) != 0)
			continue;
		one = policy_peer_check(w->env->policy, &peer, NULL);
		if (!policy_verdict_is_allowed(one)) {
			v = one;
			break;
		}
	}
	metrics_count(w->mw, METRICS_PEER_REFUSALS, v, 1);
}

/*
 * Allocate refused by a quota (486): counted by the limit the engine
 * names, from the growth of its counters since w->seen, which is then
 * brought up to date so that the tick's copy of the stats into w->seen
 * finds nothing new to count. Read after every Allocate rather than on
 * the 486 alone, so that a refusal whose answer was not sent counts too.
 */
static void
net_count_quota(struct net_worker *w)
{
	struct turn_stats st;
	unsigned i;

	turn_engine_stats(w->engine, &st);
	/* enum turn_quota_kind follows the label order (metrics_table.c) */
	for (i = 0; i < TURN_QUOTA_KIND_COUNT; i++) {
		if (st.quota_refusals[i] > w->seen.quota_refusals[i])
			metrics_count(w->mw, METRICS_QUOTA_REFUSALS, i,
			    st.quota_refusals[i] - w->seen.quota_refusals[i]);
		w->seen.quota_refusals[i] = st.quota_refusals[i];
	}
}

/* What the answer says: responses, refusals, quotas, new allocations. */
static void
net_count_reply(struct net_worker *w, const struct turn_out *out,
    const uint8_t *pkt, size_t len)
{
	uint16_t method;
	unsigned code;

	if (net_count_reply_parse(out->buf, out->len, &method, &code) == -1)
		return;
	metrics_count2(w->mw, METRICS_STUN_RESPONSES,
	    metrics_stun_method_index(method), metrics_stun_code_index(code), 1);
	if (code == STUN_ERR_FORBIDDEN && (method == STUN_CREATE_PERMISSION ||
	    method == STUN_CHANNEL_BIND))
		net_count_refusal(w, pkt, len);
	else if (code == STUN_ERR_INSUFFICIENT_CAPACITY &&
	    method == STUN_CREATE_PERMISSION)
		metrics_count(w->mw, METRICS_QUOTA_REFUSALS,
		    METRICS_QUOTA_PERMISSIONS, 1);
	else if (code == STUN_ERR_INSUFFICIENT_CAPACITY &&
	    method == STUN_CHANNEL_BIND)
		metrics_count(w->mw, METRICS_QUOTA_REFUSALS,
		    METRICS_QUOTA_CHANNELS, 1);
}

/*
 * The relays this request opened belong to one new allocation when the
 * answer is an Allocate success: from now on their closing ends it.
 * A retransmitted Allocate gets the cached success and opens nothing.
 */
static void
net_count_commit(struct net_worker *w, const struct turn_out *out)
{
	struct net_relay *a, *b;
	uint16_t method;
	unsigned code;

	if (w->nopened == 0 || net_count_reply_parse(out->buf, out->len,
	    &method, &code) == -1 || method != STUN_ALLOCATE || code != 0)
		return;
	a = net_relay_by_idx(w, w->opened[0]);
	b = w->nopened > 1 ? net_relay_by_idx(w, w->opened[1]) : NULL;
	if (a == NULL)
		return;
	a->committed = true;
	if (b != NULL) {
		b->committed = true;
		a->partner = b->idx + 1;
		b->partner = a->idx + 1;
	}
	atomic_fetch_add_explicit(&w->live_allocs, 1, memory_order_relaxed);
	metrics_count(w->mw, METRICS_ALLOCATIONS_CREATED, 0, 1);
}

/* Requests and indications by method: STUN messages the engine took. */
static void
net_count_request(struct net_worker *w, const uint8_t *pkt, size_t len,
    enum turn_drop drop)
{
	uint16_t type;
	enum stun_class cls;

	if (len < STUN_HEADER_LEN || !stun_is_stun_byte(pkt[0]) ||
	    drop == TURN_DROP_MALFORMED || drop == TURN_DROP_NOT_STUN ||
	    drop == TURN_DROP_RFC3489)
		return;
	type = (uint16_t)(pkt[0] << 8 | pkt[1]);
	cls = stun_type_class(type);
	if (cls == STUN_REQUEST || cls == STUN_INDICATION)
		metrics_count(w->mw, METRICS_STUN_REQUESTS,
		    metrics_stun_method_index(stun_type_method(type)), 1);
}

/*
 * turn_engine_input() with the counting around it, for every client
 * message (UDP, TCP, TLS, and requests submitted again after a user-key
 * lookup). While draining, an Allocate is answered here instead.
 */
void
net_engine_input(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out)
{
	w->ctx = NET_CTX_REQUEST;
	w->ctx_method = len >= 2 && stun_is_stun_byte(pkt[0]) ?
	    stun_type_method((uint16_t)(pkt[0] << 8 | pkt[1])) : 0;
	w->ctx_transport = t->transport;
	w->nopened = 0;
	if (!net_drain_answer(w, t, pkt, len, now, out)) {
		turn_engine_input(w->engine, t, pkt, len, now, out);
		if (w->ctx_method == STUN_ALLOCATE)
			net_count_quota(w);
	}
	w->ctx = NET_CTX_NONE;
	if (out->len > out->cap)
		out->len = 0;
	if (out->len == 0 && out->drop == TURN_DROP_PENDING)
		return;		/* counted when it is submitted again */
	net_count_request(w, pkt, len, out->drop);
	if (out->len == 0) {
		/* TURN_DROP_NONE with no answer: relayed, not dropped. */
		if (out->drop != TURN_DROP_NONE)
			metrics_count(w->mw, METRICS_DROPPED_PACKETS, out->drop,
			    1);
		if (out->drop == TURN_DROP_POLICY)
			net_count_refusal(w, pkt, len);
		return;
	}
	net_count_commit(w, out);
	net_count_reply(w, out, pkt, len);
}

/* relay_open succeeded for the request being handled. */
void
net_count_relay_open(struct net_worker *w, struct net_relay *r, int family,
    uint64_t now_ms)
{
	r->opened_ms = now_ms;
	r->family = (uint8_t)net_count_family(family);
	r->transport = (uint8_t)w->ctx_transport;
	r->committed = false;
	r->partner = 0;
	if (w->nopened < 2)
		w->opened[w->nopened++] = r->idx;
	metrics_gauge_add2(w->mw, METRICS_ALLOCATIONS, r->transport, r->family,
	    1);
}

/* Why allocations end now: what the engine is doing. */
static unsigned
net_count_end_reason(const struct net_worker *w)
{
	switch (w->ctx) {
	case NET_CTX_REQUEST:
		/* Refresh LIFETIME 0 (§8.2); any other request closes an
		 * allocation only when it has expired (lazy expiry). */
		return w->ctx_method == STUN_REFRESH ? METRICS_END_DELETED :
		    METRICS_END_EXPIRED;
	case NET_CTX_CONN:
		return METRICS_END_CONN_CLOSED;
	case NET_CTX_ENV:
		return METRICS_END_REVOKED;
	case NET_CTX_FREE:
		return METRICS_END_SHUTDOWN;
	case NET_CTX_TICK:
	case NET_CTX_NONE:
		break;
	}
	return METRICS_END_EXPIRED;
}

/* relay_close, before the slot is reused. An allocation ends with its
 * last relay (the other half of a dual allocation may close first). */
void
net_count_relay_close(struct net_worker *w, struct net_relay *r,
    uint64_t now_ms)
{
	struct net_relay *o;

	metrics_gauge_add2(w->mw, METRICS_ALLOCATIONS, r->transport, r->family,
	    -1);
	if (!r->committed)
		return;
	r->committed = false;
	o = r->partner != 0 ? net_relay_by_idx(w, r->partner - 1) : NULL;
	r->partner = 0;
	if (o != NULL && o->committed && o->fd != -1) {
		o->partner = 0;
		return;
	}
	atomic_fetch_sub_explicit(&w->live_allocs, 1, memory_order_relaxed);
	metrics_count(w->mw, METRICS_ALLOCATIONS_ENDED,
	    net_count_end_reason(w), 1);
	metrics_observe(w->mw, METRICS_ALLOCATION_DURATION, 0,
	    now_ms > r->opened_ms ? (double)(now_ms - r->opened_ms) / 1000 : 0);
}
