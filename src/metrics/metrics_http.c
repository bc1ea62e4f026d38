/* SPDX-License-Identifier: ISC */
/*
 * metrics_http: /metrics, /healthz and /readyz over libmicrohttpd, the only
 * file that includes it (docs/security.md, Attack catalogue: metrics
 * endpoint).
 *
 * libmicrohttpd runs its own epoll thread; the scrape renders the page from
 * the workers' counters there. Against hostile clients: total and per-IP
 * connection limits, an idle timeout, a per-connection memory limit (which
 * bounds request headers: larger ones get 431 and are closed), strict
 * request parsing, no POST processor and no request body ever read, no
 * URL unescaping (routing sees the raw path), and "Connection: close" on
 * every answer. libmicrohttpd's timeout is an idle timeout, which a client
 * sending one byte now and then never trips; a watchdog thread therefore
 * shuts down any connection older than request_ms (with close, a
 * connection's life is one request).
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "metrics/metrics.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#define METRICS_CT	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_PAGE_START	(64 * 1024)
#define METRICS_WATCH_MS	50

struct metrics_conn {
	bool used;
	bool cut;
	int fd;
	uint64_t start_ms;
};

struct metrics_http {
	struct MHD_Daemon *d;
	struct metrics *m;
	uint8_t token[METRICS_HTTP_TOKEN_MAX];
	size_t toklen;
	size_t page_max;
	unsigned request_ms;
	uint16_t port;
	int ready_gauge;	/* -1, or a gauge reading ready */
	_Atomic bool ready;
	_Atomic(const char *) why;	/* why not ready (static), or NULL */

	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;
	bool stopping;
	bool watching;
	pthread_t watchdog;
	struct metrics_conn *conns;
	unsigned nconns;
};

void
metrics_http_opts_init(struct metrics_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	(void)addr_parse_ip(&o->bind, "127.0.0.1", METRICS_HTTP_PORT);
	o->conn_limit = 32;
	o->per_ip_limit = 4;
	o->idle_timeout_s = 5;
	o->request_ms = 5000;
	o->memory_limit = 16 * 1024;
	o->page_max = 8 * 1024 * 1024;
	o->ready_gauge = -1;
}

/* Connection start and end, from libmicrohttpd's thread: the watchdog's
 * table. The fd is removed before libmicrohttpd closes it, under mu, so
 * the watchdog never shuts down a reused descriptor. */
static void
metrics_http_notify(void *cls, struct MHD_Connection *c, void **sock_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct metrics_conn *mc = *sock_ctx;
	unsigned i;

	pthread_mutex_lock(&h->mu);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (mc != NULL)
			mc->used = false;
		*sock_ctx = NULL;
		goto out;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		goto out;
	for (i = 0; i < h->nconns && h->conns[i].used; i++)
		;
	if (i == h->nconns) {
		/* More than the limit allows: refuse at once. */
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
		goto out;
	}
	h->conns[i] = (struct metrics_conn){ .used = true, .cut = false,
	    .fd = ci->connect_fd, .start_ms = clock_mono_ms() };
	*sock_ctx = &h->conns[i];
out:
	pthread_mutex_unlock(&h->mu);
}

static void *
metrics_http_watch(void *arg)
{
	struct metrics_http *h = arg;
	struct timespec ts;
	uint64_t now;
	unsigned i;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += METRICS_WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		now = clock_mono_ms();
		for (i = 0; i < h->nconns; i++) {
			struct metrics_conn *mc = &h->conns[i];

			if (!mc->used || mc->cut ||
			    now - mc->start_ms < h->request_ms)
				continue;
			/* libmicrohttpd sees the end of the stream and
			 * closes the connection itself. */
			(void)shutdown(mc->fd, SHUT_RDWR);
			mc->cut = true;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Routing must see the path as sent (metrics_route). */
static size_t
metrics_http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls, (void)c;
	return strlen(s);
}

static void metrics_http_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's messages can be triggered by any client: debug level,
 * rate-limited, escaped. */
static void
metrics_http_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(5, 60);
	char msg[256], esc[LOG_ESCAPE_CAP];
	int n;

	(void)cls;
	if (log_get_level() < LOG_LVL_DEBUG)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	log_escape(esc, sizeof(esc), msg, strnlen(msg, sizeof(msg)));
	log_rl(&rl, LOG_LVL_DEBUG, "metrics_http", "msg=%s", esc);
}

