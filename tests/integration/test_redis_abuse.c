/* SPDX-License-Identifier: ISC */
/*
 * Redis user-key lookups under abuse (docs/security.md, Redis under abuse)
 * against a real ternd and a real redis-server. A flood is signed Allocate
 * requests, each with another USERNAME, sent over UDP on loopback from
 * sources 127.0.0.2 and up (the legitimate users come from 127.0.0.1),
 * each source with the nonce of its own first 401 (RFC 8489 §9.2). One
 * case per run, named by argv[2]:
 *  evict  70,000 distinct usernames (the lookup budgets raised so that
 *         every one reaches the cache) leave alice's cached key in place:
 *         she keeps allocating during and after the flood without Redis
 *         reading her key again (INFO stats keyspace_hits: hers is the
 *         only key that exists; every name was a GET, INFO commandstats),
 *         and only negative answers were evicted, never her key;
 *  share  with the default lookup budget, one source's flood of names
 *         (a tight loop, bounded in time) does not stop bob, from another
 *         source, from authenticating; the flood's lookups are refused
 *         (tern_user_key_lookups_refused_total) and its Redis GETs stay
 *         within the burst plus the rate over the flood's duration.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "metrics_common.h"
#include "redis_common.h"
#include "tap.h"

#define FLOOD_PASS	"pw"
#define WINDOW		48	/* requests in flight: below DAEMON_UK_PARK */

/* One flooding source: a UDP socket bound to its own loopback address. */
struct flooder {
	int fd;
	uint8_t realm[128], nonce[128];
	size_t rlen, nlen;
	unsigned sent, answered;
};

