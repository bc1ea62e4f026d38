/* SPDX-License-Identifier: ISC */
/*
 * metrics: counters, gauges and histograms counted per worker, exposed in
 * the Prometheus text format 0.0.4 on a small HTTP endpoint.
 *
 * The metric set is one static table (metrics_tern_defs, below the generic
 * API): names, types, help and the bounded set of label values are fixed
 * there, so a label can never carry a username, a realm or an IP. A label
 * is passed as an index into its set; an index out of range is counted
 * under the value "other" (never a crash).
 *
 * Each writer thread owns one struct metrics_worker: a cache-line-aligned
 * block that only that thread writes, with a relaxed atomic load and a
 * relaxed atomic store (no lock, no read-modify-write, no false sharing).
 * A scrape sums the blocks with relaxed loads from the HTTP thread; it can
 * see a histogram's buckets and sum from slightly different instants, which
 * Prometheus tolerates. Two threads must never share a worker block.
 *
 * Gauges are either per worker (each worker adds or sets its part; the
 * scrape sums them) or callbacks registered with metrics_gauge_fn_set().
 * Callback rule: a callback runs on the HTTP thread during a scrape, while
 * workers keep running. It must be thread-safe against them (read atomics
 * or take a short lock that no data path holds for long), must not block,
 * must not call into this module, and its arg must stay valid until
 * metrics_http_stop(). Register callbacks before metrics_http_start().
 *
 * This module must not log per event, allocate on the counting path, or
 * take labels from the wire. Only metrics_http.c includes libmicrohttpd;
 * only metrics_process.c reads /proc. The rest (registry, exposition,
 * request routing) is pure and unit-tested.
 */
#ifndef TERN_METRICS_METRICS_H
#define TERN_METRICS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

#define METRICS_MAX_LABELS	2
#define METRICS_MAX_SERIES	1024	/* per family, "other" included */
#define METRICS_MAX_BUCKETS	32

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

/*
 * A label and its bounded value set: indexes 0..count-1 name values
 * (values[i], or value_fn(i) when values is NULL); a NULL name means the
 * index is not shown and is folded into "other" (index count).
 */
struct metrics_label {
	const char *name;
	unsigned count;
	const char *const *values;
	const char *(*value_fn)(unsigned i);
};

#define METRICS_F_CONST1	0x1	/* a gauge whose series are all 1 */

struct metrics_def {
	const char *name;
	enum metrics_type type;
	const char *help;
	/* NULL: no label (then none after it either) */
	const struct metrics_label *labels[METRICS_MAX_LABELS];
	const double *buckets;	/* histograms: strictly increasing, finite */
	unsigned nbuckets;	/* +Inf is implied */
	unsigned flags;
};

struct metrics;
struct metrics_worker;

/* A gauge evaluated at scrape time; l0, l1 are the label indexes. */
typedef double (*metrics_gauge_fn)(void *arg, unsigned l0, unsigned l1);

/*
 * A registry over defs (borrowed for the registry's life) with nworkers
 * writer blocks. NULL on a bad table (*why says which rule, a static
 * string) or no memory. Freed with metrics_free() (NULL is a no-op), only
 * after metrics_http_stop() and after every writer has stopped.
 */
struct metrics *metrics_new(const struct metrics_def *defs, size_t ndefs,
    unsigned nworkers, const char **why);
void metrics_free(struct metrics *m);
/* The registry for metrics_tern_defs. */
struct metrics *metrics_tern_new(unsigned nworkers, const char **why);

/* Writer block i (0..nworkers-1), owned by one thread; NULL if out of range. */
struct metrics_worker *metrics_worker(struct metrics *m, unsigned i);
unsigned metrics_nworkers(const struct metrics *m);

/*
 * The counting path. w NULL or id out of range: no-op, so code paths and
 * tests without a registry need no checks. The type must match the def
 * (counter: count; gauge: gauge_*; histogram: observe); it is not checked
 * at run time. l0/l1 are label indexes (0 for a family without labels).
 */
void metrics_count(struct metrics_worker *w, unsigned id, unsigned l0,
    uint64_t n);
void metrics_count2(struct metrics_worker *w, unsigned id, unsigned l0,
    unsigned l1, uint64_t n);
void metrics_gauge_add(struct metrics_worker *w, unsigned id, unsigned l0,
    int64_t delta);
