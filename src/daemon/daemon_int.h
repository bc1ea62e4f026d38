/* SPDX-License-Identifier: ISC */
/*
 * daemon_int: declarations shared by the files of the daemon module only.
 *
 * struct daemon holds what ternd shares between its workers: the TURN
 * environment (nonce key, port pool, quotas, the snapshot of credentials
 * and peer policy), Redis and the user-key cache, metrics and the drain.
 * struct daemon_worker is one worker's part: its engine, the snapshot it
 * has installed, its metrics block and the requests waiting for a user
 * key. A daemon_worker is touched only by its worker's thread once net
 * has started, except live_allocs (read by the drain) and the snapshot
 * references (under env_mu).
 */
#ifndef TERN_DAEMON_INT_H
#define TERN_DAEMON_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/auth_redis.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "metrics/metrics.h"
#include "net/net.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "util/addr.h"

#define DAEMON_OUT_CAP		(STUN_MAX_FRAME + 64)	/* one late reply */

struct event;
struct event_base;
struct daemon_uk_parked;
struct daemon_userkey;

/*
 * The reloadable part of the TURN environment: credentials and peer
 * policy, immutable, swapped whole on SIGHUP or a new Redis load. refs
 * counts the workers that installed it plus one while it is current
 * (under daemon.env_mu).
 */
struct daemon_env {
	unsigned refs;
	struct auth_creds *creds;
	struct policy_peer *policy;
	char realm[AUTH_REALM_MAX + 1];	/* for session records */
};

/* log-client-address (daemon_session.c). */
enum daemon_addr_log {
	DAEMON_ADDR_FULL = 0,
	DAEMON_ADDR_PREFIX,		/* IPv4 /24, IPv6 /48 */
	DAEMON_ADDR_HASH,		/* SipHash-2-4 under k0, k1 */
};

/* Session records (daemon_session.c); set at start, read-only after. */
struct daemon_session {
	bool on;			/* session-records */
	enum daemon_addr_log how;
	uint64_t k0, k1;		/* the key of the client hash */
	uint32_t run;			/* random per start: session ids */
};

struct daemon_worker {
	struct daemon *d;
	unsigned id;
	struct net_worker *nw;
	struct event_base *base;	/* the net worker's */
	struct net_bell *bell;		/* the net worker's doorbell */
	struct turn_engine *engine;
	struct turn_hooks hooks;	/* user keys, allocation events */
	struct daemon_env *env;		/* installed in engine; holds a ref */
	struct metrics_worker *mw;	/* NULL without prometheus */
	uint8_t *txbuf;			/* DAEMON_OUT_CAP, late replies */
	_Atomic int64_t live_allocs;	/* read by the drain (main thread) */
	/* requests waiting for a user key (daemon_userkey.c) */
	int uk_bit;			/* rung on the net worker's bell when
					 * lookups complete; -1: none */
	struct daemon_uk_parked *uk_head, *uk_tail;
	unsigned uk_nparked;
	/* per-source budget of user-key lookups (daemon_userkey.c) */
	struct policy_rate *uk_rate;
};

