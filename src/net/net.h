/* SPDX-License-Identifier: ISC */
/*
 * net: the daemon's I/O, and nothing else. Listeners, worker threads with
 * their own event loops, UDP (recvmmsg batches), TCP and TLS streams with
 * their limits, the UDP relay sockets the engine asks for (struct turn_io,
 * RFC 8656 §7.2 step 6), and the main thread's signal loop. It moves bytes:
 * every client message and every peer datagram goes to the layer above
 * through struct net_hooks, which answers with what to send (the daemon
 * module, src/daemon/, runs the TURN engine there). net knows no Redis, no
 * credentials, no peer policy; it decodes no STUN beyond the framing of
 * streams (stun_frame_len, RFC 8656 §12). See ARCHITECTURE.md.
 *
 * What it must not do: allocate or log per packet, take a lock on the data
 * path.
 *
 * Life cycle:
 *   net_new()    binds every listener and loads TLS (before privileges are
 *                dropped); fails with a message naming the address;
 *   net_worker_attach()  the layer above gives each worker its data;
 *   net_start()  starts the worker threads;
 *   net_run()    the main thread's loop (signals) until SIGTERM/SIGINT or
 *                net_break();
 *   net_reload() SIGHUP: swaps the TLS context (existing connections keep
 *                theirs); never drops a connection;
 *   net_certwatch_*()  reloads the TLS certificate and key when their
 *                files change, without a signal (net_certwatch.c);
 *   net_stop()   stops and joins the workers; net_free() releases the rest.
 *
 * The connection limiter (max-connections, max-connections-per-ip with
 * IPv4 /32 and IPv6 /64 prefixes, and an IPv6 /48 aggregate) is pure and
 * shared by all workers behind a mutex; it is only consulted at accept and
 * close, off the data path. Each worker also budgets new connections per
 * source (policy_rate, docs/security.md, TCP/TLS exhaustion), and closes a
 * connection that makes no progress (no successful answer, no relayed
 * data) or leaves a frame incomplete for stream-idle-timeout.
 */
#ifndef TERN_NET_H
#define TERN_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "turn/turn.h"
#include "util/addr.h"

struct net;
struct net_worker;
struct metrics_worker;
struct event_base;

/*
 * What net hands to the layer above, each call on the worker's thread with
 * the data given to net_worker_attach():
 *  input: one client message (a datagram, or one stream frame); fill out
 *    (out->buf, out->cap are net's); net sends out->len bytes back when
 *    non-zero, and keeps a stream open for the allocation's lifetime once
 *    out->oc.alloc_created;
 *  peer_input: one datagram from peer on the relay socket `relay` (the
 *    handle relay_open returned), with the room around it that
 *    turn_engine_peer_input() wants;
 *  conn_closed: a TCP/TLS connection ended (its allocation ends, §3.1);
 *  tick: once a second;
 *  wake: after net_wake(), so that the layer above can install what it
 *    published on the worker's own thread;
 *  client_str: the client a as net's log lines show it, a logfmt field of
 *    at most NET_CLIENT_STRLEN bytes: the layer above decides how much of
 *    a client's address the log may hold (log-client-address,
 *    docs/security.md, Personal data in the logs). NULL: "client=ip:port".
 */
#define NET_CLIENT_STRLEN	(ADDR_STRLEN + 16)
struct net_hooks {
	void (*input)(void *data, const struct turn_tuple *t,
	    const uint8_t *pkt, size_t len, uint64_t now_ms,
	    struct turn_out *out);
	enum turn_drop (*peer_input)(void *data, uint64_t relay,
	    const struct addr *peer, uint8_t *payload, size_t headroom,
	    size_t len, size_t tailroom, uint64_t now_ms);
	void (*conn_closed)(void *data, const struct turn_tuple *t);
	void (*tick)(void *data, uint64_t now_ms);
	void (*wake)(void *data);
	void (*client_str)(void *data, const struct addr *a, char *out,
	    size_t cap);
};

/* The main thread's callbacks from net_run(), each with arg. */
struct net_main {
	void *arg;
	/* the loop exists, before signals are handled: 0 or -1 (stop) */
	int (*started)(void *arg, struct event_base *base);
	void (*hup)(void *arg);		/* SIGHUP */
	void (*usr1)(void *arg);	/* SIGUSR1 */
	void (*stopping)(void *arg);	/* the loop has ended */
};