/* The page into a malloc'ed buffer, grown by doubling up to page_max. */
static char *
metrics_http_render(struct metrics_http *h, size_t *len)
{
	size_t cap = METRICS_PAGE_START;
	char *buf, *nbuf;
	long n;

	if ((buf = malloc(cap)) == NULL)
		return NULL;
	while ((n = metrics_expo_write(h->m, buf, cap)) == METRICS_EXPO_SHORT &&
	    cap < h->page_max) {
		cap = cap * 2 > h->page_max ? h->page_max : cap * 2;
		if ((nbuf = realloc(buf, cap)) == NULL)
			break;
		buf = nbuf;
	}
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

static struct MHD_Response *
metrics_http_static(const char *body)
{
	/* PERSISTENT: libmicrohttpd neither writes nor frees it. */
	return MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
}

/* "not ready", and why when the caller said. */
static struct MHD_Response *
metrics_http_unready(const char *why)
{
	char body[160];
	int n;

	if (why == NULL)
		return metrics_http_static("not ready\n");
	n = snprintf(body, sizeof(body), "not ready: %s\n", why);
	if (n < 0 || (size_t)n >= sizeof(body))
		return metrics_http_static("not ready\n");
	return MHD_create_response_from_buffer((size_t)n, body,
	    MHD_RESPMEM_MUST_COPY);
}

/* The response for a routed request; *status may change (500, 503). */
static struct MHD_Response *
metrics_http_page(struct metrics_http *h, struct metrics_route r,
    unsigned *status)
{
	static const struct {
		unsigned status;
		const char *body;
	} errs[] = {
		{ 401, "unauthorized\n" }, { 404, "not found\n" },
		{ 405, "method not allowed\n" },
	};
	struct MHD_Response *resp;
	size_t i, len;
	char *page;

	*status = r.status;
	switch (r.page) {
	case METRICS_PAGE_METRICS:
		if ((page = metrics_http_render(h, &len)) == NULL)
			break;
		resp = MHD_create_response_from_buffer(len, page,
		    MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(page);
		return resp;
	case METRICS_PAGE_HEALTHZ:
		return metrics_http_static("ok\n");
	case METRICS_PAGE_READYZ:
		if (atomic_load(&h->ready))
			return metrics_http_static("ready\n");
		*status = 503;
		return metrics_http_unready(atomic_load(&h->why));
	case METRICS_PAGE_NONE:
		for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			if (errs[i].status == r.status)
				return metrics_http_static(errs[i].body);
		break;
	}
	*status = 500;
	return metrics_http_static("internal error\n");
}

static enum MHD_Result
metrics_http_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **req_ctx)
{
	struct metrics_http *h = cls;
	struct MHD_Response *resp;
	struct metrics_route r;
	enum MHD_Result ret;
	unsigned status;

	(void)version, (void)upload, (void)upload_len, (void)req_ctx;
	/* Answered on the first call, before any body: nothing is read. */
	r = metrics_route(method, url,
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION), h->token, h->toklen);
	if ((resp = metrics_http_page(h, r, &status)) == NULL)
		return MHD_NO;	/* no memory: libmicrohttpd closes */
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    METRICS_CT) == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") == MHD_NO ||
	    MHD_add_response_header(resp, "X-Content-Type-Options",
	    "nosniff") == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
	    "close") == MHD_NO ||
	    (status == 405 && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO) ||
	    (status == 401 && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"tern\"") ==
	    MHD_NO)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
