/* SPDX-License-Identifier: ISC */
/*
 * The caps per allocation of a real ternd (docs/security.md, Resource
 * exhaustion):
 *     test_defence_bandwidth TERND bps|caps
 *
 * bps:  max-bps = 20000 (bytes a second, one budget for both directions
 *       of an allocation), workers = 1. One UDP allocation with a channel
 *       to an echo peer on loopback; the client sends ChannelData of 1,000
 *       bytes every 10 ms for 3 s (300 messages, 100,000 bytes a second
 *       offered, five times the cap). What the relay forwards towards the
 *       peer and what it forwards back (the echoes) are charged to the
 *       same bucket, which starts full with one second's worth. So the
 *       expectation is stated on their sum: relayed(k) = bytes the peer
 *       received + bytes of echoes the client received in second k is
 *       max-bps + max-bps = 40,000 in the first second (the full bucket
 *       and one second of refill) and max-bps = 20,000 in the second and
 *       third, each within 10 %; over the whole run at most
 *       max-bps x elapsed + max-bps. The peer's own share is what the
 *       echoes leave of it. Every message that was not relayed both ways
 *       was dropped once, either towards the peer or on its way back, so
 *       tern_dropped_packets_total{reason="bandwidth"} equals the messages
 *       sent minus the echoes received, and tern_relayed_bytes_total
 *       counts exactly what the peer and the client received.
 * caps: max-permissions = 2 and max-peers-per-request = 2. Permissions for
 *       two peer IPs are granted, a third IP gets 508 (RFC 8656 §7.2
 *       "MAY impose"), refreshing one of the two still works; a
 *       CreatePermission with three XOR-PEER-ADDRESS attributes naming
 *       the two IPs already permitted (so only the per-request cap can
 *       refuse it) gets 508, the same two as two attributes succeed;
 *       tern_quota_refusals_total{kind="permissions"} counts both 508s.
 */
#include <stdio.h>
#include <string.h>

#include "metrics_common.h"
#include "tap.h"

#define WAIT_MS		3000	/* one transaction */
#define SETTLE_MS	5000	/* the server has handled everything */
#define MAX_BPS		20000	/* max-bps of the test's config */
#define MSG_LEN		1000	/* ChannelData payload */
#define GAP_MS		10	/* one message every 10 ms: 100 a second */
#define SECONDS		3
#define N_MSGS		(SECONDS * 1000 / GAP_MS)
#define CHANNEL		0x4000

static const char conf_bps[] = "workers = 1\nmax-bps = 20000\n";
static const char conf_caps[] = "max-permissions = 2\n"
    "max-peers-per-request = 2\n";

static const char bw_drops[] =
    "tern_dropped_packets_total{reason=\"bandwidth\"}";

/* ---- bps ---- */

struct run {
	unsigned sent;
	unsigned echoes;		/* ChannelData back from the peer */
	unsigned other;			/* anything else received */
	int64_t t0;
	int64_t at[SECONDS + 1];	/* snapshot times */
	unsigned peer[SECONDS + 1];	/* the peer's count at each */
	unsigned echo[SECONDS + 1];	/* echoes received at each */
};

/* Reads echoes until `until`. */
static void
echo_drain(struct client_turn *t, struct run *r, int64_t until)
{
	struct client_turn_data d;
	uint8_t buf[2048];
	int64_t left;

	do {
		left = until - client_now_ms();
		if (client_turn_recv(t, buf, sizeof(buf), &d,
		    left > 0 ? (int)left : 0) != 0)
			continue;
		if (d.channel && d.number == CHANNEL && d.len == MSG_LEN)
			r->echoes++;
		else
			r->other++;
	} while (client_now_ms() < until);
}

static void
snapshot(struct harness_peer *p, struct run *r, unsigned k)
{
	r->at[k] = client_now_ms();
	r->peer[k] = harness_peer_count(p);
	r->echo[k] = r->echoes;
}

