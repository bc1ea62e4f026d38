/* SPDX-License-Identifier: ISC */
/*
 * net_int: declarations shared by the files of the net module only.
 *
 * A worker owns an event_base, a turn engine, its listener sockets (one per
 * listening address and protocol, all SO_REUSEPORT), its stream connections
 * and its counters; nothing here is touched by another thread while the
 * worker runs, except the limiter (mutex) and the TLS context (mutex at
 * accept). Only net_tls.c includes libssl.
 */
#ifndef TERN_NET_INT_H
#define TERN_NET_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "net/net.h"
#include "stun/stun.h"
#include "auth/auth.h"
#include "auth/auth_redis.h"
#include "metrics/metrics.h"
#include "policy/policy.h"
#include "turn/turn.h"
#include "util/addr.h"

#define NET_UDP_BATCH		16	/* datagrams per recvmmsg */
#define NET_UDP_ROUNDS		8	/* recvmmsg calls per wake-up (fairness) */
#define NET_UDP_BUFSZ		65536	/* one datagram, the largest UDP payload fits */
/*
 * One receive slot: a peer datagram is read NET_UDP_HEADROOM bytes into
 * it, so that the engine can write the ChannelData or Data indication
 * header in front of it and the padding behind it without a copy
 * (TURN_PEER_HEADROOM, TURN_PEER_TAILROOM; DESIGN.md "data path").
 */
#define NET_UDP_HEADROOM	64	/* >= TURN_PEER_HEADROOM, aligned */
#define NET_UDP_SLOT		(NET_UDP_HEADROOM + NET_UDP_BUFSZ + 64)
#define NET_CONN_BUCKETS	1024	/* conn id -> connection, per worker */
#define NET_TICK_MS		1000	/* turn_engine_tick() period */
#define NET_OUT_CAP		(STUN_MAX_FRAME + 64)	/* one engine reply */
#define NET_LISTEN_BACKLOG	256
#define NET_MAX_WORKERS		256

enum net_proto {
	NET_UDP = 0,
	NET_TCP,
	NET_TLS,
};

/* What net copied out of the config it was started with. */
struct net_settings {
	unsigned idle_timeout_s;
	unsigned handshake_timeout_s;
	size_t buffer_limit;
};

struct net_worker;
struct net_uk_parked;
struct net_userkey;
struct auth_redis;
struct auth_redis_snap;

/* One listening socket of one worker. */
struct net_listener {
	struct net_worker *w;
	enum net_proto proto;
	struct addr addr;		/* the bound address (with port) */
	int fd;				/* UDP only; a stream listener owns its fd */
	struct event *ev;		/* UDP read event */
	struct evconnlistener *lev;	/* TCP/TLS */
	struct event *retry;		/* re-enables lev after an accept error */
};

struct net_conn {
	TAILQ_ENTRY(net_conn) entry;
	struct net_conn *hnext;		/* conn id hash chain */
	struct net_worker *w;
	struct bufferevent *bev;
	struct event *timer;		/* handshake, then idle timeout */
	struct turn_tuple tuple;
	bool handshaking;		/* TLS handshake not yet complete */
	bool closing;			/* flushing the last replies after EOF */
	bool allocated;			/* the engine granted an Allocate on it */
};
TAILQ_HEAD(net_conn_list, net_conn);

/*
 * One relay socket (RFC 8656 §7.2 step 6). Slots are allocated once and
 * reused; the handle given to the engine is (gen << 32 | index + 1), and
 * gen changes at every close, so a stale handle never reaches a socket
 * that was since reused for another allocation.
 */
struct net_relay {
	struct net_worker *w;
	struct event *ev;		/* read event; NULL when free */
	int fd;				/* -1 when free */
	uint32_t idx;
	uint32_t gen;
	uint32_t next_free;		/* index + 1 of the next free slot */
};

/*
 * The reloadable part of the TURN environment: credentials and peer
 * policy, immutable, swapped whole on SIGHUP. refs counts the workers that
 * installed it plus one while it is current (under net.env_mu).
 */
struct net_env {
	unsigned refs;
	struct auth_creds *creds;
	struct policy_peer *policy;
};

