/* SPDX-License-Identifier: ISC */
/*
 * tern-bench: the load generator, the bare forwarder and a readiness
 * probe, for scripts/bench (README.md, Performance). See bench.h.
 *
 *   tern-bench run --server IP:PORT (--secret-file F | --user U:P |
 *       --forwarder | --direct) [--dir c2p|p2c|echo] [--allocs N]
 *       [--size BYTES] [--rate PPS|max] [--duration S] [--threads N]
 *       [--setup-threads N] [--batch N] [--server-pid PID]
 *       [--setup-only | --hold] [--allow-remote]
 *   tern-bench forwarder [--listen IP:PORT] [--relay-ip IP] [--workers N]
 *   tern-bench wait --server IP:PORT [--timeout-ms N]
 *
 * run prints "phase ..." lines as it goes and one "result k=v ..." line.
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "util/crypto.h"

#define BENCH_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char usage[] =
    "usage: tern-bench run --server IP:PORT (--secret-file F | --user U:P |\n"
    "           --forwarder | --direct) [--dir c2p|p2c|echo] [--allocs N]\n"
    "           [--size BYTES] [--rate PPS|max] [--duration S] [--threads N]\n"
    "           [--setup-threads N] [--batch N] [--server-pid PID]\n"
    "           [--setup-only | --hold] [--allow-remote]\n"
    "       tern-bench forwarder [--listen IP:PORT] [--relay-ip IP]\n"
    "           [--workers N] [--allow-remote]\n"
    "       tern-bench wait --server IP:PORT [--timeout-ms N]\n";

static const char *const bench_dir_names[] = { "c2p", "p2c", "echo" };
static const char *const bench_kind_names[] = { "turn", "forwarder", "direct" };

/* A whole number in [lo, hi]. 0 or -1. */
static int
bench_num(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out < lo || *out > hi)
		return -1;
	return 0;
}

static int
bench_opt_dir(struct bench_opts *o, const char *v)
{
	size_t i;

	for (i = 0; i < BENCH_NELEM(bench_dir_names); i++)
		if (strcmp(v, bench_dir_names[i]) == 0) {
			o->dir = (enum bench_dir)i;
			return 0;
		}
	return -1;
}

static int
bench_opt_user(struct bench_opts *o, const char *v)
{
	const char *colon = strchr(v, ':');

	if (colon == NULL || colon == v ||
	    (size_t)(colon - v) > CLIENT_TURN_USER_MAX ||
	    strlen(colon + 1) > CLIENT_TURN_PASS_MAX)
		return -1;
	snprintf(o->user, sizeof(o->user), "%.*s", (int)(colon - v), v);
	snprintf(o->pass, sizeof(o->pass), "%s", colon + 1);
	return 0;
}

static int
bench_opt_rate(struct bench_opts *o, const char *v)
{
	unsigned long long n;

	if (strcmp(v, "max") == 0) {
		o->rate = 0;
		return 0;
	}
	if (bench_num(v, 1, 100000000, &n) == -1)
		return -1;
	o->rate = n;
	return 0;
}

static int
bench_opt_duration(struct bench_opts *o, const char *v)
{
	char *end;

	errno = 0;
	o->duration = strtod(v, &end);
	return errno != 0 || end == v || *end != '\0' || o->duration < 0.1 ||
	    o->duration > 600 ? -1 : 0;
}

/* Options with a numeric value: name, bounds, where it goes. */
struct bench_numopt {
	const char *name;
	unsigned lo, hi;
	size_t off;
};

#define BENCH_OFF(f)	offsetof(struct bench_opts, f)

static const struct bench_numopt bench_numopts[] = {
	{ "--allocs", 1, 65536, BENCH_OFF(allocs) },
	{ "--size", BENCH_MIN_SIZE, BENCH_MAX_SIZE, BENCH_OFF(size) },
	{ "--threads", 1, BENCH_MAX_THREADS, BENCH_OFF(threads) },
	{ "--setup-threads", 1, BENCH_MAX_THREADS, BENCH_OFF(setup_threads) },
	{ "--batch", 1, 256, BENCH_OFF(batch) },
	{ "--server-pid", 1, 4194304, BENCH_OFF(server_pid) },
};

/* 1: not a numeric option; 0: taken; -1: a bad value. */
static int
bench_opt_num(struct bench_opts *o, const char *name, const char *v)
{
	unsigned long long n;
	size_t i;

	const struct bench_numopt *t;
	unsigned *field;

	for (i = 0; i < BENCH_NELEM(bench_numopts); i++) {
		t = &bench_numopts[i];
		if (strcmp(name, t->name) != 0)
			continue;
		if (bench_num(v, t->lo, t->hi, &n) == -1)
			return -1;
		field = (unsigned *)(void *)((char *)o + t->off);
		*field = (unsigned)n;
		return 0;
	}
	return 1;
}

