/* SPDX-License-Identifier: ISC */
/*
 * turn_auth: who may use the engine (RFC 8656 §5, §7.2 step 1; RFC 8489
 * §9.2.4) and for how long.
 *
 *  - every TURN request goes through auth_check(), or auth_check_key()
 *    when its USERNAME is neither a static user nor a REST credential
 *    and turn_hooks.user_key has the key of an outside store (Redis). The
 *    store is asked only once the request carries MI and a nonce we gave
 *    this client (the 401 round trip), and never about names it could
 *    not use as a key (auth_user_key_wanted). UNKNOWN is the 401 of an
 *    unknown user; UNAVAILABLE a 500 with nothing kept (fail fast: a
 *    Redis outage must not look like a wrong password); PENDING parks
 *    the packet in the I/O layer (TURN_DROP_PENDING), which submits the
 *    same bytes again;
 *  - revoked users are refused by auth (401) and, when new credentials
 *    revoke them, their allocations end at once (turn_auth_revoke);
 *  - an expired REST credential never allocates, but may keep its own
 *    allocation alive (Refresh, CreatePermission, ChannelBind) for
 *    max-session-duration after its expiry, unless
 *    strict-credential-expiry (README.md, Issuing credentials from your
 *    backend: a grace period, not a hard stop).
 */
#include <string.h>

#include "auth/auth.h"
#include "stun/stun.h"
#include "turn/turn.h"
#include "turn/turn_int.h"
#include "util/crypto.h"

/* auth_reason -> the metric's reason (-1: not a failure). */
static int
turn_auth_fail_of(const struct auth_result *res)
{
	switch (res->reason) {
	case AUTH_R_MISSING_ATTR:
	case AUTH_R_BAD_ALGORITHM:
		return TURN_AUTH_BAD_REQUEST;
	case AUTH_R_UNKNOWN_USER:
		return TURN_AUTH_UNKNOWN_USER;
	case AUTH_R_EXPIRED:
	case AUTH_R_EXPIRED_VALID:
		return TURN_AUTH_EXPIRED;
	case AUTH_R_BAD_INTEGRITY:
		return TURN_AUTH_BAD_INTEGRITY;
	case AUTH_R_STALE_NONCE:
	case AUTH_R_BAD_NONCE:
		return TURN_AUTH_STALE_NONCE;
	case AUTH_R_REVOKED:
		return TURN_AUTH_REVOKED;
	default:
		return -1;
	}
}

/* The answer to a request that did not pass (§9.2.4). */
static void
turn_auth_refuse(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, const struct auth_result *res, uint64_t now,
    struct turn_out *out)
{
	struct stun_builder b;
	int f = turn_auth_fail_of(res);

	if (f >= 0) {
		e->stats.auth_failures[f]++;
		out->oc.auth_failed = true;
		out->oc.auth_fail = (enum turn_auth_fail)f;
	}
	/* A wrong password or an unknown user with a nonce that verified
	 * counts against auth-failure-limit; an expired credential does not
	 * (a stale browser tab behind an office's NAT must not lock the
	 * office out). docs/security.md, Credential brute force. */
	if ((f == TURN_AUTH_BAD_INTEGRITY || f == TURN_AUTH_UNKNOWN_USER) &&
	    e->fails != NULL)
		(void)policy_rate_take(e->fails, &t->client, now);
	if (res->verdict == AUTH_BAD_REQUEST) {
		/* RFC 8489 §9.2.4: no MI on this 400 */
		turn_reply_error(e, m, STUN_ERR_BAD_REQUEST, out);
		return;
	}
	out->oc.code = (uint16_t)res->verdict;
	stun_builder_reply(&b, out->buf, out->cap, m, STUN_ERROR);
	stun_add_error(&b, (int)res->verdict);
	if (auth_challenge_add(e->opts.auth, e->creds, &b, &t->client,
	    now / 1000) != 0)
		b.err = true;
	turn_reply_finish(m, &b, out);
}

/*
 * Asks the outside store when auth_user_key_wanted() says so. 0: res
 * holds the verdict; 1: answered (500) or parked (PENDING).
 */