struct daemon {
	struct net *net;
	struct daemon_worker *workers;
	unsigned nworkers;
	bool started;			/* daemon_start() succeeded */
	daemon_hup_fn hup_fn;		/* daemon_run()'s SIGHUP callback */
	void *hup_arg;
	char *software;			/* owned; the engines borrow it */
	struct addr *listen;		/* the listeners' addresses */
	size_t nlisten;
	/* TURN, shared by every worker (daemon_env.c) */
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
	bool rfc5766_channels;
	uint16_t min_port, max_port;
	unsigned max_perms, max_chans, max_peers;	/* per allocation */
	unsigned unauth_rate, unauth_burst, auth_fail_limit;
	_Atomic uint64_t max_bps;	/* per allocation; SIGHUP updates it */
	_Atomic uint64_t capacity_bps;	/* one worker's share of bps-capacity */
	pthread_mutex_t env_mu;		/* guards env and every env's refs */
	bool env_mu_ready;
	struct daemon_env *env;		/* current snapshot */
	unsigned quota_user, quota_ip, quota_total;	/* as started */
	/*
	 * Redis (daemon_redis.c), main thread only. cfg is the configuration
	 * in force, borrowed: the caller keeps it alive until the next
	 * successful daemon_reload() or daemon_free() (see daemon.h); a
	 * snapshot from Redis is merged with it into a new daemon_env.
	 */
	const struct config *cfg;
	bool redis_on;
	struct auth_redis *redis;	/* while daemon_run() runs */
	struct auth_redis_snap *rsnap;	/* last complete load, or NULL */
	char rsnap_realm[AUTH_REALM_MAX + 1];	/* the realm it was read for */
	struct event_base *main_base;	/* daemon_run()'s, while it runs */
	struct daemon_userkey *uk;	/* shared user-key cache, or NULL */
	/* metrics, readiness and drain (daemon_metrics.c, daemon_drain.c) */
	struct metrics *metrics;
	struct metrics_http *http;
	struct metrics_worker *mw_main;
	bool metrics_on;		/* prometheus */
	/* the certificate watch and its expiry (daemon_tls.c), and the
	 * self-test (daemon_selftest.c) */
	struct net_certwatch *certwatch;
	_Atomic int64_t tls_not_after;	/* Unix s, -1: no TLS; scrape reads */
	struct daemon_selftest *selftest;
	struct addr metrics_addr;	/* its address (a policy self entry) */
	uint64_t redis_errs_seen;
	uint64_t rsnap_time;		/* Unix s of the last Redis load */
	/* snapshot loads that failed (daemon_redis.c): auth_redis's count
	 * at the last good load and the count already in the metric, and
	 * complete loads daemon_env refused */
	uint64_t rsnap_fail_base, rsnap_fail_counted;
	uint64_t rsnap_refused, rsnap_refused_counted;
	bool rsnap_refusing;		/* the last complete load was refused */
	struct event *tick_ev;		/* main thread, once a second */
	_Atomic bool draining;
	unsigned drain_timeout_s;
	uint64_t drain_deadline_ms;
	struct event *drain_ev;
	struct addr alt[CONFIG_MAX_ADDRS];	/* alternate-server */
	size_t nalt;
	struct daemon_session session;
};

/* daemon_worker.c: the hooks net calls (struct net_hooks) */
extern const struct net_hooks daemon_net_hooks;
int daemon_workers_init(struct daemon *d, char *err, size_t errcap);
void daemon_workers_clear(struct daemon *d);

/* daemon_env.c */
int daemon_env_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
void daemon_env_clear(struct daemon *d);
struct daemon_env *daemon_env_prepare(struct daemon *d,
    const struct config *c, char *err, size_t errcap);
void daemon_env_discard(struct daemon *d, struct daemon_env *env);
void daemon_env_publish(struct daemon *d, struct daemon_env *env);
void daemon_env_wake(struct daemon *d);
void daemon_env_install(struct daemon_worker *w);
void daemon_env_bandwidth(struct daemon *d, const struct config *c);
void daemon_env_worker_clear(struct daemon_worker *w);
/* with what Redis adds (d->rsnap) */
void daemon_env_quota_apply(struct daemon *d, const struct config *c);

/* daemon_redis.c (main thread) */
int daemon_redis_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
int daemon_redis_start(struct daemon *d, struct event_base *base);
void daemon_redis_stop(struct daemon *d);
void daemon_redis_reload(struct daemon *d, const struct config *old,
    const struct config *c);
void daemon_redis_clear(struct daemon *d);
/* Readiness, once a second: false while the last snapshot load failed
 * (the previous one stays in force); counts the failures. */
bool daemon_redis_snapshot_ok(struct daemon *d,
    const struct auth_redis_stats *rs);

/* daemon_userkey.c: the user-key cache shared by the workers */
#define DAEMON_UK_QUEUE		1024	/* lookups queued for the main thread */
#define DAEMON_UK_PARK		64	/* parked requests per worker */
#define DAEMON_UK_SRC_SHARE	(DAEMON_UK_QUEUE / 16)	/* per source */
/* A lookup on its way to Redis: a copy of the name (the cookie). */
struct daemon_uk_req {
	size_t len;
	uint8_t user[];
};
/* rate, burst: user-key-lookup-rate and -burst, per source and worker. */
struct daemon_userkey *daemon_userkey_new(unsigned ttl_s, unsigned neg_ttl_s,
    unsigned timeout_s, uint32_t rate, uint32_t burst);
