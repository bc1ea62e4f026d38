/* SPDX-License-Identifier: ISC */
/*
 * Hostile HTTP clients against the metrics endpoint leave TURN relaying
 * unaffected (docs/security.md, Attack catalogue: metrics endpoint):
 *     test_metrics_hostile TERND
 * While a relay thread sends ChannelData through an allocation to an echo
 * peer and waits for every echo, the main thread sends, one after the
 * other and each bounded in time: a request with 64 KiB of headers (no
 * 200), slowloris connections dribbling a header byte by byte (cut by the
 * server within the per-connection deadline), a POST with a body (405),
 * dot-dot and encoded paths (404), and 1000 connections at once. Then the
 * endpoint answers again, ternd is alive, and the relay flow lost nothing.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics_common.h"
#include "tap.h"

#define CHANNEL		0x4001
#define RELAY_MAX	3000	/* packets at most (bounds the thread) */
#define RELAY_GAP_MS	10
#define SLOW_CONNS	6
#define SLOW_MS		9000	/* server deadline is 5 s */
#define MANY_CONNS	1000
#define BIG_HEADER	(64 * 1024)

struct flow {
	struct client_turn *t;
	atomic_bool stop;
	unsigned sent, back;
	pthread_t th;
};

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Sends one numbered ChannelData and waits for its echo, until stopped. */
static void *
flow_main(void *arg)
{
	struct flow *f = arg;
	struct client_turn_data d;
	uint8_t out[64], buf[512];
	int64_t until;

	while (!atomic_load(&f->stop) && f->sent < RELAY_MAX) {
		memset(out, 0, sizeof(out));
		snprintf((char *)out, sizeof(out), "packet %u", f->sent);
		if (client_turn_channel_send(f->t, CHANNEL, out,
		    sizeof(out)) != 0)
			break;
		f->sent++;
		until = client_now_ms() + 2000;
		while (client_now_ms() < until) {
			if (client_turn_recv(f->t, buf, sizeof(buf), &d,
			    (int)(until - client_now_ms())) != 0)
				break;
			if (d.len == sizeof(out) && memcmp(d.data, out,
			    sizeof(out)) == 0) {
				f->back++;
				break;
			}
		}
		nap_ms(RELAY_GAP_MS);
	}
	return NULL;
}

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* true when the server closed fd (EOF or reset). */
static bool
peer_closed(int fd)
{
	char b[512];
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ENOTCONN && errno != EINPROGRESS);
}

static void
big_headers(struct mc *m)
{
	struct mc_resp r;
	size_t len;
	char *req;

	if ((req = malloc(BIG_HEADER + 256)) == NULL)
		return;
	len = (size_t)snprintf(req, 256, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "X-Big: ");
	memset(req + len, 'a', BIG_HEADER);
	len += BIG_HEADER;
	memcpy(req + len, "\r\n\r\n", 4);
	len += 4;
	(void)mc_http_raw(m->mport, req, len, &r, 5000);
	ok(r.status != 200, "64 KiB of headers: no page (status %d, closed %d)",
	    r.status, r.closed);
	mc_resp_free(&r);
	free(req);
}

/* Each connection sends a header line one byte every 100 ms. */
static void
slowloris(struct mc *m)
{
	static const char line[] = "GET /metrics HTTP/1.1\r\nX-Slow: ";
	int fd[SLOW_CONNS], i, cut = 0, opened = 0;
	bool done[SLOW_CONNS] = { false };
	int64_t end = client_now_ms() + SLOW_MS;

	for (i = 0; i < SLOW_CONNS; i++)
		if ((fd[i] = tcp_connect(m->mport)) != -1)
			opened++;
	nap_ms(100);
	for (i = 0; i < SLOW_CONNS; i++)
		if (fd[i] != -1)
			(void)send(fd[i], line, sizeof(line) - 1, MSG_NOSIGNAL);
	while (client_now_ms() < end && cut < opened) {
		for (i = 0; i < SLOW_CONNS; i++) {
			if (fd[i] == -1 || done[i])
				continue;
			if (send(fd[i], "a", 1, MSG_NOSIGNAL) == -1 ||
			    peer_closed(fd[i])) {
				done[i] = true;
				cut++;
			}
		}
		nap_ms(100);
	}
	is_int(cut, opened, "slowloris: the server cut all %d connections "
	    "within %d ms", opened, SLOW_MS);
	for (i = 0; i < SLOW_CONNS; i++)
		if (fd[i] != -1)
			close(fd[i]);
}

