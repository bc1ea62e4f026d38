/* SPDX-License-Identifier: ISC */
/*
 * User keys from Redis on first use (turn_hooks.user_key), never blocking
 * a worker (ARCHITECTURE.md: Redis is never on the data path).
 *
 * A cache shared by the workers, behind one mutex taken only for a
 * USERNAME that is neither a static user nor a REST credential (never per
 * relayed packet): answers FOUND for user-key-cache-ttl, UNKNOWN for
 * user-key-negative-ttl, UNAVAILABLE for a second after a failed lookup.
 * A miss inserts a PENDING entry, queues a request for the main thread
 * (a bounded ring; its bell wakes it, net.h) and answers PENDING: the engine
 * then drops the request with TURN_DROP_PENDING and the worker parks a
 * copy (a bounded queue per worker; full: dropped and counted). When an
 * answer arrives (auth_redis, main thread) every worker with parked
 * requests is woken (its bell) and hands them to its engine again.
 * A lookup that never completes: after redis-command-timeout the PENDING
 * entry answers UNAVAILABLE (the engine's 500) and the worker's tick
 * re-submits what waited that long.
 *
 * Under abuse (docs/security.md, Redis under abuse): one nonce lets a
 * client sign requests for any number of USERNAMEs, each a miss. So a
 * source (IPv4 /32, IPv6 /64 and its /48: policy.h, Per-source budgets)
 * may start user-key-lookup-rate lookups a second, user-key-lookup-burst
 * at once, on each worker (a table per worker, no lock), and hold at most
 * DAEMON_UK_SRC_SHARE of the DAEMON_UK_QUEUE lookups outstanding. A
 * lookup refused is not started and its request is dropped and counted:
 * the client retransmits (RFC 8489 §6.2.1) and gets through as the budget
 * refills, whereas a 401 (UNKNOWN) would tell a real user the password is
 * wrong and a 500 (UNAVAILABLE) that Redis is down. A full cache evicts
 * one answered entry, never all: the least recently used key if it has
 * expired, else the least recently used negative answer (what a flood of
 * made-up names leaves), else the least recently used key. Bounded:
 * DAEMON_UK_MAX entries, DAEMON_UK_QUEUE lookups outstanding and
 * DAEMON_UK_PARK requests parked per worker.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


#include "auth/auth_redis.h"
#include "daemon/daemon_int.h"
#include "util/crypto.h"
#include "util/siphash.h"
#include "util/log.h"

#define DAEMON_UK_MAX		65536	/* cache entries */
#define DAEMON_UK_BUCKETS	16384
#define DAEMON_UK_UNAVAIL_MS	1000
#define DAEMON_UK_SRC_SLOTS	(2 * DAEMON_UK_QUEUE)	/* a power of two */

enum daemon_uk_state {
	DAEMON_UK_PENDING = 0,
	DAEMON_UK_FOUND,
	DAEMON_UK_UNKNOWN,
	DAEMON_UK_UNAVAILABLE,
};

/* The recency lists of answered entries: keys, and negative answers
 * (UNKNOWN, UNAVAILABLE); the index is the eviction metric's label. */
enum daemon_uk_list {
	DAEMON_UK_KEYS = METRICS_UK_EVICT_KEY,
	DAEMON_UK_NEGATIVE = METRICS_UK_EVICT_NEGATIVE,
	DAEMON_UK_LISTS
};

/* A source: an IPv4 /32 or the /64 of an IPv6 address. */
struct daemon_uk_srckey {
	uint64_t prefix;
	uint8_t family;		/* 4 or 8 (bytes); 0: an empty slot */
};

struct daemon_uk_src {
	struct daemon_uk_srckey k;
	unsigned n;		/* its lookups outstanding */
};

struct daemon_uk_entry {
	struct daemon_uk_entry *next, **pprev;	/* its bucket */
	struct daemon_uk_entry *older, *newer;	/* its list; not PENDING */
	uint64_t until_ms;	/* answer valid until; PENDING: deadline */
	struct daemon_uk_srckey src;	/* PENDING: who started the lookup */
	enum daemon_uk_state state;
	uint8_t key[16];
	size_t len;
	uint8_t user[];
};

