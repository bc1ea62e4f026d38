/* SPDX-License-Identifier: ISC */
/*
 * The TURN environment every worker's engine shares.
 *
 * Built once at start-up: the nonce key (auth_ctx), the relay port pool,
 * the allocation quotas, the relay IP and the external IP of each family.
 * Built at start-up and again on every SIGHUP: a snapshot of the
 * credentials and the peer policy (struct net_env), immutable once built.
 *
 * Publication (DESIGN.md "snapshots swapped whole"): net_env_reload()
 * builds the new snapshot off the data path, makes it current under
 * env_mu, and wakes every worker with event_active() on its env event.
 * Each worker then installs it on its own thread (turn_engine_set_env) and
 * drops its reference to the one it used before. A snapshot is freed when
 * it is neither current nor installed in any engine (refs reaches 0). The
 * mutex is taken at reload and once per worker per reload only, never per
 * packet.
 *
 * Relay IP of a family: the first relay-ip of that family; without one,
 * the first listening address of that family that is not loopback, or the
 * first one if all are (a relay on 127.0.0.1 is only useful for tests).
 * With no address of a family, Allocate for it gets 440 (RFC 8656 §7.2).
 *
 * With redis-userdb, a snapshot is the configuration merged with the last
 * complete load from Redis (n->rsnap, net_redis.c): the configured
 * secrets first, then Redis's; configured rules plus Redis's (a member
 * that does not parse is skipped and logged, rate-limited); Redis's
 * quotas over the configured ones; Redis's revocations.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/auth_redis.h"
#include "net/net_int.h"
#include "util/log.h"

#define NET_REST_SKEW	30	/* s of clock skew tolerated (reference A.11) */

static bool
net_addr_is_loopback(const struct addr *a)
{
	if (addr_family(a) == AF_INET)
		return (ntohl(a->u.sin.sin_addr.s_addr) >> 24) == 127;
	return addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr);
}

static void
net_env_relay_pick(struct net *n, const struct config *c, int fam,
    struct addr *out)
{
	const struct addr *first = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->u.sa.sa_family = AF_UNSPEC;
	for (i = 0; i < c->n_relay_ip; i++)
		if (addr_family(&c->relay_ip[i]) == fam) {
			first = &c->relay_ip[i];
			goto found;
		}
	if (c->n_relay_ip > 0)
		return;		/* relay-ip given, none of this family */
	for (i = 0; i < n->nspecs; i++) {
		if (addr_family(&n->specs[i].addr) != fam)
			continue;
		if (first == NULL)
			first = &n->specs[i].addr;
		if (!net_addr_is_loopback(&n->specs[i].addr)) {
			first = &n->specs[i].addr;
			break;
		}
	}
	if (first == NULL)
		return;
found:
	*out = *first;
	addr_set_port(out, 0);
}

/*
 * external-ip for the relay of one family: a PUBLIC/PRIVATE pair whose
 * PRIVATE is that relay IP, else a bare PUBLIC of that family.
 */
static void
net_env_external_pick(const struct config *c, const struct addr *relay,
    struct addr *out)
{
	const struct config_external_ip *x, *bare = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->u.sa.sa_family = AF_UNSPEC;
	if (addr_family(relay) == AF_UNSPEC)
		return;
	for (i = 0; i < c->n_external_ip; i++) {
		x = &c->external_ip[i];
		if (x->has_private &&
		    addr_equal(&x->private_ip, relay, false)) {
			*out = x->public_ip;
			return;
		}
		if (!x->has_private && bare == NULL &&
		    addr_family(&x->public_ip) == addr_family(relay))
			bare = x;
	}
	if (bare != NULL)
		*out = bare->public_ip;
}

static struct log_ratelimit net_env_rl = LOG_RATELIMIT_INIT(5, 60);

