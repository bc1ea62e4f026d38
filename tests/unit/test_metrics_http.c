/* SPDX-License-Identifier: ISC */
/*
 * The metrics endpoint (metrics_http.c) and its router (metrics_route.c):
 * a server on 127.0.0.1, a free port, spoken to over plain sockets. GET,
 * HEAD, other methods (405 with Allow), unknown and crafted paths (404),
 * the probes, the bearer token, a huge header, the per-IP connection
 * limit, a client sending one byte per 100 ms that must be cut off
 * while another client is served, and tern_ready following /readyz.
 * Every wait has a deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "tap.h"
#include "util/crypto.h"

#define IO_MS	5000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
conn_open(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until the peer closes or the deadline passes. Returns the length
 * read, or -1 on timeout. */
static long
conn_read_all(int fd, char *buf, size_t cap, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	for (;;) {
		uint64_t t = now_ms();

		if (t >= end || poll(&pfd, 1, (int)(end - t)) <= 0)
			return -1;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0)
			return -1;
		len += (size_t)n;
		if (len == cap - 1)
			break;
	}
	buf[len] = '\0';
	return (long)len;
}

static int
http_status(const char *resp)
{
	long v;
	char *end;

	if (strncmp(resp, "HTTP/1.1 ", 9) != 0)
		return 0;
	v = strtol(resp + 9, &end, 10);
	return end == resp + 12 ? (int)v : 0;
}