struct daemon_uk_parked {
	struct daemon_uk_parked *next;
	struct turn_tuple t;
	uint64_t parked_ms;
	size_t len;
	uint8_t pkt[];
};

struct daemon_userkey {
	pthread_mutex_t mu;
	struct daemon_uk_entry **buckets;
	size_t count;
	uint64_t k0, k1;	/* SipHash key: names are chosen by clients */
	uint64_t ttl_ms, neg_ttl_ms, timeout_ms;
	uint32_t rate, burst;
	struct daemon_uk_entry *oldest[DAEMON_UK_LISTS], *newest[DAEMON_UK_LISTS];
	struct daemon_uk_src src[DAEMON_UK_SRC_SLOTS];
	size_t npending;	/* lookups outstanding: PENDING entries */
	struct daemon_uk_req *queue[DAEMON_UK_QUEUE];
	size_t qhead, qlen;
	struct net_bell *bell;	/* main thread's; NULL: no Redis client */
	int bell_bit;		/* daemon_uk_drain_cb on it */
	struct daemon *d;
	uint64_t evictions;
};

struct daemon_userkey *
daemon_userkey_new(unsigned ttl_s, unsigned neg_ttl_s, unsigned timeout_s,
    uint32_t rate, uint32_t burst)
{
	struct daemon_userkey *uk;
	uint64_t k[2];

	if ((uk = calloc(1, sizeof(*uk))) == NULL)
		return NULL;
	/* an array of bucket head pointers */
	uk->buckets = calloc(DAEMON_UK_BUCKETS, sizeof(*uk->buckets)); // NOLINT(bugprone-sizeof-expression)
	if (uk->buckets == NULL || crypto_random(k, sizeof(k)) != 0 ||
	    pthread_mutex_init(&uk->mu, NULL) != 0) {
		free(uk->buckets);
		free(uk);
		return NULL;
	}
	uk->k0 = k[0];
	uk->k1 = k[1];
	crypto_wipe(k, sizeof(k));
	uk->ttl_ms = (uint64_t)ttl_s * 1000;
	uk->neg_ttl_ms = (uint64_t)neg_ttl_s * 1000;
	uk->timeout_ms = (uint64_t)timeout_s * 1000;
	uk->rate = rate;
	uk->burst = burst;
	return uk;
}

void
daemon_userkey_stats(struct daemon_userkey *uk, struct daemon_uk_stats *st)
{
	pthread_mutex_lock(&uk->mu);
	st->entries = uk->count;
	st->pending = uk->npending;
	st->evictions = uk->evictions;
	pthread_mutex_unlock(&uk->mu);
}

/* SipHash-2-4 under the cache's random key: names are chosen by
 * clients. */
static uint64_t
daemon_uk_hash(const struct daemon_userkey *uk, const uint8_t *p, size_t len)
{
	return siphash24(uk->k0, uk->k1, p, len);
}

/* ---- sources and their outstanding lookups (under mu) ---- */

/* The source of a client address; -1 for a family that is neither. */
static int
daemon_uk_srckey(const struct addr *client, struct daemon_uk_srckey *k)
{
	struct addr a;
	const uint8_t *b;
	size_t i;

	policy_addr_canonical(client, &a);	/* ::ffff:a.b.c.d is IPv4 */
	k->family = addr_family(&a) == AF_INET ? 4 :
	    addr_family(&a) == AF_INET6 ? 8 : 0;	/* the /64 */
	if (k->family == 0)
		return -1;
	b = k->family == 4 ? (const uint8_t *)&a.u.sin.sin_addr :
	    (const uint8_t *)&a.u.sin6.sin6_addr;
	for (k->prefix = 0, i = 0; i < k->family; i++)
		k->prefix = k->prefix << 8 | b[i];
	return 0;
}