/* An option with a value. 0, or -1 when unknown or bad. */
static int
bench_opt_value(struct bench_opts *o, const char *name, const char *v)
{
	int r;

	if ((r = bench_opt_num(o, name, v)) != 1)
		return r;
	if (strcmp(name, "--server") == 0)
		return addr_parse(&o->server, v, 3478);
	if (strcmp(name, "--secret-file") == 0)
		return bench_read_secret(v, o->secret, sizeof(o->secret),
		    &o->secret_len);
	if (strcmp(name, "--user") == 0)
		return bench_opt_user(o, v);
	if (strcmp(name, "--dir") == 0)
		return bench_opt_dir(o, v);
	if (strcmp(name, "--rate") == 0)
		return bench_opt_rate(o, v);
	if (strcmp(name, "--duration") == 0)
		return bench_opt_duration(o, v);
	return -1;
}

/* A flag. 1 if name is none. */
static int
bench_opt_flag(struct bench_opts *o, const char *name)
{
	if (strcmp(name, "--forwarder") == 0)
		o->kind = BENCH_FWD;
	else if (strcmp(name, "--direct") == 0)
		o->kind = BENCH_DIRECT;
	else if (strcmp(name, "--setup-only") == 0)
		o->setup_only = true;
	else if (strcmp(name, "--hold") == 0)
		o->hold = true;
	else if (strcmp(name, "--allow-remote") == 0)
		o->allow_remote = true;
	else
		return 1;
	return 0;
}

static int
bench_args(int argc, char **argv, struct bench_opts *o)
{
	int i;

	*o = (struct bench_opts){ .kind = BENCH_TURN, .dir = BENCH_C2P,
	    .allocs = 8, .size = 100, .rate = 20000, .duration = 3,
	    .threads = 1, .setup_threads = 4, .batch = 16 };
	if (addr_parse_ip(&o->server, "127.0.0.1", 3478) == -1)
		return -1;
	for (i = 2; i < argc; i++) {
		if (bench_opt_flag(o, argv[i]) == 0)
			continue;
		if (i + 1 >= argc ||
		    bench_opt_value(o, argv[i], argv[i + 1]) == -1) {
			fprintf(stderr, "tern-bench: bad option %s\n", argv[i]);
			return -1;
		}
		i++;
	}
	if (o->kind == BENCH_TURN && o->secret_len == 0 && o->user[0] == '\0') {
		fprintf(stderr, "tern-bench: --secret-file or --user is "
		    "needed\n");
		return -1;
	}
	if (!o->allow_remote && !bench_addr_is_loopback(&o->server)) {
		fprintf(stderr, "tern-bench: the server is not on loopback; "
		    "give --allow-remote to load a server you run elsewhere\n");
		return -1;
	}
	return 0;
}

/* Room for many client sockets: the soft limit up to the hard one. */
static void
bench_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
bench_print_head(const struct bench_run *r)
{
	const struct bench_opts *o = &r->o;

	printf("result kind=%s dir=%s allocs=%u size=%u rate=%llu",
	    bench_kind_names[o->kind], bench_dir_names[o->dir], o->allocs,
	    o->size, (unsigned long long)o->rate);
	printf(" duration_s=%.3f setup_allocs=%u setup_s=%.4f setup_per_s=%.0f",
	    o->duration, r->n, r->setup_s,
	    r->setup_s > 0 ? r->n / r->setup_s : 0);
}

static void
bench_print_counts(const struct bench_counts *c)
{
	printf(" sent=%llu rx_peer=%llu rx_client=%llu echoed=%llu bad=%llu",
	    (unsigned long long)c->sent, (unsigned long long)c->rx_peer,
	    (unsigned long long)c->rx_client, (unsigned long long)c->echoed,
	    (unsigned long long)c->bad);
}

/* Loss is of the last leg: what the receiving end of the direction got
 * (echo: what came back to the clients). */
static void
bench_print_data(const struct bench_run *r)
{
	const struct bench_counts *c = &r->total;
	double win = (double)(r->end_ns - r->t0_ns) / 1e9;
	uint64_t relayed = c->rx_peer + c->rx_client;
	uint64_t last = r->o.dir == BENCH_C2P ? c->rx_peer : c->rx_client;
	double srv = r->srv_cpu1 - r->srv_cpu0, loss = 0;

	if (c->sent > 0 && last < c->sent)
		loss = 100.0 * (double)(c->sent - last) / (double)c->sent;
	bench_print_counts(c);
	printf(" relayed=%llu offered_pps=%.0f pps=%.0f loss_pct=%.3f",
	    (unsigned long long)relayed, c->sent / win, relayed / win, loss);
	printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f",
	    bench_hist_quantile_us(&r->hist, 0.5),
	    bench_hist_quantile_us(&r->hist, 0.99),
	    (double)r->hist.max_ns / 1000);
	if (r->srv_cpu0 >= 0 && r->srv_cpu1 >= 0)
		printf(" srv_cpu_s=%.2f srv_cpu_pct=%.1f srv_ns_per_pkt=%.0f",
		    srv, 100 * srv / win,
		    relayed > 0 ? srv * 1e9 / (double)relayed : 0);
	printf(" gen_cpu_pct=%.1f", 100 * (r->self_cpu1 - r->self_cpu0) / win);
}

