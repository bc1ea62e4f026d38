/* SPDX-License-Identifier: ISC */
/*
 * REST secrets held only in Redis, against a real ternd and a
 * real redis-server. One case per run, named by argv[2]:
 *  rest     a secret in turn/realm/<realm>/secret (none in the config)
 *           signs a credential that allocates and relays; /metrics
 *           (prometheus on) shows the load's commands in
 *           tern_redis_command_seconds;
 *  rotate   SADD a new secret + PUBLISH "secret <realm>": a credential
 *           signed with it allocates within 1 s; SREM the old + PUBLISH:
 *           the old one's credentials get 401 within 1 s;
 *  expires  a secret whose tern/realm/<realm>/secret-expires entry lies in
 *           the past is refused (401) while another one works; one whose
 *           entry lies 2 s ahead works, then stops working by itself;
 *  sighup   SIGHUP keeps Redis's secrets in force; a SIGHUP that changes
 *           the realm drops them and reads the new realm's keys;
 *  unix     Redis on a unix socket too, ternd with unix=<path>: reads the
 *           secret and hears events;
 *  auth     Redis with --requirepass and the data in database 3: ternd
 *           sends AUTH and SELECT, reads the secret, and the password
 *           appears nowhere in its log;
 *  empty    use-auth-secret and an empty secret set: one no_rest_secret
 *           warning naming the key, 401 meanwhile, none again for a load
 *           that changes something else; SADD + PUBLISH: REST allocates;
 *           SREM of the last one: the warning again.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_redis.h"
#include "metrics_common.h"
#include "redis_common.h"
#include "tap.h"

#define OLD_SECRET	"old-secret-held-only-in-redis"
#define NEW_SECRET	"new-secret-added-while-running"
#define SKEY		"turn/realm/" RT_REALM "/secret"
#define XKEY		"tern/realm/" RT_REALM "/secret-expires"

static int
cli(struct rt *t, const char *a, const char *b, const char *c,
    const char *d)
{
	char out[512];

	return harness_redis_cmd(&t->r, out, sizeof(out), a, b, c, d, NULL);
}

#define RC_H	"tern_redis_command_seconds"

/* The snapshot that allocated was loaded with 7 commands, each timed. */
static void
check_latency(uint16_t mport)
{
	struct mc_resp r;
	double count = -1, inf = -1, sum = -1;
	int vc, vi, vs;

	if (!ok(mc_http(mport, "GET", "/metrics", NULL, &r, 2000) == 0 &&
	    r.status == 200, "GET /metrics"))
		return;
	/* Read first: ok()'s arguments have no order of evaluation. */
	vc = mc_value(r.body, RC_H "_count", &count);
	vi = mc_value(r.body, RC_H "_bucket{le=\"+Inf\"}", &inf);
	vs = mc_value(r.body, RC_H "_sum", &sum);
	mc_resp_free(&r);
	ok(vc == 0 && count >= 7, RC_H "_count counts the load's commands "
	    "(%g)", count);
	ok(vi == 0 && inf == count, "its +Inf bucket equals its count (%g)",
	    inf);
	ok(vs == 0 && sum > 0 && sum < count, "its sum is positive and under "
	    "a second a command (%g)", sum);
}

static void
case_rest(struct rt *t, struct harness_peer *p, uint16_t mport)
{
	struct client_turn turn;
	struct client *c = NULL;
	long ms;

	ms = rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 3000);
	ok(ms >= 0, "a credential signed with the Redis secret allocates "
	    "(%ld ms after start)", ms);
	if (!ok(rt_rest_alloc(&t->h, OLD_SECRET, "bob", &c, &turn) == 0,
	    "allocate again"))
		return;
	ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "relays to the echo peer "
	    "and back");
	is_int(rt_rest_until(&t->h, "a-secret-nobody-has", "eve", 401, 100) >=
	    0, 1, "a credential signed with another secret gets 401");
	harness_turn_close(&c, &turn);
	check_latency(mport);
}

static void
case_rotate(struct rt *t)
{
	long ms;

	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 3000) >= 0,
	    "the old secret works");
	is_int(rt_rest_until(&t->h, NEW_SECRET, "bob", 401, 100) >= 0, 1,
	    "the new secret is not yet known (401)");
	cli(t, "SADD", SKEY, NEW_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ms = rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 1000);
	ok(ms >= 0, "after SADD + PUBLISH the new secret allocates within 1 s "
	    "(%ld ms)", ms);
	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 100) >= 0,
	    "the old one still works meanwhile");
	cli(t, "SREM", SKEY, OLD_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ms = rt_rest_until(&t->h, OLD_SECRET, "bob", 401, 1000);
	ok(ms >= 0, "after SREM + PUBLISH the old secret gets 401 within 1 s "
	    "(%ld ms)", ms);
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 100) >= 0,
	    "the new one still works");
}

