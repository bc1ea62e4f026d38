/* SPDX-License-Identifier: ISC */
/*
 * One engine per worker, and the hooks through which net hands it every
 * client message and peer datagram (struct net_hooks). Each hook runs on
 * the worker's thread with that worker's struct daemon_worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon_int.h"
#include "util/log.h"

static void
daemon_hook_input(void *data, const struct turn_tuple *t, const uint8_t *pkt,
    size_t len, uint64_t now_ms, struct turn_out *out)
{
	struct daemon_worker *w = data;

	daemon_engine_input(w, t, pkt, len, now_ms, out);
	/* waits for a user key: a copy is handed to the engine again */
	if (out->len == 0 && out->drop == TURN_DROP_PENDING)
		daemon_userkey_park(w, t, pkt, len);
}

static enum turn_drop
daemon_hook_peer_input(void *data, uint64_t relay, const struct addr *peer,
    uint8_t *payload, size_t headroom, size_t len, size_t tailroom,
    uint64_t now_ms)
{
	struct daemon_worker *w = data;

	if (w->engine == NULL)
		return TURN_DROP_NO_ALLOCATION;
	return turn_engine_peer_input(w->engine, relay, peer, payload,
	    headroom, len, tailroom, now_ms);
}

static void
daemon_hook_conn_closed(void *data, const struct turn_tuple *t)
{
	struct daemon_worker *w = data;

	if (w->engine != NULL)
		turn_engine_conn_closed(w->engine, t);
}

/* Once a second: expiry sweeps (RFC 8656 §7, §9, §12: lazy, then swept),
 * the live gauges, and user-key lookups that waited too long. */
static void
daemon_hook_tick(void *data, uint64_t now_ms)
{
	struct daemon_worker *w = data;

	if (w->engine == NULL)
		return;
	turn_engine_tick(w->engine, now_ms);
	daemon_metrics_tick(w);
	daemon_userkey_tick(w, now_ms);
}

static void
daemon_hook_wake(void *data)
{
	struct daemon_worker *w = data;

	if (w->engine != NULL)
		daemon_env_install(w);
}

const struct net_hooks daemon_net_hooks = {
	.input = daemon_hook_input,
	.peer_input = daemon_hook_peer_input,
	.conn_closed = daemon_hook_conn_closed,
	.tick = daemon_hook_tick,
	.wake = daemon_hook_wake,
	.client_str = daemon_session_client_str,
};

/* Every worker's engine serves TURN with the shared pool, quotas and
 * nonce key, and its own relay sockets (net_worker_io). */
static struct turn_engine *
daemon_worker_engine(struct daemon *d, struct daemon_worker *w)
{
	struct turn_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.software = d->software;
	opts.io = net_worker_io(w->nw);
	w->hooks.ctx = w;
	w->hooks.alloc_event = daemon_count_alloc_event;
	opts.hooks = &w->hooks;
	opts.auth = &d->auth;
	opts.ports = d->ports;
	opts.quota = d->quota;
	opts.external4 = d->external4;
	opts.external6 = d->external6;
	opts.max_lifetime = d->max_lifetime;
	opts.channel_lifetime = d->channel_lifetime;
	opts.perm_lifetime = d->perm_lifetime;
	opts.max_session_duration = d->max_session;
	opts.strict_credential_expiry = d->strict_expiry;
	opts.rfc5766_channels = d->rfc5766_channels;
	opts.alternates = d->alt;
	opts.nalternates = d->nalt;
	opts.max_permissions = d->max_perms;
	opts.max_channels = d->max_chans;
	opts.max_peers_per_request = d->max_peers;
	opts.unauth_rate = d->unauth_rate;
	opts.unauth_burst = d->unauth_burst;
	opts.auth_failure_limit = d->auth_fail_limit;
	return turn_engine_new(&opts);
}

static int
daemon_worker_init(struct daemon *d, struct daemon_worker *w, unsigned id)
{
	w->d = d;
	w->id = id;
	w->nw = net_worker(d->net, id);
	w->base = net_worker_base(w->nw);
	w->bell = net_worker_bell(w->nw);
	w->mw = daemon_metrics_worker(d, id);
	atomic_init(&w->live_allocs, 0);
	if ((w->txbuf = calloc(1, DAEMON_OUT_CAP)) == NULL ||
	    daemon_userkey_worker_init(w) == -1 ||
	    (w->engine = daemon_worker_engine(d, w)) == NULL)
		return -1;
	daemon_env_install(w);
	net_worker_attach(w->nw, w, w->mw);
	return 0;
}

int
daemon_workers_init(struct daemon *d, char *err, size_t errcap)
{
	unsigned i;

	for (i = 0; i < d->nworkers; i++)
		if (daemon_worker_init(d, &d->workers[i], i) == -1) {
			snprintf(err, errcap, "worker %u: out of memory", i);
			return -1;
		}
	return 0;
}

/* After net_stop(): each engine goes first, so that its allocations end
 * as a shutdown; net then closes what is left. */
void
daemon_workers_clear(struct daemon *d)
{
	struct daemon_worker *w;
	unsigned i;

	for (i = 0; d->workers != NULL && i < d->nworkers; i++) {
		w = &d->workers[i];
		turn_engine_free(w->engine);
		w->engine = NULL;
		daemon_userkey_worker_clear(w);
		daemon_env_worker_clear(w);
		free(w->txbuf);
		w->txbuf = NULL;
	}
}
