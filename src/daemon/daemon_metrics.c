/* SPDX-License-Identifier: ISC */
/*
 * The daemon's metrics, counted per worker (ARCHITECTURE.md). With
 * `prometheus`, daemon_new() builds the registry (one block
 * per worker, one for the main thread, which runs Redis) and binds the
 * endpoint (metrics/metrics_http.c) before privileges are dropped; without
 * it every block is NULL and every counting call is a no-op.
 *
 * Where the counts come from:
 *  - the engine's outcome of every client message (daemon_count.c): requests
 *    and indications by method, responses by method and code, drops by
 *    reason, peer refusals by verdict, quota refusals by kind,
 *    authentication failures by reason;
 *  - the engine's allocation events (daemon_count.c): live allocations by
 *    client transport and relay family (each family of a dual allocation
 *    counts in its own family), allocations created, ended by reason, and
 *    their duration;
 *  - the relay I/O table (net_relay.c): packets and payload bytes relayed
 *    both ways, send failures;
 *  - the worker's tick copies the engine's live permissions and channels,
 *    so that the HTTP thread never touches an engine;
 *  - callbacks at scrape time: relay ports used and free (the shared
 *    pool is thread-safe), process_* (/proc/self), tern_ready (the flag
 *    /readyz answers from, metrics_http.c), tern_redis_up without Redis
 *    (NaN: no Redis to be up, rather than one that is down).
 * No label comes from the wire: every label is an index into a fixed set.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/daemon_int.h"
#include "util/crypto.h"
#include "util/log.h"

#define DAEMON_TOKEN_FILE_MAX	(METRICS_HTTP_TOKEN_MAX + 2)

static double
daemon_metrics_ports(void *arg, unsigned l0, unsigned l1, bool used)
{
	const struct daemon *d = arg;
	double free_ports = 0, total = 0;

	(void)l0, (void)l1;
	/* every relay IP of a family: the range times their number */
	if (addr_family(&d->relay4) == AF_INET) {
		free_ports += (double)turn_ports_available(d->ports, AF_INET);
		total += (double)turn_ports_capacity(d->ports, AF_INET);
	}
	if (addr_family(&d->relay6) == AF_INET6) {
		free_ports += (double)turn_ports_available(d->ports, AF_INET6);
		total += (double)turn_ports_capacity(d->ports, AF_INET6);
	}
	return used ? total - free_ports : free_ports;
}

static double
daemon_metrics_ports_used(void *arg, unsigned l0, unsigned l1)
{
	return daemon_metrics_ports(arg, l0, l1, true);
}

static double
daemon_metrics_ports_free(void *arg, unsigned l0, unsigned l1)
{
	return daemon_metrics_ports(arg, l0, l1, false);
}

static double
daemon_metrics_nan(void *arg, unsigned l0, unsigned l1)
{
	(void)arg, (void)l0, (void)l1;
	return NAN;
}

/*
 * The bearer token: the file's first line, without the line end, 1 to
 * METRICS_HTTP_TOKEN_MAX bytes of printable ASCII. Read once at start-up,
 * before privileges are dropped; the buffer is wiped.
 */
static int
daemon_metrics_token(const char *path, uint8_t *tok, size_t *len, char *err,
    size_t errcap)
{
	char buf[DAEMON_TOKEN_FILE_MAX + 1];
	struct stat st;
	ssize_t r;
	size_t i;
	int fd;

	/* Symbolic links are fine (Kubernetes mounts secrets that way);
	 * O_NONBLOCK so that a FIFO cannot hold the start-up. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errcap, "prometheus-token-file: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errcap, "prometheus-token-file: not a regular "
		    "file");
		return -1;
	}
	if (st.st_mode & S_IROTH)
		log_warn("metrics_token_readable", "reason=\"the token file "
		    "is readable by every user\"");
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0)
		r = 0;
	buf[r] = '\0';
	i = strcspn(buf, "\r\n");
	buf[i] = '\0';
	*len = i;
	for (i = 0; i < *len; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			*len = 0;
	if (*len == 0 || *len > METRICS_HTTP_TOKEN_MAX) {
		snprintf(err, errcap, "prometheus-token-file: the first line "
		    "must be 1 to %d printable characters without spaces",
		    METRICS_HTTP_TOKEN_MAX);
		crypto_wipe(buf, sizeof(buf));
		return -1;
	}
	memcpy(tok, buf, *len);
	crypto_wipe(buf, sizeof(buf));
	return 0;
}

/* daemon_new(), before daemon_env_init: the endpoint's address (a self entry
 * of the peer policy). */
int
daemon_metrics_conf(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	d->metrics_on = c->prometheus;
	if (!d->metrics_on)
		return 0;
	if (addr_parse_ip(&d->metrics_addr, c->prometheus_address,
	    c->prometheus_port) == -1) {
		snprintf(err, errcap, "prometheus-address: not an IP address");
		return -1;
	}
	return 0;
}

static int
daemon_metrics_http(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct metrics_http_opts o;
	uint8_t tok[METRICS_HTTP_TOKEN_MAX];
	char as[ADDR_STRLEN];
	size_t toklen = 0;

	metrics_http_opts_init(&o);
	o.bind = d->metrics_addr;
	if (c->prometheus_token_file != NULL && daemon_metrics_token(
	    c->prometheus_token_file, tok, &toklen, err, errcap) == -1)
		return -1;
	o.token = tok;
	o.toklen = toklen;
	o.ready_gauge = METRICS_READY;
	d->http = metrics_http_start(d->metrics, &o);
	crypto_wipe(tok, sizeof(tok));
	if (d->http == NULL) {
		snprintf(err, errcap, "prometheus: cannot listen on %s: %s",
		    addr_str(&o.bind, as, sizeof(as)), strerror(errno));
		return -1;
	}
	return 0;
}

/* daemon_new(), after daemon_env_init (the port pool), before the workers. */
int
daemon_metrics_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	const char *why = "out of memory";

	if (!d->metrics_on)
		return 0;
	/* The main thread (Redis) writes the last block. */
	if ((d->metrics = metrics_tern_new(d->nworkers + 1, &why)) == NULL) {
		snprintf(err, errcap, "metrics: %s", why);
		return -1;
	}
	d->mw_main = metrics_worker(d->metrics, d->nworkers);
	if (metrics_process_register(d->metrics) == -1 ||
	    metrics_gauge_fn_set(d->metrics, METRICS_RELAY_PORTS_USED,
	    daemon_metrics_ports_used, d) == -1 ||
	    metrics_gauge_fn_set(d->metrics, METRICS_RELAY_PORTS_FREE,
	    daemon_metrics_ports_free, d) == -1 ||
	    (!d->redis_on && metrics_gauge_fn_set(d->metrics,
	    METRICS_REDIS_UP, daemon_metrics_nan, NULL) == -1) ||
	    daemon_tls_metrics(d) == -1 || daemon_selftest_metrics(d) == -1) {
		snprintf(err, errcap, "metrics: callbacks refused");
		return -1;
	}
	return daemon_metrics_http(d, c, err, errcap);
}