/* One message every GAP_MS for SECONDS, a snapshot every second. */
static void
bps_send(struct client_turn *t, struct harness_peer *p, struct run *r)
{
	static uint8_t msg[MSG_LEN];
	unsigned i, k = 0;

	memset(msg, 0xa5, sizeof(msg));
	r->t0 = client_now_ms();
	snapshot(p, r, k++);
	for (i = 0; i < N_MSGS; i++) {
		echo_drain(t, r, r->t0 + (int64_t)i * GAP_MS);
		if (i > 0 && i % (1000 / GAP_MS) == 0)
			snapshot(p, r, k++);
		if (client_turn_channel_send(t, CHANNEL, msg, sizeof(msg)) ==
		    0)
			r->sent++;
	}
	echo_drain(t, r, r->t0 + (int64_t)N_MSGS * GAP_MS);
	snapshot(p, r, k);
}

/* Every message was relayed both ways or counted as a bandwidth drop. */
static bool
bps_settle(struct mc *m, struct client_turn *t, struct run *r,
    double *drops)
{
	int64_t deadline = client_now_ms() + SETTLE_MS;

	do {
		echo_drain(t, r, client_now_ms() + 50);
		if (mc_read(m->mport, NULL, bw_drops, false, drops) == 0 &&
		    r->echoes + *drops == r->sent)
			return true;
	} while (client_now_ms() < deadline);
	return false;
}

/* Per second: the peer's and the echoes' bytes against the expectation. */
static void
bps_judge(const struct run *r)
{
	unsigned k, peer, echo, total_peer, total_echo;
	double secs, want, lo, hi, bound, elapsed;

	for (k = 1; k <= SECONDS; k++) {
		peer = (r->peer[k] - r->peer[k - 1]) * MSG_LEN;
		echo = (r->echo[k] - r->echo[k - 1]) * MSG_LEN;
		secs = (double)(r->at[k] - r->at[k - 1]) / 1000;
		/* the bucket starts full: one second's worth more at first */
		want = MAX_BPS * secs + (k == 1 ? MAX_BPS : 0);
		lo = want * 0.9;
		hi = want * 1.1;
		diag("second %u (%.3f s): the peer received %u bytes, %u came "
		    "back; relayed %u, expected %.0f", k, secs, peer, echo,
		    peer + echo, want);
		ok(peer + echo >= lo && peer + echo <= hi, "second %u: the "
		    "peer's bytes + the echoed bytes = %u, within 10 %% of %.0f",
		    k, peer + echo, want);
	}
	total_peer = r->peer[SECONDS] * MSG_LEN;
	total_echo = r->echo[SECONDS] * MSG_LEN;
	elapsed = (double)(r->at[SECONDS] - r->t0) / 1000;
	bound = MAX_BPS * elapsed + MAX_BPS + MSG_LEN;
	diag("%u messages of %d bytes in %.3f s: the peer received %u bytes "
	    "(%.0f bytes/s), %u came back (%.0f bytes/s)", r->sent, MSG_LEN,
	    elapsed, total_peer, total_peer / elapsed, total_echo,
	    total_echo / elapsed);
	ok(total_peer + total_echo <= bound, "in all, %u bytes relayed <= "
	    "max-bps x %.3f s + max-bps = %.0f", total_peer + total_echo,
	    elapsed, bound);
}

