/* SPDX-License-Identifier: ISC */
/*
 * The server object and its workers: binding every listener up front (so
 * that start-up fails fast, before privileges are dropped),
 * the worker threads and their event loops, the main thread's signal loop,
 * reload and an orderly stop that frees everything.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/net_int.h"
#include "policy/policy.h"
#include "util/crypto.h"
#include "util/log.h"

/* Once a second: the hooks' tick (expiry sweeps, RFC 8656 §7, §9, §12). */
static void
net_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_worker *w = arg;

	(void)fd, (void)what;
	if (w->data != NULL && w->net->hooks->tick != NULL)
		w->net->hooks->tick(w->data, net_now_ms());
}

/* The worker's bell, net_wake(): the hooks' wake on this thread. */
static void
net_wake_cb(void *arg)
{
	struct net_worker *w = arg;

	if (w->data != NULL && w->net->hooks->wake != NULL)
		w->net->hooks->wake(w->data);
}

/* The worker's bell, net_stop(): the loop ends after this iteration. */
static void
net_stop_cb(void *arg)
{
	struct net_worker *w = arg;

	w->stop = true;
	event_base_loopbreak(w->base);
}

static int
net_worker_events(struct net_worker *w)
{
	const struct timeval tick = { .tv_sec = NET_TICK_MS / 1000,
	    .tv_usec = (NET_TICK_MS % 1000) * 1000 };

	if ((w->bell = net_bell_new(w->base)) == NULL ||
	    (w->bell_wake = net_bell_add(w->bell, net_wake_cb, w)) == -1 ||
	    (w->bell_stop = net_bell_add(w->bell, net_stop_cb, w)) == -1)
		return -1;
	w->tick = event_new(w->base, -1, EV_PERSIST, net_tick_cb, w);
	if (w->tick == NULL || event_add(w->tick, &tick) == -1)
		return -1;
	return 0;
}

/* The worker's budget of new connections per source (docs/security.md,
 * TCP/TLS exhaustion); none when accept-rate is 0. */
static int
net_worker_accept_rate(struct net *n, struct net_worker *w, char *err,
    size_t errcap)
{
	uint8_t seed[POLICY_RATE_SEED_LEN];
	struct policy_rate_opts o;
	const char *why = "no random seed";

	if (n->set.accept_rate == 0)
		return 0;
	policy_rate_opts_unauth(&o, n->set.accept_rate, n->set.accept_burst);
	o.entries = NET_ACCEPT_ENTRIES;
	if (crypto_random(seed, sizeof(seed)) == 0)
		w->accept_rate = policy_rate_new(&o, seed, &why);
	if (w->accept_rate == NULL) {
		snprintf(err, errcap, "worker %u: accept budget: %s", w->id, why);
		return -1;
	}
	return 0;
}

static int
net_worker_init(struct net *n, struct net_worker *w, unsigned id,
    char *err, size_t errcap)
{
	size_t i;

	w->net = n;
	w->id = id;
	TAILQ_INIT(&w->conns);
	net_relay_io_init(w);
	w->base = event_base_new();
	/* an array of bucket head pointers */
	w->conn_hash = calloc(NET_CONN_BUCKETS, sizeof(*w->conn_hash)); // NOLINT(bugprone-sizeof-expression)
	w->rxbuf = malloc((size_t)NET_RX_SLOTS * NET_UDP_SLOT);
	w->txbuf = calloc(1, NET_OUT_CAP);
	w->listeners = calloc(n->nspecs, sizeof(*w->listeners));
	if (w->base == NULL || w->rxbuf == NULL || w->txbuf == NULL ||
	    w->listeners == NULL || w->conn_hash == NULL ||
	    net_worker_events(w) == -1) {
		snprintf(err, errcap, "worker %u: out of memory", id);
		return -1;
	}
	net_udp_slots_init(w);
	if (net_worker_accept_rate(n, w, err, errcap) == -1)
		return -1;
	for (i = 0; i < n->nspecs; i++) {
		if (net_listener_open(&w->listeners[i], w, &n->specs[i], err,
		    errcap) == -1)
			return -1;
		w->nlisteners++;
	}
	return 0;
}

/*
 * After the layer above has let go of the worker (its engine, which closes
 * relays through the I/O table, is gone): connections, relay slots,
 * listeners, all while the event base still exists.
 */
static void
net_worker_clear(struct net_worker *w)
{
	size_t i;

	net_stream_close_all(w);
	net_relay_clear(w);
	net_bell_free(w->bell);
	if (w->tick != NULL)
		event_free(w->tick);
	for (i = 0; i < w->nlisteners; i++)
		net_listener_close(&w->listeners[i]);
	free(w->listeners);
	if (w->base != NULL) {
		/* Run the finalizers of the bufferevents freed above. */
		event_base_loop(w->base, EVLOOP_NONBLOCK);
		event_base_free(w->base);
	}
	free(w->conn_hash);
	free(w->rxbuf);
	free(w->txbuf);
	policy_rate_free(w->accept_rate);
}

