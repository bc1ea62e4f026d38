/* SPDX-License-Identifier: ISC */
/*
 * Drain (issue 5): SIGUSR1 takes this server out of service without
 * cutting a call. From then on /readyz answers 503, a new Allocate gets
 * 508 (Insufficient Capacity), or 300 (Try Alternate) with
 * ALTERNATE-SERVER when alternate-server names a server of the request's
 * family (RFC 8489 §10, §14.15; RFC 8656 §7.2; reference S31), and every
 * existing allocation keeps relaying, refreshing and binding until it
 * ends. When none is left, or drain-timeout has passed, net_run()
 * returns and ternd exits 0.
 *
 * The answer is given after authentication, as S31 asks: the request is
 * checked with auth_check() against the worker's own credential snapshot
 * and the 508/300 is signed with its key (MI or MI-SHA256, as the engine
 * signs, S27), with FINGERPRINT iff the request had one. A request that
 * does not authenticate goes to the engine, which answers 401/438/400 and
 * creates nothing. The one exception: a user whose key lives in the user
 * store (Redis) cannot be checked without waiting, so the answer to it is
 * not signed (§10: "The error response message MAY be authenticated").
 * The answer is smaller than the request (no amplification) and keeps no
 * state. No ALTERNATE-DOMAIN is sent: tern redirects by address only.
 *
 * An alternate-server without a port redirects to the port the request
 * arrived on. One ALTERNATE-SERVER per family configured, the request's
 * family first (§10: "MUST contain an IP address of the same address
 * family as the source IP address of the request"; "SHOULD include an
 * additional ALTERNATE-SERVER attribute for each other address family").
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "net/net_int.h"
#include "util/log.h"

/* net_new(): alternate-server and drain-timeout, as started. */
int
net_drain_init(struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	size_t i;

	atomic_init(&n->draining, false);
	n->drain_timeout_s = c->drain_timeout;
	for (i = 0; i < c->n_alternate_server && i < CONFIG_MAX_ADDRS; i++) {
		if (addr_parse(&n->alt[i], c->alternate_server[i], 0) == -1) {
			snprintf(err, errcap, "alternate-server: not an IP "
			    "address with an optional port");
			return -1;
		}
		n->nalt++;
	}
	return 0;
}

/* The first alternate-server of a family, or NULL. */
static const struct addr *
net_drain_alt(const struct net *n, int family)
{
	size_t i;

	for (i = 0; i < n->nalt; i++)
		if (addr_family(&n->alt[i]) == family)
			return &n->alt[i];
	return NULL;
}

static void
net_drain_add_alt(struct stun_builder *b, const struct addr *alt,
    const struct turn_tuple *t)
{
	struct addr a = *alt;

	if (addr_port(&a) == 0)
		addr_set_port(&a, addr_port(&t->local));
	stun_add_addr(b, STUN_ATTR_ALTERNATE_SERVER, &a);
}

/* 300 with the alternates, or 508; signed with res's key when given. */
static void
net_drain_build(struct net_worker *w, const struct turn_tuple *t,
    const struct stun_msg *m, const struct auth_result *res,
    struct turn_out *out)
{
	const int fam = addr_family(&t->client);
	const struct addr *same = net_drain_alt(w->net, fam), *other;
	struct stun_builder b;

	stun_builder_reply(&b, out->buf, out->cap, m, STUN_ERROR);
	if (same != NULL) {
		stun_add_error(&b, STUN_ERR_TRY_ALTERNATE);
		net_drain_add_alt(&b, same, t);
		other = net_drain_alt(w->net, fam == AF_INET ? AF_INET6 :
		    AF_INET);
		if (other != NULL)
			net_drain_add_alt(&b, other, t);
	} else
		stun_add_error(&b, STUN_ERR_INSUFFICIENT_CAPACITY);
	if (res != NULL && res->sign_sha256)
		stun_add_integrity_sha256(&b, res->key, res->key_len);
	else if (res != NULL)
		stun_add_integrity(&b, res->key, res->key_len);
	if (m->fp_off != 0)
		stun_add_fingerprint(&b);
	out->len = stun_builder_finish(&b);
	out->drop = TURN_DROP_NONE;
}

