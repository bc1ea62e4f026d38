/* SPDX-License-Identifier: ISC */
/*
 * The text exposition writer (metrics_expo.c): exact pages for small
 * registries (HELP/TYPE, label and help escaping, cumulative histogram
 * buckets with +Inf, _sum and _count, "other" only when set, info gauges,
 * callback values), short buffers reported at every size, and the page of
 * tern's real table accepted by `promtool check metrics`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "tap.h"

static const char *const dir_v[] = { "in", "o\"u\\t\nx" };
static const struct metrics_label l_dir = { "dir", 2, dir_v, NULL };
static const char *const ver_v[] = { "1.2\\3" };
static const struct metrics_label l_ver = { "version", 1, ver_v, NULL };
static const double b3[] = { 0.005, 0.25, 2 };

enum { E_C, E_I, E_G, E_H, E_N };
static const struct metrics_def defs[E_N] = {
	[E_C] = { "x_pkts_total", METRICS_COUNTER, "Packets \\ with\nnewline.",
	    { &l_dir, NULL }, NULL, 0, 0 },
	[E_I] = { "x_info", METRICS_GAUGE, "Info.", { &l_ver, NULL }, NULL, 0,
	    METRICS_F_CONST1 },
	[E_G] = { "x_level", METRICS_GAUGE, "Level.", { NULL, NULL }, NULL, 0,
	    0 },
	[E_H] = { "x_seconds", METRICS_HISTOGRAM, "Latency.", { NULL, NULL },
	    b3, 3, 0 },
};

static const char expect_page[] =
	"# HELP x_pkts_total Packets \\\\ with\\nnewline.\n"
	"# TYPE x_pkts_total counter\n"
	"x_pkts_total{dir=\"in\"} 3\n"
	"x_pkts_total{dir=\"o\\\"u\\\\t\\nx\"} 0\n"
	"# HELP x_info Info.\n"
	"# TYPE x_info gauge\n"
	"x_info{version=\"1.2\\\\3\"} 1\n"
	"# HELP x_level Level.\n"
	"# TYPE x_level gauge\n"
	"x_level -4\n"
	"# HELP x_seconds Latency.\n"
	"# TYPE x_seconds histogram\n"
	"x_seconds_bucket{le=\"0.005\"} 0\n"
	"x_seconds_bucket{le=\"0.25\"} 2\n"
	"x_seconds_bucket{le=\"2\"} 3\n"
	"x_seconds_bucket{le=\"+Inf\"} 4\n"
	"x_seconds_sum 10.875\n"
	"x_seconds_count 4\n";

static void
test_exact(void)
{
	struct metrics *m = metrics_new(defs, E_N, 2, NULL);
	struct metrics_worker *w0 = metrics_worker(m, 0), *w1 = metrics_worker(m, 1);
	char buf[4096];
	long n;
	size_t cap;
	bool all_short = true;

	metrics_count(w0, E_C, 0, 2);
	metrics_count(w1, E_C, 0, 1);
	metrics_gauge_add(w0, E_G, 0, 3);
	metrics_gauge_add(w1, E_G, 0, -7);
	metrics_observe(w0, E_H, 0, 0.25);	/* le is inclusive */
	metrics_observe(w0, E_H, 0, 0.125);
	metrics_observe(w1, E_H, 0, 0.5);
	metrics_observe(w1, E_H, 0, 10);
	n = metrics_expo_write(m, buf, sizeof(buf));
	is_int(n, (long)strlen(expect_page), "exact: length");
	is_str(buf, expect_page, "exact: page");
	for (cap = 0; cap <= strlen(expect_page); cap++)
		if (metrics_expo_write(m, buf, cap) != METRICS_EXPO_SHORT)
			all_short = false;
	ok(all_short, "short: every buffer up to the length is reported short");
	n = metrics_expo_write(m, buf, strlen(expect_page) + 1);
	is_int(n, (long)strlen(expect_page), "short: length + 1 is enough");

	/* "other" appears once something is counted there. */
	metrics_count(w1, E_C, 9, 5);
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "x_pkts_total{dir=\"other\"} 5\n") != NULL,
	    "other: shown when not zero");
	metrics_free(m);
}

