/* SPDX-License-Identifier: ISC */
/*
 * User keys from Redis on first use (turn_io.user_key), never blocking a
 * worker (ARCHITECTURE.md: Redis is never on the data path).
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
 * Bounded: DAEMON_UK_MAX entries (when full, expired ones go, then every
 * answered one), DAEMON_UK_QUEUE requests in flight, DAEMON_UK_PARK requests
 * parked per worker.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "auth/auth_redis.h"
#include "daemon/daemon_int.h"
#include "util/crypto.h"
#include "util/log.h"

#define DAEMON_UK_MAX		65536	/* cache entries */
#define DAEMON_UK_BUCKETS		16384
#define DAEMON_UK_UNAVAIL_MS	1000

enum daemon_uk_state {
	DAEMON_UK_PENDING = 0,
	DAEMON_UK_FOUND,
	DAEMON_UK_UNKNOWN,
	DAEMON_UK_UNAVAILABLE,
};

struct daemon_uk_entry {
	struct daemon_uk_entry *next;
	uint64_t until_ms;	/* answer valid until; PENDING: deadline */
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
	uint64_t seed;
	uint64_t ttl_ms, neg_ttl_ms, timeout_ms;
	struct daemon_uk_req *queue[DAEMON_UK_QUEUE];
	size_t qhead, qlen;
	struct event *wake;	/* main thread; NULL: no Redis client */
	struct daemon *d;
	uint64_t evictions, queue_full;
};

