/* SPDX-License-Identifier: ISC */
/*
 * Drain: SIGUSR1 puts ternd in drain.
 *     test_drain TERND refuse|alternate|end
 *  refuse:    /readyz turns 503 within a deadline (/healthz stays 200),
 *             and tern_ready from 1 to 0 (tern_redis_up is NaN: no Redis); a
 *             new authenticated Allocate gets 508 (signed with the
 *             request's key); the allocation made before keeps relaying
 *             and can be refreshed; once drain-timeout (5 s) has passed,
 *             ternd exits 0 by itself although the allocation is alive;
 *  alternate: with alternate-server for both families, the new Allocate
 *             gets 300 Try Alternate with an ALTERNATE-SERVER of the
 *             request's family first (RFC 8489 §10, §14.15) and
 *             MESSAGE-INTEGRITY (the client verified it);
 *  end:       with a long drain-timeout, ternd exits 0 as soon as the last
 *             allocation ends (Refresh LIFETIME 0), well before it.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics_common.h"
#include "tap.h"

#define PAYLOAD		"still relaying while draining"

/* A new client's Allocate; the answer decoded into *msg (resp holds it). */
static int
new_allocate(struct mc *m, uint8_t *resp, size_t cap, struct stun_msg *msg)
{
	static const uint8_t udp[4] = { CLIENT_TURN_PROTO_UDP, 0, 0, 0 };
	const struct client_turn_attr a = { .type = STUN_ATTR_REQUESTED_TRANSPORT,
	    .val = udp, .len = sizeof(udp) };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	int r;

	if (harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, &c, &t) != 0)
		return CLIENT_E_IO;
	r = client_turn_request(&t, STUN_ALLOCATE, &a, 1, resp, cap, msg, 3000);
	harness_turn_close(&c, &t);
	return r;
}

static void
drain_begin(struct mc *m)
{
	double v;
	bool hit;

	is_int(mc_status_until(m->mport, "/readyz", 200, 3000, NULL, 0), 200,
	    "/readyz: 200 before the drain");
	hit = mc_wait(m->mport, NULL, "tern_draining", false, 0, MC_WAIT_MS,
	    &v);
	ok(hit, "tern_draining is 0 (%g)", v);
	hit = mc_wait(m->mport, NULL, "tern_ready", false, 1, MC_WAIT_MS, &v);
	ok(hit, "tern_ready is 1, as /readyz answers 200 (%g)", v);
	ok(mc_read(m->mport, NULL, "tern_redis_up", false, &v) == 0 &&
	    isnan(v), "tern_redis_up is NaN without redis-userdb (%g)", v);
	ok(kill(m->h.pid, SIGUSR1) == 0, "SIGUSR1 sent");
	is_int(mc_status_until(m->mport, "/readyz", 503, 3000, NULL, 0), 503,
	    "/readyz: 503 within 3 s of SIGUSR1");
	is_int(mc_status_until(m->mport, "/healthz", 200, 1000, NULL, 0), 200,
	    "/healthz: still 200 (alive)");
	hit = mc_wait(m->mport, NULL, "tern_draining", false, 1, MC_WAIT_MS,
	    &v);
	ok(hit, "tern_draining is 1 (%g)", v);
	hit = mc_wait(m->mport, NULL, "tern_ready", false, 0, MC_WAIT_MS, &v);
	ok(hit, "tern_ready is 0 while draining, as /readyz answers 503 (%g)",
	    v);
}

static void
refuse(struct mc *m, struct client_turn *t, const struct addr *peer)
{
	uint8_t resp[2048];
	struct stun_msg msg;
	int64_t t0;
	int rc;

	drain_begin(m);
	is_int(new_allocate(m, resp, sizeof(resp), &msg), 508,
	    "a new Allocate while draining: 508");
	ok(msg.mi_off != 0 || msg.mi256_off != 0,
	    "the 508 is signed (the client verified it)");
	is_int(mc_echo(t, peer, PAYLOAD, strlen(PAYLOAD), 3000), 0,
	    "the existing allocation still relays both ways");
	is_int(client_turn_refresh(t, -1, 3000), 0,
	    "the existing allocation can be refreshed");
	is_int(mc_echo(t, peer, PAYLOAD, strlen(PAYLOAD), 3000), 0,
	    "and relays after the Refresh");
	/* drain-timeout = 5 s: the allocation is alive, ternd stops anyway. */
	t0 = client_now_ms();
	rc = harness_wait(m->h.pid, 15000);
	is_int(rc, 0, "ternd exits 0 by itself after drain-timeout");
	ok(client_now_ms() - t0 < 15000, "within %lld ms",
	    (long long)(client_now_ms() - t0));
	if (rc != -2)
		m->h.pid = 0;
	else
		harness_dump_log(&m->h);
}

