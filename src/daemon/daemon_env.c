/* SPDX-License-Identifier: ISC */
/*
 * The TURN environment every worker's engine shares.
 *
 * Built once at start-up: the nonce key (auth_ctx), the relay address
 * pool (every relay IP of each family times the port range, and the
 * external IP of each relay IP), the allocation quotas.
 * Built at start-up and again on every SIGHUP: a snapshot of the
 * credentials and the peer policy (struct daemon_env), immutable once built.
 *
 * Publication (ARCHITECTURE.md, "Threads and shared state"):
 * daemon_env_reload()
 * builds the new snapshot off the data path, makes it current under
 * env_mu, and rings every worker's bell (net_wake, net.h): no other
 * thread touches a worker's event loop.
 * Each worker then installs it on its own thread (turn_engine_set_env) and
 * drops its reference to the one it used before. A snapshot is freed when
 * it is neither current nor installed in any engine (refs reaches 0). The
 * mutex is taken at reload and once per worker per reload only, never per
 * packet.
 *
 * Relay IPs of a family (net_relay_ip_at): every relay-ip of that family;
 * without one, the first listening address of that family that is not
 * loopback, or the first one if all are (a relay on 127.0.0.1 is only
 * useful for tests). With no address of a family, Allocate for it gets
 * 440 (RFC 8656 §7.2).
 *
 * With redis-userdb, a snapshot is the configuration merged with the last
 * complete load from Redis (d->rsnap, daemon_redis.c): the configured
 * secrets first, then Redis's; configured rules plus Redis's (a member
 * that does not parse is skipped and logged, rate-limited); Redis's
 * quotas over the configured ones; Redis's revocations.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/auth_redis.h"
#include "daemon/daemon_int.h"
#include "util/log.h"

/* s of clock skew tolerated on REST expiry times (a server choice) */
#define DAEMON_REST_SKEW	30

/*
 * external-ip for one relay IP: a PUBLIC/PRIVATE pair whose PRIVATE is
 * that relay IP, else a bare PUBLIC of its family.
 */
static void
daemon_env_external_pick(const struct config *c, const struct addr *relay,
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

/*
 * The relay address pool: every relay IP of each family, numbered as
 * net_relay_ip_at() numbers them (relay_open binds that one), each with
 * its external-ip. d->external4/6 stay AF_UNSPEC: the pool says it per
 * relay IP.
 */
static struct turn_ports *
daemon_env_ports(struct daemon *d, const struct config *c)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct turn_ports *p;
	struct addr ext;
	size_t f, i;

	p = turn_ports_new_ips(c->min_port, c->max_port,
	    (unsigned)net_relay_ip_count(d->net, AF_INET),
	    (unsigned)net_relay_ip_count(d->net, AF_INET6));
	if (p == NULL)
		return NULL;
	for (f = 0; f < 2; f++)
		for (i = 0; i < net_relay_ip_count(d->net, fams[f]); i++) {
			daemon_env_external_pick(c, net_relay_ip_at(d->net,
			    fams[f], i), &ext);
			if (turn_ports_set_external(p, fams[f], (unsigned)i,
			    &ext) == -1) {
				turn_ports_free(p);
				return NULL;
			}
		}
	return p;
}

static struct log_ratelimit daemon_env_rl = LOG_RATELIMIT_INIT(5, 60);

/* What Redis adds to a credential set; its problems never fail a build. */
static void
daemon_env_creds_redis(struct auth_creds *cr, const struct auth_redis_snap *rs)
{
	size_t i;

	for (i = 0; i < rs->nsecrets; i++)
		if (auth_creds_add_secret(cr, rs->secrets[i].p,
		    rs->secrets[i].len) == -1)
			log_rl(&daemon_env_rl, LOG_LVL_WARN, "redis_secret_skipped",
			    "reason=\"more than 16 secrets, or too long\"");
	for (i = 0; i < rs->nrevoked; i++)
		if (auth_creds_add_revoked(cr, rs->revoked[i].user.p,
		    rs->revoked[i].user.len, rs->revoked[i].until) == -1)
			log_rl(&daemon_env_rl, LOG_LVL_WARN, "redis_revoked_skipped",
			    "reason=\"too long, or out of memory\"");
}