/* What Redis adds to a credential set; its problems never fail a build. */
static void
net_env_creds_redis(struct auth_creds *cr, const struct auth_redis_snap *rs)
{
	size_t i;

	for (i = 0; i < rs->nsecrets; i++)
		if (auth_creds_add_secret(cr, rs->secrets[i].p,
		    rs->secrets[i].len) == -1)
			log_rl(&net_env_rl, LOG_LVL_WARN, "redis_secret_skipped",
			    "reason=\"more than 16 secrets, or too long\"");
	for (i = 0; i < rs->nrevoked; i++)
		if (auth_creds_add_revoked(cr, rs->revoked[i].user.p,
		    rs->revoked[i].user.len, rs->revoked[i].until) == -1)
			log_rl(&net_env_rl, LOG_LVL_WARN, "redis_revoked_skipped",
			    "reason=\"too long, or out of memory\"");
}

static struct auth_creds *
net_env_creds(const struct config *c, const struct auth_redis_snap *rs,
    const char **why)
{
	struct auth_creds *cr;
	size_t i;

	*why = "realm or rest-api-separator refused";
	if (c->realm == NULL)	/* the table gives it a default */
		return NULL;
	cr = auth_creds_new(c->realm, strlen(c->realm), c->rest_api_separator,
	    c->max_credential_ttl, NET_REST_SKEW);
	if (cr == NULL)
		return NULL;
	*why = "rest-api-hmac was refused";
	if (auth_creds_set_rest_hmac(cr, c->rest_api_hmac != NULL &&
	    strcmp(c->rest_api_hmac, "sha256") == 0 ? CRYPTO_MD_SHA256 :
	    CRYPTO_MD_SHA1) == -1)
		goto fail;
	*why = "a user line was refused";
	for (i = 0; i < c->n_user; i++)
		if (auth_creds_add_user(cr, c->user[i], strlen(c->user[i])) == -1)
			goto fail;
	/* REST is on whenever a secret is set (use-auth-secret is accepted
	 * for coturn configurations only). */
	*why = "a static-auth-secret was refused";
	for (i = 0; i < c->n_static_auth_secret; i++)
		if (auth_creds_add_secret(cr, c->static_auth_secret[i],
		    strlen(c->static_auth_secret[i])) == -1)
			goto fail;
	if (rs != NULL)
		net_env_creds_redis(cr, rs);
	auth_creds_seal(cr);
	return cr;
fail:
	auth_creds_free(cr);
	return NULL;
}

/*
 * Configured ranges plus Redis's members that parse, in a new array (the
 * caller frees it). NULL only on out of memory; *n set.
 */
static struct policy_range *
net_env_rules(const struct policy_range *cfg, size_t ncfg,
    const struct auth_redis_str *extra, size_t nextra, size_t *n)
{
	struct policy_range *v;
	const char *why;
	char esc[LOG_ESCAPE_CAP];
	size_t i;

	if ((v = calloc(ncfg + nextra + 1, sizeof(*v))) == NULL)
		return NULL;
	if (ncfg > 0)
		memcpy(v, cfg, ncfg * sizeof(*v));
	*n = ncfg;
	for (i = 0; i < nextra; i++) {
		if (policy_range_parse((const char *)extra[i].p, &v[*n],
		    &why) == 0 && strlen((const char *)extra[i].p) ==
		    extra[i].len) {
			(*n)++;
			continue;
		}
		log_rl(&net_env_rl, LOG_LVL_WARN, "redis_rule_skipped",
		    "value=%s", log_escape(esc, sizeof(esc), extra[i].p,
		    extra[i].len));
	}
	return v;
}

/* Redis's TCP address, when redis-userdb names an IP literal: a relay
 * must never reach it (reference E.13 item 3, "self" entries). 0 or -1. */
static int
net_env_redis_addr(const struct config *c, struct addr *out)
{
	struct auth_redis_conf rc;
	const char *why;
	int rv = -1;

	if (c->redis_userdb == NULL || auth_redis_conf_parse(c->redis_userdb,
	    strlen(c->redis_userdb), &rc, &why) == -1)
		return -1;
	if (rc.unix_path[0] == '\0' &&
	    addr_parse_ip(out, rc.host, rc.port) == 0)
		rv = 0;
	auth_redis_conf_clear(&rc);
	return rv;
}

/*
 * The metrics endpoint's own entries (reference D.5, E.13 item 3): its
 * address and port; a wildcard address stands for every listener address
 * and external IP on that port. Room: nspecs + n_external_ip + 1.
 */
