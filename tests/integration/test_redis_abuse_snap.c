/* SPDX-License-Identifier: ISC */
/*
 * Redis snapshots under abuse (docs/security.md, Redis under abuse)
 * against a real ternd and a real redis-server. One case per run, named
 * by argv[2]:
 *  revoke  100,000 revoked REST user-ids (SET tern/revoked/<realm>/<id>
 *          with EX, pipelined over the test's own connection) load in one
 *          snapshot and are enforced: a revoked user-id gets 401, one not
 *          revoked allocates; /readyz stays 200 and no load failed;
 *  fail    a snapshot that cannot be loaded whole (a key of the wrong
 *          type, then a rule set over its limit of 1024) keeps the
 *          previous one whole: a revocation it had stays in force (401),
 *          /readyz answers 503, tern_redis_snapshot_failures_total counts
 *          and the log says why; once the key is repaired the next load is
 *          in force and /readyz answers 200 again.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics_common.h"
#include "redis_common.h"
#include "tap.h"

#define SECRET		"fleet-secret-under-abuse"
#define NREVOKED	100000
#define BATCH		1000
#define RV_KEY		"tern/revoked/" RT_REALM "/"

/* Writes all of buf. 0 or -1. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads replies until want lines have come; the "+OK" among them. */
static long
read_oks(int fd, long want, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = client_now_ms() + ms;
	long lines = 0, oks = 0;
	bool bol = true;
	char buf[65536];
	ssize_t n, i;

	while (lines < want && client_now_ms() < end) {
		if (poll(&pfd, 1, 100) <= 0 ||
		    (n = read(fd, buf, sizeof(buf))) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (bol && buf[i] == '+')
				oks++;
			bol = buf[i] == '\n';
			lines += bol;
		}
	}
	return oks;
}

/*
 * SET RV_KEY<prefix><i> <now> EX 3600 for i in [0, n), pipelined BATCH at
 * a time over a connection of the test's own (RESP, as redis-cli --pipe
 * would send it). The number of +OK replies.
 */
