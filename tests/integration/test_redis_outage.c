/* SPDX-License-Identifier: ISC */
/*
 * A Redis outage degrades, never blocks (Redis is never on the hot path:
 * docs/security.md, Attack catalogue: Redis injection), against a real ternd and a real redis-server. One case per
 * run, named by argv[2]:
 *  kill     redis-server killed (SIGKILL by PID) during traffic: an
 *           established allocation keeps relaying, and a new allocation
 *           with a secret from the last snapshot still works;
 *  restart  then a new redis-server on the same port: ternd reconnects by
 *           itself and picks up a secret added after the restart;
 *  sleep    DEBUG SLEEP 2 in Redis while ternd re-reads it every second:
 *           a concurrent relay flow does not stall (every round trip well
 *           under the sleep);
 *  down     ternd starts while Redis is down, serves the config's secret,
 *           and picks up Redis's once it comes up.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "redis_common.h"
#include "tap.h"

#define SECRET		"secret-in-the-last-snapshot"
#define LATE_SECRET	"secret-added-after-the-restart"
#define CONF_SECRET	"secret-from-the-config-file"
#define SKEY		"turn/realm/" RT_REALM "/secret"

static int
cli(struct rt *t, const char *a, const char *b, const char *c)
{
	char out[512];

	return harness_redis_cmd(&t->r, out, sizeof(out), a, b, c, NULL);
}

/* A long allocation relaying a few round trips: -1 or the slowest. */
static long
rounds(struct client_turn *turn, struct harness_peer *p, int n)
{
	long worst = 0, ms;
	int i;

	for (i = 0; i < n; i++) {
		if ((ms = rt_echo(turn, p, false, RT_WAIT_MS)) < 0)
			return -1;
		if (ms > worst)
			worst = ms;
	}
	return worst;
}

static void
case_kill(struct rt *t, struct harness_peer *p, bool restart)
{
	struct client_turn turn;
	struct client *c = NULL;
	long ms;

	ok(rt_rest_until(&t->h, SECRET, "alice", 0, 3000) >= 0,
	    "the Redis secret works");
	if (!ok(rt_rest_alloc(&t->h, SECRET, "alice", &c, &turn) == 0,
	    "a long allocation"))
		return;
	ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "it relays");
	harness_redis_kill(&t->r);
	ok(rounds(&turn, p, 20) >= 0, "redis-server killed: the allocation "
	    "keeps relaying (20 round trips)");
	ok(rt_rest_until(&t->h, SECRET, "bob", 0, 200) >= 0,
	    "a new allocation with the last snapshot's secret works");
	is_int(client_turn_refresh(&turn, -1, RT_WAIT_MS), 0,
	    "the long allocation refreshes");
	if (restart) {
		if (!ok(harness_redis_start(&t->r, NULL, t->r.port) == 0,
		    "redis-server again on port %u", t->r.port))
			goto out;
		cli(t, "SADD", SKEY, LATE_SECRET);
		ms = rt_rest_until(&t->h, LATE_SECRET, "carol", 0, 10000);
		ok(ms >= 0, "ternd reconnected and reads the secret added after "
		    "the restart (%ld ms)", ms);
		ok(rounds(&turn, p, 5) >= 0, "the long allocation still relays");
	}
out:
	harness_turn_close(&c, &turn);
}

struct sleeper {
	struct rt *t;
	int rc;
	char out[256];
	int64_t ms;
};

static void *
sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	int64_t t0 = client_now_ms();

	s->rc = harness_redis_cmd(&s->t->r, s->out, sizeof(s->out), "DEBUG",
	    "SLEEP", "2", NULL);
	s->ms = client_now_ms() - t0;
	return NULL;
}

static void
case_sleep(struct rt *t, struct harness_peer *p)
{
	struct client_turn turn;
	struct client *c = NULL;
	struct sleeper s = { t, -1, "", 0 };
	pthread_t th;
	int64_t t0;
	long worst;

	ok(rt_rest_until(&t->h, SECRET, "alice", 0, 3000) >= 0,
	    "the Redis secret works");
	if (!ok(rt_rest_alloc(&t->h, SECRET, "alice", &c, &turn) == 0,
	    "a long allocation"))
		return;
	ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "it relays");
	if (!ok(pthread_create(&th, NULL, sleeper_main, &s) == 0, "DEBUG "
	    "SLEEP 2"))
		goto out;
	t0 = client_now_ms();
	worst = 0;
	while (client_now_ms() - t0 < 2500) {
		long ms = rounds(&turn, p, 1);

		if (ms < 0 || ms > worst)
			worst = ms;
		if (ms < 0)
			break;
	}
	pthread_join(th, NULL);
	ok(s.rc == 0 && strcmp(s.out, "OK") == 0 && s.ms >= 1900,
	    "Redis really slept (%s, %lld ms)", s.out, (long long)s.ms);
	ok(worst >= 0 && worst < 250, "no round trip during the sleep took "
	    "more than 250 ms (worst %ld ms)", worst);
	ok(rt_rest_until(&t->h, SECRET, "bob", 0, 3000) >= 0,
	    "new allocations work during and after it");
out:
	harness_turn_close(&c, &turn);
}

static void
case_down(struct rt *t, struct harness_peer *p)
{
	uint16_t port = t->r.port;
	long ms;

	(void)p;
	ok(rt_rest_until(&t->h, CONF_SECRET, "alice", 0, 1000) >= 0,
	    "Redis down: the config's secret works");
	is_int(rt_rest_until(&t->h, SECRET, "alice", 401, 100) >= 0, 1,
	    "Redis's secret is not known yet");
	if (!ok(harness_redis_start(&t->r, NULL, port) == 0, "redis-server "
	    "comes up"))
		return;
	cli(t, "SADD", SKEY, SECRET);
	ms = rt_rest_until(&t->h, SECRET, "alice", 0, 10000);
	ok(ms >= 0, "ternd connects by itself and reads it (%ld ms)", ms);
}

int
main(int argc, char *argv[])
{
	struct rt t;
	struct harness_peer p = { 0 };
	const char *mode;
	char extra[256];

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_outage TERND kill|restart|"
		    "sleep|down\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	cli(&t, "SADD", SKEY, SECRET);
	snprintf(extra, sizeof(extra), "redis-snapshot-interval = 1\n"
	    "static-auth-secret = " CONF_SECRET "\n");
	if (strcmp(mode, "down") == 0)
		harness_redis_kill(&t.r);
	if (!ok(rt_start_ternd(&t, &t.h, extra) == 0, "ternd started"))
		goto out;
	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	if (strcmp(mode, "kill") == 0 || strcmp(mode, "restart") == 0)
		case_kill(&t, &p, strcmp(mode, "restart") == 0);
	else if (strcmp(mode, "sleep") == 0)
		case_sleep(&t, &p);
	else if (strcmp(mode, "down") == 0)
		case_down(&t, &p);
	else
		ok(0, "unknown mode %s", mode);
	harness_peer_stop(&p);
	is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed)
		harness_dump_log(&t.h);
	harness_peer_stop(&p);
	rt_fini(&t);
	return tap_done();
}
