/* SPDX-License-Identifier: ISC */
/*
 * net: the daemon's I/O. Listeners, worker threads with their own event
 * loops, UDP (recvmmsg batches), TCP and TLS streams, and the hand-off of
 * every datagram or stream frame to the pure turn engine (DESIGN.md
 * "Workers own their state"). For TURN (RFC 8656) it carries out what the
 * engine asks through struct turn_io: per-worker UDP relay sockets, peer
 * datagrams read with room for the engine's header in front, relayed data
 * sent to clients over UDP, TCP or TLS; and it owns the TURN environment
 * (nonce key, credentials, peer policy, port pool, quotas, net_env.c).
 *
 * With redis-userdb (issue 4, net_redis.c, net_userkey.c): REST secrets,
 * peer rules, quotas and revocations from Redis are merged into the same
 * snapshot, reloaded every redis-snapshot-interval and on tern/events;
 * user keys are looked up on first use and cached; Redis runs on
 * net_run()'s loop, never on a worker's, and is never waited for.
 *
 * What it must not do: parse STUN itself (stun_frame_len() frames streams,
 * the engine does the rest), allocate or log per packet, take a lock on the
 * data path. It reads the struct config given to net_new() or to the last
 * successful net_reload() when Redis sends a new snapshot (on the main
 * thread): the caller keeps that config alive until the next successful
 * net_reload() or net_free(), and never changes it.
 *
 * Life cycle, in the order of reference E.1:
 *   net_new()    binds every listener, loads TLS and builds the TURN
 *                environment (before privileges are dropped); fails with a
 *                message naming the address;
 *   net_start()  starts the worker threads;
 *   net_reload() SIGHUP: swaps the TLS context (existing connections keep
 *                theirs) and the credential and peer policy snapshot;
 *                never drops a connection or an allocation;
 *   net_stop()   stops and joins the workers; net_free() releases the rest.
 *
 * The connection limiter (max-connections, max-connections-per-ip with
 * IPv4 /32 and IPv6 /64 prefixes) is pure and shared by all workers behind
 * a mutex; it is only consulted at accept and close, off the data path.
 */
#ifndef TERN_NET_H
#define TERN_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "util/addr.h"

struct net;

/* Binds all listeners described by c and loads TLS. NULL on failure with
 * the reason in err. c is only read during the call. */
struct net *net_new(const struct config *c, char *err, size_t errcap);
/* Starts the worker threads. 0 or -1 (err filled). */
int net_start(struct net *n, char *err, size_t errcap);
/* Applies what may change at run time (TLS material, credentials, peer
 * policy). 0, or -1 with the old state kept and the reason in err. */
int net_reload(struct net *n, const struct config *c, char *err, size_t errcap);
/* Stops and joins every worker (main thread only). Idempotent. */
void net_stop(struct net *n);
/* Frees everything; closes every socket and connection. NULL is a no-op. */
void net_free(struct net *n);
/*
 * Main thread: runs the signal loop until SIGTERM or SIGINT, or until a
 * drain (SIGUSR1) is over. SIGHUP calls on_hup(arg) from this loop (never
 * from a signal handler). SIGPIPE is ignored. The caller should block
 * SIGTERM, SIGINT, SIGHUP and SIGUSR1 early in start-up: net_run()
 * unblocks them once its handlers are in place, so a signal sent
 * meanwhile is handled, not fatal. 0, or -1 if the loop could not be set
 * up.
 */
typedef void (*net_hup_fn)(void *arg);
int net_run(struct net *n, net_hup_fn on_hup, void *arg);
/* Releases the event library's global state; last, after net_free(). */
void net_shutdown(void);
/* Logs one `event=listening` record per listener. */
void net_log_listeners(const struct net *n);
size_t net_listener_count(const struct net *n);
unsigned net_worker_count(const struct net *n);

/*
 * The stream connection limiter. max_total also bounds the table, so its
 * memory never grows with the number of distinct addresses seen.
 */
enum net_limit_result {
	NET_LIMIT_OK = 0,
	NET_LIMIT_TOTAL = -1,	/* max-connections reached */
	NET_LIMIT_PER_IP = -2,	/* max-connections-per-ip reached */
};

struct net_limits;

struct net_limits *net_limits_new(unsigned max_total, unsigned max_per_ip);
void net_limits_free(struct net_limits *l);
/* Counts one more connection from a, or refuses it. */
enum net_limit_result net_limits_acquire(struct net_limits *l, const struct addr *a);
/* Releases one connection counted by a successful acquire. */
void net_limits_release(struct net_limits *l, const struct addr *a);
unsigned net_limits_total(struct net_limits *l);
/* Connections counted for a's prefix. */
unsigned net_limits_count(struct net_limits *l, const struct addr *a);

#endif