static size_t
daemon_uk_src_home(const struct daemon_userkey *uk,
    const struct daemon_uk_srckey *k)
{
	const uint64_t b[2] = { k->prefix, k->family };

	return (size_t)daemon_uk_hash(uk, (const uint8_t *)b, sizeof(b)) &
	    (DAEMON_UK_SRC_SLOTS - 1);
}

/* k's slot, or the empty slot where it would go (linear probing); never
 * full: at most npending <= DAEMON_UK_QUEUE sources in twice the slots. */
static struct daemon_uk_src *
daemon_uk_src_at(struct daemon_userkey *uk, const struct daemon_uk_srckey *k)
{
	struct daemon_uk_src *s;
	size_t i = daemon_uk_src_home(uk, k);

	for (;; i = (i + 1) & (DAEMON_UK_SRC_SLOTS - 1)) {
		s = &uk->src[i];
		if (s->k.family == 0 || (s->k.family == k->family &&
		    s->k.prefix == k->prefix))
			return s;
	}
}

/* One lookup less for k; its slot is emptied at 0 by shifting back the
 * entries that probed past it, so that no lookup misses them. */
static void
daemon_uk_src_put(struct daemon_userkey *uk, const struct daemon_uk_srckey *k)
{
	const size_t mask = DAEMON_UK_SRC_SLOTS - 1;
	struct daemon_uk_src *s = daemon_uk_src_at(uk, k);
	size_t i, j, home;

	if (s->k.family == 0 || --s->n > 0)
		return;
	i = (size_t)(s - uk->src);
	for (j = (i + 1) & mask; uk->src[j].k.family != 0; j = (j + 1) & mask) {
		home = daemon_uk_src_home(uk, &uk->src[j].k);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			uk->src[i] = uk->src[j];
			i = j;
		}
	}
	memset(&uk->src[i], 0, sizeof(uk->src[i]));
}

/* ---- entries and their recency lists (under mu) ---- */

static enum daemon_uk_list
daemon_uk_list_of(const struct daemon_uk_entry *e)
{
	return e->state == DAEMON_UK_FOUND ? DAEMON_UK_KEYS :
	    DAEMON_UK_NEGATIVE;
}

/* Out of its list (an answered entry only). */
static void
daemon_uk_unlink(struct daemon_userkey *uk, struct daemon_uk_entry *e)
{
	enum daemon_uk_list l = daemon_uk_list_of(e);

	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		uk->oldest[l] = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		uk->newest[l] = e->older;
	e->older = e->newer = NULL;
}

/* The newest of its list (an answered entry only). */
static void
daemon_uk_link(struct daemon_userkey *uk, struct daemon_uk_entry *e)
{
	enum daemon_uk_list l = daemon_uk_list_of(e);

	e->newer = NULL;
	if ((e->older = uk->newest[l]) != NULL)
		e->older->newer = e;
	else
		uk->oldest[l] = e;
	uk->newest[l] = e;
}

static void
daemon_uk_remove(struct daemon_userkey *uk, struct daemon_uk_entry *e)
{
	if (e->state != DAEMON_UK_PENDING)
		daemon_uk_unlink(uk, e);
	*e->pprev = e->next;
	if (e->next != NULL)
		e->next->pprev = e->pprev;
	uk->count--;
	crypto_wipe(e->key, sizeof(e->key));
	free(e);
}

/*
 * Room for one entry: the least recently used key if it has expired,
 * else the least recently used negative answer, else the least recently
 * used key. -1 when every entry is PENDING (not reachable: at most
 * DAEMON_UK_QUEUE are).
 */
static int
daemon_uk_evict(struct daemon_userkey *uk, struct daemon_worker *w,
    uint64_t now)
{
	struct daemon_uk_entry *e = uk->oldest[DAEMON_UK_KEYS];
	enum daemon_uk_list l = DAEMON_UK_KEYS;

	if ((e == NULL || e->until_ms > now) &&
	    uk->oldest[DAEMON_UK_NEGATIVE] != NULL) {
		e = uk->oldest[DAEMON_UK_NEGATIVE];
		l = DAEMON_UK_NEGATIVE;
	}
	if (e == NULL)
		return -1;
	daemon_uk_remove(uk, e);
	uk->evictions++;
	metrics_count(w->mw, METRICS_USER_KEY_EVICTIONS, l, 1);
	return 0;
}

