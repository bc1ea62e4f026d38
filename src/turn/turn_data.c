/* SPDX-License-Identifier: ISC */
/*
 * turn_data: the data path (RFC 8656 §11, §12.4-§12.6).
 *
 *  - Send indication (§11.2): needs an allocation, XOR-PEER-ADDRESS,
 *    DATA, a live permission for the peer IP and a policy that allows the
 *    peer; anything else is a silent discard. It never creates or
 *    refreshes a permission, and unknown comprehension-required attributes
 *    discard it (RFC 8489 §6.3.2).
 *  - ChannelData from the client (§12.6): an unbound channel or a
 *    datagram shorter than 4 + length is discarded; it refreshes nothing.
 *  - A datagram from a peer (§9, §11.3, §12.5): discarded
 *    without a live permission for its IP; ChannelData when a channel is
 *    bound to its ip:port, else a Data indication with XOR-PEER-ADDRESS
 *    and DATA. The header is written into the headroom in front of the
 *    payload and the padding into its tailroom: nothing is copied. On
 *    TCP/TLS ChannelData is padded to 4 bytes (§12.5).
 * Data never refreshes the allocation (§6). No malloc, no log.
 */
#include <string.h>

#include "policy/policy.h"
#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/buf.h"

/* Refills b at rate bytes per second (at most one second's worth), then
 * takes len bytes if they fit. Milli-bytes keep the refill exact. */
static bool
turn_bucket_take(struct turn_bucket *b, uint64_t rate, size_t len,
    uint64_t now)
{
	const uint64_t cap = rate * 1000, want = (uint64_t)len * 1000;

	if (now > b->last_ms) {
		b->milli += (now - b->last_ms) * rate;
		if (b->milli > cap)
			b->milli = cap;
	}
	if (now > b->last_ms || b->last_ms == 0)
		b->last_ms = now;
	if (b->milli < want)
		return false;
	b->milli -= want;
	return true;
}

/*
 * max-bps per allocation (both directions) and this engine's share of
 * bps-capacity: two token buckets, no lock, no syscall. A packet that
 * fits the allocation's but not the engine's costs the allocation
 * nothing.
 */
bool
turn_bw_take(struct turn_engine *e, struct turn_alloc *a, size_t len,
    uint64_t now)
{
	struct turn_bucket save = a->bw;

	if (e->opts.max_bps != 0 &&
	    !turn_bucket_take(&a->bw, e->opts.max_bps, len, now))
		return false;
	if (e->opts.capacity_bps != 0 &&
	    !turn_bucket_take(&e->cap, e->opts.capacity_bps, len, now)) {
		a->bw = save;
		return false;
	}
	return true;
}

static struct turn_alloc *
turn_data_alloc(struct turn_engine *e, const struct turn_tuple *t,
    uint64_t now)
{
	struct turn_alloc *a = turn_table_find(e, t);

	/* lazy expiry: the sweep frees it, here it is simply gone */
	if (a != NULL && !turn_now_before(a->expires, now))
		return NULL;
	return a;
}