struct net_worker {
	struct net *net;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct turn_engine *engine;
	struct net_listener *listeners;
	size_t nlisteners;
	struct net_conn_list conns;
	struct net_conn **conn_hash;	/* NET_CONN_BUCKETS chains */
	uint64_t conn_seq;		/* conn ids: seq << 8 | worker id */
	/* TURN: relay sockets, the engine's I/O table, the tick, the env */
	struct turn_io io;
	struct turn_hooks hooks;	/* user keys, allocation events */
	struct net_relay **relays;
	uint32_t nrelays, caprelays;
	uint32_t relay_free;		/* index + 1 of the first free slot */
	struct event *tick;
	struct event *env_ev;		/* activated by net_reload() */
	struct net_env *env;		/* installed in engine; holds a ref */
	/* UDP receive batch and the reply buffer (the engine writes here). */
	uint8_t *rxbuf;			/* NET_UDP_BATCH * NET_UDP_SLOT */
	uint8_t *txbuf;			/* NET_OUT_CAP */
	/* metrics (net_count.c, net_metrics.c): this worker's own block
	 * (NULL without prometheus) */
	struct metrics_worker *mw;
	size_t peer_len;		/* payload of the datagram relayed */
	_Atomic int64_t live_allocs;	/* read by the drain (main thread) */
	/* requests waiting for a user key (net_userkey.c) */
	struct event *uk_ev;		/* activated when lookups complete */
	struct net_uk_parked *uk_head, *uk_tail;
	unsigned uk_nparked;
	struct mmsghdr msgs[NET_UDP_BATCH];
	struct iovec iov[NET_UDP_BATCH];
	struct sockaddr_storage from[NET_UDP_BATCH];
};

/* A listener every worker opens. */
struct net_spec {
	enum net_proto proto;
	struct addr addr;
};

struct net_tls;

struct net {
	struct net_worker *workers;
	unsigned nworkers;
	struct net_spec *specs;
	size_t nspecs;
	struct net_settings set;
	struct net_limits *limits;
	struct net_tls *tls;		/* NULL when TLS is off */
	char *software;			/* owned; the engines borrow it */
	bool stopped;
	/* TURN, shared by every worker (see net_env.c) */
	bool turn_on;
	struct auth_ctx auth;		/* nonce key; read-only once built */
	bool auth_ready;
	struct turn_ports *ports;
	struct turn_quota *quota;
	struct addr relay4, relay6;	/* relay IP per family, or AF_UNSPEC */
	struct addr external4, external6;
	uint32_t max_lifetime, channel_lifetime, perm_lifetime;
	uint32_t max_session;		/* max-session-duration, s */
	bool strict_expiry;		/* strict-credential-expiry */
	uint16_t chan_max;		/* STUN_CHANNEL_MAX or the RFC 5766 bound */
	uint16_t min_port, max_port;
	pthread_mutex_t env_mu;		/* guards env and every env's refs */
	bool env_mu_ready;
	struct net_env *env;		/* current snapshot */
	unsigned quota_user, quota_ip, quota_total;	/* as started */
	/*
	 * Redis (net_redis.c), main thread only. cfg is the configuration in
	 * force, borrowed: the caller keeps it alive until the next
	 * successful net_reload() or net_free() (see net.h); a snapshot from
	 * Redis is merged with it into a new net_env.
	 */
	const struct config *cfg;
	bool redis_on;
	struct auth_redis *redis;	/* while net_run() runs */
	struct auth_redis_snap *rsnap;	/* last complete load, or NULL */
	char rsnap_realm[AUTH_REALM_MAX + 1];	/* the realm it was read for */
	struct event_base *main_base;	/* net_run()'s, while it runs */
	struct net_userkey *uk;		/* shared user-key cache, or NULL */
	/*
	 * Metrics, readiness and drain (issue 5; net_metrics.c,
	 * net_drain.c). metrics and http exist with `prometheus`; mw_main
	 * is the main thread's block (Redis). draining is set once by
	 * SIGUSR1 and read by every worker.
	 */
	struct metrics *metrics;
	struct metrics_http *http;
	struct metrics_worker *mw_main;
	bool metrics_on;		/* prometheus */
	struct addr metrics_addr;	/* its address (a policy self entry) */
	bool started;			/* net_start() succeeded */
	uint64_t redis_errs_seen;
	uint64_t rsnap_time;		/* Unix s of the last Redis load */
	struct event *tick_ev;		/* main thread, once a second */
	_Atomic bool draining;
	unsigned drain_timeout_s;
	uint64_t drain_deadline_ms;
	struct event *drain_ev;
	struct addr alt[CONFIG_MAX_ADDRS];	/* alternate-server */
	size_t nalt;
};

/* net_worker.c */
uint64_t net_now_ms(void);
const char *net_proto_name(enum net_proto p);

/* net_listen.c */
int net_listen_addrs(const struct config *c, struct addr **out, size_t *n,
    char *err, size_t errcap);
int net_port_exclusive(enum net_proto proto, const struct addr *a, char *err,
    size_t errcap);
int net_listener_open(struct net_listener *l, struct net_worker *w,
    const struct net_spec *s, char *err, size_t errcap);
void net_listener_close(struct net_listener *l);

/* net_udp.c */
void net_udp_read_cb(evutil_socket_t fd, short what, void *arg);
void net_udp_prepare(struct net_worker *w);
struct net_listener *net_udp_listener(struct net_worker *w,
    const struct addr *local);

/* net_relay.c */
void net_relay_io_init(struct net_worker *w);
void net_relay_clear(struct net_worker *w);

