/* SPDX-License-Identifier: ISC */
/*
 * User keys from Redis on first use (turn_io.user_key), never blocking a
 * worker (DESIGN.md "Redis is never on the hot path").
 *
 * A cache shared by the workers, behind one mutex taken only for a
 * USERNAME that is neither a static user nor a REST credential (never per
 * relayed packet): answers FOUND for user-key-cache-ttl, UNKNOWN for
 * user-key-negative-ttl, UNAVAILABLE for a second after a failed lookup.
 * A miss inserts a PENDING entry, queues a request for the main thread
 * (a bounded ring; event_active wakes it) and answers PENDING: the engine
 * then drops the request with TURN_DROP_PENDING and the worker parks a
 * copy (a bounded queue per worker; full: dropped and counted). When an
 * answer arrives (auth_redis, main thread) every worker with parked
 * requests is woken (event_active) and hands them to its engine again.
 * A lookup that never completes: after redis-command-timeout the PENDING
 * entry answers UNAVAILABLE (the engine's 500) and the worker's tick
 * re-submits what waited that long.
 *
 * Bounded: NET_UK_MAX entries (when full, expired ones go, then every
 * answered one), NET_UK_QUEUE requests in flight, NET_UK_PARK requests
 * parked per worker.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "auth/auth_redis.h"
#include "net/net_int.h"
#include "util/crypto.h"
#include "util/log.h"

#define NET_UK_MAX		65536	/* cache entries */
#define NET_UK_BUCKETS		16384
#define NET_UK_UNAVAIL_MS	1000

enum net_uk_state {
	NET_UK_PENDING = 0,
	NET_UK_FOUND,
	NET_UK_UNKNOWN,
	NET_UK_UNAVAILABLE,
};

struct net_uk_entry {
	struct net_uk_entry *next;
	uint64_t until_ms;	/* answer valid until; PENDING: deadline */
	enum net_uk_state state;
	uint8_t key[16];
	size_t len;
	uint8_t user[];
};

struct net_uk_parked {
	struct net_uk_parked *next;
	struct turn_tuple t;
	uint64_t parked_ms;
	size_t len;
	uint8_t pkt[];
};

struct net_userkey {
	pthread_mutex_t mu;
	struct net_uk_entry **buckets;
	size_t count;
	uint64_t seed;
	uint64_t ttl_ms, neg_ttl_ms, timeout_ms;
	struct net_uk_req *queue[NET_UK_QUEUE];
	size_t qhead, qlen;
	struct event *wake;	/* main thread; NULL: no Redis client */
	struct net *net;
	uint64_t evictions, queue_full;
};

struct net_userkey *
net_userkey_new(unsigned ttl_s, unsigned neg_ttl_s, unsigned timeout_s)
{
	struct net_userkey *uk;

	if ((uk = calloc(1, sizeof(*uk))) == NULL)
		return NULL;
	/* an array of bucket head pointers */
	uk->buckets = calloc(NET_UK_BUCKETS, sizeof(*uk->buckets)); // NOLINT(bugprone-sizeof-expression)
	if (uk->buckets == NULL || pthread_mutex_init(&uk->mu, NULL) != 0) {
		free(uk->buckets);
		free(uk);
		return NULL;
	}
	(void)crypto_random(&uk->seed, sizeof(uk->seed));
	uk->ttl_ms = (uint64_t)ttl_s * 1000;
	uk->neg_ttl_ms = (uint64_t)neg_ttl_s * 1000;
	uk->timeout_ms = (uint64_t)timeout_s * 1000;
	return uk;
}

static void
net_uk_entry_free(struct net_uk_entry *e)
{
	crypto_wipe(e->key, sizeof(e->key));
	free(e);
}

/* Drops entries; all = also those answered and still valid. PENDING
 * entries stay: their lookups will answer them. Under mu. */