void metrics_gauge_add2(struct metrics_worker *w, unsigned id, unsigned l0,
    unsigned l1, int64_t delta);
void metrics_gauge_set(struct metrics_worker *w, unsigned id, unsigned l0,
    int64_t v);
/* NaN is ignored. */
void metrics_observe(struct metrics_worker *w, unsigned id, unsigned l0,
    double v);

/* Makes gauge id a callback (see the rule above; a counter kept elsewhere,
 * such as process CPU time, may be one too). 0, or -1 for a histogram.
 * fn NULL returns it to the summed per-worker values. */
int metrics_gauge_fn_set(struct metrics *m, unsigned id, metrics_gauge_fn fn,
    void *arg);

/* The sum over workers of one series' value (counter or gauge; histogram:
 * its count), with l0/l1 as given to the counting path. For tests and the
 * daemon's own checks. */
int64_t metrics_value(const struct metrics *m, unsigned id, unsigned l0,
    unsigned l1);

/*
 * Writes the whole page (text format 0.0.4) into buf. Returns its length
 * (< cap, NUL-terminated), METRICS_EXPO_SHORT if cap is too small (grow and
 * call again) or METRICS_EXPO_NOMEM. Safe from any thread, concurrently
 * with the writers; callbacks run in it.
 */
#define METRICS_EXPO_SHORT	(-1)
#define METRICS_EXPO_NOMEM	(-2)
long metrics_expo_write(const struct metrics *m, char *buf, size_t cap);

/* ---- the request router (pure, fuzzed) ---- */

enum metrics_page {
	METRICS_PAGE_NONE = 0,	/* an error status, no page */
	METRICS_PAGE_METRICS,
	METRICS_PAGE_HEALTHZ,
	METRICS_PAGE_READYZ,
};

struct metrics_route {
	unsigned status;	/* 200, 401, 404 or 405 */
	enum metrics_page page;
};

/*
 * Routes one request. url is the raw path as received (no percent-decoding,
 * no dot-segment removal, query already cut): only "/metrics", "/healthz"
 * and "/readyz" match, exactly. Unknown path: 404; known path with a method
 * other than GET or HEAD: 405. When toklen > 0, /metrics needs
 * "Authorization: Bearer <token>" (compared in constant time, whatever
 * the length), else 401; the probes need no token. authz may be NULL.
 * Needs crypto_init() when a token is set (without it every token fails).
 */
struct metrics_route metrics_route(const char *method, const char *url,
    const char *authz, const uint8_t *token, size_t toklen);

/* ---- the HTTP endpoint (metrics_http.c, libmicrohttpd) ---- */

#define METRICS_HTTP_PORT	9641
#define METRICS_HTTP_TOKEN_MAX	256

struct metrics_http_opts {
	struct addr bind;	/* port 0: any free port (see _port()) */
	const uint8_t *token;	/* copied; toklen 0: no token */
	size_t toklen;		/* at most METRICS_HTTP_TOKEN_MAX */
	unsigned conn_limit;	/* total connections */
	unsigned per_ip_limit;	/* connections per client IP */
	unsigned idle_timeout_s; /* idle connection cut */
	unsigned request_ms;	/* whole-connection deadline (slowloris) */
	size_t memory_limit;	/* per-connection buffer (request headers) */
	size_t page_max;	/* largest page rendered, else 500 */
	int ready_gauge;	/* a gauge id of m that shows /readyz as 1
				 * (200) or 0 (503), a callback reading the
				 * same flag; -1: none */
};

/* Defaults: 127.0.0.1:9641, no token, 32 connections, 4 per IP, 5 s idle,
 * 5000 ms per connection, 16 KiB per connection, 8 MiB page, no
 * readiness gauge. */
void metrics_http_opts_init(struct metrics_http_opts *o);

struct metrics_http;

/*
 * Starts the endpoint on its own threads (libmicrohttpd's internal epoll
 * thread, plus a watchdog that enforces request_ms). m is borrowed until
 * metrics_http_stop(). Readiness starts false. NULL on failure (bind error:
 * errno is kept; the caller logs it).
 */
struct metrics_http *metrics_http_start(struct metrics *m,
    const struct metrics_http_opts *o);
/* The bound port (useful with port 0). */
uint16_t metrics_http_port(const struct metrics_http *h);
/* /readyz: 200 when ready, 503 otherwise. Any thread. */
void metrics_http_set_ready(struct metrics_http *h, bool ready);
/* /readyz: 503 with "not ready: <why>" as its body, or 200 when why is
 * NULL. why is a static string of the caller's (never from the wire).
 * Any thread. */