static void
case_expires(struct rt *t)
{
	char fp_old[17], fp_new[17], when[32];
	long ms;

	auth_redis_fingerprint(OLD_SECRET, strlen(OLD_SECRET), fp_old);
	auth_redis_fingerprint(NEW_SECRET, strlen(NEW_SECRET), fp_new);
	/* The past entry was set before ternd started. */
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 3000) >= 0,
	    "a secret without an expiry works");
	is_int(rt_rest_until(&t->h, OLD_SECRET, "bob", 401, 100) >= 0, 1,
	    "a secret whose secret-expires is in the past gets 401");
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL) + 2);
	cli(t, "HSET", XKEY, fp_new, when);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 500) >= 0,
	    "a secret expiring in 2 s still works");
	ms = rt_rest_until(&t->h, NEW_SECRET, "bob", 401, 5000);
	ok(ms >= 0, "and is refused once that time has passed, with no event "
	    "(%ld ms)", ms);
	(void)fp_old;
}

/* How many times needle is in ternd's log (-1: unreadable). */
static int
log_count(struct rt *t, const char *needle)
{
	static char buf[1 << 16];
	const char *p;
	size_t got;
	int seen;
	FILE *f;

	if ((f = fopen(t->h.errlog, "r")) == NULL)
		return -1;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	for (seen = 0, p = buf; (p = strstr(p, needle)) != NULL; p++)
		seen++;
	return seen;
}

/* Waits for the n-th needle in the log, for at most ms. 0 or -1. */
static int
log_wait(struct rt *t, const char *needle, int n, int ms)
{
	struct timespec nap = { 0, 20 * 1000000 };
	int64_t t0 = client_now_ms();

	while (client_now_ms() - t0 < ms) {
		if (log_count(t, needle) >= n)
			return 0;
		nanosleep(&nap, NULL);	/* polling the log, with a deadline */
	}
	return -1;
}

/* Sends SIGHUP and waits for the n-th "event=reloaded" in the log. */
static int
hup(struct rt *t, int n)
{
	kill(t->h.pid, SIGHUP);
	return log_wait(t, "event=reloaded", n, 5000);
}

#define NO_SECRET	"event=no_rest_secret"
#define SNAPSHOT	"event=redis_snapshot secrets="

static void
case_empty(struct rt *t)
{
	ok(log_wait(t, NO_SECRET " realm=\"" RT_REALM "\" key=\"" SKEY "\"", 1,
	    3000) == 0, "an empty secret set: the warning names the realm and "
	    "the key");
	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 401, 1000) >= 0,
	    "meanwhile a REST credential gets 401");
	cli(t, "SADD", "turn/realm/" RT_REALM "/denied-peer-ip", "192.0.2.1",
	    NULL);
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM, NULL);
	ok(log_wait(t, SNAPSHOT "0", 2, 2000) == 0 &&
	    log_count(t, NO_SECRET) == 1, "a load that changes only the rules "
	    "does not warn again");
	cli(t, "SADD", SKEY, OLD_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 2000) >= 0,
	    "after SADD + PUBLISH the secret allocates");
	cli(t, "SREM", SKEY, OLD_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ok(log_wait(t, NO_SECRET, 2, 2000) == 0, "the set empty again: the "
	    "warning again");
}

static void
case_sighup(struct rt *t)
{
	char *text = NULL, *at;
	FILE *f;
	long n;

	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 3000) >= 0,
	    "the Redis secret works");
	if (!ok(hup(t, 1) == 0, "SIGHUP handled"))
		return;
	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 100) >= 0,
	    "after SIGHUP the Redis secret still works at once");
	if ((f = fopen(t->h.conf, "r")) != NULL) {
		text = calloc(1, 65536);
		n = (long)fread(text, 1, 65535, f);
		fclose(f);
		(void)n;
	}
	if (!ok(text != NULL && (at = strstr(text, "realm = " RT_REALM)) !=
	    NULL, "the config names the realm")) {
		free(text);
		return;
	}
	memcpy(at, "realm = othe.test", 17);	/* same length */
	harness_write_file(t->h.conf, text);
	free(text);
	cli(t, "SADD", "turn/realm/othe.test/secret", NEW_SECRET, NULL);
	if (!ok(hup(t, 2) == 0, "SIGHUP with realm = othe.test"))
		return;
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 2000) >= 0,
	    "the new realm's secret is read");
	is_int(rt_rest_until(&t->h, OLD_SECRET, "bob", 401, 100) >= 0, 1,
	    "the old realm's secret no longer applies");
}

#define PASSWORD	"Redis-Pa55w0rd-%s-%n"

