/* SPDX-License-Identifier: ISC */
/*
 * daemon_userkey.c: the user-key cache the workers share (turn_io.user_key),
 * without Redis: answers are injected as auth_redis would deliver them.
 * Checks the PENDING -> answer transitions, the fail-fast answers (no
 * client, a lookup past its deadline), the flush on a `user` event, the
 * bounded per-worker queue of parked requests, and what a flood of
 * usernames can do (docs/security.md, Redis under abuse): a source's
 * budget of lookups, its share of the queue, and a cache that evicts
 * the least recently used entries one by one, never a recently used key.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/daemon_int.h"
#include "tap.h"

static struct daemon n;
static struct daemon_worker w;
static struct event_base *mb;
static struct metrics *reg;
static struct turn_tuple src_a, src_b;
static const struct turn_tuple *cur;	/* the source of get()'s lookups */

/* The next lookups come from t, at ip. */
static void
from(const char *ip, struct turn_tuple *t)
{
	memset(t, 0, sizeof(*t));
	(void)addr_parse_ip(&t->client, ip, 40000);
	cur = t;
}

static enum turn_key
get(const char *user, uint8_t key[16])
{
	return daemon_userkey_get(&w, cur, (const uint8_t *)user, strlen(user),
	    key);
}

static void
answer(const char *user, enum auth_redis_key_result res, uint8_t fill)
{
	struct daemon_uk_req *q = calloc(1, sizeof(*q) + strlen(user));
	uint8_t key[16];

	memset(key, fill, sizeof(key));
	q->len = strlen(user);
	memcpy(q->user, user, q->len);
	daemon_userkey_answer(&n, q, res, res == AUTH_REDIS_KEY_FOUND ? key : NULL);
}

static void
setup_budget(unsigned timeout_s, uint32_t rate, uint32_t burst)
{
	const char *why;

	memset(&n, 0, sizeof(n));
	memset(&w, 0, sizeof(w));
	n.uk = daemon_userkey_new(60, 60, timeout_s, rate, burst);
	n.nworkers = 1;
	n.workers = &w;
	w.d = &n;
	w.base = event_base_new();
	w.bell = w.base != NULL ? net_bell_new(w.base) : NULL;
	reg = metrics_tern_new(1, &why);
	w.mw = reg != NULL ? metrics_worker(reg, 0) : NULL;
	from("192.0.2.1", &src_a);
	ok(n.uk != NULL && w.bell != NULL && w.mw != NULL &&
	    daemon_userkey_worker_init(&w) == 0, "cache and worker");
	ok(w.hooks.user_key == daemon_userkey_get,
	    "the worker's turn_hooks.user_key");
}

/* Budgets wide enough to be out of the way (the most a /48 bucket
 * holds, 8 times the burst in thousandths, fits in 32 bits). */
static void
setup(unsigned timeout_s)
{
	setup_budget(timeout_s, 500000, 500000);
}

static void
teardown(void)
{
	daemon_userkey_detach(&n);
	daemon_userkey_worker_clear(&w);
	daemon_userkey_free(n.uk);
	net_bell_free(w.bell);
	event_base_free(w.base);
	metrics_free(reg);
	reg = NULL;
}

static int64_t
refused(unsigned why)
{
	return metrics_value(reg, METRICS_USER_KEY_REFUSED, why, 0);
}

static size_t
pending(void)
{
	struct daemon_uk_stats st;

	daemon_userkey_stats(n.uk, &st);
	return st.pending;
}

static void
test_answers(void)
{
	uint8_t key[16];

	setup(2);
	is_int(get("alice", key), TURN_KEY_UNAVAILABLE, "no Redis client: "
	    "UNAVAILABLE at once");
	daemon_userkey_attach(&n, mb);
	is_int(get("alice", key), TURN_KEY_PENDING, "a miss: PENDING");
	is_int(get("alice", key), TURN_KEY_PENDING, "still PENDING");
	event_base_loop(mb, EVLOOP_NONBLOCK);
	is_int(get("alice", key), TURN_KEY_UNAVAILABLE, "drained with no "
	    "client: UNAVAILABLE");
	is_int(get("bob", key), TURN_KEY_PENDING, "bob: PENDING");
	answer("bob", AUTH_REDIS_KEY_FOUND, 0xab);
	memset(key, 0, sizeof(key));
	is_int(get("bob", key), TURN_KEY_FOUND, "bob: FOUND");
	ok(key[0] == 0xab && key[15] == 0xab, "with the key");
	is_int(get("carol", key), TURN_KEY_PENDING, "carol: PENDING");
	answer("carol", AUTH_REDIS_KEY_UNKNOWN, 0);
	is_int(get("carol", key), TURN_KEY_UNKNOWN, "carol: UNKNOWN");
	answer("nobody-asked", AUTH_REDIS_KEY_FOUND, 1);
	is_int(get("nobody-asked", key), TURN_KEY_PENDING, "an answer nobody "
	    "waits for is not cached");
	is_int(get("", key), TURN_KEY_UNKNOWN, "an empty name: UNKNOWN");
	daemon_userkey_flush(n.uk);
	is_int(get("bob", key), TURN_KEY_PENDING, "after a flush: asked again");
	teardown();
}