static double
cb(void *arg, unsigned l0, unsigned l1)
{
	(void)l0, (void)l1;
	return *(double *)arg;
}

static void
test_callback_values(void)
{
	struct metrics *m = metrics_new(defs, E_N, 1, NULL);
	char buf[4096];
	double v;

	metrics_gauge_fn_set(m, E_G, cb, &v);
	v = 0.1;
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "\nx_level 0.1\n") != NULL, "callback: 0.1 printed short");
	v = 1.0 / 3;
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "\nx_level 0.33333333333333331\n") != NULL,
	    "callback: 1/3 round-trips");
	v = NAN;
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "\nx_level NaN\n") != NULL, "callback: NaN");
	v = -INFINITY;
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "\nx_level -Inf\n") != NULL, "callback: -Inf");
	v = 1e21;
	metrics_expo_write(m, buf, sizeof(buf));
	ok(strstr(buf, "\nx_level 1e+21\n") != NULL, "callback: exponent");
	metrics_free(m);
}

/* Runs promtool on the file; its output goes to the TAP stream as
 * comments. 0 when accepted, 1 when not, -1 when promtool is absent. */
static int
promtool_check(const char *path)
{
	char cmd[512], line[512];
	FILE *p;
	int rc;

	if (access("/usr/bin/promtool", X_OK) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
	    "/usr/bin/promtool check metrics < '%s' 2>&1; echo \"rc=$?\"", path);
	if ((p = popen(cmd, "r")) == NULL)
		return 1;
	rc = 1;
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strcmp(line, "rc=0\n") == 0)
			rc = 0;
		else
			printf("# promtool: %s", line);
	}
	pclose(p);
	return rc;
}

static void
test_promtool(void)
{
	struct metrics *m = metrics_tern_new(2, NULL);
	char path[] = "/tmp/tern-metrics-XXXXXX", *buf;
	size_t cap = 1 << 20;
	long n;
	int fd, rc;

	buf = malloc(cap);
	metrics_count(metrics_worker(m, 0), METRICS_RELAYED_BYTES,
	    METRICS_CLIENT_TO_PEER, 1200);
	metrics_observe(metrics_worker(m, 1), METRICS_REDIS_COMMAND_SECONDS, 0,
	    0.0007);
	metrics_count(metrics_worker(m, 1), METRICS_DROPPED_PACKETS, 1000, 1);
	n = metrics_expo_write(m, buf, cap);
	ok(n > 0, "tern page: written (%ld bytes)", n);
	ok(n > 0 && strstr(buf, "tern_build_info{version=\"" TERN_VERSION
	    "\"} 1\n") != NULL, "tern page: build info");
	ok(n > 0 && strstr(buf, "tern_relayed_bytes_total{direction="
	    "\"client_to_peer\"} 1200\n") != NULL, "tern page: relayed bytes");
	ok(n > 0 && strstr(buf, "tern_dropped_packets_total{reason=\"none\"}")
	    == NULL && strstr(buf, "tern_dropped_packets_total{reason="
	    "\"other\"} 1\n") != NULL, "tern page: drop reasons");
	ok(n > 0 && strstr(buf, "tern_redis_command_seconds_bucket{le="
	    "\"0.001\"} 1\n") != NULL, "tern page: histogram bucket");
	if (n <= 0 || (fd = mkstemp(path)) == -1) {
		ok(0, "tern page: temporary file");
		goto out;
	}
	rc = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	if (rc == 0)
		rc = promtool_check(path);
	unlink(path);
	if (rc == -1)
		printf("ok %d - # SKIP promtool absent (apt-get install "
		    "prometheus)\n", ++tap_n);
	else
		ok(rc == 0, "tern page: promtool check metrics accepts it");
out:
	free(buf);
	metrics_free(m);
}

int
main(void)
{
	test_exact();
	test_callback_values();
	test_promtool();
	return tap_done();
}