void metrics_http_set_unready(struct metrics_http *h, const char *why);
/* Stops and joins the threads, frees. NULL is a no-op. */
void metrics_http_stop(struct metrics_http *h);

/* Registers the process_* gauges of metrics_tern_defs as callbacks reading
 * /proc/self (metrics_process.c). 0 or -1. */
int metrics_process_register(struct metrics *m);

/* ---- tern's metric set (metrics_table.c) ---- */

/* Family ids: index metrics_tern_defs; pass them as `id`. */
enum metrics_id {
	METRICS_BUILD_INFO = 0,		/* {version}, constant 1 */
	METRICS_ALLOCATIONS,		/* gauge {transport,family} */
	METRICS_PERMISSIONS,		/* gauge */
	METRICS_CHANNELS,		/* gauge */
	METRICS_CONNECTIONS,		/* gauge {transport} (tcp, tls) */
	METRICS_RELAY_PORTS_USED,	/* gauge, callback */
	METRICS_RELAY_PORTS_FREE,	/* gauge, callback */
	METRICS_ALLOCATIONS_CREATED,	/* counter */
	METRICS_ALLOCATIONS_ENDED,	/* counter {reason} */
	METRICS_RELAYED_PACKETS,	/* counter {direction} */
	METRICS_RELAYED_BYTES,		/* counter {direction} */
	METRICS_STUN_REQUESTS,		/* counter {method} */
	METRICS_STUN_RESPONSES,		/* counter {method,code} */
	METRICS_AUTH_FAILURES,		/* counter {reason} */
	METRICS_PEER_REFUSALS,		/* counter {reason}: policy_verdict */
	METRICS_QUOTA_REFUSALS,		/* counter {kind} */
	METRICS_DROPPED_PACKETS,	/* counter {reason}: metrics_drop */
	METRICS_TLS_HANDSHAKES,		/* counter {result} */
	METRICS_CONN_REFUSALS,		/* counter {reason}: metrics_conn_refusal */
	METRICS_CONN_TIMEOUTS,		/* counter {reason}: metrics_conn_timeout */
	METRICS_REDIS_ERRORS,		/* counter */
	METRICS_REDIS_UP,		/* gauge 0/1 */
	METRICS_REDIS_COMMAND_SECONDS,	/* histogram */
	METRICS_SECRETS_LOADED,		/* gauge */
	METRICS_SNAPSHOT_TIMESTAMP,	/* gauge, Unix seconds */
	METRICS_REDIS_SNAPSHOT_FAILURES,	/* counter */
	METRICS_USER_KEY_REFUSED,	/* counter {reason}: metrics_uk_refusal */
	METRICS_USER_KEY_EVICTIONS,	/* counter {kind}: metrics_uk_eviction */
	METRICS_ALLOCATION_DURATION,	/* histogram, seconds */
	METRICS_DRAINING,		/* gauge 0/1: SIGUSR1 drain */
	METRICS_READY,			/* gauge, callback: /readyz 200 */
	METRICS_TLS_RELOADS,		/* counter {result}: metrics_tls_reload */
	METRICS_TLS_CERT_EXPIRY,	/* gauge, callback: Unix s, NaN: no TLS */
	METRICS_SELF_TEST_SUCCESS,	/* gauge, callback: 0/1, NaN: none */
	METRICS_SELF_TEST_DURATION,	/* gauge, callback: seconds */
	METRICS_SELF_TEST_FAILURES,	/* counter */
	METRICS_PROCESS_CPU,		/* process_*: callbacks */
	METRICS_PROCESS_RESIDENT,
	METRICS_PROCESS_VIRTUAL,
	METRICS_PROCESS_OPEN_FDS,
	METRICS_PROCESS_MAX_FDS,
	METRICS_PROCESS_START_TIME,
	METRICS_ID_COUNT
};

extern const struct metrics_def metrics_tern_defs[METRICS_ID_COUNT];