/*
 * Decides which listeners every worker opens: each address with each
 * enabled protocol. An address that was given explicitly must bind; one
 * found by enumeration that cannot be bound is skipped with a warning.
 */
static int
net_specs_build(struct net *n, const struct config *c, char *err, size_t errcap)
{
	struct net_listener probe;
	struct net_worker *w = &n->workers[0];
	struct addr *addrs = NULL;
	size_t naddrs, i, k;
	const bool proto_on[3] = { !c->no_udp, !c->no_tcp, n->tls != NULL };
	const uint16_t port[3] = { c->listening_port, c->listening_port,
	    c->tls_listening_port };

	if (net_listen_addrs(c, &addrs, &naddrs, err, errcap) == -1)
		return -1;
	if ((n->specs = calloc(naddrs * 3, sizeof(*n->specs))) == NULL)
		goto fail_mem;
	for (i = 0; i < naddrs; i++) {
		for (k = 0; k < 3; k++) {
			if (!proto_on[k])
				continue;
			n->specs[n->nspecs].proto = (enum net_proto)k;
			n->specs[n->nspecs].addr = addrs[i];
			addr_set_port(&n->specs[n->nspecs].addr, port[k]);
			/* Probe once in worker 0's base, then drop the socket. */
			if (net_port_exclusive(n->specs[n->nspecs].proto,
			    &n->specs[n->nspecs].addr, err, errcap) == 0 &&
			    net_listener_open(&probe, w, &n->specs[n->nspecs], err,
			    errcap) == 0) {
				net_listener_close(&probe);
				n->nspecs++;
			} else if (c->n_listening_ip > 0)
				goto fail;
			else
				log_warn("listen_skipped", "reason=\"%s\"", err);
		}
	}
	free(addrs);
	if (n->nspecs == 0) {
		snprintf(err, errcap, "no listener could be opened");
		return -1;
	}
	return 0;
fail_mem:
	snprintf(err, errcap, "out of memory");
fail:
	free(addrs);
	return -1;
}

static int
net_new_tls(struct net *n, const struct config *c, char *err, size_t errcap)
{
	if (c->no_tls)
		return 0;
	if (c->cert == NULL || c->pkey == NULL) {
		log_warn("tls_disabled", "reason=\"cert and pkey are not set\"");
		return 0;
	}
	if (!c->no_tcp && c->tls_listening_port == c->listening_port) {
		snprintf(err, errcap, "tls-listening-port %u is also the TCP "
		    "listening-port", c->tls_listening_port);
		return -1;
	}
	n->tls = net_tls_new(c->cert, c->pkey, c->cipher_list, err, errcap);
	return n->tls == NULL ? -1 : 0;
}

/* What net keeps of c. */
static void
net_settings_init(struct net_settings *s, const struct config *c)
{
	uint64_t per48 = c->max_connections_per_48 != 0 ?
	    c->max_connections_per_48 : (uint64_t)c->max_connections_per_ip *
	    NET_PER_48_FACTOR;

	s->idle_timeout_s = c->stream_idle_timeout;
	s->handshake_timeout_s = c->tls_handshake_timeout;
	s->buffer_limit = c->stream_buffer_limit;
	s->max_per_48 = per48 > UINT_MAX ? UINT_MAX : (unsigned)per48;
	s->accept_rate = c->stream_accept_rate;
	s->accept_burst = c->stream_accept_burst;
	s->udp_rcvbuf = c->udp_recv_buffer;
	s->udp_sndbuf = c->udp_send_buffer;
	s->relay_rcvbuf = c->relay_recv_buffer;
	s->relay_sndbuf = c->relay_send_buffer;
}