static void
methods_and_paths(struct mc *m)
{
	static const char post[] = "POST /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 100000\r\n\r\nname=value&a=b";
	static const char *const paths[] = { "/metrics/../metrics",
	    "/../../etc/passwd", "/%2e%2e/metrics", "/healthz/..",
	    "//metrics", "/METRICS", "/metrics%00" };
	struct mc_resp r;
	size_t i;

	(void)mc_http_raw(m->mport, post, sizeof(post) - 1, &r, 5000);
	is_int(r.status, 405, "POST with a body: 405");
	mc_resp_free(&r);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		(void)mc_http(m->mport, "GET", paths[i], NULL, &r, 5000);
		ok(r.status == 404 || r.status == 400, "GET %s: %d (404 or "
		    "400)", paths[i], r.status);
		mc_resp_free(&r);
	}
}

/* MANY_CONNS connections at once (as many as our fd limit allows), each
 * with half a request, held for a second, then closed. */
static void
many(struct mc *m)
{
	struct rlimit rl;
	int *fd, i, n = MANY_CONNS, opened = 0;
	static const char half[] = "GET /metrics HTTP/1.1\r\n";

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MANY_CONNS +
	    64 && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < MANY_CONNS + 64 ? rl.rlim_max :
		    MANY_CONNS + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MANY_CONNS + 64)
		n = (int)rl.rlim_cur - 64;
	if ((fd = calloc((size_t)n, sizeof(*fd))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((fd[i] = tcp_connect(m->mport)) != -1)
			opened++;
	nap_ms(200);
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			(void)send(fd[i], half, sizeof(half) - 1, MSG_NOSIGNAL);
	nap_ms(1000);
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			close(fd[i]);
	free(fd);
	ok(opened > 0, "%d connections opened at once (of %d)", opened, n);
}

/* The endpoint serves again once the attack is over. */
static void
answers_again(struct mc *m, const char *after)
{
	int64_t end = client_now_ms() + 10000;
	struct mc_resp r;
	int st = 0;

	while (client_now_ms() < end) {
		(void)mc_http(m->mport, "GET", "/healthz", NULL, &r, 2000);
		st = r.status;
		mc_resp_free(&r);
		if (st == 200)
			break;
		nap_ms(200);
	}
	is_int(st, 200, "after %s, /healthz answers 200 again", after);
}

static void
attack(struct mc *m)
{
	big_headers(m);
	answers_again(m, "64 KiB headers");
	slowloris(m);
	answers_again(m, "slowloris");
	methods_and_paths(m);
	many(m);
	answers_again(m, "1000 connections");
}

int
main(int argc, char *argv[])
{
	struct mc m;
	struct harness_peer p = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	struct flow f = { 0 };
	bool running = false, seen;
	double v;

	if (argc != 2) {
		fprintf(stderr, "usage: test_metrics_hostile TERND\n");
		return 2;
	}
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir") ||
	    !ok(mc_start(&m, NULL) == 0, "ternd with metrics") ||
	    !ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer") ||
	    !ok(mc_alloc(&m, &p.addr, &c, &t) == 0, "allocation") ||
	    !ok(client_turn_channel_bind(&t, CHANNEL, &p.addr, 3000) == 0,
	    "ChannelBind"))
		goto out;
	f.t = &t;
	atomic_init(&f.stop, false);
	if (!ok(pthread_create(&f.th, NULL, flow_main, &f) == 0,
	    "relay flow started"))
		goto out;
	running = true;
	nap_ms(300);
	attack(&m);
	atomic_store(&f.stop, true);
	pthread_join(f.th, NULL);
	running = false;
	ok(f.sent >= 100, "the flow ran through the attack (%u packets)",
	    f.sent);
	is_int(f.back, f.sent, "every relayed packet came back during the "
	    "attack (%u of %u)", f.back, f.sent);
	seen = mc_wait(m.mport, NULL, "tern_relayed_packets_total{direction="
	    "\"client_to_peer\"}", false, f.sent, MC_WAIT_MS, &v);
	ok(seen, "the counter saw them all (%g)", v);
	ok(harness_wait(m.h.pid, 0) == -2, "ternd is still running");
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
out:
	if (running) {
		atomic_store(&f.stop, true);
		pthread_join(f.th, NULL);
	}
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
	mc_fini(&m);
	return tap_done();
}