static struct auth_creds *
daemon_env_creds(const struct daemon *d, const struct config *c,
    const struct auth_redis_snap *rs, const char **why)
{
	struct auth_creds *cr;
	size_t i;

	*why = "realm or rest-api-separator refused";
	if (c->realm == NULL)	/* the table gives it a default */
		return NULL;
	cr = auth_creds_new(c->realm, strlen(c->realm), c->rest_api_separator,
	    c->max_credential_ttl, DAEMON_REST_SKEW);
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
		daemon_env_creds_redis(cr, rs);
	*why = "the self-test's user was refused";
	if (daemon_selftest_creds(d, cr) == -1)
		goto fail;
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
daemon_env_rules(const struct policy_range *cfg, size_t ncfg,
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
		log_rl(&daemon_env_rl, LOG_LVL_WARN, "redis_rule_skipped",
		    "value=%s", log_escape(esc, sizeof(esc), extra[i].p,
		    extra[i].len));
	}
	return v;
}

/* Redis's TCP address, when redis-userdb names an IP literal: a relay
 * must never reach it (docs/security.md, The server's own addresses). 0 or
 * -1. */
static int
daemon_env_redis_addr(const struct config *c, struct addr *out)
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
 * The metrics endpoint's own entries (docs/security.md, The server's own
 * addresses): its
 * address and port; a wildcard address stands for every listener address
 * and external IP on that port. Room: nspecs + n_external_ip + 1.
 */
static size_t
daemon_env_self_metrics(const struct daemon *d, const struct config *c,
    struct addr *self)
{
	const uint16_t port = addr_port(&d->metrics_addr);
	size_t i, k = 0;

	if (!d->metrics_on)
		return 0;
	if (!addr_is_any(&d->metrics_addr)) {
		self[0] = d->metrics_addr;
		return 1;
	}
	for (i = 0; i < d->nlisten; i++) {
		self[k] = d->listen[i];
		addr_set_port(&self[k++], port);
	}
	for (i = 0; i < c->n_external_ip; i++) {
		self[k] = c->external_ip[i].public_ip;
		addr_set_port(&self[k++], port);
	}
	return k;
}

#define DAEMON_MAX_HOSTS	1024	/* interface addresses read */

static void
daemon_env_host_add(struct addr *host, size_t *n, size_t cap,
    const struct addr *a, bool skip_loopback)
{
	if (*n < cap && (addr_family(a) == AF_INET ||
	    addr_family(a) == AF_INET6) &&
	    !(skip_loopback && addr_is_loopback(a)))
		host[(*n)++] = *a;
}

/*
 * Every address of this machine (docs/security.md, The server's own
 * addresses): the interfaces' (read again at every snapshot, so a SIGHUP
 * or the next Redis load sees a new one), listening-ip, relay-ip and both
 * sides of every external-ip. A peer there is refused on every port but
 * the relay range, whatever the allow rules say. With
 * allow-loopback-peers (testing only) the operator has opened loopback,
 * so loopback addresses are left out. Room: cap entries.
 */
static size_t
daemon_env_hosts(const struct daemon *d, const struct config *c,
    struct addr *host, size_t cap)
{
	const bool lo = c->allow_loopback_peers;
	struct ifaddrs *ifs = NULL, *i;
	struct addr a;
	size_t k, n = 0;

	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i != NULL; i = i->ifa_next)
			if (i->ifa_addr != NULL && addr_from_sockaddr(&a,
			    i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6)) == 0)
				daemon_env_host_add(host, &n, cap, &a, lo);
		freeifaddrs(ifs);
	} else
		log_rl(&daemon_env_rl, LOG_LVL_WARN, "host_addresses",
		    "reason=\"getifaddrs failed: only configured addresses "
		    "are protected\"");
	for (k = 0; k < d->nlisten; k++)
		daemon_env_host_add(host, &n, cap, &d->listen[k], lo);
	for (k = 0; k < c->n_relay_ip; k++)
		daemon_env_host_add(host, &n, cap, &c->relay_ip[k], lo);
	daemon_env_host_add(host, &n, cap, &d->relay4, lo);
	daemon_env_host_add(host, &n, cap, &d->relay6, lo);
	for (k = 0; k < c->n_external_ip; k++) {
		daemon_env_host_add(host, &n, cap, &c->external_ip[k].public_ip,
		    lo);
		if (c->external_ip[k].has_private)
			daemon_env_host_add(host, &n, cap,
			    &c->external_ip[k].private_ip, lo);
	}
	return n;
}