/* Set up, read RSS with the allocations held, leave them to the server. */
static int
bench_hold(struct bench_run *r)
{
	long rss0 = -1, rss1 = -1;

	if (r->o.server_pid > 0)
		rss0 = bench_proc_rss_kib((pid_t)r->o.server_pid);
	if (bench_setup(r) == -1) {
		bench_teardown(r, false);
		return -1;
	}
	printf("phase setup allocs=%u s=%.3f\n", r->n, r->setup_s);
	/* the last answers are out: let the server settle */
	bench_sleep_until(bench_now_ns() + 300 * 1000000ull);
	if (r->o.server_pid > 0)
		rss1 = bench_proc_rss_kib((pid_t)r->o.server_pid);
	bench_print_head(r);
	printf(" rss0_kib=%ld rss1_kib=%ld rss_per_alloc_b=%.0f\n", rss0, rss1,
	    rss0 >= 0 && rss1 >= 0 ? (double)(rss1 - rss0) * 1024 / r->n : -1);
	bench_teardown(r, false);
	printf("phase teardown\n");
	return 0;
}

static int
bench_run_main(int argc, char **argv)
{
	static struct bench_run r;
	int rc = 1;

	if (bench_args(argc, argv, &r.o) == -1) {
		fputs(usage, stderr);
		return 2;
	}
	bench_nofile();
	if (r.o.hold)
		return bench_hold(&r) == 0 ? 0 : 1;
	if (bench_setup(&r) == -1)
		goto out;
	printf("phase setup allocs=%u s=%.3f\n", r.n, r.setup_s);
	fflush(stdout);
	if (!r.o.setup_only) {
		if (bench_data_run(&r) == -1)
			goto out;
		printf("phase data sent=%llu\n",
		    (unsigned long long)r.total.sent);
	}
	bench_print_head(&r);
	if (!r.o.setup_only)
		bench_print_data(&r);
	printf("\n");
	rc = 0;
out:
	bench_teardown(&r, true);
	printf("phase teardown%s\n", rc == 0 ? "" : " after a failure");
	bench_hist_clear(&r.hist);
	explicit_bzero(r.o.secret, sizeof(r.o.secret));
	explicit_bzero(r.o.pass, sizeof(r.o.pass));
	return rc;
}

/* "wait --server IP:PORT [--timeout-ms N]". 0 or -1. */
static int
bench_wait_args(int argc, char **argv, struct addr *srv,
    unsigned long long *ms)
{
	if ((argc != 4 && argc != 6) || strcmp(argv[2], "--server") != 0 ||
	    addr_parse(srv, argv[3], 3478) == -1)
		return -1;
	if (argc == 6 && (strcmp(argv[4], "--timeout-ms") != 0 ||
	    bench_num(argv[5], 1, 600000, ms) == -1))
		return -1;
	return 0;
}

/* Binding requests until one is answered (any answer): the server is up. */
static int
bench_wait_main(int argc, char **argv)
{
	struct client_binding b;
	unsigned long long ms = 10000;
	struct addr srv;
	struct client *c = NULL;
	char err[128];
	int64_t deadline;
	int r;

	if (bench_wait_args(argc, argv, &srv, &ms) == -1) {
		fputs(usage, stderr);
		return 2;
	}
	deadline = client_now_ms() + (int64_t)ms;
	while (client_now_ms() < deadline) {
		memset(&b, 0, sizeof(b));
		if (client_open(&c, CLIENT_UDP, &srv, NULL, NULL, 1000, err,
		    sizeof(err)) == 0) {
			r = client_binding(c, 300, &b);
			client_free(c);
			if (r == 0 || b.error_code != 0)
				return 0;
		}
		usleep(50000);
	}
	fprintf(stderr, "tern-bench: no answer from %s within %llu ms\n",
	    argv[3], ms);
	return 1;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (crypto_init() == -1) {
		fprintf(stderr, "tern-bench: crypto_init failed\n");
		return 1;
	}
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return bench_run_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "forwarder") == 0)
		return bench_fwd_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "wait") == 0)
		return bench_wait_main(argc, argv);
	fputs(usage, stderr);
	return 2;
}