static void
net_uk_purge(struct net_userkey *uk, bool all, uint64_t now)
{
	struct net_uk_entry **pp, *e;
	size_t b;

	for (b = 0; b < NET_UK_BUCKETS; b++) {
		pp = &uk->buckets[b];
		while ((e = *pp) != NULL) {
			if (e->state == NET_UK_PENDING ||
			    (!all && e->until_ms > now)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			net_uk_entry_free(e);
			uk->count--;
		}
	}
}

void
net_userkey_free(struct net_userkey *uk)
{
	struct net_uk_entry *e;
	size_t b;

	if (uk == NULL)
		return;
	for (b = 0; b < NET_UK_BUCKETS; b++)
		while ((e = uk->buckets[b]) != NULL) {
			uk->buckets[b] = e->next;
			net_uk_entry_free(e);
		}
	while (uk->qlen > 0) {
		free(uk->queue[uk->qhead]);
		uk->qhead = (uk->qhead + 1) % NET_UK_QUEUE;
		uk->qlen--;
	}
	pthread_mutex_destroy(&uk->mu);
	free(uk->buckets);
	free(uk);
}

/* FNV-1a with a per-process seed: names are chosen by clients. */
static struct net_uk_entry **
net_uk_bucket(struct net_userkey *uk, const uint8_t *user, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ uk->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= user[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return &uk->buckets[h % NET_UK_BUCKETS];
}

static struct net_uk_entry *
net_uk_find(struct net_userkey *uk, const uint8_t *user, size_t len)
{
	struct net_uk_entry *e;

	for (e = *net_uk_bucket(uk, user, len); e != NULL; e = e->next)
		if (e->len == len && memcmp(e->user, user, len) == 0)
			return e;
	return NULL;
}

/* A new PENDING entry and its request. Under mu. 0 or -1 (full). */
static int
net_uk_request(struct net_userkey *uk, struct net_uk_entry *e,
    const uint8_t *user, size_t len, uint64_t now)
{
	struct net_uk_entry **b;
	struct net_uk_req *q;

	if (uk->qlen >= NET_UK_QUEUE) {
		uk->queue_full++;
		return -1;
	}
	if ((q = malloc(sizeof(*q) + len)) == NULL)
		return -1;
	if (e == NULL) {
		if (uk->count >= NET_UK_MAX) {
			net_uk_purge(uk, false, now);
			if (uk->count >= NET_UK_MAX)
				net_uk_purge(uk, true, now);
			uk->evictions++;
		}
		if (uk->count >= NET_UK_MAX ||
		    (e = calloc(1, sizeof(*e) + len)) == NULL) {
			free(q);
			return -1;
		}
		memcpy(e->user, user, len);
		e->len = len;
		b = net_uk_bucket(uk, user, len);
		e->next = *b;
		*b = e;
		uk->count++;
	}
	e->state = NET_UK_PENDING;
	e->until_ms = now + uk->timeout_ms;
	q->len = len;
	memcpy(q->user, user, len);
	uk->queue[(uk->qhead + uk->qlen) % NET_UK_QUEUE] = q;
	uk->qlen++;
	return 0;
}

enum turn_key
net_userkey_get(void *ctx, const uint8_t *user, size_t len, uint8_t key[16])
{
	struct net_worker *w = ctx;
	struct net_userkey *uk = w->net->uk;
	struct net_uk_entry *e;
	enum turn_key rv = TURN_KEY_UNAVAILABLE;
	uint64_t now = net_now_ms();

	if (uk == NULL || len == 0 || len > AUTH_USERNAME_MAX)
		return len == 0 ? TURN_KEY_UNKNOWN : TURN_KEY_UNAVAILABLE;
	pthread_mutex_lock(&uk->mu);
	e = net_uk_find(uk, user, len);
	if (e != NULL && e->state == NET_UK_PENDING)
		rv = now < e->until_ms ? TURN_KEY_PENDING :
		    TURN_KEY_UNAVAILABLE;
	else if (e != NULL && now < e->until_ms) {
		rv = e->state == NET_UK_FOUND ? TURN_KEY_FOUND :
		    e->state == NET_UK_UNKNOWN ? TURN_KEY_UNKNOWN :
		    TURN_KEY_UNAVAILABLE;
		if (rv == TURN_KEY_FOUND)
			memcpy(key, e->key, 16);
	} else if (uk->wake != NULL &&
	    net_uk_request(uk, e, user, len, now) == 0) {
		rv = TURN_KEY_PENDING;
		event_active(uk->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&uk->mu);
	return rv;
}

/* Wakes every worker that has requests parked. */
static void
net_uk_wake_workers(struct net *n)
{
	unsigned i;

	for (i = 0; i < n->nworkers; i++)
		if (n->workers[i].uk_ev != NULL)
			event_active(n->workers[i].uk_ev, EV_READ, 0);
}

/* auth_redis's on_key (main thread). cookie: the struct net_uk_req. */
void
net_userkey_answer(void *arg, void *cookie, enum auth_redis_key_result res,
    const uint8_t key[16])
{
	struct net *n = arg;
	struct net_userkey *uk = n->uk;
	struct net_uk_req *q = cookie;
	struct net_uk_entry *e;
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
	e = net_uk_find(uk, q->user, q->len);
	if (e != NULL && e->state == NET_UK_PENDING) {
		if (res == AUTH_REDIS_KEY_FOUND && key != NULL) {
			e->state = NET_UK_FOUND;
			memcpy(e->key, key, 16);
			e->until_ms = now + uk->ttl_ms;
		} else if (res == AUTH_REDIS_KEY_UNKNOWN) {
			e->state = NET_UK_UNKNOWN;
			e->until_ms = now + uk->neg_ttl_ms;
		} else {
			e->state = NET_UK_UNAVAILABLE;
			e->until_ms = now + NET_UK_UNAVAIL_MS;
		}
	}
	pthread_mutex_unlock(&uk->mu);
	free(q);
	net_uk_wake_workers(n);
}

/* Main thread: sends what the workers queued. */
static void
net_uk_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	struct net_userkey *uk = n->uk;
	struct net_uk_req *batch[NET_UK_QUEUE];
	size_t i, nb = 0;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&uk->mu);
	while (uk->qlen > 0) {
		batch[nb++] = uk->queue[uk->qhead];
		uk->qhead = (uk->qhead + 1) % NET_UK_QUEUE;
		uk->qlen--;
	}
	pthread_mutex_unlock(&uk->mu);
	for (i = 0; i < nb; i++) {
		if (n->redis != NULL)
			auth_redis_key_get(n->redis, batch[i]->user,
			    batch[i]->len, batch[i]);
		else
			net_userkey_answer(n, batch[i],
			    AUTH_REDIS_KEY_UNAVAILABLE, NULL);
	}
}

void
net_userkey_attach(struct net *n, struct event_base *base)
{
	struct event *ev;

	if (n->uk == NULL)
		return;
	if ((ev = event_new(base, -1, 0, net_uk_drain_cb, n)) == NULL)
		return;		/* lookups then answer UNAVAILABLE */
	pthread_mutex_lock(&n->uk->mu);
	n->uk->net = n;
	n->uk->wake = ev;
	pthread_mutex_unlock(&n->uk->mu);
}

void
net_userkey_detach(struct net *n)
{
	struct event *ev;

	if (n->uk == NULL)
		return;
	pthread_mutex_lock(&n->uk->mu);
	ev = n->uk->wake;
	n->uk->wake = NULL;
	pthread_mutex_unlock(&n->uk->mu);
	if (ev != NULL)
		event_free(ev);
}

void
net_userkey_flush(struct net_userkey *uk)
{
	if (uk == NULL)
		return;
	pthread_mutex_lock(&uk->mu);
	net_uk_purge(uk, true, 0);
	pthread_mutex_unlock(&uk->mu);
}

/* ---- the worker's side ---- */

void
net_userkey_park(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len)
{
	struct net_uk_parked *p;

	if (w->uk_nparked >= NET_UK_PARK ||
	    (p = malloc(sizeof(*p) + len)) == NULL) {
		/* dropped while waiting for its key: the client retransmits */
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
net_uk_resubmit(struct net_worker *w, struct net_uk_parked *p, uint64_t now)
{
	struct turn_out out;
	struct net_listener *l;
	struct net_conn *c = NULL;

	/* A stream that closed meanwhile: the engine has ended its
	 * allocation already, and must not get a request on it again. */
	if (p->t.transport != TURN_UDP &&
	    ((c = net_conn_find(w, p->t.conn)) == NULL || c->closing))
		return;
	memset(&out, 0, sizeof(out));
	out.buf = w->txbuf;
	out.cap = NET_OUT_CAP;
	net_engine_input(w, &p->t, p->pkt, p->len, now, &out);
	if (out.len == 0 && out.drop == TURN_DROP_PENDING) {
		net_userkey_park(w, &p->t, p->pkt, p->len);
		return;
	}
	if (out.len == 0 || out.len > out.cap)
		return;
	if (c != NULL) {
		net_conn_reply(c, &out);
		return;
	}
	if ((l = net_udp_listener(w, &p->t.local)) == NULL ||
	    sendto(l->fd, out.buf, out.len, MSG_DONTWAIT, &p->t.client.u.sa,
	    addr_len(&p->t.client)) == -1)
		metrics_count(w->mw, METRICS_DROPPED_PACKETS,
		    METRICS_DROP_SEND_FAILED, 1);
}

/* Re-submits parked requests: all, or those parked before `before`. */
static void
net_uk_run(struct net_worker *w, uint64_t before)
{
	struct net_uk_parked *p, *list = w->uk_head, *keep = NULL, *ktail = NULL;
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
		net_uk_resubmit(w, p, now);
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

static void
net_uk_worker_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_uk_run(arg, 0);
}

void
net_userkey_tick(struct net_worker *w, uint64_t now_ms)
{
	struct net_userkey *uk = w->net->uk;

	if (uk != NULL && w->uk_head != NULL && now_ms > uk->timeout_ms)
		net_uk_run(w, now_ms - uk->timeout_ms);
}

int
net_userkey_worker_init(struct net_worker *w)
{
	if (w->net->uk == NULL)
		return 0;
	w->hooks.user_key = net_userkey_get;
	w->uk_ev = event_new(w->base, -1, 0, net_uk_worker_cb, w);
	return w->uk_ev == NULL ? -1 : 0;
}

void
net_userkey_worker_clear(struct net_worker *w)
{
	struct net_uk_parked *p;

	while ((p = w->uk_head) != NULL) {
		w->uk_head = p->next;
		free(p);
	}
	w->uk_tail = NULL;
	w->uk_nparked = 0;
	if (w->uk_ev != NULL)
		event_free(w->uk_ev);
	w->uk_ev = NULL;
}