void
daemon_userkey_free(struct daemon_userkey *uk)
{
	struct daemon_uk_entry *e, *next;
	size_t b;

	if (uk == NULL)
		return;
	for (b = 0; b < DAEMON_UK_BUCKETS; b++)
		for (e = uk->buckets[b]; e != NULL; e = next) {
			next = e->next;
			daemon_uk_remove(uk, e);
		}
	while (uk->qlen > 0) {
		free(uk->queue[uk->qhead]);
		uk->qhead = (uk->qhead + 1) % DAEMON_UK_QUEUE;
		uk->qlen--;
	}
	pthread_mutex_destroy(&uk->mu);
	free(uk->buckets);
	free(uk);
}

static struct daemon_uk_entry **
daemon_uk_bucket(const struct daemon_userkey *uk, const uint8_t *user,
    size_t len)
{
	return &uk->buckets[daemon_uk_hash(uk, user, len) % DAEMON_UK_BUCKETS];
}

static struct daemon_uk_entry *
daemon_uk_find(struct daemon_uk_entry **b, const uint8_t *user, size_t len)
{
	struct daemon_uk_entry *e;

	for (e = *b; e != NULL; e = e->next)
		if (e->len == len && memcmp(e->user, user, len) == 0)
			return e;
	return NULL;
}

/* ---- starting a lookup (a worker, under mu) ---- */

/*
 * Whether sk may start a lookup now: -1 if so (a token of its budget is
 * taken), else why not (enum metrics_uk_refusal). The queue is checked
 * before the budget, so that a refused lookup costs no token.
 */
static int
daemon_uk_admit(struct daemon_userkey *uk, struct daemon_worker *w,
    const struct turn_tuple *t, const struct daemon_uk_srckey *sk,
    uint64_t now)
{
	if (uk->npending >= DAEMON_UK_QUEUE || uk->qlen >= DAEMON_UK_QUEUE)
		return METRICS_UK_QUEUE_FULL;
	if (daemon_uk_src_at(uk, sk)->n >= DAEMON_UK_SRC_SHARE)
		return METRICS_UK_SOURCE_QUEUE;
	if (w->uk_rate == NULL ||
	    !policy_rate_take(w->uk_rate, &t->client, now))
		return METRICS_UK_RATE;
	return -1;
}

/* e (NULL: a new entry in bucket b) becomes PENDING for sk and its
 * request is queued. 0 or -1 (no memory). */
static int
daemon_uk_request(struct daemon_userkey *uk, struct daemon_worker *w,
    struct daemon_uk_entry **b, struct daemon_uk_entry *e,
    const uint8_t *user, size_t len, const struct daemon_uk_srckey *sk,
    uint64_t now)
{
	struct daemon_uk_src *s;
	struct daemon_uk_req *q;

	if ((q = malloc(sizeof(*q) + len)) == NULL)
		return -1;
	if (e == NULL) {
		if ((uk->count >= DAEMON_UK_MAX &&
		    daemon_uk_evict(uk, w, now) == -1) ||
		    (e = calloc(1, sizeof(*e) + len)) == NULL) {
			free(q);
			return -1;
		}
		memcpy(e->user, user, len);
		e->len = len;
		if ((e->next = *b) != NULL)
			e->next->pprev = &e->next;
		e->pprev = b;
		*b = e;
		uk->count++;
	} else
		daemon_uk_unlink(uk, e);	/* an answer that expired */
	e->state = DAEMON_UK_PENDING;
	e->until_ms = now + uk->timeout_ms;
	e->src = *sk;
	s = daemon_uk_src_at(uk, sk);
	s->k = *sk;
	s->n++;
	uk->npending++;
	q->len = len;
	memcpy(q->user, user, len);
	uk->queue[(uk->qhead + uk->qlen) % DAEMON_UK_QUEUE] = q;
	uk->qlen++;
	return 0;
}

