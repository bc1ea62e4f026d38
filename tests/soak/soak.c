/* SPDX-License-Identifier: ISC */
/*
 * The hostile-traffic soak (tests/soak/README.md):
 *   test_soak TERND NODE SCRIPT
 *
 * For TERN_SOAK_SECONDS (default 60), while legitimate clients relay real
 * traffic through one ternd, the flooder threads of soak_flood.h hit the
 * same ternd with spoofed STUN requests, garbage datagrams, half-open TCP
 * connections and stalled TLS handshakes as fast as the machine lets them
 * (the UDP kinds paced by ternd's receive-buffer drops, see pace()). The
 * legitimate traffic:
 *   - coturn's turnutils_uclient over UDP (4 clients) and over TCP (2
 *     clients), channels, a TURN REST credential, to turnutils_peer, an
 *     echo peer on 127.0.0.1 (the flags of tests/interop/test_uclient.c);
 *   - headless Chromium (node SCRIPT, soak_chromium.mjs) making one
 *     relay-only WebRTC call after the other over turn UDP, turn TCP and
 *     turns, each carrying 30 messages each way on a data channel.
 * Pass: uclient loses under 1 % of its messages on each transport; every
 * Chromium call gets a relayed path and the relay loses under 1 % of the
 * bytes (report_chrome()); ternd's VmRSS at the end is at most 10 % above
 * its value after the warm-up (report_rss()); ternd lives through it and
 * exits 0 on SIGTERM, with no sanitizer report in its stderr (in the ASan
 * build a leak or an error makes the exit non-zero too). The measured
 * rates, the legitimate counts, the RSS series, the kernel's UDP counters
 * and ternd's own counters (/metrics) are printed as TAP comments.
 *
 * The test moves itself into a network namespace of its own (unshare
 * CLONE_NEWNET; it dies with the last process in it, so there is nothing
 * to delete), brings lo up and makes the flooders' source prefixes local
 * routes on lo, so that ternd's answers to spoofed sources stay in the
 * namespace. ternd, the peer, uclient, node and Chromium all run in it.
 *
 * Skipped only when not root, or when turnutils_uclient or Chromium is
 * missing (also node or playwright-core, unless TERN_E2E_REQUIRED=1, as
 * scripts/test sets: then that is a failure).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "soak.h"
#include "soak_flood.h"
#include "tap.h"
#include "util/crypto.h"

#define DEFAULT_SECONDS	60
#define MIN_SECONDS	20
#define MAX_SECONDS	86400
#define WARMUP_S	10	/* RSS baseline: after this, or a sixth of the run */
#define RSS_SLACK	1.10
#define RSS_WINDOW_S	5	/* seconds whose peak RSS is compared */
/* ASan's quarantine for ternd (asan_quarantine()); under ASan the RSS
 * bound also allows for the quarantine filling after the warm-up. */
#define ASAN_QUARANTINE_MB 16
#if defined(__SANITIZE_ADDRESS__)
#define RSS_ASAN_KIB	(ASAN_QUARANTINE_MB * 1024L)
#else
#define RSS_ASAN_KIB	0L
#endif
#define LOSS_MAX	0.01
#define UC_PER_S	25	/* one uclient client's messages a second */
#define FINISH_MS	120000	/* legit processes end after the flood */
#define MAX_SAMPLES	1024
#define STDERR_LINES	200	/* ternd's stderr shown on failure */

struct soak {
	struct harness h;
	bool inited;
	long seconds;
	char secret[33];
	uint16_t peer_port, prom_port;
	pid_t peer;
	struct soak_uclient uc[2];
	struct soak_chrome ch;
	struct soak_flood fl;
	bool flooding;
	int64_t t0;
	long rss[MAX_SAMPLES];
	long rss_at[MAX_SAMPLES];	/* seconds since t0 */
	size_t nrss;
	long rss_max;
	int ternd_died;			/* its exit code if it died, else -2 */
	double ternd_cpu, self_cpu;	/* CPU seconds at the flood's end */
	bool paced;			/* the pacer steers the UDP flood */
	unsigned pace_rate, pace_max, pace_cuts;
	unsigned long long pace_drops, pace_sum, pace_ticks;
	int64_t pace_hold;
};