/* An Allocate, signed when f has a nonce and user is not NULL. */
static size_t
alloc_req(struct flooder *f, const char *user, uint8_t *buf, size_t cap)
{
	static const uint8_t udp[4] = { 17, 0, 0, 0 };
	uint8_t tid[STUN_TID_LEN], key[16];
	struct stun_builder b;

	client_tid_new(tid);
	stun_builder_init(&b, buf, cap, STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if (user != NULL) {
		auth_key_md5(user, strlen(user), f->realm, f->rlen, FLOOD_PASS,
		    strlen(FLOOD_PASS), key);
		stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
		stun_add(&b, STUN_ATTR_REALM, f->realm, f->rlen);
		stun_add(&b, STUN_ATTR_NONCE, f->nonce, f->nlen);
		stun_add_integrity(&b, key, sizeof(key));
		stun_add_fingerprint(&b);
	}
	return stun_builder_finish(&b);
}

/* Answers within ms, at most want; each counted in f->answered. */
static unsigned
flooder_recv(struct flooder *f, unsigned want, int ms, uint8_t *buf,
    size_t cap, ssize_t *last)
{
	int64_t end = client_now_ms() + ms, left;
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
	unsigned got = 0;
	ssize_t n;

	while (got < want && (left = end - client_now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((n = recv(f->fd, buf, cap, 0)) <= 0)
			continue;
		got++;
		if (last != NULL)
			*last = n;
	}
	f->answered += got;
	return got;
}

/* Binds ip, connects to ternd and keeps the REALM and NONCE of the 401
 * to an unsigned Allocate. 0 or -1. */
static int
flooder_open(struct flooder *f, struct harness *h, const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const struct stun_attr *ra, *na;
	uint8_t req[256], resp[1024];
	struct stun_msg m;
	ssize_t n = 0;
	size_t len;

	memset(f, 0, sizeof(*f));
	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (bind(f->fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    connect(f->fd, &h->srv.u.sa, addr_len(&h->srv)) == -1)
		return -1;
	len = alloc_req(f, NULL, req, sizeof(req));
	if (send(f->fd, req, len, 0) != (ssize_t)len ||
	    flooder_recv(f, 1, 2000, resp, sizeof(resp), &n) != 1 ||
	    stun_decode(&m, resp, (size_t)n) != 0 ||
	    (ra = stun_msg_attr(&m, STUN_ATTR_REALM)) == NULL ||
	    (na = stun_msg_attr(&m, STUN_ATTR_NONCE)) == NULL ||
	    ra->len > sizeof(f->realm) || na->len > sizeof(f->nonce))
		return -1;
	memcpy(f->realm, ra->val, f->rlen = ra->len);
	memcpy(f->nonce, na->val, f->nlen = na->len);
	f->answered = 0;
	return 0;
}

static void
flooder_close(struct flooder *f)
{
	if (f->fd > 0)
		close(f->fd);
	f->fd = -1;
}

/* One signed Allocate for a made-up name (prefix-i). 0 or -1. */
static int
flooder_send(struct flooder *f, const char *prefix, unsigned i)
{
	uint8_t req[512];
	char user[64];
	size_t len;

	snprintf(user, sizeof(user), "%s-%u", prefix, i);
	len = alloc_req(f, user, req, sizeof(req));
	if (len == 0 || send(f->fd, req, len, 0) != (ssize_t)len)
		return -1;
	f->sent++;
	return 0;
}

/* A counter of redis-server's INFO section (name= or name:), or -1. */
static long
redis_info(struct rt *t, const char *section, const char *name)
{
	char out[8192];
	const char *p;

	if (harness_redis_cmd(&t->r, out, sizeof(out), "INFO", section,
	    NULL) != 0)
		return -1;
	if ((p = strstr(out, name)) == NULL)
		return 0;
	return strtol(p + strlen(name), NULL, 10);
}

/* Every GET (INFO commandstats). */
static long
redis_gets(struct rt *t)
{
	return redis_info(t, "commandstats", "cmdstat_get:calls=");
}

/* Reads of a key that exists (INFO stats): with one key in Redis, the
 * lookups of that user, whatever the made-up names still in flight. */
static long
redis_hits(struct rt *t)
{
	return redis_info(t, "stats", "keyspace_hits:");
}

static int
set_user(struct rt *t, const char *user, const char *pass)
{
	char key[256], hex[33], out[64];

	snprintf(key, sizeof(key), "turn/realm/" RT_REALM "/user/%s/key", user);
	rt_md5_hex(user, strlen(user), pass, hex);
	return harness_redis_cmd(&t->r, out, sizeof(out), "SET", key, hex,
	    NULL);
}

static int
try_user(struct rt *t, const char *user, const char *pass)
{
	struct client_turn turn;
	struct client *c = NULL;
	int r;

	r = rt_user_alloc(&t->h, user, pass, &c, &turn);
	if (r == 0)
		(void)client_turn_refresh(&turn, 0, RT_WAIT_MS);
	harness_turn_close(&c, &turn);
	return r;
}

static double
metric(uint16_t mport, const char *series)
{
	struct mc_resp r;
	double v = -1;

	if (mc_http(mport, "GET", "/metrics", NULL, &r, 2000) == 0 &&
	    r.status == 200 && mc_value(r.body, series, &v) != 0)
		v = -1;
	mc_resp_free(&r);
	return v;
}

/* 16 sources: 4,375 names each, within auth-failure-limit 8000 */
#define NSRC	16
#define NAMES	70000

/*
 * 70,000 names over NSRC sources, WINDOW in flight from one source at a
 * time (every answer, a 401 after the lookup, frees a slot), alice
 * allocating every 10,000 names. Her key read from Redis again: *alice_gets.
 */
static unsigned
flood_all(struct rt *t, struct flooder *f, int64_t deadline, bool *alice_ok,
    long *alice_gets)
{
	uint8_t buf[1024];
	unsigned i = 0, k, n;
	long g0, g1;

	*alice_ok = true;
	*alice_gets = 0;
	while (i < NAMES && client_now_ms() < deadline) {
		k = (i / WINDOW) % NSRC;
		for (n = 0; n < WINDOW && i + n < NAMES; n++)
			if (flooder_send(&f[k], "made-up", i + n) != 0)
				break;
		(void)flooder_recv(&f[k], n, 2000, buf, sizeof(buf), NULL);
		i += n;
		if (i % 10000 < WINDOW) {	/* alice keeps allocating */
			g0 = redis_hits(t);
			*alice_ok = *alice_ok && try_user(t, "alice", "wonder") == 0;
			g1 = redis_hits(t);
			*alice_gets += g1 - g0;
		}
	}
	return i;
}

static void
case_evict(struct rt *t, uint16_t mport)
{
	struct flooder f[NSRC];
	unsigned i, sent, answered = 0;
	char ip[32];
	long g0, g1, agets;
	int64_t t0;
	bool aok;
	double v;

	set_user(t, "alice", "wonder");
	is_int(try_user(t, "alice", "wonder"), 0, "alice allocates (her key "
	    "read from Redis)");
	for (i = 0; i < NSRC; i++) {
		snprintf(ip, sizeof(ip), "127.0.0.%u", i + 2);
		if (!ok(flooder_open(&f[i], &t->h, ip) == 0, "flooding source "
		    "%s has a nonce", ip))
			return;
	}
	g0 = redis_gets(t);
	sent = flood_all(t, f, client_now_ms() + 90000, &aok, &agets);
	/* the last lookups may still be on their way */
	t0 = client_now_ms();
	while ((g1 = redis_gets(t)) - g0 < NAMES && client_now_ms() - t0 < 10000)
		continue;
	for (i = 0; i < NSRC; i++) {
		answered += f[i].answered;
		flooder_close(&f[i]);
	}
	is_int(sent, NAMES, "70,000 signed Allocates with distinct usernames "
	    "sent");
	ok(answered >= NAMES * 99 / 100, "and answered (%u)", answered);
	ok(g1 - g0 >= NAMES, "each name was looked up in Redis (%ld GETs)",
	    g1 - g0);
	ok(aok, "alice allocated throughout the flood");
	is_int(agets, 0, "without reading her key from Redis again: it stayed "
	    "cached");
	g0 = redis_hits(t);
	is_int(try_user(t, "alice", "wonder"), 0, "alice allocates after the "
	    "flood");
	is_int(redis_hits(t) - g0, 0, "still without reading her key");
	v = metric(mport, "tern_user_key_evictions_total{kind=\"negative\"}");
	ok(v >= NAMES - 65536, "made-up names were evicted one by one (%.0f)",
	    v);
	is_int((long)metric(mport, "tern_user_key_evictions_total{kind=\"key\"}"),
	    0, "no key was evicted");
}

static void
case_share(struct rt *t, uint16_t mport)
{
	struct flooder f;
	uint8_t buf[1024];
	int64_t t0, end;
	unsigned i = 0, n, tries = 0, wins = 0;
	long g0, g1, bound;
	double v;

	set_user(t, "bob", "builder");
	if (!ok(flooder_open(&f, &t->h, "127.0.0.2") == 0, "flooding source "
	    "127.0.0.2 has a nonce"))
		return;
	g0 = redis_gets(t);
	t0 = client_now_ms();
	end = t0 + 3000;
	while (client_now_ms() < end) {
		/* a tight loop: 500 names, then what came back */
		for (n = 0; n < 500; n++)
			(void)flooder_send(&f, "flood", i++);
		(void)flooder_recv(&f, 1000, 1, buf, sizeof(buf), NULL);
		if (i % 5000 == 0) {	/* bob, from 127.0.0.1 */
			tries++;
			wins += try_user(t, "bob", "builder") == 0;
		}
	}
	(void)flooder_recv(&f, 100000, 500, buf, sizeof(buf), NULL);
	g1 = redis_gets(t);
	flooder_close(&f);
	diag("%u names in %lld ms, %u answers", i,
	    (long long)(client_now_ms() - t0), f.answered);
	ok(tries > 0 && wins == tries, "bob authenticated during the flood "
	    "(%u of %u)", wins, tries);
	is_int(try_user(t, "bob", "builder"), 0, "and after it");
	/* each worker's budget: a burst of 40 and 5 a second; bob's lookup */
	bound = 2 * (40 + 5 * ((client_now_ms() - t0) / 1000 + 1)) + 2;
	ok(g1 - g0 <= bound, "the flood cost Redis %ld GETs (at most %ld)",
	    g1 - g0, bound);
	v = metric(mport, "tern_user_key_lookups_refused_total"
	    "{reason=\"rate\"}");
	ok(v > 0, "its other lookups were refused: rate (%.0f)", v);
}

int
main(int argc, char *argv[])
{
	struct rt t;
	char extra[1024];
	const char *mode;
	uint16_t mport = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_abuse TERND evict|share\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	mport = harness_free_port("127.0.0.1");
	/* evict: every budget out of the way, so that all 70,000 names
	 * reach the cache; share: the defaults, but for the engine's own
	 * failure limit, so that the lookup budget is what is tested */
	snprintf(extra, sizeof(extra), "workers = 2\nprometheus\n"
	    "prometheus-address = 127.0.0.1\nprometheus-port = %u\n"
	    "user-key-cache-ttl = 600\nauth-failure-limit = 8000\n%s",
	    mport, strcmp(mode, "evict") == 0 ?
	    "user-key-lookup-rate = 100000\nuser-key-lookup-burst = 100000\n"
	    "unauth-rate = 100000\nunauth-burst = 500000\n" : "");
	if (!ok(mport != 0 && rt_start_ternd(&t, &t.h, extra) == 0,
	    "ternd started"))
		goto out;
	if (strcmp(mode, "evict") == 0)
		case_evict(&t, mport);
	else if (strcmp(mode, "share") == 0)
		case_share(&t, mport);
	else
		ok(0, "unknown mode %s", mode);
	is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed)
		harness_dump_log(&t.h);
	rt_fini(&t);
	return tap_done();
}