/* The endpoint first (no scrape reads the port pool or the blocks any
 * more), then the registry, once every worker has stopped counting. */
void
daemon_metrics_http_stop(struct daemon *d)
{
	metrics_http_stop(d->http);
	d->http = NULL;
}

void
daemon_metrics_clear(struct daemon *d)
{
	daemon_metrics_http_stop(d);
	metrics_free(d->metrics);
	d->metrics = NULL;
	d->mw_main = NULL;
}

struct metrics_worker *
daemon_metrics_worker(struct daemon *d, unsigned id)
{
	return d->metrics != NULL ? metrics_worker(d->metrics, id) : NULL;
}

/* Worker tick: the engine's live counts and its counters' growth. */
void
daemon_metrics_tick(struct daemon_worker *w)
{
	struct turn_stats st;

	if (w->mw == NULL)
		return;
	turn_engine_stats(w->engine, &st);
	metrics_gauge_set(w->mw, METRICS_PERMISSIONS, 0,
	    (int64_t)st.permissions);
	metrics_gauge_set(w->mw, METRICS_CHANNELS, 0, (int64_t)st.channels);
}

/*
 * Main thread, once a second and at every drain change: readiness
 * (listeners up, Redis connected when configured and its last snapshot
 * load complete, not draining) and the
 * Redis gauges. Runs on daemon_run()'s loop, where Redis lives.
 */
void
daemon_metrics_main_tick(struct daemon *d)
{
	struct auth_redis_stats rs;
	uint64_t errs;
	bool ready, draining;

	draining = atomic_load(&d->draining);
	ready = d->started && !draining;
	memset(&rs, 0, sizeof(rs));
	if (d->redis_on) {
		if (d->redis != NULL)
			auth_redis_stats(d->redis, &rs);
		ready = ready && rs.up;
		/* the last snapshot load failed: the previous one is still in
		 * force, so revocations and rotations since are not */
		ready = daemon_redis_snapshot_ok(d, &rs) && ready;
	}
	/* the self-test relays no more (daemon_selftest.c): 503 says why */
	if (d->http != NULL && ready && daemon_selftest_unready(d) != NULL)
		metrics_http_set_unready(d->http, daemon_selftest_unready(d));
	else if (d->http != NULL)
		metrics_http_set_ready(d->http, ready);
	if (d->mw_main == NULL)
		return;
	metrics_gauge_set(d->mw_main, METRICS_DRAINING, 0, draining);
	if (d->env != NULL)
		metrics_gauge_set(d->mw_main, METRICS_SECRETS_LOADED, 0,
		    (int64_t)auth_creds_nsecrets(d->env->creds));
	if (!d->redis_on)
		return;
	metrics_gauge_set(d->mw_main, METRICS_REDIS_UP, 0, rs.up);
	errs = rs.load_failures + rs.lookup_failures + rs.bad_replies +
	    rs.disconnects;
	if (errs > d->redis_errs_seen)
		metrics_count(d->mw_main, METRICS_REDIS_ERRORS, 0,
		    errs - d->redis_errs_seen);
	d->redis_errs_seen = errs;
	if (d->rsnap_time != 0)
		metrics_gauge_set(d->mw_main, METRICS_SNAPSHOT_TIMESTAMP, 0,
		    (int64_t)d->rsnap_time);
}

static void
daemon_metrics_main_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	daemon_metrics_main_tick(arg);
}

/* daemon_run(): readiness and the Redis gauges, once a second. */
int
daemon_metrics_main_start(struct daemon *d, struct event_base *base)
{
	const struct timeval sec = { 1, 0 };

	d->tick_ev = event_new(base, -1, EV_PERSIST, daemon_metrics_main_cb, d);
	if (d->tick_ev == NULL || event_add(d->tick_ev, &sec) == -1)
		return -1;
	daemon_metrics_main_tick(d);
	return 0;
}

void
daemon_metrics_main_stop(struct daemon *d)
{
	if (d->tick_ev != NULL)
		event_free(d->tick_ev);
	d->tick_ev = NULL;
	/* Not ready any more: the loop that serves Redis has ended. */
	if (d->http != NULL)
		metrics_http_set_ready(d->http, false);
}