static void
test_deadline(void)
{
	uint8_t key[16];
	struct timespec ts = { 0, 50 * 1000000 };
	int64_t t0;
	enum turn_key r;

	setup(1);
	daemon_userkey_attach(&n, mb);
	is_int(get("dave", key), TURN_KEY_PENDING, "dave: PENDING");
	t0 = (int64_t)net_now_ms();
	do {
		r = get("dave", key);
		if (r != TURN_KEY_PENDING)
			break;
		nanosleep(&ts, NULL);
	} while ((int64_t)net_now_ms() - t0 < 3000);
	is_int(r, TURN_KEY_UNAVAILABLE, "a lookup past its deadline answers "
	    "UNAVAILABLE (%lld ms)", (long long)((int64_t)net_now_ms() - t0));
	teardown();
}

/* 16 sources, each up to its share, fill the lookup queue; a 17th is
 * refused until lookups complete, and its request is dropped, not
 * parked. */
static void
test_bounds(void)
{
	uint8_t key[16], pkt[100];
	struct turn_tuple t[17];
	char name[48], ip[32];
	int i, j, started = 0;

	setup(5);
	daemon_userkey_attach(&n, mb);
	for (j = 0; j < 16; j++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", j + 1);
		from(ip, &t[j]);
		for (i = 0; i < DAEMON_UK_SRC_SHARE; i++) {
			snprintf(name, sizeof(name), "user-%d-%d", j, i);
			started += get(name, key) == TURN_KEY_PENDING;
		}
	}
	is_int(started, DAEMON_UK_QUEUE, "16 sources with their shares fill "
	    "the lookup queue");
	from("198.51.100.200", &t[16]);
	is_int(get("one-more", key), TURN_KEY_LIMITED, "full: the next "
	    "lookup is not started (the engine drops its request)");
	is_int(refused(METRICS_UK_QUEUE_FULL), 1, "counted as queue_full");
	memset(pkt, 7, sizeof(pkt));
	for (i = 0; i < DAEMON_UK_PARK + 6; i++)
		daemon_userkey_park(&w, &t[0], pkt, sizeof(pkt));
	is_int((int)w.uk_nparked, DAEMON_UK_PARK, "parked requests are bounded");
	teardown();
}

/* One source's flood of names holds its share of the queue, no more: a
 * second source still gets its lookup queued (docs/security.md, Redis
 * under abuse). */
static void
test_share(void)
{
	uint8_t key[16];
	char name[32];
	int i, started = 0, dropped = 0;
	enum turn_key r;

	setup(5);
	daemon_userkey_attach(&n, mb);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "flood-%d", i);
		r = get(name, key);
		dropped += r == TURN_KEY_LIMITED;
		started += r == TURN_KEY_PENDING;
	}
	is_int(started, DAEMON_UK_SRC_SHARE, "a flood of 1000 names from one "
	    "source starts only its share of the queue");
	is_int(dropped, 1000 - DAEMON_UK_SRC_SHARE, "the others are refused");
	is_int(refused(METRICS_UK_SOURCE_QUEUE), 1000 - DAEMON_UK_SRC_SHARE,
	    "counted as source_queue");
	from("::ffff:192.0.2.1", &src_b);
	is_int(get("flood-mapped", key), TURN_KEY_LIMITED, "the same IPv4 "
	    "source as ::ffff:192.0.2.1 has no share left either");
	from("2001:db8::1", &src_b);
	is_int(get("bob", key), TURN_KEY_PENDING, "a second source's lookup "
	    "is queued");
	is_int((int)pending(), DAEMON_UK_SRC_SHARE + 1, "lookups outstanding");
	answer("bob", AUTH_REDIS_KEY_FOUND, 0xb0);
	is_int(get("bob", key), TURN_KEY_FOUND, "and answered");
	for (i = 0; i < DAEMON_UK_SRC_SHARE; i++) {
		snprintf(name, sizeof(name), "flood-%d", i);
		answer(name, AUTH_REDIS_KEY_UNKNOWN, 0);
	}
	is_int((int)pending(), 0, "every lookup answered");
	from("192.0.2.1", &src_a);
	is_int(get("flood-999", key), TURN_KEY_PENDING, "then the first "
	    "source may start lookups again");
	teardown();
}

/* user-key-lookup-rate 5, -burst 40: a source starts its burst at once,
 * then 5 a second; cached answers cost nothing; other sources have their
 * own budgets. */