static size_t
net_env_self_metrics(const struct net *n, const struct config *c,
    struct addr *self)
{
	const uint16_t port = addr_port(&n->metrics_addr);
	size_t i, k = 0;

	if (!n->metrics_on)
		return 0;
	if (!addr_is_any(&n->metrics_addr)) {
		self[0] = n->metrics_addr;
		return 1;
	}
	for (i = 0; i < n->nspecs; i++) {
		self[k] = n->specs[i].addr;
		addr_set_port(&self[k++], port);
	}
	for (i = 0; i < c->n_external_ip; i++) {
		self[k] = c->external_ip[i].public_ip;
		addr_set_port(&self[k++], port);
	}
	return k;
}

/*
 * The self entries (reference D.5): every listener address on its port,
 * every external IP on every listening port, Redis and the metrics
 * endpoint. The relay list for the relay-to-relay rule: relay IPs and
 * external IPs.
 */
static struct policy_peer *
net_env_policy(const struct net *n, const struct config *c,
    const struct auth_redis_snap *rs, const char **why)
{
	struct policy_peer_opts o;
	struct policy_peer *p = NULL;
	struct addr *self, *relay;
	struct policy_range *allow, *deny;
	size_t i, k, nself = 0, nrelay = 0, nallow = 0, ndeny = 0;
	const uint16_t ports[2] = { c->listening_port, c->tls_listening_port };

	*why = "out of memory";
	/* listeners, external IPs on 2 ports, Redis, the metrics endpoint */
	self = calloc(2 * n->nspecs + 3 * c->n_external_ip + 2, sizeof(*self));
	relay = calloc(2 + c->n_relay_ip + c->n_external_ip, sizeof(*relay));
	allow = net_env_rules(c->allowed_peer_ip, c->n_allowed_peer_ip,
	    rs != NULL ? rs->allow : NULL, rs != NULL ? rs->nallow : 0, &nallow);
	deny = net_env_rules(c->denied_peer_ip, c->n_denied_peer_ip,
	    rs != NULL ? rs->deny : NULL, rs != NULL ? rs->ndeny : 0, &ndeny);
	if (self == NULL || relay == NULL || allow == NULL || deny == NULL)
		goto out;
	for (i = 0; i < n->nspecs; i++)
		self[nself++] = n->specs[i].addr;
	if (net_env_redis_addr(c, &self[nself]) == 0)
		nself++;
	for (i = 0; i < c->n_external_ip; i++) {
		for (k = 0; k < 2; k++) {
			self[nself] = c->external_ip[i].public_ip;
			addr_set_port(&self[nself++], ports[k]);
		}
		relay[nrelay++] = c->external_ip[i].public_ip;
	}
	nself += net_env_self_metrics(n, c, self + nself);
	for (i = 0; i < c->n_relay_ip; i++)
		relay[nrelay++] = c->relay_ip[i];
	if (addr_family(&n->relay4) == AF_INET)
		relay[nrelay++] = n->relay4;
	if (addr_family(&n->relay6) == AF_INET6)
		relay[nrelay++] = n->relay6;
	memset(&o, 0, sizeof(o));
	o.allow = allow;
	o.nallow = nallow;
	o.deny = deny;
	o.ndeny = ndeny;
	o.allow_loopback = c->allow_loopback_peers;
	o.allow_multicast = c->allow_multicast_peers;
	o.self = self;
	o.nself = nself;
	o.relay = relay;
	o.nrelay = nrelay;
	o.relay_port_min = n->min_port;
	o.relay_port_max = n->max_port;
	p = policy_peer_new(&o, why);
out:
	free(self);
	free(relay);
	free(allow);
	free(deny);
	return p;
}

