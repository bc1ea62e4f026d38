/* SPDX-License-Identifier: ISC */
/*
 * metrics_common: see metrics_common.h.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "metrics_common.h"

int
mc_init(struct mc *m, const char *ternd)
{
	memset(m, 0, sizeof(*m));
	if (harness_init(&m->h, ternd) == -1)
		return -1;
	m->mport = harness_free_port("127.0.0.1");
	return m->mport != 0 ? 0 : -1;
}

int
mc_start(struct mc *m, const char *extra)
{
	struct harness_opts o = { 0 };
	char conf[4096];
	int n;

	n = snprintf(conf, sizeof(conf), HARNESS_TURN_CONF
	    "user = " MC_USER ":" MC_PASS "\n"
	    "allow-loopback-peers\n"
	    "relay-ip = 127.0.0.1\n"
	    "prometheus\n"
	    "prometheus-address = 127.0.0.1\n"
	    "prometheus-port = %u\n%s\n", m->mport, extra != NULL ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(conf))
		return -1;
	o.extra = conf;
	o.tls = m->tls;
	if (harness_start(&m->h, &o) == -1)
		return -1;
	m->started = true;
	return 0;
}

void
mc_fini(struct mc *m)
{
	harness_fini(&m->h);
}

static int64_t
mc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking TCP connection to 127.0.0.1:port, or -1. */
static int
mc_connect(uint16_t port, int64_t deadline)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, err = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)(deadline - mc_now())) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 || err != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Status and Content-Type from the head; body moved to the front. */
static void
mc_parse(struct mc_resp *r)
{
	char *end, *p, *line;
	size_t hl;

	if ((end = strstr(r->body, "\r\n\r\n")) == NULL) {
		if (sscanf(r->body, "HTTP/1.%*d %d", &r->status) != 1)
			r->status = 0;
		return;
	}
	*end = '\0';
	if (sscanf(r->body, "HTTP/1.%*d %d", &r->status) != 1)
		r->status = 0;
	for (line = strstr(r->body, "\r\n"); line != NULL;
	    line = strstr(line + 2, "\r\n")) {
		p = line + 2;
		if (strncasecmp(p, "Content-Type:", 13) == 0) {
			p += 13;
			while (*p == ' ')
				p++;
			snprintf(r->ctype, sizeof(r->ctype), "%.*s",
			    (int)strcspn(p, "\r"), p);
		}
	}
	hl = (size_t)(end - r->body) + 4;
	memmove(r->body, r->body + hl, r->len - hl + 1);
	r->len -= hl;
}