/* Label indexes. Same order as enum turn_transport. */
enum metrics_transport {
	METRICS_UDP = 0, METRICS_TCP, METRICS_TLS, METRICS_TRANSPORT_COUNT
};
enum metrics_family {
	METRICS_IPV4 = 0, METRICS_IPV6, METRICS_FAMILY_COUNT
};
enum metrics_end {
	METRICS_END_EXPIRED = 0,	/* lifetime ran out */
	METRICS_END_DELETED,		/* Refresh with lifetime 0 */
	METRICS_END_CONN_CLOSED,	/* its TCP/TLS connection ended */
	METRICS_END_SHUTDOWN,		/* the daemon stopped */
	METRICS_END_REVOKED,		/* its user was revoked */
	METRICS_END_COUNT
};
enum metrics_direction {
	METRICS_CLIENT_TO_PEER = 0, METRICS_PEER_TO_CLIENT,
	METRICS_DIRECTION_COUNT
};
enum metrics_auth {
	METRICS_AUTH_BAD_INTEGRITY = 0, METRICS_AUTH_UNKNOWN_USER,
	METRICS_AUTH_EXPIRED, METRICS_AUTH_REVOKED, METRICS_AUTH_STALE_NONCE,
	METRICS_AUTH_BAD_REQUEST, METRICS_AUTH_COUNT
};
enum metrics_quota {
	METRICS_QUOTA_USER = 0, METRICS_QUOTA_IP, METRICS_QUOTA_TOTAL,
	METRICS_QUOTA_PERMISSIONS, METRICS_QUOTA_CHANNELS,
	METRICS_QUOTA_CONNECTIONS, METRICS_QUOTA_COUNT
};
enum metrics_tls {
	METRICS_TLS_OK = 0, METRICS_TLS_FAILED, METRICS_TLS_TIMEOUT,
	METRICS_TLS_COUNT
};
/* Loads of the TLS certificate and key after start-up (SIGHUP or the
 * certificate watch, src/net/net_certwatch.c). */
enum metrics_tls_reload {
	METRICS_TLS_RELOAD_OK = 0, METRICS_TLS_RELOAD_ERROR,
	METRICS_TLS_RELOAD_COUNT
};
/* TCP/TLS connections refused at accept (docs/security.md, TCP/TLS
 * exhaustion), and closed for making no progress. */
enum metrics_conn_refusal {
	METRICS_CONN_PER_IP = 0,	/* max-connections-per-ip (/32, /64) */
	METRICS_CONN_PER_48,		/* the IPv6 /48 cap */
	METRICS_CONN_TOTAL,		/* max-connections */
	METRICS_CONN_ACCEPT_RATE,	/* new connections per second */
	METRICS_CONN_REFUSAL_COUNT
};
enum metrics_conn_timeout {
	METRICS_CONN_NO_ALLOCATION = 0,	/* no progress without an allocation */
	METRICS_CONN_STALLED_FRAME,	/* a frame left incomplete */
	METRICS_CONN_IDLE,		/* an allocated connection went silent */
	METRICS_CONN_TIMEOUT_COUNT
};
/* User-key lookups not started, and cache entries evicted to make room
 * (docs/security.md, Redis under abuse). */
enum metrics_uk_refusal {
	METRICS_UK_RATE = 0,		/* user-key-lookup-rate and -burst */
	METRICS_UK_SOURCE_QUEUE,	/* the source's share of the queue */
	METRICS_UK_QUEUE_FULL,		/* every lookup slot in use */
	METRICS_UK_REFUSAL_COUNT
};
enum metrics_uk_eviction {
	METRICS_UK_EVICT_KEY = 0,	/* a user's key */
	METRICS_UK_EVICT_NEGATIVE,	/* an unknown or unavailable answer */
	METRICS_UK_EVICTION_COUNT
};
/*
 * Drop reasons: the values of enum turn_drop (turn_drop_name(); "none" and
 * "pending" are not drops and fold into "other"), then the I/O layer's own.
 * The engine's malformed, no_allocation and no_permission are among them.
 */
#define METRICS_DROP_TURN_COUNT	21	/* == TURN_DROP_COUNT (checked) */
enum metrics_drop {
	METRICS_DROP_TOO_BIG = METRICS_DROP_TURN_COUNT,	/* larger than the
							 * receive buffer */
	METRICS_DROP_SEND_FAILED,	/* sendto/sendmsg refused it */
	METRICS_DROP_COUNT
};

/* STUN method and response code to label indexes ("other" if unknown);
 * code 0 is a success response ("200"). */
unsigned metrics_stun_method_index(uint16_t method);
unsigned metrics_stun_code_index(unsigned code);

#endif
