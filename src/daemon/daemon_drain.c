/* SPDX-License-Identifier: ISC */
/*
 * Drain: SIGUSR1 takes this server out of service without cutting a call.
 * From then on /readyz answers 503, the engines answer a new Allocate with
 * 508 or 300 Try Alternate (turn_engine_drain, turn_alloc.c), and every
 * existing allocation keeps relaying, refreshing and binding until it
 * ends. When none is left, or drain-timeout has passed, daemon_run() returns
 * and ternd exits 0. What lives here is the signal's effect, the timer and
 * readiness; the answers are the engine's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/daemon_int.h"
#include "util/clock.h"
#include "util/log.h"

/* daemon_new(): alternate-server and drain-timeout, as started. */
int
daemon_drain_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	size_t i;

	atomic_init(&d->draining, false);
	d->drain_timeout_s = c->drain_timeout;
	for (i = 0; i < c->n_alternate_server && i < CONFIG_MAX_ADDRS; i++) {
		if (addr_parse(&d->alt[i], c->alternate_server[i], 0) == -1) {
			snprintf(err, errcap, "alternate-server: not an IP "
			    "address with an optional port");
			return -1;
		}
		d->nalt++;
	}
	return 0;
}

static uint64_t
daemon_drain_live(const struct daemon *d)
{
	int64_t v, sum = 0;
	unsigned i;

	for (i = 0; i < d->nworkers; i++) {
		v = atomic_load_explicit(&d->workers[i].live_allocs,
		    memory_order_relaxed);
		sum += v > 0 ? v : 0;
	}
	return (uint64_t)sum;
}

/* Main thread, once a second while draining. */
static void
daemon_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t live = daemon_drain_live(d), now = clock_mono_ms();

	(void)fd, (void)what;
	daemon_metrics_main_tick(d);
	if (live > 0 && now < d->drain_deadline_ms)
		return;
	log_info("drained", "allocations_left=%llu reason=%s",
	    (unsigned long long)live, live == 0 ? "none_left" : "drain_timeout");
	event_base_loopbreak(d->main_base);
}

/* Main thread: SIGUSR1 (a second one changes nothing). */
void
daemon_drain_begin(struct daemon *d)
{
	const struct timeval sec = { 1, 0 };

	if (atomic_exchange(&d->draining, true))
		return;
	d->drain_deadline_ms = clock_mono_ms() +
	    (uint64_t)d->drain_timeout_s * 1000;
	log_info("draining", "allocations=%llu drain_timeout=%u "
	    "alternate_servers=%zu", (unsigned long long)daemon_drain_live(d),
	    d->drain_timeout_s, d->nalt);
	daemon_env_wake(d);	/* each engine learns it on its own thread */
	daemon_metrics_main_tick(d);
	d->drain_ev = event_new(d->main_base, -1, EV_PERSIST, daemon_drain_check,
	    d);
	if (d->drain_ev == NULL || event_add(d->drain_ev, &sec) == -1) {
		log_error("drain_failed", "reason=\"no timer: stopping now\"");
		event_base_loopbreak(d->main_base);
		return;
	}
	/* Nothing to wait for: stop at the next check, not in a second. */
	event_active(d->drain_ev, EV_TIMEOUT, 0);
}

void
daemon_drain_clear(struct daemon *d)
{
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	d->drain_ev = NULL;
}