static void
test_budget(void)
{
	struct timespec ts = { 0, 20 * 1000000 };
	uint8_t key[16];
	char name[32];
	int64_t t0, ms;
	int i, started = 0;
	enum turn_key r;

	setup_budget(5, 5, 40);
	daemon_userkey_attach(&n, mb);
	t0 = (int64_t)net_now_ms();
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "burst-%d", i);
		if (get(name, key) == TURN_KEY_PENDING) {
			started++;
			answer(name, AUTH_REDIS_KEY_UNKNOWN, 0);
		}
	}
	ms = (int64_t)net_now_ms() - t0;
	ok(started >= 40 && started <= 40 + 1 + ms / 200, "a source starts "
	    "its burst of 40 lookups at once (%d in %lld ms)", started,
	    (long long)ms);
	is_int(refused(METRICS_UK_RATE), 60 - started, "the others are "
	    "refused: rate");
	is_int(get("burst-0", key), TURN_KEY_UNKNOWN, "a cached answer needs "
	    "no budget");
	from("203.0.113.9", &src_b);
	is_int(get("other", key), TURN_KEY_PENDING, "another source has its "
	    "own budget");
	from("192.0.2.1", &src_a);
	t0 = (int64_t)net_now_ms();
	do {
		r = get("refill", key);
		if (r != TURN_KEY_LIMITED)
			break;
		nanosleep(&ts, NULL);
	} while ((int64_t)net_now_ms() - t0 < 3000);
	ms = (int64_t)net_now_ms() - t0;
	ok(r == TURN_KEY_PENDING && ms >= 100, "the budget "
	    "refills: a lookup starts again after %lld ms", (long long)ms);
	teardown();
}

/* A lookup answered at once; the ring drained now and then (the late
 * UNAVAILABLE answers the drain gives without a client are ignored). */
static enum turn_key
lookup(const char *user, enum auth_redis_key_result res, uint8_t fill,
    int i)
{
	uint8_t key[16];
	enum turn_key r = get(user, key);

	if (r == TURN_KEY_PENDING)
		answer(user, res, fill);
	if (i % 512 == 0)
		event_base_loop(mb, EVLOOP_NONBLOCK);
	return r;
}

/* 70,000 distinct names leave alice's cached key in place: made-up names
 * are evicted before keys, and keys least recently used first; never a
 * purge of the whole cache. */
static void
test_evict(void)
{
	struct daemon_uk_stats st;
	uint8_t key[16];
	char name[32];
	size_t most = 0;
	bool kept = true;
	int i;

	setup(5);
	daemon_userkey_attach(&n, mb);
	lookup("alice", AUTH_REDIS_KEY_FOUND, 0xa1, 1);
	for (i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "made-up-%d", i);
		if (lookup(name, AUTH_REDIS_KEY_UNKNOWN, 0, i) !=
		    TURN_KEY_PENDING)
			break;
		daemon_userkey_stats(n.uk, &st);
		most = st.entries > most ? st.entries : most;
	}
	is_int(i, 70000, "70,000 made-up names looked up");
	is_int((long long)most, 65536, "the cache holds at most 65,536");
	daemon_userkey_stats(n.uk, &st);
	is_int((long long)st.evictions, 70001 - 65536, "one eviction per "
	    "name beyond that");
	is_int(metrics_value(reg, METRICS_USER_KEY_EVICTIONS,
	    METRICS_UK_EVICT_NEGATIVE, 0), 70001 - 65536, "all of them "
	    "negative answers");
	memset(key, 0, sizeof(key));
	is_int(get("alice", key), TURN_KEY_FOUND, "alice's key is still "
	    "cached");
	ok(key[0] == 0xa1 && key[15] == 0xa1, "with its value");
	lookup("bob", AUTH_REDIS_KEY_FOUND, 0xb0, 1);
	for (i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "real-%d", i);
		lookup(name, AUTH_REDIS_KEY_FOUND, 0x11, i);
		if (i % 1000 == 0)	/* alice keeps allocating */
			kept = kept && get("alice", key) == TURN_KEY_FOUND;
		daemon_userkey_stats(n.uk, &st);
		most = st.entries > most ? st.entries : most;
	}
	ok(kept, "70,000 more names, all real: alice, used every 1,000, "
	    "stays cached");
	is_int((long long)most, 65536, "still at most 65,536 entries");
	is_int(get("alice", key), TURN_KEY_FOUND, "alice at the end");
	ok(metrics_value(reg, METRICS_USER_KEY_EVICTIONS, METRICS_UK_EVICT_KEY,
	    0) > 0, "keys were evicted too");
	is_int(get("bob", key), TURN_KEY_PENDING, "bob, unused since, was: "
	    "the least recently used key goes first");
	teardown();
}

int
main(void)
{
	mb = event_base_new();
	test_answers();
	test_deadline();
	test_bounds();
	test_share();
	test_budget();
	test_evict();
	event_base_free(mb);
	return tap_done();
}
