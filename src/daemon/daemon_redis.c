/* SPDX-License-Identifier: ISC */
/*
 * Redis in the daemon: starts auth_redis on the main thread's
 * event_base (the one that handles signals, never a worker's) while
 * daemon_run() runs, and turns each complete load into a new daemon_env through
 * the same publish path SIGHUP uses (daemon_env.c). A load equal to the one
 * in force changes nothing, so the periodic re-read costs the workers
 * nothing. A failed load or an outage keeps the snapshot in force, whole
 * (auth_redis_load.c logs why, rate-limited): revocations already in force
 * are never dropped by a load that could not read them all. A failure is
 * counted (tern_redis_snapshot_failures_total) and makes /readyz answer
 * 503 until a load succeeds (docs/security.md, Redis under abuse); ternd
 * starts while Redis is down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "auth/auth_schema.h"
#include "daemon/daemon_int.h"
#include "util/log.h"

static struct log_ratelimit daemon_redis_rl = LOG_RATELIMIT_INIT(5, 60);

/*
 * coturn's use-auth-secret with no static secret: the REST secrets are
 * Redis's only, and none means every REST credential is refused (401).
 * One warning when the realm's set becomes empty (the first load, a
 * removal, a new realm), not one per load: a load equal to the one in
 * force never gets here, and one with secrets re-arms it.
 */
static void
daemon_redis_secret_warn(const struct daemon *d,
    const struct auth_redis_snap *old, const struct auth_redis_snap *snap)
{
	const struct config *c = d->cfg;
	char key[AUTH_REALM_MAX + 32], er[LOG_ESCAPE_CAP], ek[LOG_ESCAPE_CAP];
	long n;

	if (!c->use_auth_secret || c->n_static_auth_secret > 0 ||
	    snap->nsecrets > 0 || (old != NULL && old->nsecrets == 0))
		return;
	if ((n = auth_schema_key(key, sizeof(key), AUTH_SCHEMA_SECRET,
	    c->realm, strlen(c->realm), NULL, 0)) == -1)
		return;
	/* the realm is the operator's text: escaped like any other */
	log_warn("no_rest_secret", "realm=%s key=%s reason=\"use-auth-secret "
	    "is set and Redis holds no REST secret for the realm: every REST "
	    "credential is refused until the set has a member (ternctl "
	    "secret add)\"", log_escape(er, sizeof(er), c->realm,
	    strlen(c->realm)), log_escape(ek, sizeof(ek), key, (size_t)n));
}

static void
daemon_redis_snapshot_cb(void *arg, struct auth_redis_snap *snap)
{
	struct daemon *d = arg;
	struct auth_redis_snap *old = d->rsnap;
	struct auth_redis_stats rs;
	struct daemon_env *env;
	char err[256];

	/* A complete load, changed or not (tern_snapshot_timestamp_seconds):
	 * the failures before it no longer make ternd unready. */
	d->rsnap_time = net_now_ms() / 1000;
	if (d->redis != NULL) {
		auth_redis_stats(d->redis, &rs);
		d->rsnap_fail_base = rs.load_failures;
	}
	d->rsnap_refusing = false;
	if (old != NULL && auth_redis_snap_equal(old, snap)) {
		auth_redis_snap_free(snap);
		return;
	}
	if (!d->turn_on || d->cfg == NULL) {
		auth_redis_snap_free(snap);
		return;
	}
	d->rsnap = snap;
	snprintf(d->rsnap_realm, sizeof(d->rsnap_realm), "%s", d->cfg->realm);
	if ((env = daemon_env_prepare(d, d->cfg, err, sizeof(err))) == NULL) {
		d->rsnap_refused++;
		d->rsnap_refusing = true;
		log_rl(&daemon_redis_rl, LOG_LVL_WARN, "redis_snapshot_refused",
		    "reason=\"%s\" refused=%llu", err,
		    (unsigned long long)d->rsnap_refused);
		d->rsnap = old;
		auth_redis_snap_free(snap);
		return;
	}
	daemon_env_bandwidth(d, d->cfg);
	daemon_env_publish(d, env);
	daemon_env_quota_apply(d, d->cfg);
	daemon_redis_secret_warn(d, old, snap);
	auth_redis_snap_free(old);
	log_info("redis_snapshot", "secrets=%zu allowed=%zu denied=%zu "
	    "revoked=%zu", snap->nsecrets, snap->nallow, snap->ndeny,
	    snap->nrevoked);
}

/* Main thread, like every auth_redis callback: its metrics block is the
 * main thread's (NULL without `prometheus`: a no-op). */
static void
daemon_redis_latency_cb(void *arg, double seconds)
{
	struct daemon *d = arg;

	metrics_observe(d->mw_main, METRICS_REDIS_COMMAND_SECONDS, 0, seconds);
}

static void
daemon_redis_user_event_cb(void *arg)
{
	struct daemon *d = arg;

	if (d->uk != NULL)
		daemon_userkey_flush(d->uk);
}

/*
 * In daemon_new(): checks the connection string and builds the user-key
 * cache. Nothing connects before daemon_run().
 */
