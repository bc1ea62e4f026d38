/* SPDX-License-Identifier: ISC */
/*
 * turn_engine: demultiplexing, the receive checks and dispatch by method.
 *
 * Order of the checks, following RFC 8489 §6.3 and §6.3.1:
 *   1. first byte (RFC 7983, RFC 8656 §12): STUN, ChannelData or drop;
 *   2. stun_decode(): the basic checks; failure is a silent discard (§6.3);
 *   3. RFC 3489 peers are not served (RFC 8489 §11, off by default);
 *   4. responses are dropped (we sent no requests); indications are never
 *      answered (§6.3.2);
 *   5. Binding requests: unknown comprehension-required attributes get
 *      420 (§6.3.1), then the method;
 *   6. TURN requests (only with an I/O table; else 400 as a method we do
 *      not serve): auth_check() first (RFC 8656 §7.2 step 1; RFC 5389
 *      §7.3 puts authentication before the unknown-attribute check),
 *      then a signed 420 for unknown attributes, then the method table.
 * The engine allocates in turn_engine_new() and when an allocation is
 * created or grows its permission/channel arrays, never per data packet.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

/* SOFTWARE must stay under 128 characters (§14.14); at most 763 bytes. */
#define TURN_SOFTWARE_MAX	763

/* The per-allocation caps: defaults and bounds. */
static void
turn_engine_caps(struct turn_opts *o)
{
	if (o->max_permissions == 0)
		o->max_permissions = TURN_MAX_PERMS;
	if (o->max_channels == 0)
		o->max_channels = TURN_MAX_CHANNELS;
	if (o->max_peers_per_request == 0)
		o->max_peers_per_request = TURN_MAX_PEERS_PER_REQ;
	if (o->max_peers_per_request > TURN_MAX_PEERS_LIMIT)
		o->max_peers_per_request = TURN_MAX_PEERS_LIMIT;
}

/* The per-source tables (docs/security.md, Per-source budgets), each with
 * its own random seed so that sources cannot be aimed at one set. */
static int
turn_engine_budgets(struct turn_engine *e)
{
	uint8_t seed[POLICY_RATE_SEED_LEN];
	struct policy_rate_opts o;
	const char *why;
	int rv = -1;

	if (e->opts.unlimited_budgets)
		return 0;
	policy_rate_opts_unauth(&o, e->opts.unauth_rate != 0 ?
	    e->opts.unauth_rate : POLICY_RATE_UNAUTH_RATE,
	    e->opts.unauth_burst != 0 ? e->opts.unauth_burst :
	    POLICY_RATE_UNAUTH_BURST);
	o.entries = e->opts.budget_entries;
	if (crypto_random(seed, sizeof(seed)) != 0 ||
	    (e->unauth = policy_rate_new(&o, seed, &why)) == NULL)
		goto out;
	policy_rate_opts_failures(&o, e->opts.auth_failure_limit != 0 ?
	    e->opts.auth_failure_limit : POLICY_RATE_AUTH_FAILURE_LIMIT);
	/* sources that fail credentials are far fewer than sources that
	 * send: a quarter of the entries (0.6 MiB a worker) */
	o.entries = e->opts.budget_entries != 0 ? e->opts.budget_entries :
	    POLICY_RATE_ENTRIES / 4;
	if (crypto_random(seed, sizeof(seed)) != 0 ||
	    (e->fails = policy_rate_new(&o, seed, &why)) == NULL)
		goto out;
	rv = 0;
out:
	crypto_wipe(seed, sizeof(seed));
	return rv;
}

struct turn_engine *
turn_engine_new(const struct turn_opts *opts)
{
	struct turn_engine *e;
	size_t slen = 0;

	if (opts != NULL && opts->software != NULL) {
		slen = strlen(opts->software);
		if (slen > TURN_SOFTWARE_MAX)
			return NULL;
	}
	/* TURN needs the whole callback table, a nonce key and a pool */
	if (opts != NULL && opts->io != NULL && (opts->auth == NULL ||
	    opts->ports == NULL || opts->io->relay_open == NULL ||
	    opts->io->relay_close == NULL || opts->io->relay_send == NULL ||
	    opts->io->client_send == NULL))
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (opts != NULL)
		e->opts = *opts;
	if (e->opts.max_lifetime == 0)
		e->opts.max_lifetime = TURN_LIFETIME_MAX;
	if (e->opts.channel_lifetime == 0)
		e->opts.channel_lifetime = TURN_CHANNEL_LIFETIME;
	if (e->opts.perm_lifetime == 0)
		e->opts.perm_lifetime = TURN_PERM_LIFETIME;
	if (e->opts.max_session_duration == 0)
		e->opts.max_session_duration = TURN_SESSION_DEFAULT;
	e->software_len = slen;
	e->chan_max = e->opts.rfc5766_channels ? STUN_CHANNEL_MAX_RFC5766 :
	    STUN_CHANNEL_MAX;
	turn_engine_caps(&e->opts);
	if (turn_table_init(e) != 0 ||
	    crypto_random(e->tid_next, sizeof(e->tid_next)) != 0 ||
	    turn_engine_budgets(e) != 0) {
		turn_engine_free(e);
		return NULL;
	}
	return e;
}