void daemon_userkey_free(struct daemon_userkey *uk);
/* For tests: entries cached, lookups outstanding, entries evicted. */
struct daemon_uk_stats {
	size_t entries, pending;
	uint64_t evictions;
};
void daemon_userkey_stats(struct daemon_userkey *uk,
    struct daemon_uk_stats *st);
/* turn_hooks.user_key (ctx: the daemon worker). */
enum turn_key daemon_userkey_get(void *ctx, const struct turn_tuple *t,
    const uint8_t *user, size_t len, uint8_t key[16]);
/* Main thread: where lookups go, or NULL (all then UNAVAILABLE). */
void daemon_userkey_attach(struct daemon *d, struct event_base *base);
void daemon_userkey_detach(struct daemon *d);
/* Main thread: auth_redis's on_key; cookie is the queued request. */
void daemon_userkey_answer(void *arg, void *cookie,
    enum auth_redis_key_result res, const uint8_t key[16]);
/* Main thread: a `user` event (drop every cached answer). */
void daemon_userkey_flush(struct daemon_userkey *uk);
/* Worker: keep a copy of a request the engine left PENDING. */
void daemon_userkey_park(struct daemon_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len);
/* Worker: its events, and freeing what is parked. */
int daemon_userkey_worker_init(struct daemon_worker *w);
void daemon_userkey_worker_clear(struct daemon_worker *w);
/* Worker tick: re-submits requests parked longer than the timeout. */
void daemon_userkey_tick(struct daemon_worker *w, uint64_t now_ms);

/* daemon_metrics.c */
int daemon_metrics_conf(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
int daemon_metrics_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
void daemon_metrics_http_stop(struct daemon *d);
void daemon_metrics_clear(struct daemon *d);
struct metrics_worker *daemon_metrics_worker(struct daemon *d, unsigned id);
void daemon_metrics_tick(struct daemon_worker *w);
void daemon_metrics_main_tick(struct daemon *d);
int daemon_metrics_main_start(struct daemon *d, struct event_base *base);
void daemon_metrics_main_stop(struct daemon *d);

/* daemon_count.c (worker) */
void daemon_engine_input(struct daemon_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out);
/* turn_hooks.alloc_event (ctx: the daemon worker). */
void daemon_count_alloc_event(void *ctx, const struct turn_alloc_event *ev);

/* daemon_session.c: session records (start-up, then the workers) */
int daemon_session_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
void daemon_session_record(struct daemon_worker *w,
    const struct turn_alloc_event *ev);
/* struct net_hooks client_str (data: the daemon worker) */
void daemon_session_client_str(void *data, const struct addr *a, char *out,
    size_t cap);

/* daemon_drain.c (main thread) */
int daemon_drain_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
void daemon_drain_begin(struct daemon *d);
void daemon_drain_clear(struct daemon *d);

/* daemon_tls.c (main thread): the certificate watch, reload counts and
 * the certificate's expiry */
int daemon_tls_init(struct daemon *d, char *err, size_t errcap);
int daemon_tls_metrics(struct daemon *d);
int daemon_tls_start(struct daemon *d, struct event_base *base);
/* After net_reload() (SIGHUP): counted; the watch follows the files. */
void daemon_tls_reloaded(struct daemon *d, bool ok);
void daemon_tls_stop(struct daemon *d);
void daemon_tls_clear(struct daemon *d);

/* daemon_selftest.c (main thread): the self-test canary */
struct daemon_selftest;
int daemon_selftest_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
/* Adds the self-test's user to a credential set (daemon_env.c). 0 or -1. */
int daemon_selftest_creds(const struct daemon *d, struct auth_creds *cr);
int daemon_selftest_metrics(struct daemon *d);
int daemon_selftest_start(struct daemon *d, struct event_base *base);
void daemon_selftest_stop(struct daemon *d);
void daemon_selftest_free(struct daemon *d);
/* Why /readyz fails because of the self-test (a static string), or NULL. */
const char *daemon_selftest_unready(const struct daemon *d);

#endif