int
daemon_redis_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct auth_redis_conf rc;
	const char *why = NULL;

	d->cfg = c;
	if (c->redis_userdb == NULL || !d->turn_on)
		return 0;
	if (auth_redis_conf_parse(c->redis_userdb, strlen(c->redis_userdb), &rc,
	    &why) == -1) {
		snprintf(err, errcap, "redis-userdb: %s", why);
		return -1;
	}
	auth_redis_conf_clear(&rc);
	d->uk = daemon_userkey_new(c->user_key_cache_ttl,
	    c->user_key_negative_ttl, c->redis_command_timeout,
	    c->user_key_lookup_rate, c->user_key_lookup_burst);
	if (d->uk == NULL) {
		snprintf(err, errcap, "redis: out of memory");
		return -1;
	}
	d->redis_on = true;
	return 0;
}

static struct auth_redis *
daemon_redis_open(struct daemon *d, struct event_base *base,
    const struct config *c)
{
	struct auth_redis_opts o;
	struct auth_redis_conf rc;
	struct auth_redis *r;
	const char *why;

	if (auth_redis_conf_parse(c->redis_userdb, strlen(c->redis_userdb), &rc,
	    &why) == -1)
		return NULL;
	/* redis-password-file overrides password= (config_secret.c checked
	 * its length and bytes). */
	if (c->redis_password != NULL)
		snprintf(rc.password, sizeof(rc.password), "%s",
		    c->redis_password);
	memset(&o, 0, sizeof(o));
	o.conf = &rc;
	o.realm = c->realm;
	o.interval_ms = c->redis_snapshot_interval * 1000;
	o.command_timeout_ms = c->redis_command_timeout * 1000;
	o.on_snapshot = daemon_redis_snapshot_cb;
	o.on_user_event = daemon_redis_user_event_cb;
	o.on_key = daemon_userkey_answer;
	o.on_latency = daemon_redis_latency_cb;
	o.arg = d;
	r = auth_redis_new(base, &o);
	auth_redis_conf_clear(&rc);
	return r;
}

/* In daemon_run(), before its loop. 0 or -1 (no memory). */
int
daemon_redis_start(struct daemon *d, struct event_base *base)
{
	d->main_base = base;
	if (!d->redis_on)
		return 0;
	if ((d->redis = daemon_redis_open(d, base, d->cfg)) == NULL) {
		log_error("redis_failed", "reason=\"out of memory\"");
		return -1;
	}
	daemon_userkey_attach(d, base);
	log_info("redis", "interval_s=%u command_timeout_s=%u",
	    d->cfg->redis_snapshot_interval, d->cfg->redis_command_timeout);
	return 0;
}

/* In daemon_run(), after its loop, while the base still exists. */
void
daemon_redis_stop(struct daemon *d)
{
	daemon_userkey_detach(d);
	auth_redis_free(d->redis);
	d->redis = NULL;
	d->main_base = NULL;
}

/*
 * After a successful daemon_reload() from the main loop: c is now in force.
 * A new realm names other keys: the client starts again, and what Redis
 * said for the old realm no longer applies. A new password from
 * redis-password-file starts it again too.
 */
void
daemon_redis_reload(struct daemon *d, const struct config *old,
    const struct config *c)
{
	bool pw_same;

	d->cfg = c;
	if (!d->redis_on || d->redis == NULL || old == NULL)
		return;
	pw_same = old->redis_password == NULL || c->redis_password == NULL ?
	    old->redis_password == c->redis_password :
	    strcmp(old->redis_password, c->redis_password) == 0;
	if (strcmp(old->realm, c->realm) == 0) {
		if (pw_same)
			return;
		/* The same keys: the snapshot in force stays. A new client
		 * counts its failures from 0. */
		auth_redis_free(d->redis);
		d->redis = daemon_redis_open(d, d->main_base, c);
		d->rsnap_fail_base = d->rsnap_fail_counted = 0;
		log_info("redis_reconnect", "reason=\"a new password from "
		    "redis-password-file\"");
		return;
	}
	auth_redis_free(d->redis);
	d->redis = daemon_redis_open(d, d->main_base, c);
	/* a new client counts its failures from 0 */
	d->rsnap_fail_base = d->rsnap_fail_counted = 0;
	auth_redis_snap_free(d->rsnap);
	d->rsnap = NULL;
	daemon_userkey_flush(d->uk);
	log_info("redis_realm_changed", "reason=\"reading the new realm's "
	    "keys\"");
}

/*
 * Main thread, once a second (readiness, daemon_metrics.c): counts the
 * loads that failed since the last call, and says whether the snapshot in
 * force is the last one asked for: false from a failed or refused load
 * until a load succeeds.
 */
bool
daemon_redis_snapshot_ok(struct daemon *d, const struct auth_redis_stats *rs)
{
	uint64_t n = 0;

	if (!d->redis_on)
		return true;
	if (rs->load_failures > d->rsnap_fail_counted)
		n += rs->load_failures - d->rsnap_fail_counted;
	if (d->rsnap_refused > d->rsnap_refused_counted)
		n += d->rsnap_refused - d->rsnap_refused_counted;
	d->rsnap_fail_counted = rs->load_failures;
	d->rsnap_refused_counted = d->rsnap_refused;
	if (n > 0)
		metrics_count(d->mw_main, METRICS_REDIS_SNAPSHOT_FAILURES, 0, n);
	return rs->load_failures <= d->rsnap_fail_base && !d->rsnap_refusing;
}

void
daemon_redis_clear(struct daemon *d)
{
	auth_redis_free(d->redis);
	d->redis = NULL;
	auth_redis_snap_free(d->rsnap);
	d->rsnap = NULL;
	daemon_userkey_free(d->uk);
	d->uk = NULL;
	d->cfg = NULL;
}