static struct soak S;

static int
skip(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The soft limit of open files up to the hard one: the flooders hold
 * over a thousand connections and ternd its max-connections. */
static void
nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static long
soak_seconds(void)
{
	const char *v = getenv("TERN_SOAK_SECONDS");
	char *end;
	long s;

	if (v == NULL || *v == '\0')
		return DEFAULT_SECONDS;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || s < MIN_SECONDS || s > MAX_SECONDS) {
		printf("# TERN_SOAK_SECONDS=%s is not %d..%d: using %d\n", v,
		    MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS);
		return DEFAULT_SECONDS;
	}
	return s;
}

/* node and playwright-core (installed by `npm ci` in tests/e2e). NULL when
 * both are there, else why not. */
static const char *
node_missing(const char *node, const char *script)
{
	static char why[HARNESS_PATH + 64];
	char pw[HARNESS_PATH];
	const char *slash = strrchr(script, '/');
	int dl = slash != NULL ? (int)(slash - script) : 1;

	if (node[0] == '\0' || access(node, X_OK) == -1)
		return "node is not installed (package nodejs)";
	snprintf(pw, sizeof(pw), "%.*s/../e2e/node_modules/playwright-core/package.json",
	    dl, slash != NULL ? script : ".");
	if (access(pw, R_OK) == -1) {
		snprintf(why, sizeof(why), "no %s: run `npm ci` in tests/e2e", pw);
		return why;
	}
	return NULL;
}