/*
 * The self entries (docs/security.md, The server's own addresses): every
 * listener address on its port,
 * every external IP on every listening port, Redis and the metrics
 * endpoint. The relay list for the relay-to-relay rule: relay IPs and
 * external IPs.
 */
static struct policy_peer *
daemon_env_policy(const struct daemon *d, const struct config *c,
    const struct auth_redis_snap *rs, const char **why)
{
	struct policy_peer_opts o;
	struct policy_peer *p = NULL;
	struct addr *self, *relay, *host;
	struct policy_range *allow, *deny;
	size_t i, k, nself = 0, nrelay = 0, nallow = 0, ndeny = 0, nhost;
	const size_t caphost = DAEMON_MAX_HOSTS + d->nlisten + c->n_relay_ip +
	    2 * c->n_external_ip + 2;
	const uint16_t ports[2] = { c->listening_port, c->tls_listening_port };

	*why = "out of memory";
	/* listeners, external IPs on 2 ports, Redis, the metrics endpoint */
	self = calloc(2 * d->nlisten + 3 * c->n_external_ip + 2, sizeof(*self));
	relay = calloc(2 + c->n_relay_ip + c->n_external_ip, sizeof(*relay));
	host = calloc(caphost, sizeof(*host));
	allow = daemon_env_rules(c->allowed_peer_ip, c->n_allowed_peer_ip,
	    rs != NULL ? rs->allow : NULL, rs != NULL ? rs->nallow : 0, &nallow);
	deny = daemon_env_rules(c->denied_peer_ip, c->n_denied_peer_ip,
	    rs != NULL ? rs->deny : NULL, rs != NULL ? rs->ndeny : 0, &ndeny);
	if (self == NULL || relay == NULL || host == NULL || allow == NULL ||
	    deny == NULL)
		goto out;
	nhost = daemon_env_hosts(d, c, host, caphost);
	for (i = 0; i < d->nlisten; i++)
		self[nself++] = d->listen[i];
	if (daemon_env_redis_addr(c, &self[nself]) == 0)
		nself++;
	for (i = 0; i < c->n_external_ip; i++) {
		for (k = 0; k < 2; k++) {
			self[nself] = c->external_ip[i].public_ip;
			addr_set_port(&self[nself++], ports[k]);
		}
		relay[nrelay++] = c->external_ip[i].public_ip;
	}
	nself += daemon_env_self_metrics(d, c, self + nself);
	for (i = 0; i < c->n_relay_ip; i++)
		relay[nrelay++] = c->relay_ip[i];
	if (addr_family(&d->relay4) == AF_INET)
		relay[nrelay++] = d->relay4;
	if (addr_family(&d->relay6) == AF_INET6)
		relay[nrelay++] = d->relay6;
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
	o.relay_port_min = d->min_port;
	o.relay_port_max = d->max_port;
	o.host = host;
	o.nhost = nhost;
	p = policy_peer_new(&o, why);
out:
	free(self);
	free(relay);
	free(host);
	free(allow);
	free(deny);
	return p;
}