void
turn_engine_free(struct turn_engine *e)
{
	if (e == NULL)
		return;
	turn_table_clear(e);	/* no allocation, and so no relay, without io */
	policy_rate_free(e->unauth);
	policy_rate_free(e->fails);
	free(e);
}

static void
turn_engine_reprune(struct turn_engine *e, struct turn_alloc *a, void *arg)
{
	(void)arg;
	turn_perm_prune(e, a, 0, true);
}

void
turn_engine_set_env(struct turn_engine *e, const struct auth_creds *creds,
    const struct policy_peer *policy)
{
	bool changed = policy != e->policy;

	e->creds = creds;
	e->policy = policy;
	if (e->opts.io == NULL)
		return;
	/* a revocation takes effect at once, not at the next Refresh
	 * (README.md, Issuing credentials from your backend). Every call
	 * sweeps, even with the same pointer: a new set may
	 * reuse the address of a freed one, and a swap is rare. */
	turn_auth_revoke(e);
	if (!changed)
		return;
	/* a peer the new policy refuses loses its permission and channel
	 * now, so the data path never has to re-judge (§9, §12) */
	turn_table_each(e, turn_engine_reprune, NULL);
}

static void
turn_engine_sweep_one(struct turn_engine *e, struct turn_alloc *a, void *arg)
{
	const uint64_t now = *(const uint64_t *)arg;

	if (!turn_now_before(a->expires, now))
		turn_table_remove(e, a, TURN_END_EXPIRED);
	else
		turn_perm_prune(e, a, now, false);
}

/* Once a second: a sweep, not a timer per object. */
static void
turn_engine_sweep(struct turn_engine *e, uint64_t now)
{
	turn_table_each(e, turn_engine_sweep_one, &now);
	if (e->opts.ports != NULL)
		turn_ports_sweep(e->opts.ports, now);
}

void
turn_engine_tick(struct turn_engine *e, uint64_t now_ms)
{
	turn_engine_clock(e, now_ms);
	if (e->opts.io != NULL)
		turn_engine_sweep(e, now_ms);
}

void
turn_engine_conn_closed(struct turn_engine *e, const struct turn_tuple *t)
{
	struct turn_alloc *a;

	if (e->opts.io == NULL || t->transport == TURN_UDP)
		return;
	if ((a = turn_table_find(e, t)) != NULL)
		turn_table_remove(e, a, TURN_END_CONN_CLOSED);
}

void
turn_engine_stats(const struct turn_engine *e, struct turn_stats *st)
{
	*st = e->stats;
}

void
turn_engine_drain(struct turn_engine *e, bool on)
{
	e->draining = on;
}

void
turn_engine_set_bandwidth(struct turn_engine *e, uint64_t max_bps,
    uint64_t capacity_bps)
{
	e->opts.max_bps = max_bps;
	e->opts.capacity_bps = capacity_bps;
}

static const struct {
	uint16_t method;
	void (*fn)(struct turn_engine *, struct turn_req *);
} turn_methods[] = {
	{ STUN_ALLOCATE, turn_alloc_request },
	{ STUN_REFRESH, turn_refresh_request },
	{ STUN_CREATE_PERMISSION, turn_perm_request },
	{ STUN_CHANNEL_BIND, turn_chan_request },
};

static void
turn_engine_turn(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out)
{
	struct auth_result res;
	struct turn_req r;
	size_t i;

	if (e->creds == NULL) {
		/* no credentials installed yet: nothing can pass */
		turn_reply_error(e, m, STUN_ERR_SERVER_ERROR, out);
		return;
	}
	/* a source past auth-failure-limit tries no more credentials this
	 * minute (docs/security.md, Credential brute force) */
	if ((m->mi_off != 0 || m->mi256_off != 0) && e->fails != NULL &&
	    policy_rate_over(e->fails, &t->client, now)) {
		out->drop = TURN_DROP_AUTH_LIMITED;
		return;
	}
	/* §7.2 step 1, §5: every TURN request is authenticated
	 * (turn_auth.c: outside keys, revocation, the session window) */
	if (turn_auth_request(e, t, m, now, &res, out) != 0)
		goto out;
	out->oc.authed = true;
	r.t = t;
	r.m = m;
	r.auth = &res;
	r.now = now;
	r.out = out;
	/* RFC 8489 §6.3.1: once authenticated, unknown
	 * comprehension-required attributes are a (signed) 420 */
	if (m->nunknown > 0) {
		turn_req_error(e, &r, STUN_ERR_UNKNOWN_ATTRIBUTE);
		goto out;
	}
	for (i = 0; i < sizeof(turn_methods) / sizeof(turn_methods[0]); i++)
		if (turn_methods[i].method == m->method) {
			turn_methods[i].fn(e, &r);
			goto out;
		}
	turn_req_error(e, &r, STUN_ERR_BAD_REQUEST);
out:
	auth_result_clear(&res);
}