static struct net_env *
net_env_build(const struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	struct net_env *env;
	const struct auth_redis_snap *rs = NULL;
	const char *why = "out of memory";

	if ((env = calloc(1, sizeof(*env))) == NULL)
		goto fail;
	/* What Redis said for another realm (a SIGHUP changed it) does not
	 * apply: the next load, for the new realm, brings it back. */
	if (n->rsnap != NULL && c->realm != NULL &&
	    strcmp(n->rsnap_realm, c->realm) == 0)
		rs = n->rsnap;
	if ((env->creds = net_env_creds(c, rs, &why)) == NULL)
		goto fail;
	if ((env->policy = net_env_policy(n, c, rs, &why)) == NULL)
		goto fail;
	env->refs = 1;
	return env;
fail:
	snprintf(err, errcap, "turn: %s", why);
	if (env != NULL) {
		auth_creds_free(env->creds);
		free(env);
	}
	return NULL;
}

/* Drops one reference; frees the snapshot with the last one. */
static void
net_env_unref(struct net *n, struct net_env *env)
{
	bool last;

	if (env == NULL)
		return;
	pthread_mutex_lock(&n->env_mu);
	last = --env->refs == 0;
	pthread_mutex_unlock(&n->env_mu);
	if (!last)
		return;
	policy_peer_free(env->policy);
	auth_creds_free(env->creds);
	free(env);
}

static void
net_env_log(const struct net *n, const struct config *c)
{
	char r4[ADDR_STRLEN] = "none", r6[ADDR_STRLEN] = "none";

	if (addr_family(&n->relay4) == AF_INET)
		addr_ip_str(&n->relay4, r4, sizeof(r4));
	if (addr_family(&n->relay6) == AF_INET6)
		addr_ip_str(&n->relay6, r6, sizeof(r6));
	log_info("turn", "relay4=%s relay6=%s ports=%u-%u users=%zu "
	    "rest_secrets=%zu", r4, r6, n->min_port, n->max_port, c->n_user,
	    c->n_static_auth_secret);
}

/* After the listener specs are known, before the workers are built. */
int
net_env_init(struct net *n, const struct config *c, char *err, size_t errcap)
{
	if (pthread_mutex_init(&n->env_mu, NULL) != 0) {
		snprintf(err, errcap, "turn: mutex");
		return -1;
	}
	n->env_mu_ready = true;
	if (auth_ctx_init(&n->auth, c->stale_nonce) == -1) {
		snprintf(err, errcap, "turn: no random nonce key");
		return -1;
	}
	n->auth_ready = true;
	n->min_port = c->min_port;
	n->max_port = c->max_port;
	n->max_lifetime = c->max_allocate_lifetime;
	n->channel_lifetime = c->channel_lifetime;
	n->perm_lifetime = c->permission_lifetime;
	n->max_session = c->max_session_duration;
	n->strict_expiry = c->strict_credential_expiry;
	n->chan_max = c->rfc5766_channels ? STUN_CHANNEL_MAX_RFC5766 :
	    STUN_CHANNEL_MAX;
	n->quota_user = c->user_quota;
	n->quota_ip = c->max_allocations_per_ip;
	n->quota_total = c->total_quota;
	net_env_relay_pick(n, c, AF_INET, &n->relay4);
	net_env_relay_pick(n, c, AF_INET6, &n->relay6);
	net_env_external_pick(c, &n->relay4, &n->external4);
	net_env_external_pick(c, &n->relay6, &n->external6);
	n->ports = turn_ports_new(c->min_port, c->max_port);
	n->quota = turn_quota_new(c->user_quota, c->max_allocations_per_ip,
	    c->total_quota);
	if (n->ports == NULL || n->quota == NULL) {
		snprintf(err, errcap, "turn: bad relay port range or no memory");
		return -1;
	}
	if ((n->env = net_env_build(n, c, err, errcap)) == NULL)
		return -1;
	n->turn_on = true;
	net_env_log(n, c);
	return 0;
}

void
net_env_clear(struct net *n)
{
	if (n->env_mu_ready) {
		net_env_unref(n, n->env);
		n->env = NULL;
		pthread_mutex_destroy(&n->env_mu);
		n->env_mu_ready = false;
	}
	turn_ports_free(n->ports);
	turn_quota_free(n->quota);
	n->ports = NULL;
	n->quota = NULL;
	if (n->auth_ready)
		auth_ctx_clear(&n->auth);
	n->auth_ready = false;
}