static struct daemon_env *
daemon_env_build(const struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct daemon_env *env;
	const struct auth_redis_snap *rs = NULL;
	const char *why = "out of memory";

	if ((env = calloc(1, sizeof(*env))) == NULL)
		goto fail;
	/* What Redis said for another realm (a SIGHUP changed it) does not
	 * apply: the next load, for the new realm, brings it back. */
	if (d->rsnap != NULL && c->realm != NULL &&
	    strcmp(d->rsnap_realm, c->realm) == 0)
		rs = d->rsnap;
	if ((env->creds = daemon_env_creds(d, c, rs, &why)) == NULL)
		goto fail;
	/* c->realm is set (daemon_env_creds) and at most AUTH_REALM_MAX */
	memcpy(env->realm, c->realm, strnlen(c->realm, AUTH_REALM_MAX));
	if ((env->policy = daemon_env_policy(d, c, rs, &why)) == NULL)
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
daemon_env_unref(struct daemon *d, struct daemon_env *env)
{
	bool last;

	if (env == NULL)
		return;
	pthread_mutex_lock(&d->env_mu);
	last = --env->refs == 0;
	pthread_mutex_unlock(&d->env_mu);
	if (!last)
		return;
	policy_peer_free(env->policy);
	auth_creds_free(env->creds);
	free(env);
}

static void
daemon_env_log(const struct daemon *d, const struct config *c)
{
	char r4[ADDR_STRLEN] = "none", r6[ADDR_STRLEN] = "none";

	if (addr_family(&d->relay4) == AF_INET)
		addr_ip_str(&d->relay4, r4, sizeof(r4));
	if (addr_family(&d->relay6) == AF_INET6)
		addr_ip_str(&d->relay6, r6, sizeof(r6));
	log_info("turn", "relay4=%s relay4_ips=%zu relay6=%s relay6_ips=%zu "
	    "ports=%u-%u users=%zu rest_secrets=%zu", r4,
	    net_relay_ip_count(d->net, AF_INET), r6,
	    net_relay_ip_count(d->net, AF_INET6), d->min_port, d->max_port,
	    c->n_user, c->n_static_auth_secret);
}

/* After the listener specs are known, before the workers are built. */
int
daemon_env_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	if (pthread_mutex_init(&d->env_mu, NULL) != 0) {
		snprintf(err, errcap, "turn: mutex");
		return -1;
	}
	d->env_mu_ready = true;
	if (auth_ctx_init(&d->auth, c->stale_nonce) == -1) {
		snprintf(err, errcap, "turn: no random nonce key");
		return -1;
	}
	d->auth_ready = true;
	d->min_port = c->min_port;
	d->max_port = c->max_port;
	d->max_lifetime = c->max_allocate_lifetime;
	d->channel_lifetime = c->channel_lifetime;
	d->perm_lifetime = c->permission_lifetime;
	d->max_session = c->max_session_duration;
	d->strict_expiry = c->strict_credential_expiry;
	d->rfc5766_channels = c->rfc5766_channels;
	d->max_perms = c->max_permissions;
	d->max_chans = c->max_channels;
	d->max_peers = c->max_peers_per_request;
	d->unauth_rate = c->unauth_rate;
	d->unauth_burst = c->unauth_burst;
	d->auth_fail_limit = c->auth_failure_limit;
	daemon_env_bandwidth(d, c);
	d->quota_user = c->user_quota;
	d->quota_ip = c->max_allocations_per_ip;
	d->quota_total = c->total_quota;
	d->relay4 = *net_relay_ip(d->net, AF_INET);
	d->relay6 = *net_relay_ip(d->net, AF_INET6);
	d->ports = daemon_env_ports(d, c);
	d->quota = turn_quota_new(c->user_quota, c->max_allocations_per_ip,
	    c->total_quota);
	if (d->ports == NULL || d->quota == NULL) {
		snprintf(err, errcap, "turn: bad relay port range or no memory");
		return -1;
	}
	if ((d->env = daemon_env_build(d, c, err, errcap)) == NULL)
		return -1;
	d->turn_on = true;
	daemon_env_log(d, c);
	return 0;
}

void
daemon_env_clear(struct daemon *d)
{
	if (d->env_mu_ready) {
		daemon_env_unref(d, d->env);
		d->env = NULL;
		pthread_mutex_destroy(&d->env_mu);
		d->env_mu_ready = false;
	}
	turn_ports_free(d->ports);
	turn_quota_free(d->quota);
	d->ports = NULL;
	d->quota = NULL;
	if (d->auth_ready)
		auth_ctx_clear(&d->auth);
	d->auth_ready = false;
}

