/* SPDX-License-Identifier: ISC */
/*
 * What every file of net uses and nothing else: the clock, the names of
 * the protocols, and the hand-off of a client message to the layer above
 * (struct net_hooks). A leaf: it calls no other file of net, so that the
 * files of the module call each other in layers, not in circles
 * (ARCHITECTURE.md).
 */
#include <time.h>

#include "net/net_int.h"
#include "util/clock.h"

/*
 * Wall-clock milliseconds: the engine compares `now` with REST credential
 * expiry times and nonce timestamps that other servers of a fleet must
 * agree on, so a monotonic clock would not do.
 */
uint64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Deadlines and budgets must not jump with the wall clock. */
uint64_t
net_mono_ms(void)
{
	return clock_mono_ms();
}

const char *
net_proto_name(enum net_proto p)
{
	static const char *const names[] = { "udp", "tcp", "tls" };

	return (unsigned)p < 3 ? names[p] : "?";
}

/* hooks->input for one client message; out->len is 0 or fits. */
void
net_input(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out)
{
	out->len = 0;
	out->drop = TURN_DROP_UNSUPPORTED;	/* nobody attached yet */
	if (w->data != NULL)
		w->net->hooks->input(w->data, t, pkt, len, now_ms, out);
	if (out->len > out->cap)
		out->len = 0;
}