/* On the worker's thread: installs the current snapshot if it changed. */
static void
net_env_install(struct net_worker *w)
{
	struct net *n = w->net;
	struct net_env *cur, *old;

	/* drain is engine state, set on the worker's own thread */
	turn_engine_drain(w->engine, atomic_load_explicit(&n->draining,
	    memory_order_relaxed));
	pthread_mutex_lock(&n->env_mu);
	cur = n->env;
	if (cur == w->env) {
		pthread_mutex_unlock(&n->env_mu);
		return;
	}
	cur->refs++;
	pthread_mutex_unlock(&n->env_mu);
	old = w->env;
	w->env = cur;
	turn_engine_set_env(w->engine, cur->creds, cur->policy);
	net_env_unref(n, old);
}

static void
net_env_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_env_install(arg);
}

/* Once a second: expiry sweeps (RFC 8656 §7, §9, §12: lazy, then swept). */
static void
net_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_worker *w = arg;
	uint64_t now = net_now_ms();

	(void)fd;
	(void)what;
	turn_engine_tick(w->engine, now);
	net_metrics_tick(w);
	net_userkey_tick(w, now);
}

/* Before the worker's thread starts: its events and the first snapshot. */
int
net_env_worker_init(struct net_worker *w, char *err, size_t errcap)
{
	const struct timeval tick = { .tv_sec = NET_TICK_MS / 1000,
	    .tv_usec = (NET_TICK_MS % 1000) * 1000 };

	w->env_ev = event_new(w->base, -1, 0, net_env_cb, w);
	w->tick = event_new(w->base, -1, EV_PERSIST, net_tick_cb, w);
	if (w->env_ev == NULL || w->tick == NULL ||
	    event_add(w->tick, &tick) == -1) {
		snprintf(err, errcap, "worker %u: out of memory", w->id);
		return -1;
	}
	net_env_install(w);
	return 0;
}

/* After the engine is freed. */
void
net_env_worker_clear(struct net_worker *w)
{
	if (w->env_ev != NULL)
		event_free(w->env_ev);
	if (w->tick != NULL)
		event_free(w->tick);
	w->env_ev = w->tick = NULL;
	if (w->env != NULL)
		net_env_unref(w->net, w->env);
	w->env = NULL;
}

/*
 * SIGHUP, step 1: a new snapshot of credentials and peer policy, not yet
 * in force. NULL with the reason in err; the current one then stays.
 */
struct net_env *
net_env_prepare(struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	return net_env_build(n, c, err, errcap);
}

/* Quotas: Redis's values (when it has them) over the configured ones. */
void
net_env_quota_apply(struct net *n, const struct config *c)
{
	const struct auth_redis_snap *rs = n->rsnap;
	uint32_t user = c->user_quota, total = c->total_quota;

	if (!n->turn_on)
		return;
	if (rs != NULL && strcmp(n->rsnap_realm, c->realm) != 0)
		rs = NULL;
	if (rs != NULL && rs->has_user_quota)
		user = rs->user_quota;
	if (rs != NULL && rs->has_total_quota)
		total = rs->total_quota;
	turn_quota_set_limits(n->quota, user, c->max_allocations_per_ip, total);
}

/* A prepared snapshot that will not be published. NULL is a no-op. */
void
net_env_discard(struct net *n, struct net_env *env)
{
	net_env_unref(n, env);
}

/*
 * SIGHUP, step 2: makes env current and wakes every worker to install it.
 * Existing allocations keep their keys; peers the new policy refuses lose
 * their permissions and channels at once (turn_engine_set_env, D.6).
 */
void
net_env_publish(struct net *n, struct net_env *env)
{
	struct net_env *old;

	pthread_mutex_lock(&n->env_mu);
	old = n->env;
	n->env = env;
	pthread_mutex_unlock(&n->env_mu);
	net_env_unref(n, old);
	net_env_wake(n);
}

/* Main thread: every worker installs the current snapshot and drain
 * state on its own thread (net_env_install). */
void
net_env_wake(struct net *n)
{
	unsigned i;

	for (i = 0; i < n->nworkers; i++)
		if (n->workers[i].env_ev != NULL)
			event_active(n->workers[i].env_ev, EV_READ, 0);
}
