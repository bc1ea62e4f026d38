/* SPDX-License-Identifier: ISC */
/*
 * daemon_userkey.c: the user-key cache the workers share (turn_io.user_key),
 * without Redis: answers are injected as auth_redis would deliver them.
 * Checks the PENDING -> answer transitions, the fail-fast answers (no
 * client, queue full, a lookup past its deadline), the flush on a `user`
 * event, and the bounded per-worker queue of parked requests.
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

static enum turn_key
get(const char *user, uint8_t key[16])
{
	return daemon_userkey_get(&w, (const uint8_t *)user, strlen(user), key);
}

static void
answer(const char *user, enum auth_redis_key_result res, uint8_t fill)
{
	struct daemon_uk_req *q = malloc(sizeof(*q) + strlen(user));
	uint8_t key[16];

	memset(key, fill, sizeof(key));
	q->len = strlen(user);
	memcpy(q->user, user, q->len);
	daemon_userkey_answer(&n, q, res, res == AUTH_REDIS_KEY_FOUND ? key : NULL);
}

static void
setup(unsigned timeout_s)
{
	memset(&n, 0, sizeof(n));
	memset(&w, 0, sizeof(w));
	n.uk = daemon_userkey_new(60, 60, timeout_s);
	n.nworkers = 1;
	n.workers = &w;
	w.d = &n;
	w.base = event_base_new();
	ok(n.uk != NULL && w.base != NULL && daemon_userkey_worker_init(&w) == 0,
	    "cache and worker");
	ok(w.hooks.user_key == daemon_userkey_get,
	    "the worker's turn_hooks.user_key");
}

static void
teardown(void)
{
	daemon_userkey_detach(&n);
	daemon_userkey_worker_clear(&w);
	daemon_userkey_free(n.uk);
	event_base_free(w.base);
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

static void
test_bounds(void)
{
	uint8_t key[16], pkt[100];
	struct turn_tuple t;
	char name[32];
	int i, pending = 0;

	setup(5);
	daemon_userkey_attach(&n, mb);
	for (i = 0; i < DAEMON_UK_QUEUE + 10; i++) {
		snprintf(name, sizeof(name), "user-%d", i);
		pending += get(name, key) == TURN_KEY_PENDING;
	}
	is_int(pending, DAEMON_UK_QUEUE, "the request queue is bounded");
	is_int(get("one-more", key), TURN_KEY_UNAVAILABLE, "full: UNAVAILABLE");
	memset(&t, 0, sizeof(t));
	memset(pkt, 7, sizeof(pkt));
	for (i = 0; i < DAEMON_UK_PARK + 6; i++)
		daemon_userkey_park(&w, &t, pkt, sizeof(pkt));
	is_int((int)w.uk_nparked, DAEMON_UK_PARK, "parked requests are bounded");
	teardown();
}

int
main(void)
{
	mb = event_base_new();
	test_answers();
	test_deadline();
	test_bounds();
	event_base_free(mb);
	return tap_done();
}
