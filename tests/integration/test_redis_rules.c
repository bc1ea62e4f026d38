/* SPDX-License-Identifier: ISC */
/*
 * Peer rules and quotas from Redis, merged into the snapshot
 * with the configured ones. One case per run, named by argv[2]:
 *  rules  SADD turn/realm/<realm>/denied-peer-ip <the echo peer's IP>
 *         (plus a member that does not parse, which is skipped and
 *         logged) + PUBLISH "rules <realm>": within 1 s a live
 *         permission to that peer stops relaying and a new
 *         CreatePermission gets 403; SREM + PUBLISH: allowed again;
 *  quota  SET turn/realm/<realm>/total-quota 1 + PUBLISH: a second
 *         allocation gets 486 while the first lives; DEL + PUBLISH: the
 *         configured quota applies again;
 *  bps    SET turn/realm/<realm>/max-bps 20 + PUBLISH: within 1 s a
 *         live allocation's echo no longer fits (19 bytes each way);
 *         DEL + PUBLISH: relayed again (the config has no max-bps).
 */
#include <stdio.h>
#include <string.h>

#include "redis_common.h"
#include "tap.h"

#define SECRET	"secret-for-the-rules-cases"
#define DENY	"turn/realm/" RT_REALM "/denied-peer-ip"
#define TOTAL	"turn/realm/" RT_REALM "/total-quota"
#define MAXBPS	"turn/realm/" RT_REALM "/max-bps"

static void
cli(struct rt *t, const char *a, const char *b, const char *c)
{
	char out[256];

	harness_redis_cmd(&t->r, out, sizeof(out), a, b, c, NULL);
}

static void
case_rules(struct rt *t, struct harness_peer *p)
{
	struct client_turn turn;
	struct client *c = NULL;
	int64_t t0;
	long ms = -1;
	int r = 0;

	if (!ok(rt_rest_alloc(&t->h, SECRET, "alice", &c, &turn) == 0,
	    "allocate"))
		return;
	ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "the peer is relayed");
	cli(t, "SADD", DENY, "not-an-ip-range");
	cli(t, "SADD", DENY, "127.0.0.2-127.0.0.2");
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	t0 = client_now_ms();
	while (client_now_ms() - t0 < 1000)
		if (rt_echo(&turn, p, false, 150) < 0) {
			ms = (long)(client_now_ms() - t0);
			break;
		}
	ok(ms >= 0, "denied in Redis: the live permission stops relaying "
	    "within 1 s (%ld ms)", ms);
	r = client_turn_permit(&turn, &p->addr, 1, RT_WAIT_MS);
	is_int(r, 403, "a new CreatePermission gets 403");
	cli(t, "SREM", DENY, "127.0.0.2-127.0.0.2");
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	t0 = client_now_ms();
	do
		r = client_turn_permit(&turn, &p->addr, 1, RT_WAIT_MS);
	while (r != 0 && client_now_ms() - t0 < 1000);
	is_int(r, 0, "SREM + PUBLISH: allowed again");
	ok(rt_echo(&turn, p, false, RT_WAIT_MS) >= 0, "and relayed");
	harness_turn_close(&c, &turn);
}

static void
case_quota(struct rt *t)
{
	struct client_turn turn;
	struct client *c = NULL;

	if (!ok(rt_rest_alloc(&t->h, SECRET, "alice", &c, &turn) == 0,
	    "a first allocation"))
		return;
	cli(t, "SET", TOTAL, "1");
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	ok(rt_rest_until(&t->h, SECRET, "bob", 486, 1000) >= 0,
	    "total-quota 1 in Redis: a second allocation gets 486");
	cli(t, "DEL", TOTAL, NULL);
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	ok(rt_rest_until(&t->h, SECRET, "bob", 0, 1000) >= 0,
	    "DEL + PUBLISH: the configured quota again");
	harness_turn_close(&c, &turn);
}

/* Whether the echo stops (want_gone) or comes back within 1 s. */
static bool
echo_until(struct client_turn *turn, struct harness_peer *p, bool want_gone)
{
	int64_t t0 = client_now_ms();

	while (client_now_ms() - t0 < 1000)
		if ((rt_echo(turn, p, false, 150) < 0) == want_gone)
			return true;
	return false;
}

static void
case_bps(struct rt *t, struct harness_peer *p)
{
	struct client_turn turn;
	struct client *c = NULL;

	if (!ok(rt_rest_alloc(&t->h, SECRET, "alice", &c, &turn) == 0,
	    "allocate"))
		return;
	ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "the peer is relayed");
	cli(t, "SET", MAXBPS, "20");
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	ok(echo_until(&turn, p, true), "max-bps 20 in Redis: the live "
	    "allocation's echo no longer fits within 1 s");
	cli(t, "DEL", MAXBPS, NULL);
	cli(t, "PUBLISH", "tern/events", "rules " RT_REALM);
	ok(echo_until(&turn, p, false), "DEL + PUBLISH: relayed again");
	harness_turn_close(&c, &turn);
}

int
main(int argc, char *argv[])
{
	struct rt t;
	struct harness_peer p = { 0 };
	const char *mode;

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_rules TERND rules|quota|bps\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	cli(&t, "SADD", "turn/realm/" RT_REALM "/secret", SECRET);
	if (!ok(rt_start_ternd(&t, &t.h, NULL) == 0, "ternd started") ||
	    !ok(harness_peer_start(&p, "127.0.0.2", true) == 0,
	    "echo peer on 127.0.0.2 (not the relay IP)"))
		goto out;
	ok(rt_rest_until(&t.h, SECRET, "x", 0, 3000) >= 0, "snapshot read");
	if (strcmp(mode, "rules") == 0)
		case_rules(&t, &p);
	else if (strcmp(mode, "quota") == 0)
		case_quota(&t);
	else if (strcmp(mode, "bps") == 0)
		case_bps(&t, &p);
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