/* On the worker's thread (and before it starts): installs the drain
 * state and the current snapshot if it changed. */
void
daemon_env_install(struct daemon_worker *w)
{
	struct daemon *d = w->d;
	struct daemon_env *cur, *old;

	/* drain and bandwidth are engine state, set on the worker's own
	 * thread */
	turn_engine_drain(w->engine, atomic_load_explicit(&d->draining,
	    memory_order_relaxed));
	turn_engine_set_bandwidth(w->engine, atomic_load(&d->max_bps),
	    atomic_load(&d->capacity_bps));
	pthread_mutex_lock(&d->env_mu);
	cur = d->env;
	if (cur == w->env) {
		pthread_mutex_unlock(&d->env_mu);
		return;
	}
	cur->refs++;
	pthread_mutex_unlock(&d->env_mu);
	old = w->env;
	w->env = cur;
	turn_engine_set_env(w->engine, cur->creds, cur->policy);
	daemon_env_unref(d, old);
}

/*
 * max-bps and bps-capacity, read by each worker when it installs the
 * next snapshot. bps-capacity is shared equally by the workers: each
 * engine keeps its own bucket, so the data path takes no lock.
 */
void
daemon_env_bandwidth(struct daemon *d, const struct config *c)
{
	const struct auth_redis_snap *rs = d->rsnap;
	uint64_t share = 0, max_bps = c->max_bps;

	/* turn/realm/<realm>/max-bps over the config's (coturn's key) */
	if (rs != NULL && rs->has_max_bps && c->realm != NULL &&
	    strcmp(d->rsnap_realm, c->realm) == 0)
		max_bps = rs->max_bps;

	if (c->bps_capacity != 0) {
		share = c->bps_capacity / (d->nworkers > 0 ? d->nworkers : 1);
		if (share == 0)
			share = 1;
	}
	atomic_store(&d->max_bps, max_bps);
	atomic_store(&d->capacity_bps, share);
}

/* After the engine is freed. */
void
daemon_env_worker_clear(struct daemon_worker *w)
{
	if (w->env != NULL)
		daemon_env_unref(w->d, w->env);
	w->env = NULL;
}

/*
 * SIGHUP, step 1: a new snapshot of credentials and peer policy, not yet
 * in force. NULL with the reason in err; the current one then stays.
 */
struct daemon_env *
daemon_env_prepare(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	return daemon_env_build(d, c, err, errcap);
}

/* Quotas: Redis's values (when it has them) over the configured ones. */
void
daemon_env_quota_apply(struct daemon *d, const struct config *c)
{
	const struct auth_redis_snap *rs = d->rsnap;
	uint32_t user = c->user_quota, total = c->total_quota;

	if (!d->turn_on)
		return;
	if (rs != NULL && strcmp(d->rsnap_realm, c->realm) != 0)
		rs = NULL;
	if (rs != NULL && rs->has_user_quota)
		user = rs->user_quota;
	if (rs != NULL && rs->has_total_quota)
		total = rs->total_quota;
	turn_quota_set_limits(d->quota, user, c->max_allocations_per_ip, total);
}

/* A prepared snapshot that will not be published. NULL is a no-op. */
void
daemon_env_discard(struct daemon *d, struct daemon_env *env)
{
	daemon_env_unref(d, env);
}

/*
 * SIGHUP, step 2: makes env current and wakes every worker to install it.
 * Existing allocations keep their keys; peers the new policy refuses lose
 * their permissions and channels at once (turn_engine_set_env).
 */
void
daemon_env_publish(struct daemon *d, struct daemon_env *env)
{
	struct daemon_env *old;

	pthread_mutex_lock(&d->env_mu);
	old = d->env;
	d->env = env;
	pthread_mutex_unlock(&d->env_mu);
	daemon_env_unref(d, old);
	daemon_env_wake(d);
}

/* Main thread: every worker installs the current snapshot and drain
 * state on its own thread (daemon_env_install). */
void
daemon_env_wake(struct daemon *d)
{
	net_wake(d->net);
}