/* Binds all listeners described by c and loads TLS. NULL on failure with
 * the reason in err. c is only read during the call; hooks is borrowed for
 * net's life. */
struct net *net_new(const struct config *c, const struct net_hooks *hooks,
    char *err, size_t errcap);
/* Worker i (i < net_worker_count()). */
struct net_worker *net_worker(struct net *n, unsigned i);
/* Before net_start(): the data the hooks get for this worker, and its
 * metrics block (NULL: not counted). */
void net_worker_attach(struct net_worker *w, void *data,
    struct metrics_worker *mw);
/* The worker's event loop (for the layer above's own events on it). */
struct event_base *net_worker_base(struct net_worker *w);
/* The relay sockets of this worker, for its engine (turn_opts.io). */
const struct turn_io *net_worker_io(struct net_worker *w);
/* Worker thread: sends a late answer to t's client (a request that waited,
 * e.g. for a user key). 0, or -1 when the client's connection is gone. */
int net_worker_reply(struct net_worker *w, const struct turn_tuple *t,
    const struct turn_out *out);
/* Worker thread: whether t's stream connection is still open (true for
 * UDP). */
bool net_worker_conn_open(struct net_worker *w, const struct turn_tuple *t);
/* Any thread: every worker runs its wake hook soon, on its own thread. */
void net_wake(struct net *n);

/*
 * Doorbells: how a thread has a callback run on another thread's event
 * loop. No event base is shared, so libevent takes no lock and nothing
 * but net_bell_ring() may touch a running loop from another thread.
 * net_bell_new, _add and _free on the loop's thread (or before it runs);
 * net_bell_ring from any thread: fn(arg) of that bit runs soon on the
 * loop's thread, once for any number of rings before it does.
 */
struct net_bell;
typedef void (*net_bell_fn)(void *arg);
struct net_bell *net_bell_new(struct event_base *base);
/* The bit to ring for fn(arg), or -1 (b NULL, or 16 callbacks already). */
int net_bell_add(struct net_bell *b, net_bell_fn fn, void *arg);
void net_bell_ring(struct net_bell *b, int bit);
void net_bell_free(struct net_bell *b);
/* The worker's own bell (for the layer above's callbacks on it). */
struct net_bell *net_worker_bell(struct net_worker *w);
/* The address of listener i (i < net_listener_count()), with its port. */
const struct addr *net_listener_addr(const struct net *n, size_t i);
/*
 * The relay IPs of a family: every relay-ip of that family, each once;
 * without relay-ip, the first listening address of that family that is
 * not loopback, or the first one if all are. net_relay_ip_at() numbers
 * them from 0 as turn_io.relay_open's ip does (AF_UNSPEC past the last);
 * net_relay_ip() is the first.
 */
size_t net_relay_ip_count(const struct net *n, int family);
const struct addr *net_relay_ip_at(const struct net *n, int family, size_t i);
const struct addr *net_relay_ip(const struct net *n, int family);
/* Unix time in milliseconds. */
uint64_t net_now_ms(void);
/* Starts the worker threads. 0 or -1 (err filled). */
int net_start(struct net *n, char *err, size_t errcap);
/* Applies what may change at run time in net (the TLS material). 0, or
 * -1 with the old state kept and the reason in err. */
int net_reload(struct net *n, const struct config *c, char *err, size_t errcap);
/* Stops and joins every worker (main thread only). Idempotent. */
void net_stop(struct net *n);
/* Frees everything; closes every socket and connection. NULL is a no-op. */
void net_free(struct net *n);
/*
 * Main thread: runs the signal loop until SIGTERM or SIGINT, or until
 * net_break(). SIGHUP and SIGUSR1 call m's callbacks from this loop (never
 * from a signal handler). SIGPIPE is ignored. The caller should block
 * SIGTERM, SIGINT, SIGHUP and SIGUSR1 early in start-up: net_run()
 * unblocks them once its handlers are in place, so a signal sent
 * meanwhile is handled, not fatal. 0, or -1 if the loop could not be set
 * up.
 */
int net_run(struct net *n, const struct net_main *m);
/* Main thread, from a callback of net_run(): ends its loop. */
void net_break(struct net *n);
/* The notAfter of the TLS certificate in force (Unix s), or -1 without
 * TLS. Main thread. */