/* An answered entry still valid: its answer (the key into key). */
static enum turn_key
daemon_uk_cached(struct daemon_userkey *uk, struct daemon_uk_entry *e,
    uint8_t key[16])
{
	if (e != uk->newest[daemon_uk_list_of(e)]) {
		daemon_uk_unlink(uk, e);	/* used now: the newest */
		daemon_uk_link(uk, e);
	}
	if (e->state == DAEMON_UK_FOUND) {
		memcpy(key, e->key, 16);
		return TURN_KEY_FOUND;
	}
	return e->state == DAEMON_UK_UNKNOWN ? TURN_KEY_UNKNOWN :
	    TURN_KEY_UNAVAILABLE;
}

/*
 * turn_hooks.user_key (ctx: the worker), for a request from t. A lookup
 * refused by its source's budget or share of the queue answers LIMITED:
 * the engine drops the request (rate_limited) and the client retransmits.
 */
enum turn_key
daemon_userkey_get(void *ctx, const struct turn_tuple *t, const uint8_t *user,
    size_t len, uint8_t key[16])
{
	struct daemon_worker *w = ctx;
	struct daemon_userkey *uk = w->d->uk;
	struct daemon_uk_entry **b, *e;
	struct daemon_uk_srckey sk;
	enum turn_key rv = TURN_KEY_UNAVAILABLE;
	uint64_t now = net_now_ms();
	int why = -1;

	if (uk == NULL || len == 0 || len > AUTH_USERNAME_MAX)
		return len == 0 ? TURN_KEY_UNKNOWN : TURN_KEY_UNAVAILABLE;
	b = daemon_uk_bucket(uk, user, len);
	pthread_mutex_lock(&uk->mu);
	e = daemon_uk_find(b, user, len);
	if (e != NULL && e->state == DAEMON_UK_PENDING)
		rv = now < e->until_ms ? TURN_KEY_PENDING :
		    TURN_KEY_UNAVAILABLE;
	else if (e != NULL && now < e->until_ms)
		rv = daemon_uk_cached(uk, e, key);
	else if (uk->bell == NULL || daemon_uk_srckey(&t->client, &sk) == -1)
		rv = TURN_KEY_UNAVAILABLE;	/* no Redis, or no source */
	else if ((why = daemon_uk_admit(uk, w, t, &sk, now)) >= 0)
		rv = TURN_KEY_LIMITED;
	else if (daemon_uk_request(uk, w, b, e, user, len, &sk, now) == 0) {
		rv = TURN_KEY_PENDING;
		net_bell_ring(uk->bell, uk->bell_bit);
	}
	pthread_mutex_unlock(&uk->mu);
	if (why >= 0)
		metrics_count(w->mw, METRICS_USER_KEY_REFUSED, (unsigned)why,
		    1);
	return rv;
}

/* Wakes every worker that has requests parked. */
static void
daemon_uk_wake_workers(struct daemon *d)
{
	unsigned i;

	for (i = 0; i < d->nworkers; i++)
		if (d->workers[i].uk_bit != -1)
			net_bell_ring(d->workers[i].bell, d->workers[i].uk_bit);
}

