/* SPDX-License-Identifier: ISC */
/*
 * TCP/TLS exhaustion without credentials (docs/security.md, TCP/TLS
 * exhaustion), against a real ternd, one case per run:
 *   test_stream_limits TERND per48|per48-option|flood|keepalive|stall|
 *       rlimit-refuse|rlimit-raise
 *
 * per48      in the test's own network namespace (unshare CLONE_NEWNET,
 *            lo up with 200 addresses of 2001:db8:48::/48, one per /64):
 *            with max-connections-per-ip = 2, one TCP connection from each
 *            of the 200 /64s; exactly the /48 cap (4 x 2, the default)
 *            get answers, the other 192 are closed at once and counted as
 *            tern_connection_refusals_total{reason="per_48"}; a client of
 *            another /48 is still served. Needs root (CI is root): skipped
 *            only when not root.
 * per48-option  the same with max-connections-per-48 = 5: 5 served.
 * flood      600 connections from 127.0.0.1 one after the other, each
 *            closed after its Binding: over the accept budget (burst 100,
 *            20 a second, per worker; 2 workers) they are closed at once
 *            and counted as reason="accept_rate", while 127.0.0.2, a
 *            second source, still connects.
 * keepalive  stream-idle-timeout = 2: connections that send a Binding
 *            indication, a Send indication or ChannelData every second,
 *            without an allocation, are closed after about 2 s (reason
 *            "no_allocation"), while one that sends a Binding request
 *            every second (answered: STUN-only use) stays open.
 * stall      stream-idle-timeout = 2: after a successful Allocate over TCP,
 *            a ChannelData header announcing 0xffff bytes, then one byte
 *            every 500 ms, closes the connection about 2 s after the
 *            header ("stalled_frame"); a second allocated connection that
 *            sends nothing stays open (the allocation's lifetime applies).
 * rlimit-*   ternd started with RLIMIT_NOFILE 1024:1024 and max-connections
 *            5000 refuses to start and names both numbers; started with
 *            512:4096 and limits that need less than 4096, it raises its
 *            soft limit to what they need and serves.
 */
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "metrics_common.h"
#include "tap.h"

#define IDLE_S		2
#define EARLY_MS	1800	/* not closed before */
#define LATE_MS		6000	/* closed by */
#define ANSWER_MS	3000
#define N64		200	/* /64s of the /48 */
#define PER_IP		2
#define PER_48		(4 * PER_IP)	/* the default: 4 x max-connections-per-ip */
#define PER_48_SET	5	/* max-connections-per-48 in per48-option */
#define FLOOD		600
#define WORKERS		2	/* the harness's */
#define ACCEPT_RATE	20
#define ACCEPT_BURST	100

