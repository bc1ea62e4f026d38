/* SPDX-License-Identifier: ISC */
/*
 * The daemon object: start-up in the order that lets ternd fail fast
 * before privileges are dropped (listeners, then the shared environment,
 * Redis's configuration, the metrics endpoint, the engines), the main
 * loop's callbacks, reload and an orderly stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon_int.h"
#include "util/log.h"

static int
daemon_listen_copy(struct daemon *d)
{
	size_t i;

	d->nlisten = net_listener_count(d->net);
	if ((d->listen = calloc(d->nlisten, sizeof(*d->listen))) == NULL)
		return -1;
	for (i = 0; i < d->nlisten; i++)
		d->listen[i] = *net_listener_addr(d->net, i);
	return 0;
}

struct daemon *
daemon_new(const struct config *c, char *err, size_t errcap)
{
	struct daemon *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto fail_mem;
	d->cfg = c;
	if (c->software_attribute != NULL &&
	    (d->software = strdup(c->software_attribute)) == NULL)
		goto fail_mem;
	if ((d->net = net_new(c, &daemon_net_hooks, err, errcap)) == NULL)
		goto fail;
	d->nworkers = net_worker_count(d->net);
	if (daemon_listen_copy(d) == -1 ||
	    (d->workers = calloc(d->nworkers, sizeof(*d->workers))) == NULL)
		goto fail_mem;
	/* The watch's inotify descriptor before privileges drop; the
	 * self-test's user before daemon_env_init builds the credentials. */
	if (daemon_tls_init(d, err, errcap) == -1 ||
	    daemon_selftest_init(d, c, err, errcap) == -1)
		goto fail;
	/* The metrics endpoint's address is a self entry of the policy
	 * that daemon_env_init builds. */
	if (daemon_metrics_conf(d, c, err, errcap) == -1 ||
	    daemon_env_init(d, c, err, errcap) == -1 ||
	    daemon_redis_init(d, c, err, errcap) == -1 ||
	    daemon_drain_init(d, c, err, errcap) == -1 ||
	    daemon_session_init(d, c, err, errcap) == -1)
		goto fail;
	/* The metrics endpoint binds here, before privileges drop, and its
	 * registry exists before the workers take their blocks. */
	if (daemon_metrics_init(d, c, err, errcap) == -1 ||
	    daemon_workers_init(d, err, errcap) == -1)
		goto fail;
	return d;
fail_mem:
	snprintf(err, errcap, "out of memory");
fail:
	daemon_free(d);
	return NULL;
}

int
daemon_start(struct daemon *d, char *err, size_t errcap)
{
	if (net_start(d->net, err, errcap) == -1)
		return -1;
	d->started = true;
	return 0;
}

/* The main loop exists: Redis and the main thread's timers join it. */
static int
daemon_main_started(void *arg, struct event_base *base)
{
	struct daemon *d = arg;

	d->main_base = base;
	if (daemon_redis_start(d, base) == -1 ||
	    daemon_metrics_main_start(d, base) == -1 ||
	    daemon_tls_start(d, base) == -1 ||
	    daemon_selftest_start(d, base) == -1)
		return -1;
	return 0;
}

static void
daemon_main_hup(void *arg)
{
	struct daemon *d = arg;

	if (d->hup_fn != NULL)
		d->hup_fn(d->hup_arg);
}

static void
daemon_main_usr1(void *arg)
{
	daemon_drain_begin(arg);
}

static void
daemon_main_stopping(void *arg)
{
	struct daemon *d = arg;

	daemon_selftest_stop(d);
	daemon_tls_stop(d);
	daemon_drain_clear(d);
	daemon_metrics_main_stop(d);
	daemon_redis_stop(d);
	d->main_base = NULL;
}

int
daemon_run(struct daemon *d, daemon_hup_fn on_hup, void *arg)
{
	const struct net_main m = {
		.arg = d,
		.started = daemon_main_started,
		.hup = daemon_main_hup,
		.usr1 = daemon_main_usr1,
		.stopping = daemon_main_stopping,
	};

	d->hup_fn = on_hup;
	d->hup_arg = arg;
	return net_run(d->net, &m);
}

/*
 * All or nothing: the new credentials and peer policy are built first,
 * the TLS material swapped next, and the snapshot published last, so a
 * failure at any step leaves everything as it was.
 */
int
daemon_reload(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct daemon_env *env = NULL;
	const struct config *old = d->cfg;

	if (d->turn_on && (env = daemon_env_prepare(d, c, err, errcap)) == NULL)
		return -1;
	if (net_reload(d->net, c, err, errcap) == -1) {
		daemon_tls_reloaded(d, false);
		daemon_env_discard(d, env);
		return -1;
	}
	daemon_tls_reloaded(d, true);
	d->cfg = c;
	daemon_env_bandwidth(d, c);
	if (env != NULL)
		daemon_env_publish(d, env);
	daemon_env_quota_apply(d, c);
	daemon_redis_reload(d, old, c);
	return 0;
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	if (d->net != NULL)
		net_stop(d->net);
	/* No scrape may read the port pool once the workers clear up. */
	daemon_metrics_http_stop(d);
	/* The engines first (their allocations end as a shutdown and close
	 * their relays through net), then net's connections and sockets. */
	daemon_workers_clear(d);
	daemon_tls_clear(d);
	daemon_selftest_free(d);
	net_free(d->net);
	free(d->workers);
	daemon_redis_clear(d);
	daemon_env_clear(d);
	daemon_metrics_clear(d);
	free(d->listen);
	free(d->software);
	free(d);
}

void
daemon_log_listeners(const struct daemon *d)
{
	net_log_listeners(d->net);
}

size_t
daemon_listener_count(const struct daemon *d)
{
	return net_listener_count(d->net);
}

unsigned
daemon_worker_count(const struct daemon *d)
{
	return net_worker_count(d->net);
}

void
daemon_shutdown(void)
{
	net_shutdown();
}