static int
turn_auth_check(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct auth_result *res,
    struct turn_out *out)
{
	const struct turn_hooks *h = e->opts.hooks;
	const uint8_t *name = NULL;
	uint8_t key[16];
	size_t len = 0;
	enum turn_key k;

	memset(res, 0, sizeof(*res));
	if (h == NULL || h->user_key == NULL) {
		auth_check(e->opts.auth, e->creds, m, &t->client, now / 1000,
		    res);
		return 0;
	}
	/* one nonce check either way (docs/security.md, Credentials) */
	if (!auth_check_or_want_key(e->opts.auth, e->creds, m, &t->client,
	    now / 1000, res, &name, &len))
		return 0;	/* res holds auth_check()'s verdict */
	memset(key, 0, sizeof(key));
	k = h->user_key(h->ctx, t, name, len, key);
	if (k == TURN_KEY_FOUND)
		auth_check_key(e->opts.auth, e->creds, name, len, key, m,
		    &t->client, now / 1000, res);
	else if (k == TURN_KEY_UNKNOWN)	/* as any unknown user: 401 */
		auth_check(e->opts.auth, e->creds, m, &t->client, now / 1000,
		    res);
	crypto_wipe(key, sizeof(key));
	if (k == TURN_KEY_FOUND || k == TURN_KEY_UNKNOWN)
		return 0;
	if (k == TURN_KEY_PENDING) {
		e->stats.user_key_pending++;
		out->len = 0;
		out->drop = TURN_DROP_PENDING;
		return 1;
	}
	if (k == TURN_KEY_LIMITED) {
		out->len = 0;
		out->drop = TURN_DROP_RATE_LIMITED;
		return 1;
	}
	/* UNAVAILABLE (or an answer we do not know): RFC 8489 §14.8's 500,
	 * unsigned as nothing verified; no state kept */
	e->stats.user_key_unavailable++;
	turn_reply_error(e, m, STUN_ERR_SERVER_ERROR, out);
	return 1;
}

/*
 * The session window: an expired REST credential whose MAC verified may
 * keep using the allocation it created on this 5-tuple (not allocate)
 * until expiry + max_session_duration, unless strict.
 */
static bool
turn_auth_grace(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, const struct auth_result *res, uint64_t now)
{
	struct turn_alloc *a;
	const uint8_t *name = res->username;
	size_t nlen = res->username_len;

	if (res->reason != AUTH_R_EXPIRED_VALID ||
	    e->opts.strict_credential_expiry)
		return false;
	if (m->method != STUN_REFRESH && m->method != STUN_CREATE_PERMISSION &&
	    m->method != STUN_CHANNEL_BIND)
		return false;
	/* expiry has at most 11 digits: no overflow */
	if (now / 1000 >= res->expiry + e->opts.max_session_duration)
		return false;
	if ((a = turn_table_find(e, t)) == NULL ||
	    !turn_now_before(a->expires, now))
		return false;
	if (name == NULL) {
		name = res->user;
		nlen = res->user_len;
	}
	/* §5: the same credentials that created it */
	return nlen == a->name_len && memcmp(name, a->name, nlen) == 0;
}

int
turn_auth_request(struct turn_engine *e, const struct turn_tuple *t,
    const struct stun_msg *m, uint64_t now, struct auth_result *res,
    struct turn_out *out)
{
	if (turn_auth_check(e, t, m, now, res, out) != 0)
		return -1;
	if (res->verdict == AUTH_OK)
		return 0;
	if (turn_auth_grace(e, t, m, res, now)) {
		e->stats.session_grace++;
		res->verdict = AUTH_OK;
		return 0;
	}
	turn_auth_refuse(e, t, m, res, now, out);
	return -1;
}

static void
turn_auth_revoke_one(struct turn_engine *e, struct turn_alloc *a, void *arg)
{
	(void)arg;
	if (auth_creds_is_revoked(e->creds, a->quser, a->quser_len,
	    e->clock / 1000))
		turn_table_remove(e, a, TURN_END_REVOKED);
}

void
turn_auth_revoke(struct turn_engine *e)
{
	if (e->creds != NULL)
		turn_table_each(e, turn_auth_revoke_one, NULL);
}