static void
case_bps(struct mc *m)
{
	struct harness_peer p;
	struct client_turn t = { 0 };
	struct client *c = NULL;
	struct run r;
	double drops = -1, last;
	char s[160];
	bool hit;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	if (!ok(mc_start(m, conf_bps) == 0, "ternd started (max-bps = %d, "
	    "workers = 1)", MAX_BPS) ||
	    !ok(harness_peer_start(&p, "127.0.0.1", true) == 0,
	    "an echo peer on 127.0.0.1"))
		goto out;
	if (!ok(harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, &c,
	    &t) == 0 && client_turn_allocate(&t, NULL, WAIT_MS) == 0,
	    "UDP allocation") ||
	    !ok(client_turn_channel_bind(&t, CHANNEL, &p.addr, WAIT_MS) == 0,
	    "ChannelBind to the echo peer"))
		goto out;
	bps_send(&t, &p, &r);
	is_int(r.sent, N_MSGS, "%d messages of %d bytes sent, one every %d ms",
	    N_MSGS, MSG_LEN, GAP_MS);
	hit = bps_settle(m, &t, &r, &drops);
	ok(hit, "tern_dropped_packets_total{reason=\"bandwidth\"} = messages "
	    "sent - echoes received: %.0f = %u - %u", drops, r.sent,
	    r.echoes);
	is_int(r.other, 0, "nothing but the echoes came back");
	bps_judge(&r);
	snprintf(s, sizeof(s), "tern_relayed_bytes_total{direction="
	    "\"client_to_peer\"}");
	hit = mc_wait(m->mport, NULL, s, false,
	    (double)harness_peer_count(&p) * MSG_LEN, MC_WAIT_MS, &last);
	ok(hit, "%s counts what the peer received (%.0f)", s, last);
	snprintf(s, sizeof(s), "tern_relayed_bytes_total{direction="
	    "\"peer_to_client\"}");
	hit = mc_wait(m->mport, NULL, s, false, (double)r.echoes * MSG_LEN,
	    MC_WAIT_MS, &last);
	ok(hit, "%s counts the echoes received (%.0f)", s, last);
	harness_turn_close(&c, &t);
	is_int(harness_stop(&m->h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
}

/* ---- caps ---- */

static int
permit_ip(struct client_turn *t, const char *ip)
{
	struct addr a;

	if (addr_parse_ip(&a, ip, 9) == -1)
		return CLIENT_E_ARG;
	return client_turn_permit(t, &a, 1, WAIT_MS);
}

static void
case_caps(struct mc *m)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	struct addr three[3];
	double last;
	bool hit;

	if (!ok(mc_start(m, conf_caps) == 0, "ternd started "
	    "(max-permissions = 2, max-peers-per-request = 2)"))
		return;
	if (!ok(harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, &c,
	    &t) == 0 && client_turn_allocate(&t, NULL, WAIT_MS) == 0,
	    "UDP allocation"))
		goto out;
	is_int(permit_ip(&t, "127.0.0.2"), 0, "permission 1 (127.0.0.2)");
	is_int(permit_ip(&t, "127.0.0.3"), 0, "permission 2 (127.0.0.3)");
	is_int(permit_ip(&t, "127.0.0.4"), 508,
	    "permission 3 (127.0.0.4): 508 (max-permissions = 2)");
	is_int(permit_ip(&t, "127.0.0.2"), 0,
	    "refreshing permission 1 is no new permission: success");
	if (addr_parse_ip(&three[0], "127.0.0.2", 1) == -1 ||
	    addr_parse_ip(&three[1], "127.0.0.2", 2) == -1 ||
	    addr_parse_ip(&three[2], "127.0.0.3", 1) == -1)
		goto out;
	is_int(client_turn_permit(&t, three, 3, WAIT_MS), 508,
	    "CreatePermission with 3 peers (the two IPs already permitted): "
	    "508 (max-peers-per-request = 2)");
	is_int(client_turn_permit(&t, &three[1], 2, WAIT_MS), 0,
	    "CreatePermission with 2 of them: success");
	hit = mc_wait(m->mport, NULL,
	    "tern_quota_refusals_total{kind=\"permissions\"}", false, 2,
	    MC_WAIT_MS, &last);
	ok(hit, "tern_quota_refusals_total{kind=\"permissions\"} counts both "
	    "508s (%.0f)", last);
	harness_turn_close(&c, &t);
	is_int(harness_stop(&m->h), 0, "SIGTERM: ternd exits 0");
out:
	harness_turn_close(&c, &t);
}

int
main(int argc, char *argv[])
{
	struct mc m;

	if (argc != 3 || (strcmp(argv[2], "bps") != 0 &&
	    strcmp(argv[2], "caps") != 0)) {
		fprintf(stderr, "usage: test_defence_bandwidth TERND bps|caps\n");
		return 2;
	}
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir and a metrics port"))
		return tap_done();
	if (strcmp(argv[2], "bps") == 0)
		case_bps(&m);
	else
		case_caps(&m);
	if (tap_failed)
		harness_dump_log(&m.h);
	mc_fini(&m);
	return tap_done();
}