int64_t net_tls_not_after(const struct net *n);

/*
 * The certificate watch (net_certwatch.c): inotify on the directories of
 * cert and pkey and of every symbolic link on their way (Kubernetes'
 * `..data` swap, certbot's live/ links), a short settling delay so that a
 * pair written one file after the other is read together, then the TLS
 * context reloaded like SIGHUP does (net_tls.c), stricter: a pair that
 * fails (unreadable, mismatched, not yet valid, expired) keeps the one in
 * force. fn tells the layer above each attempt's result, on the main loop.
 *   net_certwatch_new()  before privileges are dropped (the inotify
 *                descriptor and the first watches); *out is NULL without
 *                TLS or without inotify (logged), which is not an error;
 *   net_certwatch_start()  on the main loop (net_main.started);
 *   net_certwatch_sync()  after a SIGHUP reload: the files may be others;
 *   net_certwatch_stop(), net_certwatch_free()  (NULL is a no-op).
 */
struct net_certwatch;
typedef void (*net_certwatch_fn)(void *arg, bool ok);
int net_certwatch_new(struct net *n, struct net_certwatch **out, char *err,
    size_t errcap);
int net_certwatch_start(struct net_certwatch *w, struct event_base *base,
    net_certwatch_fn fn, void *arg);
void net_certwatch_sync(struct net_certwatch *w);
void net_certwatch_stop(struct net_certwatch *w);
void net_certwatch_free(struct net_certwatch *w);

/*
 * A UDP socket on a loop of the caller's (net_probe.c), for the daemon's
 * self-test: bound to local (port 0: one the kernel picks); fn gets every
 * datagram received (at most NET_PROBE_BUFSZ bytes of it), on that loop.
 * net_probe_send: 0, or -1 when the datagram was not sent whole.
 */
#define NET_PROBE_BUFSZ	2048
struct net_probe;
typedef void (*net_probe_fn)(void *arg, const uint8_t *pkt, size_t len,
    const struct addr *from);
struct net_probe *net_probe_open(struct event_base *base,
    const struct addr *local, net_probe_fn fn, void *arg);
int net_probe_send(struct net_probe *p, const void *buf, size_t len,
    const struct addr *to);
void net_probe_close(struct net_probe *p);	/* NULL is a no-op */

/* Releases the event library's global state; last, after net_free(). */
void net_shutdown(void);
/* Logs one `event=listening` record per listener. */
void net_log_listeners(const struct net *n);
size_t net_listener_count(const struct net *n);
unsigned net_worker_count(const struct net *n);

/*
 * The stream connection limiter: max_total in all, max_per_ip per IPv4 /32
 * or IPv6 /64 (IPv4-mapped IPv6 counts as IPv4), and max_per_48 per IPv6
 * /48 (all its /64s together). max_total also bounds the table, so its
 * memory never grows with the number of distinct addresses seen.
 */
enum net_limit_result {
	NET_LIMIT_OK = 0,
	NET_LIMIT_TOTAL = -1,	/* max-connections reached */
	NET_LIMIT_PER_IP = -2,	/* max-connections-per-ip reached */
	NET_LIMIT_PER_48 = -3,	/* max-connections-per-48 reached */
};

/* The /48 cap when max-connections-per-48 is 0: NET_PER_48_FACTOR times
 * the /64 cap (docs/security.md, TCP/TLS exhaustion, says why 4). */
#define NET_PER_48_FACTOR	4

struct net_limits;

struct net_limits *net_limits_new(unsigned max_total, unsigned max_per_ip,
    unsigned max_per_48);
void net_limits_free(struct net_limits *l);
/* Counts one more connection from a, or refuses it (the total first, then
 * the /32 or /64, then the /48). */
enum net_limit_result net_limits_acquire(struct net_limits *l, const struct addr *a);
/* Releases one connection counted by a successful acquire. */
void net_limits_release(struct net_limits *l, const struct addr *a);
unsigned net_limits_total(struct net_limits *l);
/* Connections counted for a's prefix (/32 or /64). */
unsigned net_limits_count(struct net_limits *l, const struct addr *a);
/* Connections counted for a's /48 (0 for IPv4). */
unsigned net_limits_count48(struct net_limits *l, const struct addr *a);

#endif
