/* SPDX-License-Identifier: ISC */
/*
 * Counting on the worker's side: what the engine reports (struct
 * turn_outcome for each client message, struct turn_alloc_event for each
 * allocation's life) becomes metrics, and each allocation's start and
 * end a session record (daemon_session.c). Nothing here decodes STUN or
 * judges a peer: the engine has said what it did. Everything runs on the
 * worker that owns the block: metrics_count() on its own block, no lock,
 * no allocation; no log but the session records.
 */
#include <string.h>

#include "daemon/daemon_int.h"

/* Index of the relay family label. */
static unsigned
daemon_count_family(unsigned turn_family)
{
	return turn_family == TURN_FAMILY_V6 ? METRICS_IPV6 : METRICS_IPV4;
}

/* What the engine says it did with one client message. */
static void
daemon_count_outcome(struct daemon_worker *w, const struct turn_out *out)
{
	const struct turn_outcome *oc = &out->oc;

	if (oc->msg == TURN_MSG_REQUEST || oc->msg == TURN_MSG_INDICATION)
		metrics_count(w->mw, METRICS_STUN_REQUESTS,
		    metrics_stun_method_index(oc->method), 1);
	/* TURN_DROP_NONE with no answer: relayed, not dropped. */
	if (out->len == 0 && out->drop != TURN_DROP_NONE)
		metrics_count(w->mw, METRICS_DROPPED_PACKETS, out->drop, 1);
	if (out->len > 0 && oc->msg == TURN_MSG_REQUEST)
		metrics_count2(w->mw, METRICS_STUN_RESPONSES,
		    metrics_stun_method_index(oc->method),
		    metrics_stun_code_index(oc->code), 1);
	if (oc->peer_refused)
		metrics_count(w->mw, METRICS_PEER_REFUSALS, oc->verdict, 1);
	/* enum turn_quota_kind follows the label order (metrics_table.c) */
	if (oc->quota_refused)
		metrics_count(w->mw, METRICS_QUOTA_REFUSALS, oc->quota, 1);
	/* enum turn_auth_fail follows the label order (turn.h) */
	if (oc->auth_failed)
		metrics_count(w->mw, METRICS_AUTH_FAILURES, oc->auth_fail, 1);
}

/*
 * turn_engine_input() with the counting after it, for every client
 * message (UDP, TCP, TLS, and requests submitted again after a user-key
 * lookup).
 */
void
daemon_engine_input(struct daemon_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out)
{
	turn_engine_input(w->engine, t, pkt, len, now, out);
	if (out->len > out->cap)
		out->len = 0;
	if (out->len == 0 && out->drop == TURN_DROP_PENDING)
		return;		/* counted when it is submitted again */
	daemon_count_outcome(w, out);
}

/* tern_allocations{transport,family} moves by one per relay family. */
static void
daemon_count_families(struct daemon_worker *w,
    const struct turn_alloc_event *ev, int delta)
{
	unsigned f;

	for (f = TURN_FAMILY_V4; f <= TURN_FAMILY_V6; f <<= 1)
		if (ev->families & f)
			metrics_gauge_add2(w->mw, METRICS_ALLOCATIONS,
			    ev->tuple->transport, daemon_count_family(f), delta);
}

/* turn_hooks.alloc_event (ctx: the worker). */
void
daemon_count_alloc_event(void *ctx, const struct turn_alloc_event *ev)
{
	struct daemon_worker *w = ctx;
	uint64_t ms;

	switch (ev->kind) {
	case TURN_EV_CREATED:
		daemon_count_families(w, ev, 1);
		atomic_fetch_add_explicit(&w->live_allocs, 1,
		    memory_order_relaxed);
		metrics_count(w->mw, METRICS_ALLOCATIONS_CREATED, 0, 1);
		break;
	case TURN_EV_RELAY_CLOSED:
		daemon_count_families(w, ev, -1);
		break;
	case TURN_EV_ENDED:
		daemon_count_families(w, ev, -1);
		atomic_fetch_sub_explicit(&w->live_allocs, 1,
		    memory_order_relaxed);
		/* enum turn_end follows the label order (metrics_table.c) */
		metrics_count(w->mw, METRICS_ALLOCATIONS_ENDED, ev->end, 1);
		ms = ev->now_ms > ev->created_ms ? ev->now_ms - ev->created_ms :
		    0;
		metrics_observe(w->mw, METRICS_ALLOCATION_DURATION, 0,
		    (double)ms / 1000);
		break;
	}
	daemon_session_record(w, ev);
}