static void
turn_engine_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out)
{
	if (m->method != STUN_BINDING) {
		/* Without an I/O table the TURN methods are not served, and
		 * a request for one gets 400 (RFC 8489 §6.3, §6.3.1). */
		if (e->opts.io == NULL)
			turn_reply_error(e, m, STUN_ERR_BAD_REQUEST, out);
		else
			turn_engine_turn(e, t, m, now, out);
		return;
	}
	if (m->nunknown > 0) {
		turn_reply_error(e, m, STUN_ERR_UNKNOWN_ATTRIBUTE, out);
		return;
	}
	turn_binding_request(e, t, m, out);
}

static void
turn_engine_indication(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct turn_out *out)
{
	/* §6.3.2: never answered; a Binding indication is a keep-alive */
	if (m->method == STUN_BINDING)
		out->drop = TURN_DROP_INDICATION;
	else if (m->method == STUN_SEND && e->opts.io != NULL)
		turn_send_indication(e, t, m, now, out);
	else
		out->drop = TURN_DROP_UNSUPPORTED;
}

static void
turn_engine_dispatch(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out)
{
	struct stun_msg m;

	if (pkt == NULL || len == 0) {
		out->drop = TURN_DROP_NOT_STUN;
		return;
	}
	if (stun_is_channel_byte_max(pkt[0], e->chan_max)) {
		out->oc.msg = TURN_MSG_CHANNEL_DATA;
		if (e->opts.io == NULL)
			out->drop = TURN_DROP_CHANNEL;
		else
			turn_channel_input(e, t, pkt, len, now_ms, out);
		return;
	}
	if (!stun_is_stun_byte(pkt[0])) {
		out->drop = TURN_DROP_NOT_STUN;	/* RFC 7983: MUST drop */
		return;
	}
	if (stun_decode(&m, pkt, len) != STUN_OK) {
		out->drop = TURN_DROP_MALFORMED;
		return;
	}
	if (m.rfc3489) {
		out->drop = TURN_DROP_RFC3489;
		return;
	}
	out->oc.method = m.method;
	switch (m.cls) {
	case STUN_REQUEST:
		out->oc.msg = TURN_MSG_REQUEST;
		turn_engine_request(e, t, &m, now_ms, out);
		break;
	case STUN_INDICATION:
		out->oc.msg = TURN_MSG_INDICATION;
		turn_engine_indication(e, t, &m, now_ms, out);
		break;
	default:
		out->drop = TURN_DROP_NOT_REQUEST;
		break;
	}
}

void
turn_engine_input(struct turn_engine *e, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now_ms, struct turn_out *out)
{
	out->len = 0;
	out->drop = TURN_DROP_NONE;
	memset(&out->oc, 0, sizeof(out->oc));
	turn_engine_clock(e, now_ms);
	turn_engine_dispatch(e, t, pkt, len, now_ms, out);
	/* Whatever is answered before MESSAGE-INTEGRITY has verified costs
	 * its source a token, or is not sent: a spoofed source cannot turn
	 * the server into an amplifier (docs/security.md, Amplification and
	 * reflection). The answer kept no state, so nothing is lost. */
	if (out->len > 0 && !out->oc.authed && e->unauth != NULL &&
	    !policy_rate_take(e->unauth, &t->client, now_ms)) {
		out->len = 0;
		out->drop = TURN_DROP_RATE_LIMITED;
	}
}

const char *
turn_drop_name(enum turn_drop d)
{
	static const char *const names[TURN_DROP_COUNT] = {
		[TURN_DROP_NONE] = "none",
		[TURN_DROP_MALFORMED] = "malformed",
		[TURN_DROP_NOT_REQUEST] = "not_request",
		[TURN_DROP_INDICATION] = "indication",
		[TURN_DROP_RFC3489] = "rfc3489",
		[TURN_DROP_UNSUPPORTED] = "unsupported",
		[TURN_DROP_CHANNEL] = "channel",
		[TURN_DROP_NOT_STUN] = "not_stun",
		[TURN_DROP_NO_ALLOCATION] = "no_allocation",
		[TURN_DROP_NO_PERMISSION] = "no_permission",
		[TURN_DROP_POLICY] = "policy",
		[TURN_DROP_BAD_INDICATION] = "bad_indication",
		[TURN_DROP_FAMILY] = "family",
		[TURN_DROP_NO_CHANNEL] = "no_channel",
		[TURN_DROP_SHORT] = "short",
		[TURN_DROP_NO_ROOM] = "no_room",
		[TURN_DROP_PENDING] = "pending",
		[TURN_DROP_RATE_LIMITED] = "rate_limited",
		[TURN_DROP_AUTH_LIMITED] = "auth_failure_limited",
		[TURN_DROP_BANDWIDTH] = "bandwidth",
		[TURN_DROP_SELF_PEER] = "self_peer",
	};

	if ((unsigned)d >= TURN_DROP_COUNT || names[d] == NULL)
		return "unknown";
	return names[d];
}