/* Same layout as the kernel's struct in6_ifreq (linux/ipv6.h). */
struct in6_ifreq_ {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int
nap(int ms)
{
	return poll(NULL, 0, ms);
}

/* A blocking TCP connection from src (NULL: the kernel's choice) to dst. */
static int
tcp_connect(const struct addr *src, const struct addr *dst)
{
	int fd;

	if ((fd = socket(addr_family(dst), SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((src != NULL && bind(fd, &src->u.sa, addr_len(src)) == -1) ||
	    connect(fd, &dst->u.sa, addr_len(dst)) == -1) {
		printf("# connect: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until one 20-byte STUN header (plus its body) has come: 1 when it
 * is a Binding success, 0 when the server closed first, -1 at the
 * deadline. */
static int
tcp_answer(int fd, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[256];
	size_t have = 0;
	ssize_t n;

	while (have < 20) {
		int left = (int)(deadline - client_now_ms());

		if (left <= 0 || poll(&pfd, 1, left) != 1)
			return -1;
		n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0)
			return -1;
		have += (size_t)n;
	}
	return buf[0] == 0x01 && buf[1] == 0x01 ? 1 : -1;
}

/* A STUN header of type with len bytes of attributes after it. */
static void
stun_header(uint8_t *p, uint16_t type, uint16_t len)
{
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };

	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, cookie, 4);
	(void)client_tid_new(p + 8);
}

/* Sends a Binding request on fd: 1 answered, 0 closed, -1 neither. */
static int
tcp_binding(int fd, int timeout_ms)
{
	uint8_t req[20];

	stun_header(req, 0x0001, 0);
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return errno == EPIPE || errno == ECONNRESET ? 0 : -1;
	return tcp_answer(fd, timeout_ms);
}

/* ---- per48: the /48 cap, in a network namespace ---- */

static int
lo_setup(void)
{
	struct in6_ifreq_ r6;
	struct ifreq ifr;
	char ip[64];
	int fd, i, rc = -1;

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		goto out;
	/* One address per /64 of 2001:db8:48::/48, and one of another /48.
	 * Loopback does no duplicate address detection: usable at once. */
	for (i = 0; i <= N64; i++) {
		memset(&r6, 0, sizeof(r6));
		if (i < N64)
			snprintf(ip, sizeof(ip), "2001:db8:48:%x::1", i);
		else
			snprintf(ip, sizeof(ip), "2001:db8:49::1");
		if (inet_pton(AF_INET6, ip, &r6.addr) != 1)
			goto out;
		r6.prefixlen = 128;
		r6.ifindex = (int)if_nametoindex("lo");
		if (ioctl(fd, SIOCSIFADDR, &r6) == -1) {
			printf("# %s on lo: %s\n", ip, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
case_per48_cap(struct mc *m, int cap, bool set)
{
	struct harness_opts o = { .ip = "::1" };
	struct addr src, other;
	char conf[1024], ip[64];
	int fds[N64], i, r, answered = 0, closed = 0, bad = 0, fd = -1;
	double last;
	bool got;

	for (i = 0; i < N64; i++)
		fds[i] = -1;
	if (!ok(unshare(CLONE_NEWNET) == 0, "own network namespace") ||
	    !ok(lo_setup() == 0, "lo up with %d /64s of 2001:db8:48::/48", N64) ||
	    !ok((m->mport = harness_free_port("127.0.0.1")) != 0, "metrics port"))
		return -1;
	snprintf(conf, sizeof(conf), "max-connections-per-ip = %d\nprometheus\n"
	    "prometheus-address = 127.0.0.1\nprometheus-port = %u\n"
	    "max-connections-per-48 = %d\n", PER_IP, m->mport, set ? cap : 0);
	o.extra = conf;
	if (!ok(harness_start(&m->h, &o) == 0, "ternd on ::1"))
		return -1;
	for (i = 0; i < N64; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:48:%x::1", i);
		if (addr_parse_ip(&src, ip, 0) == -1 ||
		    (fds[i] = tcp_connect(&src, &m->h.srv)) == -1) {
			bad++;
			continue;
		}
		/* Accepted connections stay open to hold the cap. */
		if ((r = tcp_binding(fds[i], ANSWER_MS)) == 1)
			answered++;
		else if (r == 0)
			closed++;
		else
			bad++;
	}
	is_int(bad, 0, "every connection answered or closed");
	is_int(answered, cap, "the /48 cap: %d of %d /64s served", cap, N64);
	is_int(closed, N64 - cap, "the other %d closed at once", N64 - cap);
	got = mc_wait(m->mport, NULL,
	    "tern_connection_refusals_total{reason=\"per_48\"}", false,
	    N64 - cap, MC_WAIT_MS, &last);
	ok(got, "counted as reason=\"per_48\" (%g)", last);
	ok(addr_parse_ip(&other, "2001:db8:49::1", 0) == 0 &&
	    (fd = tcp_connect(&other, &m->h.srv)) != -1 &&
	    tcp_binding(fd, ANSWER_MS) == 1, "another /48 is served");
	if (fd != -1)
		close(fd);
	for (i = 0; i < N64; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return 0;
}

static int
case_per48(struct mc *m)
{
	return case_per48_cap(m, PER_48, false);
}

static int
case_per48_option(struct mc *m)
{
	return case_per48_cap(m, PER_48_SET, true);
}

/* ---- flood: the accept budget ---- */

static int
case_flood(struct mc *m)
{
	struct addr src1, src2;
	int64_t t0, elapsed;
	double last;
	bool got;
	long most;
	int i, r, fd = -1, accepted = 0, refused = 0, bad = 0;

	if (!ok(mc_start(m, "max-connections-per-ip = 1000") == 0, "ternd started") ||
	    addr_parse_ip(&src1, "127.0.0.1", 0) == -1 ||
	    addr_parse_ip(&src2, "127.0.0.2", 0) == -1)
		return -1;
	t0 = client_now_ms();
	for (i = 0; i < FLOOD; i++) {
		if ((fd = tcp_connect(&src1, &m->h.srv)) == -1) {
			bad++;
			continue;
		}
		if ((r = tcp_binding(fd, ANSWER_MS)) == 1)
			accepted++;
		else if (r == 0)
			refused++;
		else
			bad++;
		close(fd);
	}
	elapsed = client_now_ms() - t0;
	/* Each worker's bucket: the burst, then the rate. */
	most = WORKERS * (ACCEPT_BURST + ACCEPT_RATE * (elapsed / 1000 + 1));
	diag("%d accepted, %d refused in %lld ms", accepted, refused,
	    (long long)elapsed);
	is_int(bad, 0, "every connection answered or closed");
	ok(refused > 0, "the flood is refused over the budget (%d)", refused);
	ok(accepted >= ACCEPT_BURST && accepted <= most,
	    "accepted %d: at least one burst, at most %ld", accepted, most);
	got = mc_wait(m->mport, NULL,
	    "tern_connection_refusals_total{reason=\"accept_rate\"}", false,
	    refused, MC_WAIT_MS, &last);
	ok(got, "counted as reason=\"accept_rate\" (%g)", last);
	ok((fd = tcp_connect(&src2, &m->h.srv)) != -1 &&
	    tcp_binding(fd, ANSWER_MS) == 1,
	    "a second source (127.0.0.2) still connects");
	if (fd != -1)
		close(fd);
	return 0;
}

/* ---- keepalive: no progress without an allocation ---- */

enum ka { KA_BINDING_IND, KA_SEND_IND, KA_CHANNEL, KA_REQUEST, KA_N };
static const char *const ka_name[KA_N] = { "Binding indication",
	"Send indication", "ChannelData", "Binding request" };

/* One keep-alive message of kind k in p; its length. */
static size_t
ka_message(enum ka k, uint8_t *p)
{
	/* XOR-PEER-ADDRESS 127.0.0.1:9 (RFC 8656 §18.3), DATA "ping" */
	static const uint8_t send_attrs[20] = { 0x00, 0x12, 0x00, 0x08,
	    0x00, 0x01, 0x21, 0x1b, 0x5e, 0x12, 0xa4, 0x43,
	    0x00, 0x13, 0x00, 0x04, 'p', 'i', 'n', 'g' };
	static const uint8_t chan[8] = { 0x40, 0x00, 0x00, 0x04,
	    'p', 'i', 'n', 'g' };

	switch (k) {
	case KA_BINDING_IND:
		stun_header(p, 0x0011, 0);
		return 20;
	case KA_SEND_IND:
		stun_header(p, 0x0016, sizeof(send_attrs));
		memcpy(p + 20, send_attrs, sizeof(send_attrs));
		return 20 + sizeof(send_attrs);
	case KA_CHANNEL:
		memcpy(p, chan, sizeof(chan));
		return sizeof(chan);
	default:
		stun_header(p, 0x0001, 0);
		return 20;
	}
}

/* Whether fd was closed by the server; drains what it answered. */
static bool
gone(int fd)
{
	uint8_t buf[512];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
	}
}

static int
case_keepalive(struct mc *m)
{
	int64_t t0, closed_at[KA_N], now, next = 0;
	uint8_t msg[64];
	double last;
	bool got;
	int fds[KA_N], k;

	if (!ok(mc_start(m, "stream-idle-timeout = 2") == 0, "ternd started"))
		return -1;
	for (k = 0; k < KA_N; k++) {
		closed_at[k] = -1;
		fds[k] = tcp_connect(NULL, &m->h.srv);
	}
	if (!ok(fds[0] != -1 && fds[1] != -1 && fds[2] != -1 && fds[3] != -1,
	    "%d connections", KA_N))
		return -1;
	t0 = client_now_ms();
	/* Every second each sends its message; watch for closes in between. */
	while ((now = client_now_ms()) - t0 < LATE_MS) {
		for (k = 0; k < KA_N; k++) {
			if (closed_at[k] >= 0)
				continue;
			if (gone(fds[k]) ||
			    (now >= next && send(fds[k], msg, ka_message((enum ka)k,
			    msg), MSG_NOSIGNAL) == -1))
				closed_at[k] = now - t0;
		}
		if (now >= next)
			next = now + 1000;
		nap(20);
	}
	for (k = 0; k < KA_REQUEST; k++) {
		diag("%s: closed after %lld ms", ka_name[k], (long long)closed_at[k]);
		ok(closed_at[k] >= EARLY_MS && closed_at[k] <= LATE_MS,
		    "%s every second, no allocation: closed after %d s",
		    ka_name[k], IDLE_S);
	}
	ok(closed_at[KA_REQUEST] == -1 &&
	    tcp_binding(fds[KA_REQUEST], ANSWER_MS) == 1,
	    "Binding requests every second (STUN-only use): still open after %d ms",
	    LATE_MS);
	got = mc_wait(m->mport, NULL,
	    "tern_connection_timeouts_total{reason=\"no_allocation\"}", false,
	    KA_REQUEST, MC_WAIT_MS, &last);
	ok(got, "counted as reason=\"no_allocation\" (%g)", last);
	for (k = 0; k < KA_N; k++)
		close(fds[k]);
	return 0;
}

/* ---- stall: an incomplete frame on an allocated connection ---- */

static int
case_stall(struct mc *m)
{
	static const uint8_t header[4] = { 0x40, 0x00, 0xff, 0xff };
	struct client_turn ta = { 0 }, tb = { 0 };
	struct client *a = NULL, *b = NULL;
	int64_t t0, closed_at = -1, now;
	uint8_t buf[1500], zero = 0;
	double last;
	bool got;
	long r;

	if (!ok(mc_start(m, "stream-idle-timeout = 2") == 0, "ternd started") ||
	    !ok(harness_turn_open(&m->h, CLIENT_TCP, MC_USER, MC_PASS, &a,
	    &ta) == 0 && client_turn_allocate(&ta, NULL, ANSWER_MS) == 0,
	    "allocation over TCP (stalling)") ||
	    !ok(harness_turn_open(&m->h, CLIENT_TCP, MC_USER, MC_PASS, &b,
	    &tb) == 0 && client_turn_allocate(&tb, NULL, ANSWER_MS) == 0,
	    "allocation over TCP (silent)"))
		goto out;
	t0 = client_now_ms();
	if (!ok(client_send_raw(a, header, sizeof(header)) == 0,
	    "ChannelData header announcing 0xffff bytes"))
		goto out;
	/* A byte of the frame every 500 ms: no byte may buy more time. */
	while ((now = client_now_ms()) - t0 < LATE_MS) {
		r = client_recv_raw(a, buf, sizeof(buf), 500);
		if (r == CLIENT_E_CLOSED ||
		    client_send_raw(a, &zero, 1) != 0) {
			closed_at = client_now_ms() - t0;
			break;
		}
	}
	diag("stalled connection closed after %lld ms", (long long)closed_at);
	ok(closed_at >= EARLY_MS && closed_at <= LATE_MS,
	    "a frame incomplete for %d s closes the allocated connection", IDLE_S);
	ok(client_turn_refresh(&tb, -1, ANSWER_MS) == 0,
	    "the silent allocated connection is still served after %lld ms",
	    (long long)(client_now_ms() - t0));
	got = mc_wait(m->mport, NULL,
	    "tern_connection_timeouts_total{reason=\"stalled_frame\"}", false, 1,
	    MC_WAIT_MS, &last);
	ok(got, "counted as reason=\"stalled_frame\" (%g)", last);
out:
	harness_turn_close(&a, &ta);
	harness_turn_close(&b, &tb);
	return 0;
}

/* ---- rlimit: RLIMIT_NOFILE at start-up ---- */

/* The first line of path that contains what, copied into out. */
static bool
grep_file(const char *path, const char *what, char *out, size_t cap)
{
	char line[1024];
	bool found = false;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL) {
			snprintf(out, cap, "%s", line);
			found = true;
		}
	fclose(f);
	return found;
}

static int
case_rlimit_refuse(struct mc *m)
{
	struct harness_opts o = { .extra = "max-connections = 5000",
	    .nofile_soft = 1024, .nofile_hard = 1024 };
	char line[1024];
	const char *p;
	unsigned long need = 0;

	ok(harness_start(&m->h, &o) == -1,
	    "max-connections 5000 under a hard limit of 1024: ternd refuses");
	ok(grep_file(m->h.errlog, "RLIMIT_NOFILE: need ", line, sizeof(line)),
	    "the reason is logged");
	diag("%s", line);
	if ((p = strstr(line, "need ")) != NULL)
		need = strtoul(p + 5, NULL, 10);
	ok(need > 5000, "it names what is needed (%lu)", need);
	ok(strstr(line, "hard limit 1024") != NULL, "and the hard limit");
	ok(strstr(line, "LimitNOFILE=") != NULL &&
	    strstr(line, "max-connections") != NULL, "and what to change");
	return 0;
}

static int
case_rlimit_raise(struct mc *m)
{
	char extra[512], path[64], line[1024], logged[1024];
	struct harness_opts o = { .extra = extra, .nofile_soft = 512,
	    .nofile_hard = 4096 };
	unsigned long soft = 0, hard = 0, want = 0;
	const char *p;
	int fd = -1;

	snprintf(extra, sizeof(extra), HARNESS_TURN_CONF "max-connections = 100");
	if (!ok(harness_start(&m->h, &o) == 0,
	    "limits that need less than the hard limit 4096: ternd starts"))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)m->h.pid);
	if (grep_file(path, "Max open files", line, sizeof(line)))
		(void)sscanf(line, "Max open files %lu %lu", &soft, &hard);
	if (grep_file(m->h.errlog, "rlimit_nofile", logged, sizeof(logged)) &&
	    (p = strstr(logged, "soft=")) != NULL)
		want = strtoul(p + 5, NULL, 10);
	diag("limits: soft %lu hard %lu; logged %lu", soft, hard, want);
	ok(soft > 512 && soft == want && hard == 4096,
	    "soft limit raised from 512 to what the limits need");
	ok((fd = tcp_connect(NULL, &m->h.srv)) != -1 &&
	    tcp_binding(fd, ANSWER_MS) == 1, "and it serves");
	if (fd != -1)
		close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*fn)(struct mc *);
	} cases[] = {
		{ "per48", case_per48 }, { "per48-option", case_per48_option },
		{ "flood", case_flood },
		{ "keepalive", case_keepalive }, { "stall", case_stall },
		{ "rlimit-refuse", case_rlimit_refuse },
		{ "rlimit-raise", case_rlimit_raise },
	};
	struct mc m;
	size_t i;

	if (argc != 3)
		return 2;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[2], cases[i].name) == 0)
			break;
	if (i == sizeof(cases) / sizeof(cases[0]))
		return 2;
	/* The only skip: a network namespace needs root (CI is root). */
	if ((cases[i].fn == case_per48 || cases[i].fn == case_per48_option) &&
	    geteuid() != 0) {
		printf("1..0 # SKIP needs root for a network namespace\n");
		return 0;
	}
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir"))
		return tap_done();
	(void)cases[i].fn(&m);
	if (m.h.pid != 0)
		is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
	mc_fini(&m);
	return tap_done();
}