static long
revoke_many(struct rt *t, const char *prefix, unsigned n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons(t->r.port) };
	char key[128], now[24], *buf;
	size_t len, cap = BATCH * 160;
	long oks = 0;
	unsigned i, j;
	int fd, kl, vl;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if ((buf = malloc(cap)) == NULL)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		goto out;
	vl = snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	for (i = 0; i < n; i += BATCH) {
		for (len = 0, j = i; j < i + BATCH && j < n; j++) {
			kl = snprintf(key, sizeof(key), RV_KEY "%s%u", prefix,
			    j);
			len += (size_t)snprintf(buf + len, cap - len,
			    "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
			    "$2\r\nEX\r\n$4\r\n3600\r\n", kl, key, vl, now);
		}
		if (write_all(fd, buf, len) == -1)
			break;
		oks += read_oks(fd, (long)(j - i), 10000);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return oks;
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

/* One REST allocation for id, closed again: the server's answer. */
static int
rest(struct rt *t, const char *id)
{
	struct client_turn turn;
	struct client *c = NULL;
	int r;

	r = rt_rest_alloc(&t->h, SECRET, id, &c, &turn);
	if (r == 0)
		(void)client_turn_refresh(&turn, 0, RT_WAIT_MS);
	harness_turn_close(&c, &turn);
	return r;
}

static bool
log_has(struct rt *t, const char *s)
{
	static char buf[1 << 20];
	FILE *f = fopen(t->h.errlog, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

static void
publish(struct rt *t, const char *what)
{
	char out[64], msg[64];

	snprintf(msg, sizeof(msg), "%s " RT_REALM, what);
	harness_redis_cmd(&t->r, out, sizeof(out), "PUBLISH", "tern/events",
	    msg, NULL);
}

static void
case_revoke(struct rt *t, uint16_t mport)
{
	int64_t t0;
	long ms, kib;

	/* the first snapshot (the secret) may still be on its way */
	ok(rt_rest_until(&t->h, SECRET, "user-42042", 0, 3000) >= 0,
	    "user-42042 allocates before");
	t0 = client_now_ms();
	is_int(revoke_many(t, "user-", NREVOKED), NREVOKED, "100,000 "
	    "revocations written (%lld ms)", (long long)(client_now_ms() - t0));
	publish(t, "revoke");
	ms = rt_rest_until(&t->h, SECRET, "user-42042", 401, 30000);
	ok(ms >= 0, "user-42042 is refused (401) within %ld ms", ms);
	is_int(rest(t, "user-0"), 401, "user-0 too");
	is_int(rest(t, "user-99999"), 401, "user-99999 too");
	is_int(rest(t, "user-unrevoked"), 0, "a user-id not revoked allocates");
	ok(log_has(t, "revoked=100000"), "one snapshot with all 100,000");
	is_int(mc_status_until(mport, "/readyz", 200, 2000, NULL, 0),
	    200, "/readyz: 200");
	is_int((long)metric(mport, "tern_redis_snapshot_failures_total"), 0,
	    "no load failed");
	kib = harness_rss_kib(t->h.pid);
	ok(kib > 0 && kib < 512 * 1024, "ternd's memory stays bounded "
	    "(%ld KiB resident)", kib);
}

#define ALLOW_KEY	"turn/realm/" RT_REALM "/allowed-peer-ip"
#define DENY_KEY	"turn/realm/" RT_REALM "/denied-peer-ip"

/* A STRING where a SET is expected. */
static void
break_type(struct rt *t)
{
	char out[64];

	harness_redis_cmd(&t->r, out, sizeof(out), "SET", ALLOW_KEY,
	    "not a set", NULL);
}

/* 1,025 rules, one over the limit (16 a command: redis-cli's argv). */
static void
break_limit(struct rt *t)
{
	const char *args[19] = { "SADD", DENY_KEY };
	char rules[16][24], out[64];
	int i = 0, k;

	while (i < 1025) {
		for (k = 0; k < 16 && i < 1025; k++, i++) {
			snprintf(rules[k], sizeof(rules[k]), "10.%d.%d.0/24",
			    i / 256, i % 256);
			args[k + 2] = rules[k];
		}
		args[k + 2] = NULL;
		harness_redis_cmdv(&t->r, out, sizeof(out), args);
	}
}

/* Breaks the snapshot (a wrong type, too many rules), checks that the
 * previous one stays whole, then repairs it (DEL key). */
static void
broken(struct rt *t, uint16_t mport, const char *what,
    void (*brk)(struct rt *), const char *key, const char *why)
{
	char out[256];
	double f0 = metric(mport, "tern_redis_snapshot_failures_total");

	brk(t);
	/* and a change the failed load cannot bring: victim2 revoked */
	harness_redis_cmd(&t->r, out, sizeof(out), "SET", RV_KEY "victim2",
	    "1", "EX", "3600", NULL);
	publish(t, "rules");
	is_int(mc_status_until(mport, "/readyz", 503, 10000, NULL, 0),
	    503, "%s: /readyz answers 503", what);
	ok(metric(mport, "tern_redis_snapshot_failures_total") > f0, "%s: "
	    "counted in tern_redis_snapshot_failures_total", what);
	ok(log_has(t, why), "%s: the log says why (%s)", what, why);
	is_int(rest(t, "victim"), 401, "%s: the revocation in force stays",
	    what);
	is_int(rest(t, "victim2"), 0, "%s: the previous snapshot stays whole "
	    "(the new revocation is not in force yet)", what);
	harness_redis_cmd(&t->r, out, sizeof(out), "DEL", key, NULL);
	harness_redis_cmd(&t->r, out, sizeof(out), "DEL", RV_KEY "victim2",
	    NULL);
	publish(t, "rules");
	is_int(mc_status_until(mport, "/readyz", 200, 10000, NULL, 0),
	    200, "%s repaired: /readyz answers 200", what);
}

static void
case_fail(struct rt *t, uint16_t mport)
{
	char out[128];

	harness_redis_cmd(&t->r, out, sizeof(out), "SET", RV_KEY "victim",
	    "1", "EX", "3600", NULL);
	publish(t, "revoke");
	ok(rt_rest_until(&t->h, SECRET, "victim", 401, 10000) >= 0,
	    "victim is revoked");
	is_int(mc_status_until(mport, "/readyz", 200, 5000, NULL, 0),
	    200, "/readyz: 200");
	broken(t, mport, "a key of the wrong type", break_type, ALLOW_KEY,
	    "what=allowed-peer-ip");
	broken(t, mport, "1,025 denied-peer-ip rules", break_limit, DENY_KEY,
	    "more members than the limit");
	is_int(rest(t, "victim2"), 0, "victim2's revocation deleted");
	harness_redis_cmd(&t->r, out, sizeof(out), "DEL", RV_KEY "victim",
	    NULL);
	publish(t, "unrevoke");
	ok(rt_rest_until(&t->h, SECRET, "victim", 0, 10000) >= 0,
	    "loads work again: victim's revocation deleted, it allocates");
}

int
main(int argc, char *argv[])
{
	struct rt t;
	char extra[512], out[128];
	const char *mode;
	uint16_t mport = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_abuse_snap TERND "
		    "revoke|fail\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	harness_redis_cmd(&t.r, out, sizeof(out), "SADD",
	    "turn/realm/" RT_REALM "/secret", SECRET, NULL);
	mport = harness_free_port("127.0.0.1");
	/* loads on tern/events messages only, so that each logs its reason */
	snprintf(extra, sizeof(extra), "prometheus\nprometheus-address = "
	    "127.0.0.1\nprometheus-port = %u\nredis-snapshot-interval = 60\n",
	    mport);
	if (!ok(mport != 0 && rt_start_ternd(&t, &t.h, extra) == 0,
	    "ternd started"))
		goto out;
	if (strcmp(mode, "revoke") == 0)
		case_revoke(&t, mport);
	else if (strcmp(mode, "fail") == 0)
		case_fail(&t, mport);
	else
		ok(0, "unknown mode %s", mode);
	is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed)
		harness_dump_log(&t.h);
	rt_fini(&t);
	return tap_done();
}