static enum turn_drop
turn_send_check(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out)
{
	enum policy_verdict v;
	const struct stun_attr *pa, *da;
	struct turn_alloc *a;
	struct addr raw, peer;
	struct turn_ip ip;
	int fi;

	if ((a = turn_data_alloc(e, t, now)) == NULL)
		return TURN_DROP_NO_ALLOCATION;
	pa = stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS);
	da = stun_msg_attr(m, STUN_ATTR_DATA);
	if (m->nunknown > 0 || pa == NULL || da == NULL ||
	    stun_attr_xor_addr(pa, m->tid, &raw) != 0)
		return TURN_DROP_BAD_INDICATION;
	policy_addr_canonical(&raw, &peer);
	fi = turn_fam_index(addr_family(&peer));
	if (fi < 0 || a->relay[fi].handle == 0)
		return TURN_DROP_FAMILY;
	turn_ip_from_addr(&peer, &ip);
	if (turn_perm_find(a, &ip, now) == NULL)
		return TURN_DROP_NO_PERMISSION;
	/* the same judge as ChannelBind, own bound address included */
	v = turn_peer_verdict(e, a, &ip, addr_port(&peer), TURN_JUDGE_PEER);
	if (!policy_verdict_is_allowed(v)) {
		turn_outcome_refused(out, v);
		return v == POLICY_DENY_HOST || v == POLICY_DENY_SELF ?
		    TURN_DROP_SELF_PEER : TURN_DROP_POLICY;
	}
	if (!turn_bw_take(e, a, da->len, now))
		return TURN_DROP_BANDWIDTH;
	turn_use_add(a, false, da->len);
	e->opts.io->relay_send(e->opts.io->ctx, a->relay[fi].handle, &peer,
	    da->val, da->len);
	return TURN_DROP_NONE;
}

void
turn_send_indication(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out)
{
	out->len = 0;
	out->drop = turn_send_check(e, t, m, now, out);
}

void
turn_channel_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out)
{
	struct stun_channel_data cd;
	struct turn_alloc *a;
	struct turn_chan *c;
	struct addr peer;

	out->len = 0;
	if (stun_channel_decode_max(&cd, pkt, len, e->chan_max) != 0) {
		out->drop = TURN_DROP_SHORT;
		return;
	}
	if ((a = turn_data_alloc(e, t, now)) == NULL) {
		out->drop = TURN_DROP_CHANNEL;
		return;
	}
	if ((c = turn_chan_by_num(a, cd.channel, now)) == NULL) {
		out->drop = TURN_DROP_NO_CHANNEL;
		return;
	}
	/* the binding may outlive its permission (600 s vs 300 s, §9) */
	if (turn_perm_find(a, &c->ip, now) == NULL) {
		out->drop = TURN_DROP_NO_PERMISSION;
		return;
	}
	/* never relay_send() on a closed half of a dual allocation; no
	 * policy call per packet: the channel's ip:port was judged at
	 * ChannelBind, and turn_engine_set_env() drops the channel at once
	 * when a new policy refuses it (turn_perm_prune) */
	if (a->relay[c->ip.fam].handle == 0) {
		out->drop = TURN_DROP_FAMILY;
		return;
	}
	if (!turn_bw_take(e, a, cd.len, now)) {
		out->drop = TURN_DROP_BANDWIDTH;
		return;
	}
	turn_ip_to_addr(&c->ip, c->port, &peer);
	turn_use_add(a, false, cd.len);
	e->opts.io->relay_send(e->opts.io->ctx, a->relay[c->ip.fam].handle,
	    &peer, cd.data, cd.len);
	out->drop = TURN_DROP_NONE;
}

/* The next Data indication transaction id: a counter from a random start
 * (indications need unique ids, RFC 8489 §6, not secret ones). */
static void
turn_tid_next(struct turn_engine *e, uint8_t tid[STUN_TID_LEN])
{
	int i;

	memcpy(tid, e->tid_next, STUN_TID_LEN);
	for (i = STUN_TID_LEN - 1; i >= 0; i--)
		if (++e->tid_next[i] != 0)
			break;
}

static size_t
turn_pad(size_t len, const struct turn_alloc *a, bool always)
{
	if (!always && a->tuple.transport == TURN_UDP)
		return 0;	/* §12.5: MAY pad on UDP; we don't */
	return (4 - (len & 3)) & 3;
}