static void
alternate(struct mc *m)
{
	uint8_t resp[2048];
	const struct stun_attr *a;
	struct stun_msg msg;
	struct addr alt, want;
	char s[ADDR_STRLEN];
	size_t i, n = 0;
	bool got;

	drain_begin(m);
	if (!ok(new_allocate(m, resp, sizeof(resp), &msg) == 300,
	    "a new Allocate while draining: 300 Try Alternate"))
		return;
	a = stun_msg_attr(&msg, STUN_ATTR_ALTERNATE_SERVER);
	addr_parse(&want, "127.0.0.1:3479", 0);
	got = a != NULL && stun_attr_addr(a, &alt) == 0;
	ok(got && addr_equal(&alt, &want, true), "the first ALTERNATE-SERVER "
	    "is 127.0.0.1:3479, the request's family (%s)",
	    got ? addr_str(&alt, s, sizeof(s)) : "none");
	/* Count them on the wire: the decoder indexes the first only. */
	for (i = STUN_HEADER_LEN; i + 4 <= msg.raw_len;) {
		uint16_t type = (uint16_t)(msg.raw[i] << 8 | msg.raw[i + 1]);
		uint16_t len = (uint16_t)(msg.raw[i + 2] << 8 | msg.raw[i + 3]);

		n += type == STUN_ATTR_ALTERNATE_SERVER;
		i += 4 + (((size_t)len + 3) & ~(size_t)3);
	}
	is_int((int)n, 2, "one ALTERNATE-SERVER per configured family");
	ok(msg.mi_off != 0 || msg.mi256_off != 0,
	    "the 300 carries MESSAGE-INTEGRITY (verified by the client)");
}

static void
end(struct mc *m, struct client_turn *t)
{
	int64_t t0;
	int rc;

	drain_begin(m);
	t0 = client_now_ms();
	is_int(client_turn_refresh(t, 0, 3000), 0,
	    "the last allocation is deleted");
	rc = harness_wait(m->h.pid, 8000);
	is_int(rc, 0, "ternd exits 0 once no allocation is left");
	ok(client_now_ms() - t0 < 8000, "within %lld ms (drain-timeout is "
	    "600 s)", (long long)(client_now_ms() - t0));
	if (rc != -2)
		m->h.pid = 0;
}

int
main(int argc, char *argv[])
{
	struct mc m;
	struct harness_peer p = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	int rc;
	const char *mode, *extra = "drain-timeout = 5";

	if (argc != 3) {
		fprintf(stderr, "usage: test_drain TERND refuse|alternate|end\n");
		return 2;
	}
	mode = argv[2];
	if (strcmp(mode, "alternate") == 0)
		extra = "drain-timeout = 5\nalternate-server = 127.0.0.1:3479\n"
		    "alternate-server = [::1]:3480";
	else if (strcmp(mode, "end") == 0)
		extra = "drain-timeout = 600";
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir") ||
	    !ok(mc_start(&m, extra) == 0, "ternd with metrics") ||
	    !ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer") ||
	    !ok(mc_alloc(&m, &p.addr, &c, &t) == 0, "an allocation before the "
	    "drain") ||
	    !ok(mc_echo(&t, &p.addr, PAYLOAD, strlen(PAYLOAD), 3000) == 0,
	    "it relays"))
		goto out;
	if (strcmp(mode, "refuse") == 0)
		refuse(&m, &t, &p.addr);
	else if (strcmp(mode, "alternate") == 0) {
		alternate(&m);
		rc = harness_wait(m.h.pid, 15000);
		is_int(rc, 0, "ternd exits 0 after drain-timeout");
		if (rc != -2)
			m.h.pid = 0;
	} else
		end(&m, &t);
out:
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	mc_fini(&m);
	return tap_done();
}