struct daemon_userkey *
daemon_userkey_new(unsigned ttl_s, unsigned neg_ttl_s, unsigned timeout_s)
{
	struct daemon_userkey *uk;

	if ((uk = calloc(1, sizeof(*uk))) == NULL)
		return NULL;
	/* an array of bucket head pointers */
	uk->buckets = calloc(DAEMON_UK_BUCKETS, sizeof(*uk->buckets)); // NOLINT(bugprone-sizeof-expression)
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
daemon_uk_entry_free(struct daemon_uk_entry *e)
{
	crypto_wipe(e->key, sizeof(e->key));
	free(e);
}

/* Drops entries; all = also those answered and still valid. PENDING
 * entries stay: their lookups will answer them. Under mu. */
static void
daemon_uk_purge(struct daemon_userkey *uk, bool all, uint64_t now)
{
	struct daemon_uk_entry **pp, *e;
	size_t b;

	for (b = 0; b < DAEMON_UK_BUCKETS; b++) {
		pp = &uk->buckets[b];
		while ((e = *pp) != NULL) {
			if (e->state == DAEMON_UK_PENDING ||
			    (!all && e->until_ms > now)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			daemon_uk_entry_free(e);
			uk->count--;
		}
	}
}

void
daemon_userkey_free(struct daemon_userkey *uk)
{
	struct daemon_uk_entry *e;
	size_t b;

	if (uk == NULL)
		return;
	for (b = 0; b < DAEMON_UK_BUCKETS; b++)
		while ((e = uk->buckets[b]) != NULL) {
			uk->buckets[b] = e->next;
			daemon_uk_entry_free(e);
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

/* FNV-1a with a per-process seed: names are chosen by clients. */
static struct daemon_uk_entry **
daemon_uk_bucket(struct daemon_userkey *uk, const uint8_t *user, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ uk->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= user[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return &uk->buckets[h % DAEMON_UK_BUCKETS];
}

static struct daemon_uk_entry *
daemon_uk_find(struct daemon_userkey *uk, const uint8_t *user, size_t len)
{
	struct daemon_uk_entry *e;

	for (e = *daemon_uk_bucket(uk, user, len); e != NULL; e = e->next)
		if (e->len == len && memcmp(e->user, user, len) == 0)
			return e;
	return NULL;
}

/* A new PENDING entry and its request. Under mu. 0 or -1 (full). */
static int
daemon_uk_request(struct daemon_userkey *uk, struct daemon_uk_entry *e,
    const uint8_t *user, size_t len, uint64_t now)
{
	struct daemon_uk_entry **b;
	struct daemon_uk_req *q;

	if (uk->qlen >= DAEMON_UK_QUEUE) {
		uk->queue_full++;
		return -1;
	}
	if ((q = malloc(sizeof(*q) + len)) == NULL)
		return -1;
	if (e == NULL) {
		if (uk->count >= DAEMON_UK_MAX) {
			daemon_uk_purge(uk, false, now);
			if (uk->count >= DAEMON_UK_MAX)
				daemon_uk_purge(uk, true, now);
			uk->evictions++;
		}
		if (uk->count >= DAEMON_UK_MAX ||
		    (e = calloc(1, sizeof(*e) + len)) == NULL) {
			free(q);
			return -1;
		}
		memcpy(e->user, user, len);
		e->len = len;
		b = daemon_uk_bucket(uk, user, len);
		e->next = *b;
		*b = e;
		uk->count++;
	}
	e->state = DAEMON_UK_PENDING;
	e->until_ms = now + uk->timeout_ms;
	q->len = len;
	memcpy(q->user, user, len);
	uk->queue[(uk->qhead + uk->qlen) % DAEMON_UK_QUEUE] = q;
	uk->qlen++;
	return 0;
}

enum turn_key
daemon_userkey_get(void *ctx, const uint8_t *user, size_t len, uint8_t key[16])
{
	struct daemon_worker *w = ctx;
	struct daemon_userkey *uk = w->d->uk;
	struct daemon_uk_entry *e;
	enum turn_key rv = TURN_KEY_UNAVAILABLE;
	uint64_t now = net_now_ms();

	if (uk == NULL || len == 0 || len > AUTH_USERNAME_MAX)
		return len == 0 ? TURN_KEY_UNKNOWN : TURN_KEY_UNAVAILABLE;
	pthread_mutex_lock(&uk->mu);
	e = daemon_uk_find(uk, user, len);
	if (e != NULL && e->state == DAEMON_UK_PENDING)
		rv = now < e->until_ms ? TURN_KEY_PENDING :
		    TURN_KEY_UNAVAILABLE;
	else if (e != NULL && now < e->until_ms) {
		rv = e->state == DAEMON_UK_FOUND ? TURN_KEY_FOUND :
		    e->state == DAEMON_UK_UNKNOWN ? TURN_KEY_UNKNOWN :
		    TURN_KEY_UNAVAILABLE;
		if (rv == TURN_KEY_FOUND)
			memcpy(key, e->key, 16);
	} else if (uk->wake != NULL &&
	    daemon_uk_request(uk, e, user, len, now) == 0) {
		rv = TURN_KEY_PENDING;
		event_active(uk->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&uk->mu);
	return rv;
}

/* Wakes every worker that has requests parked. */
static void
daemon_uk_wake_workers(struct daemon *d)
{
	unsigned i;

	for (i = 0; i < d->nworkers; i++)
		if (d->workers[i].uk_ev != NULL)
			event_active(d->workers[i].uk_ev, EV_READ, 0);
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
	e = daemon_uk_find(uk, q->user, q->len);
	if (e != NULL && e->state == DAEMON_UK_PENDING) {
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
	}
	pthread_mutex_unlock(&uk->mu);
	free(q);
	daemon_uk_wake_workers(d);
}

/* Main thread: sends what the workers queued. */
static void
daemon_uk_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct daemon_userkey *uk = d->uk;
	struct daemon_uk_req *batch[DAEMON_UK_QUEUE];
	size_t i, nb = 0;

	(void)fd;
	(void)what;
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
	struct event *ev;

	if (d->uk == NULL)
		return;
	if ((ev = event_new(base, -1, 0, daemon_uk_drain_cb, d)) == NULL)
		return;		/* lookups then answer UNAVAILABLE */
	pthread_mutex_lock(&d->uk->mu);
	d->uk->d = d;
	d->uk->wake = ev;
	pthread_mutex_unlock(&d->uk->mu);
}

void
daemon_userkey_detach(struct daemon *d)
{
	struct event *ev;

	if (d->uk == NULL)
		return;
	pthread_mutex_lock(&d->uk->mu);
	ev = d->uk->wake;
	d->uk->wake = NULL;
	pthread_mutex_unlock(&d->uk->mu);
	if (ev != NULL)
		event_free(ev);
}

void
daemon_userkey_flush(struct daemon_userkey *uk)
{
	if (uk == NULL)
		return;
	pthread_mutex_lock(&uk->mu);
	daemon_uk_purge(uk, true, 0);
	pthread_mutex_unlock(&uk->mu);
}

/* ---- the worker's side ---- */

void
daemon_userkey_park(struct daemon_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len)
{
	struct daemon_uk_parked *p;

	if (w->uk_nparked >= DAEMON_UK_PARK ||
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

static void
daemon_uk_worker_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	daemon_uk_run(arg, 0);
}

void
daemon_userkey_tick(struct daemon_worker *w, uint64_t now_ms)
{
	struct daemon_userkey *uk = w->d->uk;

	if (uk != NULL && w->uk_head != NULL && now_ms > uk->timeout_ms)
		daemon_uk_run(w, now_ms - uk->timeout_ms);
}

int
daemon_userkey_worker_init(struct daemon_worker *w)
{
	if (w->d->uk == NULL)
		return 0;
	w->hooks.user_key = daemon_userkey_get;
	w->uk_ev = event_new(w->base, -1, 0, daemon_uk_worker_cb, w);
	return w->uk_ev == NULL ? -1 : 0;
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
	if (w->uk_ev != NULL)
		event_free(w->uk_ev);
	w->uk_ev = NULL;
}