/* auth_redis's on_key (main thread). cookie: the struct daemon_uk_req. */
void
daemon_userkey_answer(void *arg, void *cookie, enum auth_redis_key_result res,
    const uint8_t key[16])
{
	struct daemon *d = arg;
	struct daemon_userkey *uk = d->uk;
	struct daemon_uk_req *q = cookie;
	struct daemon_uk_entry *e;
	uint64_t now = net_now_ms();
	char esc[LOG_ESCAPE_CAP];
	static const char *const names[] = { "found", "unknown",
	    "unavailable" };

	/* Once per lookup, never per packet; the name is the client's. */
	if (log_get_level() >= LOG_LVL_DEBUG)
		log_debug("redis_user_key", "user=%s result=%s",
		    log_escape(esc, sizeof(esc), q->user, q->len),
		    (unsigned)res < 3 ? names[res] : "?");
	pthread_mutex_lock(&uk->mu);
	e = daemon_uk_find(daemon_uk_bucket(uk, q->user, q->len), q->user,
	    q->len);
	/* A PENDING entry has exactly one lookup outstanding: this one. */
	if (e != NULL && e->state == DAEMON_UK_PENDING) {
		daemon_uk_src_put(uk, &e->src);
		uk->npending--;
		if (res == AUTH_REDIS_KEY_FOUND && key != NULL) {
			e->state = DAEMON_UK_FOUND;
			memcpy(e->key, key, 16);
			e->until_ms = now + uk->ttl_ms;
		} else if (res == AUTH_REDIS_KEY_UNKNOWN) {
			e->state = DAEMON_UK_UNKNOWN;
			e->until_ms = now + uk->neg_ttl_ms;
		} else {
			e->state = DAEMON_UK_UNAVAILABLE;
			e->until_ms = now + DAEMON_UK_UNAVAIL_MS;
		}
		daemon_uk_link(uk, e);
	}
	pthread_mutex_unlock(&uk->mu);
	free(q);
	daemon_uk_wake_workers(d);
}

/* Main thread: sends what the workers queued. */
static void
daemon_uk_drain_cb(void *arg)
{
	struct daemon *d = arg;
	struct daemon_userkey *uk = d->uk;
	struct daemon_uk_req *batch[DAEMON_UK_QUEUE];
	size_t i, nb = 0;

	pthread_mutex_lock(&uk->mu);
	while (uk->qlen > 0) {
		batch[nb++] = uk->queue[uk->qhead];
		uk->qhead = (uk->qhead + 1) % DAEMON_UK_QUEUE;
		uk->qlen--;
	}
	pthread_mutex_unlock(&uk->mu);
	for (i = 0; i < nb; i++) {
		if (d->redis != NULL)
			auth_redis_key_get(d->redis, batch[i]->user,
			    batch[i]->len, batch[i]);
		else
			daemon_userkey_answer(d, batch[i],
			    AUTH_REDIS_KEY_UNAVAILABLE, NULL);
	}
}

void
daemon_userkey_attach(struct daemon *d, struct event_base *base)
{
	struct net_bell *b;
	int bit;

	if (d->uk == NULL)
		return;
	if ((b = net_bell_new(base)) == NULL ||
	    (bit = net_bell_add(b, daemon_uk_drain_cb, d)) == -1) {
		net_bell_free(b);
		return;		/* lookups then answer UNAVAILABLE */
	}
	pthread_mutex_lock(&d->uk->mu);
	d->uk->d = d;
	d->uk->bell_bit = bit;
	d->uk->bell = b;
	pthread_mutex_unlock(&d->uk->mu);
}

void
daemon_userkey_detach(struct daemon *d)
{
	struct net_bell *b;

	if (d->uk == NULL)
		return;
	pthread_mutex_lock(&d->uk->mu);
	b = d->uk->bell;
	d->uk->bell = NULL;
	pthread_mutex_unlock(&d->uk->mu);
	net_bell_free(b);
}

/* Drops every answered entry (PENDING ones wait for their answers). */
void
daemon_userkey_flush(struct daemon_userkey *uk)
{
	struct daemon_uk_entry *e, *next;
	size_t b;

	if (uk == NULL)
		return;
	pthread_mutex_lock(&uk->mu);
	for (b = 0; b < DAEMON_UK_BUCKETS; b++)
		for (e = uk->buckets[b]; e != NULL; e = next) {
			next = e->next;
			if (e->state != DAEMON_UK_PENDING)
				daemon_uk_remove(uk, e);
		}
	pthread_mutex_unlock(&uk->mu);
}

/* ---- the worker's side ---- */

void
daemon_userkey_park(struct daemon_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len)
{
	struct daemon_uk_parked *p;

	/* No room to wait: dropped, the client retransmits. */
	if (w->uk_nparked >= DAEMON_UK_PARK ||
	    (p = malloc(sizeof(*p) + len)) == NULL) {
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    TURN_DROP_PENDING, 1);
		return;
	}
	p->next = NULL;
	p->t = *t;
	p->parked_ms = net_now_ms();
	p->len = len;
	memcpy(p->pkt, pkt, len);
	if (w->uk_tail != NULL)
		w->uk_tail->next = p;
	else
		w->uk_head = p;
	w->uk_tail = p;
	w->uk_nparked++;
}

