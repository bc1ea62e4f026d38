/* SPDX-License-Identifier: ISC */
/*
 * Revocation through Redis on two ternd instances sharing one redis-server:
 * `SET tern/revoked/<realm>/<user> <now> EX 3600` and PUBLISH
 * "revoke <realm>" on tern/events. On both, within 1 s, that user's live
 * allocation is closed (its echo peer's traffic stops being relayed, the
 * client's Refresh gets 437 or 401) and a new Allocate is refused; another
 * user's allocation is untouched. After DEL + PUBLISH "unrevoke <realm>",
 * the user allocates again. The user-id is full of metacharacters, so the
 * SCAN MATCH pattern and the key parsing are exercised too.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "redis_common.h"
#include "tap.h"

#define SECRET	"shared-secret-of-the-fleet"
#define VICTIM	"mallory * [x] %s"
#define OTHER	"bob"

struct node {
	struct harness *h;
	struct client *c, *c2;
	struct client_turn turn, turn2;
	bool up, up2;
};

static void
node_open(struct node *n, struct harness_peer *p, const char *name)
{
	n->up = rt_rest_alloc(n->h, SECRET, VICTIM, &n->c, &n->turn) == 0;
	ok(n->up && rt_echo(&n->turn, p, true, RT_WAIT_MS) >= 0,
	    "%s: the victim's allocation relays", name);
	n->up2 = rt_rest_alloc(n->h, SECRET, OTHER, &n->c2, &n->turn2) == 0;
	ok(n->up2 && rt_echo(&n->turn2, p, true, RT_WAIT_MS) >= 0,
	    "%s: another user's allocation relays", name);
}

/* Milliseconds until an echo is no longer relayed, or -1 after ms. */
static long
until_cut(struct node *n, struct harness_peer *p, int ms)
{
	int64_t t0 = client_now_ms();

	while (client_now_ms() - t0 < ms)
		if (rt_echo(&n->turn, p, false, 150) < 0)
			return (long)(client_now_ms() - t0);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct rt t;
	struct harness h2 = { 0 };
	struct harness_peer p = { 0 };
	struct node n[2] = { { .h = NULL }, { .h = NULL } };
	char out[128], key[256], now[32];
	bool h2_ready = false;
	long ms;
	int i, r;

	if (argc != 2) {
		fprintf(stderr, "usage: test_redis_revoke TERND\n");
		return 2;
	}
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	harness_redis_cmd(&t.r, out, sizeof(out), "SADD",
	    "turn/realm/" RT_REALM "/secret", SECRET, NULL);
	h2_ready = harness_init(&h2, argv[1]) == 0;
	if (!ok(rt_start_ternd(&t, &t.h, NULL) == 0, "ternd 1 started") ||
	    !ok(h2_ready && rt_start_ternd(&t, &h2, NULL) == 0,
	    "ternd 2 started") ||
	    !ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	n[0].h = &t.h;
	n[1].h = &h2;
	ok(rt_rest_until(&t.h, SECRET, OTHER, 0, 3000) >= 0 &&
	    rt_rest_until(&h2, SECRET, OTHER, 0, 3000) >= 0,
	    "both read the shared secret");
	node_open(&n[0], &p, "ternd 1");
	node_open(&n[1], &p, "ternd 2");
	snprintf(key, sizeof(key), "tern/revoked/" RT_REALM "/%s", VICTIM);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	harness_redis_cmd(&t.r, out, sizeof(out), "SET", key, now, "EX", "3600",
	    NULL);
	harness_redis_cmd(&t.r, out, sizeof(out), "PUBLISH", "tern/events",
	    "revoke " RT_REALM, NULL);
	for (i = 0; i < 2; i++) {
		if (!n[i].up)
			continue;
		ms = until_cut(&n[i], &p, 1000);
		ok(ms >= 0, "ternd %d: the revoked user's traffic stops within "
		    "1 s (%ld ms)", i + 1, ms);
		r = client_turn_refresh(&n[i].turn, -1, RT_WAIT_MS);
		ok(r == 437 || r == 401, "ternd %d: its Refresh gets 437 or 401 "
		    "(%d)", i + 1, r);
		ok(n[i].up2 && rt_echo(&n[i].turn2, &p, false, RT_WAIT_MS) >= 0,
		    "ternd %d: the other user still relays", i + 1);
		is_int(rt_rest_until(n[i].h, SECRET, VICTIM, 401, 100) >= 0, 1,
		    "ternd %d: a new Allocate for the user gets 401", i + 1);
	}
	harness_redis_cmd(&t.r, out, sizeof(out), "DEL", key, NULL);
	harness_redis_cmd(&t.r, out, sizeof(out), "PUBLISH", "tern/events",
	    "unrevoke " RT_REALM, NULL);
	for (i = 0; i < 2; i++)
		ok(rt_rest_until(n[i].h, SECRET, VICTIM, 0, 1000) >= 0,
		    "ternd %d: unrevoked, the user allocates again", i + 1);
	for (i = 0; i < 2; i++) {
		harness_turn_close(&n[i].c, &n[i].turn);
		harness_turn_close(&n[i].c2, &n[i].turn2);
	}
	harness_peer_stop(&p);
	is_int(harness_stop(&t.h), 0, "SIGTERM: ternd 1 exits 0");
	is_int(harness_stop(&h2), 0, "SIGTERM: ternd 2 exits 0");
out:
	if (tap_failed) {
		harness_dump_log(&t.h);
		if (h2_ready)
			harness_dump_log(&h2);
	}
	for (i = 0; i < 2; i++) {
		harness_turn_close(&n[i].c, &n[i].turn);
		harness_turn_close(&n[i].c2, &n[i].turn2);
	}
	harness_peer_stop(&p);
	if (h2_ready)
		harness_fini(&h2);
	rt_fini(&t);
	return tap_done();
}
