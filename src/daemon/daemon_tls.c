/* SPDX-License-Identifier: ISC */
/*
 * The TLS certificate seen from above net/: the certificate watch's
 * life (net_certwatch.c reloads the pair when its files change, without a
 * signal), the count of every reload after start-up by result (SIGHUP or
 * the watch, tern_tls_reloads_total) and the expiry of the certificate in
 * force (tern_tls_certificate_expiry_timestamp_seconds, updated at every
 * load). All of it on the main thread; the scrape reads the expiry with
 * an atomic load.
 *
 * The expiry gauge has no label: one certificate (cert, pkey) serves
 * every TLS listener, so a label per listener would repeat one value, and
 * labels never carry an address (src/metrics/metrics.h).
 */
#include <math.h>
#include <stdio.h>

#include "daemon/daemon_int.h"
#include "util/log.h"

/* The scrape's view of the certificate's notAfter: NaN without TLS. */
static double
daemon_tls_expiry(void *arg, unsigned l0, unsigned l1)
{
	const struct daemon *d = arg;
	int64_t t = atomic_load_explicit(&d->tls_not_after,
	    memory_order_relaxed);

	(void)l0, (void)l1;
	return t < 0 ? NAN : (double)t;
}

/* daemon_new(), before privileges are dropped: the watch's inotify
 * descriptor and first watches. */
int
daemon_tls_init(struct daemon *d, char *err, size_t errcap)
{
	atomic_init(&d->tls_not_after, net_tls_not_after(d->net));
	return net_certwatch_new(d->net, &d->certwatch, err, errcap);
}

/* daemon_metrics_init(): the expiry is a callback. 0 or -1. */
int
daemon_tls_metrics(struct daemon *d)
{
	return metrics_gauge_fn_set(d->metrics, METRICS_TLS_CERT_EXPIRY,
	    daemon_tls_expiry, d);
}

/* After a load attempt (the watch or SIGHUP): the count and the expiry. */
static void
daemon_tls_loaded(struct daemon *d, bool ok)
{
	if (net_tls_not_after(d->net) < 0)
		return;		/* no TLS listener */
	metrics_count(d->mw_main, METRICS_TLS_RELOADS, ok ?
	    METRICS_TLS_RELOAD_OK : METRICS_TLS_RELOAD_ERROR, 1);
	atomic_store_explicit(&d->tls_not_after, net_tls_not_after(d->net),
	    memory_order_relaxed);
}

static void
daemon_tls_watched(void *arg, bool ok)
{
	daemon_tls_loaded(arg, ok);
}

/* daemon_run(): the watch joins the main loop. */
int
daemon_tls_start(struct daemon *d, struct event_base *base)
{
	return net_certwatch_start(d->certwatch, base, daemon_tls_watched, d);
}

/* SIGHUP, after net_reload(): counted, and the watch follows the files
 * the new configuration names (only when the reload succeeded). */
void
daemon_tls_reloaded(struct daemon *d, bool ok)
{
	daemon_tls_loaded(d, ok);
	if (ok)
		net_certwatch_sync(d->certwatch);
}

void
daemon_tls_stop(struct daemon *d)
{
	net_certwatch_stop(d->certwatch);
}

void
daemon_tls_clear(struct daemon *d)
{
	net_certwatch_free(d->certwatch);
	d->certwatch = NULL;
}