/* The body (after the blank line), or "" */
static const char *
http_body(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/* One request; *status is the HTTP status (0 if none came back). */
static long
http_do(uint16_t port, const char *req, char *buf, size_t cap, int *status)
{
	long n;
	int fd;

	*status = 0;
	buf[0] = '\0';
	if ((fd = conn_open(port)) == -1)
		return -1;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	n = conn_read_all(fd, buf, cap, IO_MS);
	close(fd);
	*status = http_status(buf);
	return n;
}

static char resp[1 << 20];

static struct metrics_http *
server_start(struct metrics *m, const char *token, unsigned request_ms)
{
	struct metrics_http_opts o;

	metrics_http_opts_init(&o);
	addr_set_port(&o.bind, 0);
	if (token != NULL) {
		o.token = (const uint8_t *)token;
		o.toklen = strlen(token);
	}
	o.request_ms = request_ms;
	return metrics_http_start(m, &o);
}

static void
test_router(void)
{
	static const uint8_t tok[] = "t0k";
	static const struct {
		const char *method, *url, *authz;
		size_t toklen;
		unsigned status;
		enum metrics_page page;
	} cases[] = {
		{ "GET", "/metrics", NULL, 0, 200, METRICS_PAGE_METRICS },
		{ "HEAD", "/metrics", NULL, 0, 200, METRICS_PAGE_METRICS },
		{ "GET", "/healthz", NULL, 0, 200, METRICS_PAGE_HEALTHZ },
		{ "GET", "/readyz", NULL, 0, 200, METRICS_PAGE_READYZ },
		{ "POST", "/metrics", NULL, 0, 405, METRICS_PAGE_NONE },
		{ "get", "/metrics", NULL, 0, 405, METRICS_PAGE_NONE },
		{ "PUT", "/nope", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/metrics/", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "//metrics", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/metrics/../x", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/x/../metrics", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/%6detrics", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/%2e%2e/metrics", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "", NULL, 0, 404, METRICS_PAGE_NONE },
		{ "GET", "/metrics", NULL, 3, 401, METRICS_PAGE_NONE },
		{ "GET", "/metrics", "Bearer t0k", 3, 200, METRICS_PAGE_METRICS },
		{ "GET", "/metrics", "bearer t0k", 3, 200, METRICS_PAGE_METRICS },
		{ "GET", "/metrics", "Bearer t0k ", 3, 401, METRICS_PAGE_NONE },
		{ "GET", "/metrics", "Bearer t0", 3, 401, METRICS_PAGE_NONE },
		{ "GET", "/metrics", "Basic t0k", 3, 401, METRICS_PAGE_NONE },
		{ "GET", "/metrics", "Bearer  t0k", 3, 401, METRICS_PAGE_NONE },
		{ "GET", "/healthz", NULL, 3, 200, METRICS_PAGE_HEALTHZ },
		{ "DELETE", "/healthz", NULL, 3, 405, METRICS_PAGE_NONE },
	};
	struct metrics_route r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = metrics_route(cases[i].method, cases[i].url, cases[i].authz,
		    tok, cases[i].toklen);
		ok(r.status == cases[i].status && r.page == cases[i].page,
		    "route: %s '%s' authz=%s token=%zu -> %u", cases[i].method,
		    cases[i].url, cases[i].authz ? cases[i].authz : "-",
		    cases[i].toklen, cases[i].status);
	}
	r = metrics_route(NULL, NULL, NULL, NULL, 0);
	is_int(r.status, 404, "route: NULLs are 404");
}

static void
test_methods_and_paths(struct metrics *m)
{
	struct metrics_http *h = server_start(m, NULL, 5000);
	uint16_t port;
	int st;
	long n;

	ok(h != NULL, "http: started");
	if (h == NULL)
		return;
	port = metrics_http_port(h);
	ok(port != 0, "http: bound to port %u", port);
	n = http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "GET /metrics: 200");
	ok(n > 0 && strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n") != NULL, "GET /metrics: content type");
	ok(strstr(http_body(resp), "tern_build_info{version=\"") != NULL &&
	    strstr(http_body(resp), "\ntern_allocations_created_total 7\n") !=
	    NULL, "GET /metrics: page with the counted value");
	n = http_do(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "HEAD /metrics: 200");
	ok(n > 0 && *http_body(resp) == '\0' &&
	    strstr(resp, "Content-Length: ") != NULL, "HEAD /metrics: no body");
	http_do(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
	    "\r\n\r\nhello", resp, sizeof(resp), &st);
	is_int(st, 405, "POST /metrics: 405");
	ok(strstr(resp, "\r\nAllow: GET, HEAD\r\n") != NULL, "POST: Allow header");
	http_do(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 404, "GET /nope: 404");
	http_do(port, "GET /metrics/../x HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 404, "GET /metrics/../x: 404");
	http_do(port, "GET //metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 404, "GET //metrics: 404");
	http_do(port, "GET /%6detrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 404, "GET /%%6detrics: 404 (no unescaping)");
	http_do(port, "GET /%2e%2e/metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 404, "GET /%%2e%%2e/metrics: 404");
	http_do(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "GET /healthz: 200");
	http_do(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 503, "GET /readyz before ready: 503");
	metrics_http_set_ready(h, true);
	http_do(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "GET /readyz when ready: 200");
	metrics_http_stop(h);
}

/* tern_ready reads the flag /readyz answers from: the two agree at every
 * step, and the gauge falls back to 0 once the endpoint has stopped. */
static void
test_ready_gauge(struct metrics *m)
{
	static char page[1 << 16];
	struct metrics_http_opts o;
	struct metrics_http *h;
	uint16_t port;
	int st;

	metrics_http_opts_init(&o);
	addr_set_port(&o.bind, 0);
	o.ready_gauge = METRICS_ALLOCATION_DURATION;
	ok(metrics_http_start(m, &o) == NULL && errno == EINVAL,
	    "ready gauge: a histogram is refused");
	o.ready_gauge = METRICS_READY;
	if (!ok((h = metrics_http_start(m, &o)) != NULL, "ready gauge: started"))
		return;
	port = metrics_http_port(h);
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	ok(st == 200 && strstr(resp, "\ntern_ready 0\n") != NULL,
	    "ready gauge: 0 before ready");
	metrics_http_set_ready(h, true);
	http_do(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "ready gauge: /readyz 200");
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	ok(strstr(resp, "\ntern_ready 1\n") != NULL, "ready gauge: then 1");
	metrics_http_set_unready(h, "self-test failing");
	http_do(port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 503, "ready gauge: /readyz 503 with a reason");
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	ok(strstr(resp, "\ntern_ready 0\n") != NULL, "ready gauge: then 0");
	metrics_http_set_ready(h, true);
	metrics_http_stop(h);
	ok(metrics_expo_write(m, page, sizeof(page)) > 0 &&
	    strstr(page, "\ntern_ready 0\n") != NULL,
	    "ready gauge: 0 after the endpoint stopped (no callback left)");
}

static void
test_token(struct metrics *m)
{
	struct metrics_http *h = server_start(m, "s3cr3t-token", 5000);
	uint16_t port;
	int st;

	ok(h != NULL, "token: started");
	if (h == NULL)
		return;
	port = metrics_http_port(h);
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 401, "token: missing is 401");
	ok(strstr(resp, "\r\nWWW-Authenticate: Bearer realm=\"tern\"\r\n") !=
	    NULL, "token: challenge header");
	ok(strstr(resp, "tern_") == NULL, "token: no metrics in the 401");
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: "
	    "Bearer s3cr3t-tokem\r\n\r\n", resp, sizeof(resp), &st);
	is_int(st, 401, "token: wrong is 401");
	http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: "
	    "Bearer s3cr3t-token\r\n\r\n", resp, sizeof(resp), &st);
	is_int(st, 200, "token: right is 200");
	http_do(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp), &st);
	is_int(st, 200, "token: probes need none");
	metrics_http_stop(h);
}

/* GET /metrics until it answers 200 or the deadline passes. */
static int
get_until_ok(uint16_t port, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct timespec pause = { 0, 50 * 1000000L };
	int st = 0;

	while (now_ms() < end) {
		http_do(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
		    sizeof(resp), &st);
		if (st == 200)
			break;
		nanosleep(&pause, NULL);
	}
	return st;
}

static void
test_huge_header(uint16_t port)
{
	static char big[65536 + 128];
	size_t len, off = 0;
	ssize_t n;
	int fd, st;

	len = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\n"
	    "Host: x\r\nX-Big: ");
	memset(big + len, 'a', 65536);
	len += 65536;
	memcpy(big + len, "\r\n\r\n", 4);
	len += 4;
	if ((fd = conn_open(port)) == -1) {
		ok(0, "huge header: connect");
		return;
	}
	/* The server may give up and close while this is still sending. */
	while (off < len && (n = send(fd, big + off, len - off,
	    MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	conn_read_all(fd, resp, sizeof(resp), IO_MS);
	close(fd);
	st = http_status(resp);
	ok(st == 431 || st == 0, "huge header: refused (status %d), no page",
	    st);
	ok(strstr(resp, "tern_build_info") == NULL, "huge header: no metrics");
	is_int(get_until_ok(port, 3000), 200, "huge header: others still served");
}

static void
test_per_ip_limit(uint16_t port)
{
	struct timespec settle = { 0, 300 * 1000000L };
	int idle[4], fd, st = -1;
	unsigned i, opened = 0;

	for (i = 0; i < 4; i++)
		if ((idle[i] = conn_open(port)) != -1)
			opened++;
	is_int(opened, 4, "per-ip: 4 idle connections open");
	nanosleep(&settle, NULL);	/* let the server accept them */
	if ((fd = conn_open(port)) != -1) {
		send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35,
		    MSG_NOSIGNAL);
		conn_read_all(fd, resp, sizeof(resp), IO_MS);
		st = http_status(resp);
		close(fd);
	}
	ok(st != 200, "per-ip: a 5th connection from the IP is refused (%d)",
	    st);
	for (i = 0; i < 4; i++)
		if (idle[i] != -1)
			close(idle[i]);
	is_int(get_until_ok(port, 3000), 200, "per-ip: served once they close");
}

/* One byte per 100 ms: the idle timeout never fires, the request deadline
 * (1000 ms here) must. Meanwhile another client is served. */
static void
test_slow_client(uint16_t port)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	struct timespec step = { 0, 100 * 1000000L };
	struct pollfd pfd;
	uint64_t start = now_ms(), cut = 0;
	size_t i;
	char c;
	int fd, st = 0;

	if ((fd = conn_open(port)) == -1) {
		ok(0, "slow: connect");
		return;
	}
	for (i = 0; i < sizeof(req) - 1 && cut == 0; i++) {
		if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1) {
			cut = now_ms();
			break;
		}
		if (i == 3)
			st = get_until_ok(port, 2000);
		nanosleep(&step, NULL);
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 1 && recv(fd, &c, 1, 0) <= 0)
			cut = now_ms();
	}
	close(fd);
	is_int(st, 200, "slow: another client is served meanwhile");
	ok(cut != 0, "slow: cut off before finishing its request");
	ok(cut != 0 && cut - start >= 900 && cut - start < 3000,
	    "slow: cut by the 1000 ms deadline (after %llu ms)",
	    (unsigned long long)(cut ? cut - start : 0));
}