/* Hands one parked request to the engine again and sends its answer. */
static void
daemon_uk_resubmit(struct daemon_worker *w, struct daemon_uk_parked *p,
    uint64_t now)
{
	struct turn_out out;

	/* A stream that closed meanwhile: the engine has ended its
	 * allocation already, and must not get a request on it again. */
	if (!net_worker_conn_open(w->nw, &p->t))
		return;
	memset(&out, 0, sizeof(out));
	out.buf = w->txbuf;
	out.cap = DAEMON_OUT_CAP;
	daemon_engine_input(w, &p->t, p->pkt, p->len, now, &out);
	if (out.len == 0 && out.drop == TURN_DROP_PENDING) {
		daemon_userkey_park(w, &p->t, p->pkt, p->len);
		return;
	}
	if (out.len == 0 || out.len > out.cap)
		return;
	(void)net_worker_reply(w->nw, &p->t, &out);
}

/* Re-submits parked requests: all, or those parked before `before`. */
static void
daemon_uk_run(struct daemon_worker *w, uint64_t before)
{
	struct daemon_uk_parked *p, *list = w->uk_head, *keep = NULL, *ktail = NULL;
	uint64_t now = net_now_ms();

	w->uk_head = w->uk_tail = NULL;
	w->uk_nparked = 0;
	while ((p = list) != NULL) {
		list = p->next;
		p->next = NULL;
		if (before != 0 && p->parked_ms >= before) {
			if (ktail != NULL)	/* not yet timed out */
				ktail->next = p;
			else
				keep = p;
			ktail = p;
			w->uk_nparked++;
			continue;
		}
		daemon_uk_resubmit(w, p, now);
		free(p);
	}
	/* Those kept go first: they are older than any re-parked. */
	if (keep != NULL) {
		ktail->next = w->uk_head;
		w->uk_head = keep;
		if (w->uk_tail == NULL)
			w->uk_tail = ktail;
	}
}

/* The worker's bell: lookups it waited for were answered. */
static void
daemon_uk_worker_cb(void *arg)
{
	daemon_uk_run(arg, 0);
}

void
daemon_userkey_tick(struct daemon_worker *w, uint64_t now_ms)
{
	struct daemon_userkey *uk = w->d->uk;

	if (uk != NULL && w->uk_head != NULL && now_ms > uk->timeout_ms)
		daemon_uk_run(w, now_ms - uk->timeout_ms);
}

/* The hook, the wake-up bit and the worker's table of lookup budgets
 * (its own random key, so that sources cannot be aimed at one set). */
int
daemon_userkey_worker_init(struct daemon_worker *w)
{
	struct daemon_userkey *uk = w->d->uk;
	uint8_t seed[POLICY_RATE_SEED_LEN];
	struct policy_rate_opts o;
	int rv = -1;

	w->uk_bit = -1;
	if (uk == NULL)
		return 0;
	w->hooks.user_key = daemon_userkey_get;
	policy_rate_opts_unauth(&o, uk->rate, uk->burst);
	if (crypto_random(seed, sizeof(seed)) == 0 &&
	    (w->uk_rate = policy_rate_new(&o, seed, NULL)) != NULL &&
	    (w->uk_bit = net_bell_add(w->bell, daemon_uk_worker_cb, w)) != -1)
		rv = 0;
	crypto_wipe(seed, sizeof(seed));
	return rv;
}

void
daemon_userkey_worker_clear(struct daemon_worker *w)
{
	struct daemon_uk_parked *p;

	while ((p = w->uk_head) != NULL) {
		w->uk_head = p->next;
		free(p);
	}
	w->uk_tail = NULL;
	w->uk_nparked = 0;
	w->uk_bit = -1;		/* the bell is the net worker's */
	policy_rate_free(w->uk_rate);
	w->uk_rate = NULL;
}