int
mc_http_raw(uint16_t port, const void *raw, size_t len, struct mc_resp *r,
    int timeout_ms)
{
	int64_t deadline = mc_now() + timeout_ms;
	struct pollfd pfd;
	size_t off = 0;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	if ((r->body = calloc(1, MC_BODY_MAX + 1)) == NULL)
		return -1;
	if ((fd = mc_connect(port, deadline)) == -1)
		return -1;
	pfd.fd = fd;
	while (mc_now() < deadline) {
		pfd.events = off < len ? POLLIN | POLLOUT : POLLIN;
		if (poll(&pfd, 1, (int)(deadline - mc_now())) <= 0)
			break;
		if ((pfd.revents & POLLOUT) && off < len) {
			n = send(fd, (const char *)raw + off, len - off,
			    MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				off = len;	/* the server refused the rest */
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, r->body + r->len, MC_BODY_MAX - r->len, 0);
		if (n == 0 || (n == -1 && errno != EAGAIN) ||
		    r->len + (size_t)n >= MC_BODY_MAX) {
			r->closed = true;
			break;
		}
		if (n > 0)
			r->len += (size_t)n;
	}
	close(fd);
	r->body[r->len] = '\0';
	mc_parse(r);
	return r->status != 0 ? 0 : -1;
}

int
mc_http(uint16_t port, const char *method, const char *path, const char *hdr,
    struct mc_resp *r, int timeout_ms)
{
	char req[2048];
	int n;

	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n%s%s\r\n", method, path,
	    hdr != NULL ? hdr : "", hdr != NULL ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return mc_http_raw(port, req, (size_t)n, r, timeout_ms);
}

void
mc_resp_free(struct mc_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* The value after a series' name and labels at p (end of the labels). */
static int
mc_number(const char *p, double *out)
{
	char *end;

	if (*p != ' ')
		return -1;
	*out = strtod(p + 1, &end);
	return end == p + 1 ? -1 : 0;
}

int
mc_value(const char *page, const char *series, double *out)
{
	size_t sl = strlen(series);
	const char *line;

	for (line = page; line != NULL && *line != '\0';
	    line = strchr(line, '\n'), line = line != NULL ? line + 1 : NULL) {
		if (*line == '#' || strncmp(line, series, sl) != 0)
			continue;
		if (mc_number(line + sl, out) == 0)
			return 0;
	}
	return -1;
}

int
mc_sum(const char *page, const char *name, double *out)
{
	size_t nl = strlen(name);
	const char *line, *p;
	bool any = false;
	double v;

	*out = 0;
	for (line = page; line != NULL && *line != '\0';
	    line = strchr(line, '\n'), line = line != NULL ? line + 1 : NULL) {
		if (*line == '#' || strncmp(line, name, nl) != 0)
			continue;
		p = line + nl;
		if (*p == '{' && (p = strchr(p, '}')) != NULL)
			p++;
		if (p != NULL && mc_number(p, &v) == 0) {
			*out += v;
			any = true;
		}
	}
	return any ? 0 : -1;
}

bool
mc_wait(uint16_t port, const char *hdr, const char *series, bool sum,
    double want, int timeout_ms, double *last)
{
	int64_t deadline = mc_now() + timeout_ms;
	struct mc_resp r;
	struct timespec nap = { 0, 100 * 1000000L };
	double v;
	int rc;

	*last = NAN;
	do {
		if (mc_http(port, "GET", "/metrics", hdr, &r, 2000) == 0 &&
		    r.status == 200) {
			rc = sum ? mc_sum(r.body, series, &v) :
			    mc_value(r.body, series, &v);
			if (rc == 0)
				*last = v;
			if (rc == 0 && v == want) {
				mc_resp_free(&r);
				return true;
			}
		}
		mc_resp_free(&r);
		nanosleep(&nap, NULL);
	} while (mc_now() < deadline);
	return false;
}

int
mc_status_until(uint16_t port, const char *path, int want, int timeout_ms,
    char *body, size_t cap)
{
	int64_t deadline = mc_now() + timeout_ms;
	struct timespec nap = { 0, 100 * 1000000L };
	struct mc_resp r;
	int st;

	do {
		st = mc_http(port, "GET", path, NULL, &r, 2000) == 0 ?
		    r.status : 0;
		if (body != NULL)
			snprintf(body, cap, "%s", r.body != NULL ? r.body : "");
		mc_resp_free(&r);
		if (st == want)
			break;
		nanosleep(&nap, NULL);
	} while (mc_now() < deadline);
	return st;
}

int
mc_read(uint16_t port, const char *hdr, const char *series, bool sum,
    double *out)
{
	struct mc_resp r;
	int rc = -1;

	if (mc_http(port, "GET", "/metrics", hdr, &r, 2000) == 0 &&
	    r.status == 200)
		rc = sum ? mc_sum(r.body, series, out) :
		    mc_value(r.body, series, out);
	mc_resp_free(&r);
	return rc;
}

int
mc_promtool(const char *dir, const char *page, char *out, size_t cap)
{
	char path[HARNESS_PATH + 32], cmd[2 * HARNESS_PATH + 64];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(path, sizeof(path), "%s/page.prom", dir);
	if (harness_write_file(path, page) == -1)
		return -1;
	/* The path is the test's own mkdtemp directory: no quoting issue. */
	snprintf(cmd, sizeof(cmd), "exec /usr/bin/promtool check metrics "
	    "< '%s'", path);
	return harness_run(argv, out, cap, 20000);
}

int
mc_alloc(struct mc *m, const struct addr *peer, struct client **c,
    struct client_turn *t)
{
	int r;

	if (harness_turn_open(&m->h, CLIENT_UDP, MC_USER, MC_PASS, c, t) != 0)
		return CLIENT_E_IO;
	if ((r = client_turn_allocate(t, NULL, 3000)) != 0)
		return r;
	return client_turn_permit(t, peer, 1, 3000);
}

int
mc_echo(struct client_turn *t, const struct addr *peer, const void *p,
    size_t len, int timeout_ms)
{
	struct client_turn_data d;
	uint8_t buf[4096];

	if (client_turn_send(t, peer, p, len) != 0)
		return -1;
	if (client_turn_recv(t, buf, sizeof(buf), &d, timeout_ms) != 0)
		return -1;
	return d.len == len && memcmp(d.data, p, len) == 0 ? 0 : -1;
}