struct net *
net_new(const struct config *c, const struct net_hooks *hooks, char *err,
    size_t errcap)
{
	struct net *n;
	unsigned i;
	long cpus;

	/* No evthread_use_pthreads(): no base is shared between threads,
	 * and other threads reach a loop only through its bell (net_bell.c),
	 * so libevent takes no lock. */
	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto fail_mem;
	n->hooks = hooks;
	net_settings_init(&n->set, c);
	n->max_lifetime = c->max_allocate_lifetime;
	n->chan_max = c->rfc5766_channels ? STUN_CHANNEL_MAX_RFC5766 :
	    STUN_CHANNEL_MAX;
	n->nworkers = c->workers;
	if (n->nworkers == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n->nworkers = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (n->nworkers > NET_MAX_WORKERS)
		n->nworkers = NET_MAX_WORKERS;
	n->limits = net_limits_new(c->max_connections, c->max_connections_per_ip,
	    n->set.max_per_48);
	n->workers = calloc(n->nworkers, sizeof(*n->workers));
	if (n->limits == NULL || n->workers == NULL)
		goto fail_mem;
	if (net_new_tls(n, c, err, errcap) == -1)
		goto fail;
	/* Worker 0's base serves the probe binds; its listeners come after. */
	if ((n->workers[0].base = event_base_new()) == NULL)
		goto fail_mem;
	if (net_specs_build(n, c, err, errcap) == -1)
		goto fail;
	event_base_free(n->workers[0].base);
	n->workers[0].base = NULL;
	net_relay_ips(n, c);
	if (net_rlimit_raise(n, c, err, errcap) == -1)
		goto fail;
	for (i = 0; i < n->nworkers; i++)
		if (net_worker_init(n, &n->workers[i], i, err, errcap) == -1)
			goto fail;
	return n;
fail_mem:
	snprintf(err, errcap, "out of memory");
fail:
	net_free(n);
	return NULL;
}

struct net_worker *
net_worker(struct net *n, unsigned i)
{
	return i < n->nworkers ? &n->workers[i] : NULL;
}

void
net_worker_attach(struct net_worker *w, void *data, struct metrics_worker *mw)
{
	w->data = data;
	w->mw = mw;
}

struct event_base *
net_worker_base(struct net_worker *w)
{
	return w->base;
}

const struct turn_io *
net_worker_io(struct net_worker *w)
{
	return &w->io;
}

void
net_wake(struct net *n)
{
	unsigned i;

	for (i = 0; i < n->nworkers; i++)
		net_bell_ring(n->workers[i].bell, n->workers[i].bell_wake);
}

struct net_bell *
net_worker_bell(struct net_worker *w)
{
	return w->bell;
}

const struct addr *
net_listener_addr(const struct net *n, size_t i)
{
	return i < n->nspecs ? &n->specs[i].addr : NULL;
}

/*
 * One loop iteration at a time: what the iteration's callbacks queued
 * leaves in one sendmmsg() per socket after it (net_tx.c), however many
 * sockets were read.
 */
static void *
net_worker_main(void *arg)
{
	struct net_worker *w = arg;

	while (!w->stop) {
		if (event_base_loop(w->base, EVLOOP_ONCE) != 0)
			break;	/* an error, or no event left to wait for */
		net_tx_flush(w);
		w->rx_used = 0;
	}
	net_tx_flush(w);
	return NULL;
}

int
net_start(struct net *n, char *err, size_t errcap)
{
	sigset_t all, old;
	unsigned i;
	int e;

	/* Workers block every signal: only the main loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n->nworkers; i++) {
		e = pthread_create(&n->workers[i].thread, NULL, net_worker_main,
		    &n->workers[i]);
		if (e != 0) {
			snprintf(err, errcap, "worker %u: %s", i, strerror(e));
			break;
		}
		n->workers[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return i == n->nworkers ? 0 : -1;
}

void
net_stop(struct net *n)
{
	unsigned i;

	if (n == NULL || n->stopped || n->workers == NULL)
		return;
	n->stopped = true;
	for (i = 0; i < n->nworkers; i++)
		if (n->workers[i].started)
			net_bell_ring(n->workers[i].bell,
			    n->workers[i].bell_stop);
	for (i = 0; i < n->nworkers; i++) {
		if (!n->workers[i].started)
			continue;
		pthread_join(n->workers[i].thread, NULL);
		n->workers[i].started = false;
	}
}

void
net_free(struct net *n)
{
	unsigned i;

	if (n == NULL)
		return;
	net_stop(n);
	for (i = 0; n->workers != NULL && i < n->nworkers; i++)
		net_worker_clear(&n->workers[i]);
	free(n->workers);
	free(n->specs);
	net_tls_free(n->tls);
	net_limits_free(n->limits);
	free(n);
}

static int
net_reload_tls(struct net *n, const struct config *c, char *err, size_t errcap)
{
	if (n->tls == NULL) {
		if (!c->no_tls && c->cert != NULL && c->pkey != NULL)
			log_warn("tls_reload_skipped",
			    "reason=\"TLS listeners start only at start-up\"");
		return 0;
	}
	if (c->cert == NULL || c->pkey == NULL) {
		snprintf(err, errcap, "tls: cert and pkey are required while "
		    "TLS listeners run");
		return -1;
	}
	return net_tls_reload(n->tls, c->cert, c->pkey, c->cipher_list, err,
	    errcap);
}

int
net_reload(struct net *n, const struct config *c, char *err, size_t errcap)
{
	return net_reload_tls(n, c, err, errcap);
}

void
net_shutdown(void)
{
	libevent_global_shutdown();
}

size_t
net_listener_count(const struct net *n)
{
	return n->nspecs;
}

unsigned
net_worker_count(const struct net *n)
{
	return n->nworkers;
}

void
net_log_listeners(const struct net *n)
{
	char as[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < n->nspecs; i++)
		log_info("listening", "proto=%s addr=%s",
		    net_proto_name(n->specs[i].proto),
		    addr_str(&n->specs[i].addr, as, sizeof(as)));
}