/*
 * Worker, for every client message: while draining, answers an
 * authenticated Allocate request itself (true). Anything else, and any
 * Allocate that does not authenticate, is left to the engine (false).
 */
bool
net_drain_answer(struct net_worker *w, const struct turn_tuple *t,
    const uint8_t *pkt, size_t len, uint64_t now, struct turn_out *out)
{
	/* now: Unix ms, as turn_engine_input() takes it */
	struct net *n = w->net;
	struct auth_result res;
	struct stun_msg m;
	const uint8_t *name;
	size_t nlen;
	bool signed_ok;

	/* Allocate request: type 0x0003 (RFC 8656 §18). */
	if (len < STUN_HEADER_LEN || pkt[0] != 0x00 || pkt[1] != 0x03 ||
	    !atomic_load_explicit(&n->draining, memory_order_relaxed))
		return false;
	if (w->env == NULL || stun_decode(&m, pkt, len) != STUN_OK ||
	    m.rfc3489 || m.nunknown > 0)
		return false;	/* the engine drops it or answers 420 */
	/* As the engine does (turn_auth.c): seconds, and a user-key lookup
	 * only with an outside store. */
	signed_ok = auth_check(&n->auth, w->env->creds, &m, &t->client,
	    now / 1000, &res) == AUTH_OK;
	if (!signed_ok && (w->io.user_key == NULL || !auth_user_key_wanted(
	    &n->auth, w->env->creds, &m, &t->client, now / 1000, &name,
	    &nlen))) {
		auth_result_clear(&res);
		return false;
	}
	net_drain_build(w, t, &m, signed_ok ? &res : NULL, out);
	auth_result_clear(&res);
	return out->len > 0;
}

/* drain-timeout is a duration: a clock step must not shorten it. */
static uint64_t
net_drain_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
net_drain_live(const struct net *n)
{
	int64_t v, sum = 0;
	unsigned i;

	for (i = 0; i < n->nworkers; i++) {
		v = atomic_load_explicit(&n->workers[i].live_allocs,
		    memory_order_relaxed);
		sum += v > 0 ? v : 0;
	}
	return (uint64_t)sum;
}

/* Main thread, once a second while draining. */
static void
net_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	uint64_t live = net_drain_live(n), now = net_drain_now_ms();

	(void)fd, (void)what;
	net_metrics_main_tick(n);
	if (live > 0 && now < n->drain_deadline_ms)
		return;
	log_info("drained", "allocations_left=%llu reason=%s",
	    (unsigned long long)live, live == 0 ? "none_left" : "drain_timeout");
	event_base_loopbreak(n->main_base);
}

/* Main thread: SIGUSR1 (a second one changes nothing). */
void
net_drain_begin(struct net *n)
{
	const struct timeval sec = { 1, 0 };

	if (atomic_exchange(&n->draining, true))
		return;
	n->drain_deadline_ms = net_drain_now_ms() +
	    (uint64_t)n->drain_timeout_s * 1000;
	log_info("draining", "allocations=%llu drain_timeout=%u "
	    "alternate_servers=%zu", (unsigned long long)net_drain_live(n),
	    n->drain_timeout_s, n->nalt);
	net_metrics_main_tick(n);
	n->drain_ev = event_new(n->main_base, -1, EV_PERSIST, net_drain_check,
	    n);
	if (n->drain_ev == NULL || event_add(n->drain_ev, &sec) == -1) {
		log_error("drain_failed", "reason=\"no timer: stopping now\"");
		event_base_loopbreak(n->main_base);
		return;
	}
	/* Nothing to wait for: stop at the next check, not in a second. */
	event_active(n->drain_ev, EV_TIMEOUT, 0);
}

void
net_drain_clear(struct net *n)
{
	if (n->drain_ev != NULL)
		event_free(n->drain_ev);
	n->drain_ev = NULL;
}
