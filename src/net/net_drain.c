/* SPDX-License-Identifier: ISC */
/*
 * Drain: SIGUSR1 takes this server out of service without cutting a call.
 * From then on /readyz answers 503, the engines answer a new Allocate with
 * 508 or 300 Try Alternate (turn_engine_drain, turn_alloc.c), and every
 * existing allocation keeps relaying, refreshing and binding until it
 * ends. When none is left, or drain-timeout has passed, net_run() returns
 * and ternd exits 0. What lives here is the signal's effect, the timer and
 * readiness; the answers are the engine's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "net/net_int.h"
#include "util/log.h"

/* net_new(): alternate-server and drain-timeout, as started. */
int
net_drain_init(struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	size_t i;

	atomic_init(&n->draining, false);
	n->drain_timeout_s = c->drain_timeout;
	for (i = 0; i < c->n_alternate_server && i < CONFIG_MAX_ADDRS; i++) {
		if (addr_parse(&n->alt[i], c->alternate_server[i], 0) == -1) {
			snprintf(err, errcap, "alternate-server: not an IP "
			    "address with an optional port");
			return -1;
		}
		n->nalt++;
	}
	return 0;
}

/* drain-timeout is a duration: a clock step must not shorten it. */
static uint64_t
net_drain_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
net_drain_live(const struct net *n)
{
	int64_t v, sum = 0;
	unsigned i;

	for (i = 0; i < n->nworkers; i++) {
		v = atomic_load_explicit(&n->workers[i].live_allocs,
		    memory_order_relaxed);
		sum += v > 0 ? v : 0;
	}
	return (uint64_t)sum;
}

/* Main thread, once a second while draining. */
static void
net_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	uint64_t live = net_drain_live(n), now = net_drain_now_ms();

	(void)fd, (void)what;
	net_metrics_main_tick(n);
	if (live > 0 && now < n->drain_deadline_ms)
		return;
	log_info("drained", "allocations_left=%llu reason=%s",
	    (unsigned long long)live, live == 0 ? "none_left" : "drain_timeout");
	event_base_loopbreak(n->main_base);
}

/* Main thread: SIGUSR1 (a second one changes nothing). */
void
net_drain_begin(struct net *n)
{
	const struct timeval sec = { 1, 0 };

	if (atomic_exchange(&n->draining, true))
		return;
	n->drain_deadline_ms = net_drain_now_ms() +
	    (uint64_t)n->drain_timeout_s * 1000;
	log_info("draining", "allocations=%llu drain_timeout=%u "
	    "alternate_servers=%zu", (unsigned long long)net_drain_live(n),
	    n->drain_timeout_s, n->nalt);
	net_env_wake(n);	/* each engine learns it on its own thread */
	net_metrics_main_tick(n);
	n->drain_ev = event_new(n->main_base, -1, EV_PERSIST, net_drain_check,
	    n);
	if (n->drain_ev == NULL || event_add(n->drain_ev, &sec) == -1) {
		log_error("drain_failed", "reason=\"no timer: stopping now\"");
		event_base_loopbreak(n->main_base);
		return;
	}
	/* Nothing to wait for: stop at the next check, not in a second. */
	event_active(n->drain_ev, EV_TIMEOUT, 0);
}

void
net_drain_clear(struct net *n)
{
	if (n->drain_ev != NULL)
		event_free(n->drain_ev);
	n->drain_ev = NULL;
}