/* net_env.c */
int net_env_init(struct net *n, const struct config *c, char *err,
    size_t errcap);
void net_env_clear(struct net *n);
struct net_env *net_env_prepare(struct net *n, const struct config *c,
    char *err, size_t errcap);
void net_env_discard(struct net *n, struct net_env *env);
void net_env_publish(struct net *n, struct net_env *env);
void net_env_wake(struct net *n);
int net_env_worker_init(struct net_worker *w, char *err, size_t errcap);
void net_env_worker_clear(struct net_worker *w);

/* net_env.c, with what Redis adds (n->rsnap) */
void net_env_quota_apply(struct net *n, const struct config *c);

/* net_redis.c (main thread) */
int net_redis_init(struct net *n, const struct config *c, char *err,
    size_t errcap);
int net_redis_start(struct net *n, struct event_base *base);
void net_redis_stop(struct net *n);
void net_redis_reload(struct net *n, const struct config *old,
    const struct config *c);
void net_redis_clear(struct net *n);

/* net_userkey.c: the user-key cache shared by the workers */
#define NET_UK_QUEUE		1024	/* lookups queued for the main thread */
#define NET_UK_PARK		64	/* parked requests per worker */
/* A lookup on its way to Redis: a copy of the name (the cookie). */
struct net_uk_req {
	size_t len;
	uint8_t user[];
};
struct net_userkey *net_userkey_new(unsigned ttl_s, unsigned neg_ttl_s,
    unsigned timeout_s);
void net_userkey_free(struct net_userkey *uk);
/* turn_io.user_key (ctx: the worker). */
enum turn_key net_userkey_get(void *ctx, const uint8_t *user, size_t len,
    uint8_t key[16]);
/* Main thread: where lookups go, or NULL (all then UNAVAILABLE). */
void net_userkey_attach(struct net *n, struct event_base *base);
void net_userkey_detach(struct net *n);
/* Main thread: auth_redis's on_key; cookie is the queued request. */
void net_userkey_answer(void *arg, void *cookie,
    enum auth_redis_key_result res, const uint8_t key[16]);
/* Main thread: a `user` event (drop every cached answer). */
void net_userkey_flush(struct net_userkey *uk);
/* Worker: keep a copy of a request the engine left PENDING. */
void net_userkey_park(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len);
/* Worker: its events, and freeing what is parked. */
int net_userkey_worker_init(struct net_worker *w);
void net_userkey_worker_clear(struct net_worker *w);
/* Worker tick: re-submits requests parked longer than the timeout. */
void net_userkey_tick(struct net_worker *w, uint64_t now_ms);

/* net_metrics.c */
int net_metrics_conf(struct net *n, const struct config *c, char *err,
    size_t errcap);
int net_metrics_init(struct net *n, const struct config *c, char *err,
    size_t errcap);
void net_metrics_http_stop(struct net *n);
void net_metrics_clear(struct net *n);
struct metrics_worker *net_metrics_worker(struct net *n, unsigned id);
void net_metrics_tick(struct net_worker *w);
void net_metrics_main_tick(struct net *n);
int net_metrics_main_start(struct net *n, struct event_base *base);
void net_metrics_main_stop(struct net *n);

/* net_count.c (worker) */
void net_engine_input(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out);
/* turn_hooks.alloc_event (ctx: the worker). */
void net_count_alloc_event(void *ctx, const struct turn_alloc_event *ev);

/* net_drain.c */
int net_drain_init(struct net *n, const struct config *c, char *err,
    size_t errcap);
void net_drain_begin(struct net *n);
void net_drain_clear(struct net *n);

/* net_relay.c */
struct net_relay *net_relay_by_idx(struct net_worker *w, uint32_t idx);

/* net_stream.c */
void net_stream_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
void net_stream_close_all(struct net_worker *w);
struct net_conn *net_conn_find(struct net_worker *w, uint64_t id);
/* client_send() on a stream: queues a relayed frame (0), or drops it
 * (-1). */
int net_conn_send(struct net_conn *c, const uint8_t *data, size_t len);
/* The engine's answer to a request handed to it again (net_userkey.c). */
void net_conn_reply(struct net_conn *c, const struct turn_out *out);

/* net_tls.c */
struct net_tls *net_tls_new(const char *cert, const char *pkey,
    const char *ciphers, char *err, size_t errcap);
int net_tls_reload(struct net_tls *t, const char *cert, const char *pkey,
    const char *ciphers, char *err, size_t errcap);
void net_tls_free(struct net_tls *t);
/* A bufferevent accepting a TLS handshake on fd, or NULL. */
struct bufferevent *net_tls_bev_new(struct net_tls *t, struct event_base *base,
    evutil_socket_t fd);
/* Describes the TLS error that ended a connection (for a debug log). */
void net_tls_bev_error(struct bufferevent *bev, char *out, size_t cap);

#endif