/* §12.5: ChannelData towards the client. */
static enum turn_drop
turn_peer_channel(struct turn_engine *e, struct turn_alloc *a,
    const struct turn_chan *c, uint8_t *payload, size_t headroom, size_t len,
    size_t tailroom)
{
	size_t pad = turn_pad(len, a, false);
	uint8_t *h;

	if (headroom < STUN_CHANNEL_HEADER_LEN || tailroom < pad ||
	    len > 0xFFFF)
		return TURN_DROP_NO_ROOM;
	h = payload - STUN_CHANNEL_HEADER_LEN;
	buf_put_u16(h, c->num);
	buf_put_u16(h + 2, (uint16_t)len);
	memset(payload + len, 0, pad);
	turn_use_add(a, true, len);
	e->opts.io->client_send(e->opts.io->ctx, &a->tuple, h,
	    STUN_CHANNEL_HEADER_LEN + len + pad);
	return TURN_DROP_NONE;
}

/* §11.3: a Data indication with XOR-PEER-ADDRESS and DATA. */
static enum turn_drop
turn_peer_data(struct turn_engine *e, struct turn_alloc *a,
    const struct addr *peer, uint8_t *payload, size_t headroom, size_t len,
    size_t tailroom)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	size_t pad = turn_pad(len, a, true);
	size_t alen = addr_family(peer) == AF_INET ? 8 : 20;
	size_t hlen = STUN_HEADER_LEN + 4 + alen + 4;
	uint8_t *h;

	if (headroom < hlen || tailroom < pad ||
	    hlen - STUN_HEADER_LEN + len + pad > 0xFFFC)
		return TURN_DROP_NO_ROOM;
	h = payload - hlen;
	turn_tid_next(e, tid);
	stun_builder_init(&b, h, hlen - 4, STUN_DATA, STUN_INDICATION, tid);
	stun_add_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	if (stun_builder_finish(&b) != hlen - 4)
		return TURN_DROP_NO_ROOM;
	buf_put_u16(payload - 4, STUN_ATTR_DATA);
	buf_put_u16(payload - 2, (uint16_t)len);
	memset(payload + len, 0, pad);
	buf_put_u16(h + 2, (uint16_t)(hlen - STUN_HEADER_LEN + len + pad));
	turn_use_add(a, true, len);
	e->opts.io->client_send(e->opts.io->ctx, &a->tuple, h,
	    hlen + len + pad);
	return TURN_DROP_NONE;
}

static enum turn_drop
turn_peer_relay(struct turn_engine *e, uint64_t relay, const struct addr *from,
    uint8_t *payload, size_t headroom, size_t len, size_t tailroom,
    uint64_t now)
{
	struct turn_relay *rl;
	struct turn_alloc *a;
	struct turn_chan *c;
	struct turn_ip ip;
	struct addr peer;

	if (e->opts.io == NULL || (rl = turn_table_relay(e, relay)) == NULL)
		return TURN_DROP_NO_ALLOCATION;
	a = rl->alloc;
	if (!turn_now_before(a->expires, now))
		return TURN_DROP_NO_ALLOCATION;
	policy_addr_canonical(from, &peer);
	if (turn_fam_index(addr_family(&peer)) < 0)
		return TURN_DROP_FAMILY;
	turn_ip_from_addr(&peer, &ip);
	/* §9: only peers the client gave a permission to */
	if (turn_perm_find(a, &ip, now) == NULL)
		return TURN_DROP_NO_PERMISSION;
	if (!turn_bw_take(e, a, len, now))
		return TURN_DROP_BANDWIDTH;
	/* §12.5: ChannelData once a channel is bound */
	if ((c = turn_chan_by_peer(a, &ip, addr_port(&peer), now)) != NULL)
		return turn_peer_channel(e, a, c, payload, headroom, len,
		    tailroom);
	return turn_peer_data(e, a, &peer, payload, headroom, len, tailroom);
}

enum turn_drop
turn_engine_peer_input(struct turn_engine *e, uint64_t relay,
    const struct addr *peer, uint8_t *payload, size_t headroom, size_t len,
    size_t tailroom, uint64_t now_ms)
{
	enum turn_drop d;

	turn_engine_clock(e, now_ms);
	d = turn_peer_relay(e, relay, peer, payload, headroom, len, tailroom,
	    now_ms);
	e->stats.peer_drops[d]++;
	return d;
}