static void
test_hostile(struct metrics *m)
{
	struct metrics_http *h = server_start(m, NULL, 1000);
	uint16_t port;

	ok(h != NULL, "hostile: started");
	if (h == NULL)
		return;
	port = metrics_http_port(h);
	test_huge_header(port);
	test_per_ip_limit(port);
	test_slow_client(port);
	metrics_http_stop(h);
}

struct counting {
	struct metrics_worker *w;
};

static void *
count_thread(void *arg)
{
	struct counting *c = arg;
	unsigned i;

	for (i = 0; i < 100000; i++)
		metrics_count(c->w, METRICS_RELAYED_PACKETS,
		    METRICS_PEER_TO_CLIENT, 1);
	return NULL;
}

/* Scrapes while two workers count; then the page over HTTP, with the
 * process metrics, passes promtool. */
static void
test_scrape_and_promtool(struct metrics *m)
{
	struct metrics_http *h = server_start(m, NULL, 5000);
	struct counting c[2] = { { metrics_worker(m, 0) },
	    { metrics_worker(m, 1) } };
	pthread_t th[2];
	char path[] = "/tmp/tern-metrics-http-XXXXXX", cmd[256], line[256];
	const char *body;
	FILE *p;
	int i, fd, good = 0, rc = 1;

	if (h == NULL) {
		ok(0, "scrape: started");
		return;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, count_thread, &c[i]);
	for (i = 0; i < 5; i++)
		if (get_until_ok(metrics_http_port(h), 2000) == 200)
			good++;
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is_int(good, 5, "scrape: 5 scrapes while workers count");
	get_until_ok(metrics_http_port(h), 2000);
	body = http_body(resp);
	ok(strstr(body, "tern_relayed_packets_total{direction=\"peer_to_client"
	    "\"} 200000\n") != NULL, "scrape: exact sum after the workers end");
	ok(strstr(body, "\nprocess_open_fds ") != NULL &&
	    strstr(body, "\nprocess_open_fds 0\n") == NULL &&
	    strstr(body, "\nprocess_resident_memory_bytes 0\n") == NULL &&
	    strstr(body, "\nprocess_start_time_seconds 0\n") == NULL,
	    "scrape: process metrics are filled in");
	metrics_http_stop(h);
	if (access("/usr/bin/promtool", X_OK) != 0) {
		printf("ok %d - # SKIP promtool absent\n", ++tap_n);
		return;
	}
	if ((fd = mkstemp(path)) == -1) {
		ok(0, "promtool: temporary file");
		return;
	}
	if (write(fd, body, strlen(body)) == (ssize_t)strlen(body)) {
		snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics "
		    "< '%s' 2>&1; echo \"rc=$?\"", path);
		if ((p = popen(cmd, "r")) != NULL) {
			while (fgets(line, sizeof(line), p) != NULL) {
				if (strcmp(line, "rc=0\n") == 0)
					rc = 0;
				else
					printf("# promtool: %s", line);
			}
			pclose(p);
		}
	}
	close(fd);
	unlink(path);
	ok(rc == 0, "promtool: the served page passes check metrics");
}

int
main(void)
{
	struct metrics *m;

	if (crypto_init() == -1) {
		ok(0, "crypto_init");
		return tap_done();
	}
	test_router();
	m = metrics_tern_new(2, NULL);
	if (m == NULL || metrics_process_register(m) == -1) {
		ok(0, "registry");
		return tap_done();
	}
	metrics_count(metrics_worker(m, 0), METRICS_ALLOCATIONS_CREATED, 0, 7);
	test_methods_and_paths(m);
	test_token(m);
	test_ready_gauge(m);
	test_hostile(m);
	test_scrape_and_promtool(m);
	metrics_free(m);
	crypto_shutdown();
	return tap_done();
}