metrics_http_watch_start(struct metrics_http *h, unsigned nconns)
{
	pthread_condattr_t ca;
	int rc;

	if ((h->conns = calloc(nconns, sizeof(*h->conns))) == NULL)
		return -1;
	h->nconns = nconns;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&h->cv, &ca) != 0 ? -1 : 0;
	pthread_condattr_destroy(&ca);
	if (rc == -1)
		return -1;
	if (pthread_create(&h->watchdog, NULL, metrics_http_watch, h) != 0)
		return -1;
	h->watching = true;
	return 0;
}

static struct MHD_Daemon *
metrics_http_daemon(struct metrics_http *h, const struct metrics_http_opts *o)
{
	struct addr bind = o->bind;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;

	if (addr_family(&bind) == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, addr_port(&bind), NULL, NULL,
	    metrics_http_access, h,
	    MHD_OPTION_SOCK_ADDR, &bind.u.sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->per_ip_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->memory_limit,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_UNESCAPE_CALLBACK, metrics_http_unescape, h,
	    MHD_OPTION_NOTIFY_CONNECTION, metrics_http_notify, h,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log, h,
	    MHD_OPTION_END);
}

/* The readiness gauge: the flag /readyz answers from, so that the two
 * never disagree. */
static double
metrics_http_ready_gauge(void *arg, unsigned l0, unsigned l1)
{
	const struct metrics_http *h = arg;

	(void)l0, (void)l1;
	return atomic_load(&h->ready) ? 1 : 0;
}

struct metrics_http *
metrics_http_start(struct metrics *m, const struct metrics_http_opts *o)
{
	const union MHD_DaemonInfo *di;
	struct metrics_http *h;
	int saved;

	if (m == NULL || o->toklen > METRICS_HTTP_TOKEN_MAX ||
	    (o->toklen > 0 && o->token == NULL) ||
	    o->conn_limit == 0 || o->per_ip_limit == 0 ||
	    o->idle_timeout_s == 0 || o->request_ms == 0 ||
	    o->memory_limit < 4096 || o->page_max < METRICS_PAGE_START) {
		errno = EINVAL;
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->m = m;
	if (o->toklen > 0)
		memcpy(h->token, o->token, o->toklen);
	h->toklen = o->toklen;
	h->page_max = o->page_max;
	h->request_ms = o->request_ms;
	atomic_init(&h->ready, false);
	atomic_init(&h->why, NULL);
	h->ready_gauge = -1;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		return NULL;
	}
	/* before the HTTP thread exists: no scrape runs yet */
	if (o->ready_gauge >= 0) {
		if (metrics_gauge_fn_set(m, (unsigned)o->ready_gauge,
		    metrics_http_ready_gauge, h) == -1) {
			errno = EINVAL;
			goto fail;
		}
		h->ready_gauge = o->ready_gauge;
	}
	/* Room for connections libmicrohttpd is still closing. */
	if (metrics_http_watch_start(h, o->conn_limit + 8) == -1 ||
	    (h->d = metrics_http_daemon(h, o)) == NULL)
		goto fail;
	if ((di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		goto fail;
	h->port = di->port;
	return h;
fail:
	saved = errno;
	metrics_http_stop(h);
	errno = saved;
	return NULL;
}

uint16_t
metrics_http_port(const struct metrics_http *h)
{
	return h->port;
}

void
metrics_http_set_ready(struct metrics_http *h, bool ready)
{
	atomic_store(&h->why, NULL);
	atomic_store(&h->ready, ready);
}

void
metrics_http_set_unready(struct metrics_http *h, const char *why)
{
	atomic_store(&h->why, why);
	atomic_store(&h->ready, why == NULL);
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	/* libmicrohttpd first: its thread is joined, every connection is
	 * closed (the notifier empties the table), then the watchdog. */
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->watching) {
		pthread_mutex_lock(&h->mu);
		h->stopping = true;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->watchdog, NULL);
		pthread_cond_destroy(&h->cv);
	}
	/* no scrape runs any more: the gauge must not read h once freed */
	if (h->ready_gauge >= 0)
		(void)metrics_gauge_fn_set(h->m, (unsigned)h->ready_gauge,
		    NULL, NULL);
	pthread_mutex_destroy(&h->mu);
	crypto_wipe(h->token, sizeof(h->token));
	free(h->conns);
	free(h);
}
