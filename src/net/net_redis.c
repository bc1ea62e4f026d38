/* SPDX-License-Identifier: ISC */
/*
 * Redis in the daemon (issue 4): starts auth_redis on the main thread's
 * event_base (the one that handles signals, never a worker's) while
 * net_run() runs, and turns each complete load into a new net_env through
 * the same publish path SIGHUP uses (net_env.c). A load equal to the one
 * in force changes nothing, so the periodic re-read costs the workers
 * nothing. A failed load or an outage keeps the snapshot in force
 * (auth_redis.c logs it, rate-limited); ternd starts while Redis is down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "net/net_int.h"
#include "util/log.h"

static void
net_redis_snapshot_cb(void *arg, struct auth_redis_snap *snap)
{
	struct net *n = arg;
	struct auth_redis_snap *old = n->rsnap;
	struct net_env *env;
	char err[256];

	/* A complete load, changed or not (tern_snapshot_timestamp_seconds). */
	n->rsnap_time = net_now_ms() / 1000;
	if (old != NULL && auth_redis_snap_equal(old, snap)) {
		auth_redis_snap_free(snap);
		return;
	}
	if (!n->turn_on || n->cfg == NULL) {
		auth_redis_snap_free(snap);
		return;
	}
	n->rsnap = snap;
	snprintf(n->rsnap_realm, sizeof(n->rsnap_realm), "%s", n->cfg->realm);
	if ((env = net_env_prepare(n, n->cfg, err, sizeof(err))) == NULL) {
		log_warn("redis_snapshot_refused", "reason=\"%s\"", err);
		n->rsnap = old;
		auth_redis_snap_free(snap);
		return;
	}
	net_env_publish(n, env);
	net_env_quota_apply(n, n->cfg);
	auth_redis_snap_free(old);
	log_info("redis_snapshot", "secrets=%zu allowed=%zu denied=%zu "
	    "revoked=%zu", snap->nsecrets, snap->nallow, snap->ndeny,
	    snap->nrevoked);
}

/* Main thread, like every auth_redis callback: its metrics block is the
 * main thread's (NULL without `prometheus`: a no-op). */
static void
net_redis_latency_cb(void *arg, double seconds)
{
	struct net *n = arg;

	metrics_observe(n->mw_main, METRICS_REDIS_COMMAND_SECONDS, 0, seconds);
}

static void
net_redis_user_event_cb(void *arg)
{
	struct net *n = arg;

	if (n->uk != NULL)
		net_userkey_flush(n->uk);
}

/*
 * In net_new(): checks the connection string and builds the user-key
 * cache. Nothing connects before net_run().
 */
int
net_redis_init(struct net *n, const struct config *c, char *err,
    size_t errcap)
{
	struct auth_redis_conf rc;
	const char *why = NULL;

	n->cfg = c;
	if (c->redis_userdb == NULL || !n->turn_on)
		return 0;
	if (auth_redis_conf_parse(c->redis_userdb, strlen(c->redis_userdb), &rc,
	    &why) == -1) {
		snprintf(err, errcap, "redis-userdb: %s", why);
		return -1;
	}
	auth_redis_conf_clear(&rc);
	n->uk = net_userkey_new(c->user_key_cache_ttl, c->user_key_negative_ttl,
	    c->redis_command_timeout);
	if (n->uk == NULL) {
		snprintf(err, errcap, "redis: out of memory");
		return -1;
	}
	n->redis_on = true;
	return 0;
}

static struct auth_redis *
net_redis_open(struct net *n, struct event_base *base, const struct config *c)
{
	struct auth_redis_opts o;
	struct auth_redis_conf rc;
	struct auth_redis *r;
	const char *why;

	if (auth_redis_conf_parse(c->redis_userdb, strlen(c->redis_userdb), &rc,
	    &why) == -1)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.conf = &rc;
	o.realm = c->realm;
	o.interval_ms = c->redis_snapshot_interval * 1000;
	o.command_timeout_ms = c->redis_command_timeout * 1000;
	o.on_snapshot = net_redis_snapshot_cb;
	o.on_user_event = net_redis_user_event_cb;
	o.on_key = net_userkey_answer;
	o.on_latency = net_redis_latency_cb;
	o.arg = n;
	r = auth_redis_new(base, &o);
	auth_redis_conf_clear(&rc);
	return r;
}

/* In net_run(), before its loop. 0 or -1 (no memory). */
int
net_redis_start(struct net *n, struct event_base *base)
{
	n->main_base = base;
	if (!n->redis_on)
		return 0;
	if ((n->redis = net_redis_open(n, base, n->cfg)) == NULL) {
		log_error("redis_failed", "reason=\"out of memory\"");
		return -1;
	}
	net_userkey_attach(n, base);
	log_info("redis", "interval_s=%u command_timeout_s=%u",
	    n->cfg->redis_snapshot_interval, n->cfg->redis_command_timeout);
	return 0;
}

/* In net_run(), after its loop, while the base still exists. */
void
net_redis_stop(struct net *n)
{
	net_userkey_detach(n);
	auth_redis_free(n->redis);
	n->redis = NULL;
	n->main_base = NULL;
}

/*
 * After a successful net_reload() from the main loop: c is now in force.
 * A new realm names other keys: the client starts again, and what Redis
 * said for the old realm no longer applies.
 */
void
net_redis_reload(struct net *n, const struct config *old,
    const struct config *c)
{
	n->cfg = c;
	if (!n->redis_on || n->redis == NULL || old == NULL ||
	    strcmp(old->realm, c->realm) == 0)
		return;
	auth_redis_free(n->redis);
	n->redis = net_redis_open(n, n->main_base, c);
	auth_redis_snap_free(n->rsnap);
	n->rsnap = NULL;
	net_userkey_flush(n->uk);
	log_info("redis_realm_changed", "reason=\"reading the new realm's "
	    "keys\"");
}

void
net_redis_clear(struct net *n)
{
	auth_redis_free(n->redis);
	n->redis = NULL;
	auth_redis_snap_free(n->rsnap);
	n->rsnap = NULL;
	net_userkey_free(n->uk);
	n->uk = NULL;
	n->cfg = NULL;
}