/* The secret for REST credentials: 32 hex digits. */
static int
make_secret(char out[33])
{
	uint8_t r[16];
	size_t i;

	if (crypto_random(r, sizeof(r)) == -1)
		return -1;
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/*
 * In the ASan build, ternd's freed memory waits in ASan's quarantine (256 MB
 * by default) before it is reused, so its RSS would grow with every byte
 * the flood makes it allocate until the quarantine is full: that measures
 * ASan, not ternd. ternd gets a 16 MB quarantine (still enough to catch a
 * use of recently freed memory). How soon the flood fills it depends on
 * what the flood makes ternd allocate (TLS handshakes most), so the RSS
 * bound allows the quarantine's size on top of the 10 % (report_rss());
 * the plain build's bound is the 10 % alone.
 * set: add it to ASAN_OPTIONS for the next child; !set: restore.
 */
static void
asan_quarantine(bool set)
{
#if defined(__SANITIZE_ADDRESS__)
	static char saved[1024];
	static bool had;
	char v[1100];
	const char *cur;

	if (set) {
		cur = getenv("ASAN_OPTIONS");
		had = cur != NULL;
		snprintf(saved, sizeof(saved), "%s", had ? cur : "");
		snprintf(v, sizeof(v), "%s%squarantine_size_mb=%d", saved,
		    saved[0] != '\0' ? ":" : "", ASAN_QUARANTINE_MB);
		setenv("ASAN_OPTIONS", v, 1);
		printf("# ternd runs with ASAN_OPTIONS=%s\n", v);
	} else if (had) {
		setenv("ASAN_OPTIONS", saved, 1);
	} else {
		unsetenv("ASAN_OPTIONS");
	}
#else
	(void)set;
#endif
}

/* ternd on 127.0.0.1 and ::1, UDP, TCP and TLS, metrics on loopback. */
static int
ternd_start(void)
{
	struct harness_opts o = { .tls = true };
	char extra[1024];
	int rc;

	if (make_secret(S.secret) == -1 ||
	    (S.prom_port = harness_free_port(SOAK_LOOPBACK)) == 0)
		return -1;
	snprintf(extra, sizeof(extra),
	    "listening-ip = ::1\n"
	    "realm = tern\n"
	    "static-auth-secret = %s\n"
	    /* the peer and the browsers' relayed addresses are on loopback */
	    "allow-loopback-peers\n"
	    /* coturn 4.6's uclient picks channel numbers up to 0x7FFF */
	    "rfc5766-channels\n"
	    "relay-ip = " SOAK_LOOPBACK "\n"
	    "min-port = %d\nmax-port = %d\n"
	    /* room for the flooders' connections (soak_stream.c holds 1280
	     * at most) besides the legitimate ones */
	    "max-connections = 4000\n"
	    /* short, so that the held connections are reaped and reopened
	     * many times within the soak */
	    "stream-idle-timeout = 5\ntls-handshake-timeout = 3\n"
	    "prometheus\nprometheus-address = " SOAK_LOOPBACK "\n"
	    "prometheus-port = %u\n"
	    "log-level = info",
	    S.secret, HARNESS_RELAY_MIN, HARNESS_RELAY_MAX, S.prom_port);
	o.extra = extra;
	asan_quarantine(true);
	rc = harness_start(&S.h, &o);
	asan_quarantine(false);
	return rc;
}

static void
rss_sample(void)
{
	long kib = harness_rss_kib(S.h.pid);
	long at = (long)((client_now_ms() - S.t0) / 1000);

	if (S.nrss < MAX_SAMPLES) {
		S.rss[S.nrss] = kib;
		S.rss_at[S.nrss++] = at;
	}
	if (kib > S.rss_max)
		S.rss_max = kib;
}

/* The highest sample taken from second `from` to second `to`; -1. */
static long
rss_peak(long from, long to)
{
	long peak = -1;
	size_t i;

	for (i = 0; i < S.nrss; i++)
		if (S.rss_at[i] >= from && S.rss_at[i] <= to && S.rss[i] > peak)
			peak = S.rss[i];
	return peak;
}

/*
 * The pacer of the UDP flood. ternd shares its listening sockets between
 * the flood and the legitimate clients, as on a real server; when the
 * flood comes faster than ternd drains them, the kernel drops datagrams
 * at the full receive buffer, legitimate ones as much as any, and the
 * loss measures the machine (two cores shared with the clients and
 * Chromium), not ternd. So every PACE_MS the pacer looks at the
 * namespace's receive-buffer drops: any new one halves the rate and holds
 * it for PACE_HOLD_MS; otherwise it grows by 1 %. The flood runs at
 * the highest rate ternd absorbs on this machine at that moment.
 * TERN_SOAK_RATE=N fixes the rate instead, and TERN_SOAK_RATE=0 sends as
 * fast as the flooders go (see README.md for what that shows).
 */
#define PACE_MS		100
#define PACE_HOLD_MS	2000
#define PACE_START	10000	/* datagrams a second, all UDP kinds */
#define PACE_MIN	1000
#define PACE_MAX	3000000

static void
pace(int64_t now)
{
	unsigned long long d = soak_rcvbuf_drops();
	unsigned r = S.pace_rate;

	if (d > S.pace_drops) {
		r = r / 2 > PACE_MIN ? r / 2 : PACE_MIN;
		S.pace_hold = now + PACE_HOLD_MS;
		S.pace_cuts++;
	} else if (now >= S.pace_hold) {
		r = r + r / 100 < PACE_MAX ? r + r / 100 : PACE_MAX;
	}
	S.pace_drops = d;
	S.pace_rate = r;
	S.pace_sum += r;
	S.pace_ticks++;
	if (r > S.pace_max)
		S.pace_max = r;
	atomic_store(&S.fl.rate, r);
}

/* RSS is sampled every second in the warm-up and in the last
 * RSS_WINDOW_S seconds, every `every` seconds in between. */
static long
rss_warm(void)
{
	return S.seconds / 6 < WARMUP_S ? S.seconds / 6 : WARMUP_S;
}

static int64_t
rss_next(int64_t last, long every)
{
	int64_t end = S.t0 + (S.seconds - RSS_WINDOW_S) * 1000;

	if (last - S.t0 < rss_warm() * 1000 || last >= end)
		return last + 1000;
	return last + every * 1000 < end ? last + every * 1000 : end;
}

/* Until the flood's deadline: ternd alive, RSS sampled (rss_next()). */
static void
monitor(int64_t deadline)
{
	long every = S.seconds / 120 > 1 ? S.seconds / 120 : 1;
	int64_t next = S.t0, tick = S.t0, now;
	int rc;

	while ((now = client_now_ms()) < deadline) {
		if ((rc = harness_wait(S.h.pid, 0)) != -2) {
			printf("# ternd exited during the soak: %d\n", rc);
			S.ternd_died = rc;
			S.h.pid = 0;
			return;
		}
		if (now >= next) {
			rss_sample();
			next = rss_next(next, every);
		}
		if (S.paced && now >= tick) {
			pace(now);
			tick += PACE_MS;
		}
		nap_ms(deadline - now < 20 ? (int)(deadline - now) : 20);
	}
	rss_sample();	/* the end of the flood */
	S.ternd_cpu = soak_cpu_seconds(S.h.pid);
	S.self_cpu = soak_cpu_seconds(getpid());
}

static void
report_flood(void)
{
	int k;

	if (S.paced && S.pace_ticks > 0)
		printf("# pacer: the UDP flood's rate %llu/s on average, %u/s at "
		    "most, cut %u times on receive-buffer drops\n",
		    S.pace_sum / S.pace_ticks, S.pace_max, S.pace_cuts);

	for (k = 0; k < SOAK_FLOOD_KINDS; k++) {
		struct soak_flood_stats *st = &S.fl.st[k];
		unsigned long long sent = atomic_load(&st->sent);

		if (!ok(sent > 0, "flood %s: %llu sent, %.0f/s, %llu failed",
		    soak_flood_name((enum soak_flood_kind)k), sent,
		    soak_flood_rate(st), (unsigned long long)atomic_load(&st->errors)))
			continue;
		if (k == SOAK_FLOOD_TCP || k == SOAK_FLOOD_TLS)
			printf("#   %llu connected, %llu closed by ternd, %u open "
			    "at most\n",
			    (unsigned long long)atomic_load(&st->established),
			    (unsigned long long)atomic_load(&st->closed),
			    atomic_load(&st->held_max));
	}
}

static void
report_uclient(const struct soak_uclient *u)
{
	long want = u->msgs * u->clients;
	double loss = u->sent > 0 ? (double)(u->sent - u->recvd) / (double)u->sent : 1;

	if (!ok(u->rc == 0 && u->sent == want && u->recvd >= 0 && loss < LOSS_MAX,
	    "uclient %s (%ld clients, channels): %ld sent, %ld received, %ld lost "
	    "(%.3f %%)", u->tcp ? "TCP" : "UDP", u->clients, u->sent, u->recvd,
	    u->lost, 100 * loss)) {
		diag("exit %d; want exit 0, %ld sent, under %.0f %% lost", u->rc, want,
		    100 * LOSS_MAX);
		soak_dump_tail(u->out, "uclient: ", 40);
	}
}

/*
 * The browser's calls. What ternd is judged on is what it relayed: the
 * bytes both sides' selected candidate pairs received against those the
 * other side sent, and every call getting a relayed path. Whole messages
 * are shown too; a call whose relay delivered every byte but whose data
 * channel stalled is Chromium's own (soak_chromium.mjs).
 */
static void
report_chrome(const struct soak_chrome *c)
{
	double loss = c->relay_sent > 0 ? (double)(c->relay_sent -
	    c->relay_received) / (double)c->relay_sent : 1;

	soak_dump_tail(c->out, "", 4);
	printf("# Chromium messages: %ld of %ld intact; %ld calls did not carry "
	    "all of theirs\n", c->received, c->expected, c->failed);
	if (!ok(c->rc == 0 && c->udp > 0 && c->tcp > 0 && c->tls > 0 &&
	    c->no_relay == 0 && loss < LOSS_MAX,
	    "Chromium: %ld relay-only calls (%ld UDP, %ld TCP, %ld TLS), %ld "
	    "without a relayed path; %lld of %lld bytes relayed (%.3f %% lost)",
	    c->calls, c->udp, c->tcp, c->tls, c->no_relay, c->relay_received,
	    c->relay_sent, 100 * loss)) {
		diag("exit %d; want exit 0, a call over each transport, each with "
		    "a relayed path, under %.0f %% lost", c->rc, 100 * LOSS_MAX);
		soak_dump_tail(c->out, "", 60);
	}
}

/*
 * RSS: the peak of the last RSS_WINDOW_S seconds of the warm-up against
 * the peak of the last RSS_WINDOW_S seconds of the flood. Peaks, because
 * single samples swing by several per cent as connections and handshakes
 * come and go (more under ASan), and a leak raises the peaks too.
 */
static void
report_rss(void)
{
	long warm = rss_warm();
	long base = rss_peak(warm - RSS_WINDOW_S > 1 ? warm - RSS_WINDOW_S : 1,
	    warm);
	long end = rss_peak(S.seconds - RSS_WINDOW_S, S.seconds);
	size_t i;

	for (i = 0; i < S.nrss; i++)
		printf("# rss t=%lds %ld KiB\n", S.rss_at[i], S.rss[i]);
	if (!ok(base > 0 && end > 0 &&
	    (double)end <= (double)base * RSS_SLACK + (double)RSS_ASAN_KIB,
	    "ternd's VmRSS: %ld KiB at most in the last %d s, %ld KiB at most in "
	    "the last %d s of the %ld s warm-up (%+.1f %%, at most +%.0f %% "
	    "and %ld KiB of ASan quarantine allowed; %ld KiB at most in all)",
	    end, RSS_WINDOW_S, base, RSS_WINDOW_S, warm,
	    base > 0 ? 100.0 * ((double)end / (double)base - 1) : 0.0,
	    100 * (RSS_SLACK - 1), RSS_ASAN_KIB, S.rss_max))
		diag("want the end within %.0f %% of the warm-up", 100 * (RSS_SLACK - 1));
}

/* TERN_SOAK_RATE: unset, paced from PACE_START; 0, unpaced; N, N a
 * second. */
static unsigned
flood_rate(bool *paced)
{
	const char *v = getenv("TERN_SOAK_RATE");
	char *end;
	long r;

	*paced = false;
	if (v != NULL && *v != '\0') {
		errno = 0;
		r = strtol(v, &end, 10);
		if (errno == 0 && *end == '\0' && r >= 0 && r <= PACE_MAX)
			return (unsigned)r;
		printf("# TERN_SOAK_RATE=%s is not 0..%d: paced\n", v, PACE_MAX);
	}
	*paced = true;
	return PACE_START;
}


/* Legitimate traffic and the flood, all started at once. */
static int
traffic_start(const char *node, const char *script)
{
	struct soak_flood_target t = { 0 };
	long n = (S.seconds - 10) * UC_PER_S;

	S.peer_port = harness_free_port(SOAK_LOOPBACK);
	if (S.peer_port != 0)
		S.peer = soak_peer_start(S.peer_port);
	if (!ok(S.peer > 0, "turnutils_peer echoes on " SOAK_LOOPBACK ":%u",
	    S.peer_port))
		return -1;
	if (!ok(soak_chrome_start(&S.ch, &S.h, node, script, S.secret,
	    (S.seconds - 5) * 1000) == 0, "node %s started", script))
		return -1;
	S.uc[0] = (struct soak_uclient){ .tcp = false, .msgs = n, .clients = 4 };
	S.uc[1] = (struct soak_uclient){ .tcp = true, .msgs = n, .clients = 2 };
	if (!ok(soak_uclient_start(&S.uc[0], &S.h, S.peer_port, S.secret,
	    "soak-udp") == 0 && soak_uclient_start(&S.uc[1], &S.h, S.peer_port,
	    S.secret, "soak-tcp") == 0, "turnutils_uclient started over UDP and "
	    "TCP (%ld messages per client)", n))
		return -1;
	if (addr_parse_ip(&t.udp4, SOAK_LOOPBACK, S.h.port) == -1 ||
	    addr_parse_ip(&t.udp6, "::1", S.h.port) == -1 ||
	    addr_parse_ip(&t.tcp4, SOAK_LOOPBACK, S.h.port) == -1 ||
	    addr_parse_ip(&t.tls4, SOAK_LOOPBACK, S.h.tls_port) == -1)
		return -1;
	S.t0 = client_now_ms();
	t.deadline_ms = S.t0 + S.seconds * 1000;
	S.pace_rate = flood_rate(&S.paced);
	S.pace_drops = soak_rcvbuf_drops();
	if (!ok(soak_flood_start(&S.fl, &t, S.pace_rate) == 0, "%d flooder "
	    "threads started for %ld s (UDP %s %u/s)", SOAK_FLOOD_KINDS,
	    S.seconds, S.paced ? "paced by receive-buffer drops, starting at" :
	    "at TERN_SOAK_RATE, 0 = unpaced:", S.pace_rate))
		return -1;
	S.flooding = true;
	return 0;
}

static void
run(const char *node, const char *script)
{
	unsigned long long softnet0 = soak_softnet_dropped();
	int64_t finish;
	int rc;

	if (!ok(ternd_start() == 0, "ternd started (UDP, TCP, TLS on "
	    SOAK_LOOPBACK " and ::1)"))
		return;
	if (traffic_start(node, script) == -1)
		return;
	monitor(S.t0 + S.seconds * 1000);
	soak_flood_stop(&S.fl);
	S.flooding = false;
	report_flood();
	soak_report_kernel(softnet0);
	printf("# CPU during the soak: ternd %.1f s, this test (the flooders) "
	    "%.1f s, over %ld s on %ld cores\n", S.ternd_cpu, S.self_cpu,
	    S.seconds, sysconf(_SC_NPROCESSORS_ONLN));
	ok(S.ternd_died == -2, "ternd ran through the flood");
	finish = client_now_ms() + FINISH_MS;
	soak_uclient_finish(&S.uc[0], finish);
	soak_uclient_finish(&S.uc[1], finish);
	soak_chrome_finish(&S.ch, finish);
	report_uclient(&S.uc[0]);
	report_uclient(&S.uc[1]);
	report_chrome(&S.ch);
	report_rss();
	if (S.ternd_died != -2)
		return;
	soak_report_metrics(S.prom_port);
	rc = harness_stop(&S.h);
	is_int(rc, 0, "SIGTERM: ternd exits 0");
	if (!ok(!soak_sanitizer_report(S.h.errlog), "no sanitizer report in ternd's stderr"))
		soak_dump_tail(S.h.errlog, "ternd: ", STDERR_LINES);
}

static void
cleanup(void)
{
	if (S.flooding)
		soak_flood_stop(&S.fl);
	soak_kill(S.uc[0].pid);
	soak_kill(S.uc[1].pid);
	soak_kill(S.ch.pid);
	soak_kill(S.peer);
	if (!S.inited)
		return;
	if (getenv("TERN_SOAK_KEEP") != NULL && S.h.pid == 0) {
		printf("# kept %s (TERN_SOAK_KEEP)\n", S.h.dir);
		return;
	}
	harness_fini(&S.h);
}

int
main(int argc, char *argv[])
{
	const char *ip, *why;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: test_soak TERND NODE SCRIPT\n");
		return 2;
	}
	if (geteuid() != 0)
		return skip("needs root: raw sockets and a network namespace");
	if (access(SOAK_UCLIENT, X_OK) == -1 || access(SOAK_PEER, X_OK) == -1)
		return skip(SOAK_UCLIENT " or " SOAK_PEER " is not installed "
		    "(package coturn)");
	if (access(SOAK_CHROMIUM, X_OK) == -1)
		return skip(SOAK_CHROMIUM " is not installed (package chromium)");
	if ((why = node_missing(argv[2], argv[3])) != NULL) {
		if (getenv("TERN_E2E_REQUIRED") == NULL ||
		    strcmp(getenv("TERN_E2E_REQUIRED"), "1") != 0)
			return skip(why);
		ok(0, "the browser's tools: %s", why);
		return tap_done();
	}
	memset(&S, 0, sizeof(S));
	S.seconds = soak_seconds();
	S.rss_max = -1;
	S.ternd_died = -2;
	signal(SIGPIPE, SIG_IGN);
	nofile_raise();
	printf("# soak of %ld s (TERN_SOAK_SECONDS)\n", S.seconds);
	if (!ok((ip = harness_ip_path()) != NULL, "ip(8) is installed (iproute2)"))
		return tap_done();
	rc = unshare(CLONE_NEWNET);
	if (!ok(rc == 0, "a network namespace of its own (unshare: %s)",
	    rc == 0 ? "done" : strerror(errno)) ||
	    !ok(soak_netns_setup(ip) == 0, "namespace: lo up, local routes "
	    SOAK_SOURCES4_NET " and " SOAK_SOURCES6_NET))
		return tap_done();
	S.inited = ok(harness_init(&S.h, argv[1]) == 0, "temp dir");
	if (S.inited)
		run(argv[2], argv[3]);
	cleanup();
	return tap_done();
}