static void
case_auth(struct rt *t)
{
	char out[256], buf[1 << 16];
	FILE *f;
	size_t n = 0;

	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 3000) >= 0,
	    "AUTH + SELECT 3: the secret in database 3 works");
	harness_redis_cmd(&t->r, out, sizeof(out), "-n", "3", "SADD", SKEY,
	    NEW_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret *", NULL);
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 1000) >= 0,
	    "an event for realm * is heard on the authenticated subscription");
	if ((f = fopen(t->h.errlog, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	ok(n > 0 && strstr(buf, "Redis-Pa55w0rd") == NULL,
	    "the password is not in the log");
}

static int
start_unix(struct rt *t)
{
	char conf[512];
	struct harness_opts o = { .extra = conf };

	harness_redis_kill(&t->r);
	if (snprintf(t->r.unix_path, sizeof(t->r.unix_path), "%s/redis.sock",
	    t->h.dir) >= (int)sizeof(t->r.unix_path))
		return -1;
	if (harness_redis_start(&t->r, NULL, t->r.port) == -1)
		return -1;
	cli(t, "SADD", SKEY, OLD_SECRET, NULL);
	snprintf(conf, sizeof(conf), "%sredis-userdb = \"unix=%s\"\n",
	    HARNESS_TURN_CONF, t->r.unix_path);
	return harness_start(&t->h, &o);
}

static void
case_unix(struct rt *t)
{
	ok(rt_rest_until(&t->h, OLD_SECRET, "bob", 0, 3000) >= 0,
	    "over the unix socket: the secret works");
	cli(t, "SADD", SKEY, NEW_SECRET, NULL);
	cli(t, "PUBLISH", "tern/events", "secret " RT_REALM, NULL);
	ok(rt_rest_until(&t->h, NEW_SECRET, "bob", 0, 1000) >= 0,
	    "and an event is heard");
}

static int
start_auth(struct rt *t)
{
	char conf[512], out[128];
	struct harness_opts o = { .extra = conf };

	harness_redis_kill(&t->r);
	t->r.password = PASSWORD;
	if (harness_redis_start(&t->r, NULL, t->r.port) == -1)
		return -1;
	harness_redis_cmd(&t->r, out, sizeof(out), "-n", "3", "SADD", SKEY,
	    OLD_SECRET, NULL);
	snprintf(conf, sizeof(conf), "%sredis-userdb = \"ip=127.0.0.1 port=%u "
	    "dbname=3 password=%s\"\nlog-level = debug\n", HARNESS_TURN_CONF,
	    t->r.port, PASSWORD);
	return harness_start(&t->h, &o);
}

int
main(int argc, char *argv[])
{
	struct rt t;
	struct harness_peer p = { 0 };
	char fp[17], extra[256];
	const char *mode;
	uint16_t mport = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_secret TERND rest|rotate|"
		    "expires\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	if (strcmp(mode, "empty") != 0)
		cli(&t, "SADD", SKEY, OLD_SECRET, NULL);
	if (strcmp(mode, "expires") == 0) {
		auth_redis_fingerprint(OLD_SECRET, strlen(OLD_SECRET), fp);
		cli(&t, "HSET", XKEY, fp, "1000000000");
		cli(&t, "SADD", SKEY, NEW_SECRET, NULL);
	}
	if (strcmp(mode, "unix") == 0) {
		if (ok(start_unix(&t) == 0, "redis-server on a unix socket, "
		    "ternd"))
			case_unix(&t);
		is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
		goto out;
	}
	if (strcmp(mode, "auth") == 0) {
		if (ok(start_auth(&t) == 0, "redis-server with a password, "
		    "ternd"))
			case_auth(&t);
		is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
		goto out;
	}
	snprintf(extra, sizeof(extra), "log-level = debug\n");
	if (strcmp(mode, "rest") == 0) {
		if (!ok((mport = harness_free_port("127.0.0.1")) != 0,
		    "a free metrics port"))
			goto out;
		snprintf(extra, sizeof(extra), "log-level = debug\n"
		    "prometheus\nprometheus-address = 127.0.0.1\n"
		    "prometheus-port = %u\n", mport);
	}
	if (strcmp(mode, "empty") == 0)
		snprintf(extra, sizeof(extra), "use-auth-secret\n");
	if (!ok(rt_start_ternd(&t, &t.h, extra) == 0, "ternd started"))
		goto out;
	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	if (strcmp(mode, "rest") == 0)
		case_rest(&t, &p, mport);
	else if (strcmp(mode, "rotate") == 0)
		case_rotate(&t);
	else if (strcmp(mode, "expires") == 0)
		case_expires(&t);
	else if (strcmp(mode, "sighup") == 0)
		case_sighup(&t);
	else if (strcmp(mode, "empty") == 0)
		case_empty(&t);
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
