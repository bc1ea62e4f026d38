/* SPDX-License-Identifier: ISC */
/*
 * scripts/bench end to end at a tiny rate, against ternd only:
 *     test_bench_smoke SCRIPTS/BENCH TERN-BENCH TERND
 * Two allocations, 500 packets/s for 2 s, client to peer and echo; the
 * set-up of 16 allocations; RSS with 16 held. It checks that the tool
 * works (every phase ran, nothing was lost at that rate, the table has its
 * columns and rows), never how fast anything is (README.md, Performance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define SMOKE_OUT	(64 * 1024)
#define SMOKE_MS	120000

static const char *const points[] = { "c2p/500/100/2", "echo/500/100/2" };
static const char *const labels[] = { "| c→p 500 pps, 100 B, 2 alloc. | ",
	"| echo 500 pps, 100 B, 2 alloc. | " };

/* The line of text that starts with prefix, copied into out; 0 or -1. */
static int
find_line(const char *text, const char *prefix, char *out, size_t cap)
{
	const char *p = text, *end;
	size_t len;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '\n');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(out, cap, "%.*s", (int)len, p);
			return 0;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return -1;
}

/* The value of " key=" in a result line, as a number; -1 when absent. */
static double
field(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	if ((p = strstr(line, pat)) == NULL)
		return -1;
	return strtod(p + strlen(pat), NULL);
}

/* Each line of text as a TAP comment. */
static void
print_diag(const char *text)
{
	const char *p = text, *end;

	while (*p != '\0') {
		end = strchr(p, '\n');
		printf("# %.*s\n", (int)(end != NULL ? (size_t)(end - p) :
		    strlen(p)), p);
		if (end == NULL)
			break;
		p = end + 1;
	}
}

static void
check_table(const char *out)
{
	char line[1024];
	size_t i;

	ok(strstr(out, "\nMachine: ") != NULL, "the machine is named");
	ok(strstr(out, "\nDate: ") != NULL, "with the date and the commit");
	ok(find_line(out, "| point |", line, sizeof(line)) == 0 &&
	    strcmp(line, "| point | ternd |") == 0,
	    "the header has the columns point, ternd");
	ok(strstr(out, "\n|---|---|\n") != NULL, "a separator line follows");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (!ok(find_line(out, labels[i], line, sizeof(line)) == 0,
		    "row %s", points[i]))
			continue;
		ok(strstr(line, " · 0 % · ") != NULL &&
		    strstr(line, " µs · ") != NULL &&
		    strstr(line, "failed") == NULL,
		    "%s: packets/s, 0 %% loss, latency, CPU (%s)", points[i],
		    line);
	}
	ok(find_line(out, "| set-up: allocations/s (16, ", line,
	    sizeof(line)) == 0 && strstr(line, "/s |") != NULL,
	    "the set-up row has a rate");
	ok(find_line(out, "| RSS per allocation (16 held) | ", line,
	    sizeof(line)) == 0 && strstr(line, " KiB |") != NULL,
	    "the RSS row has a figure");
}

static void
check_point(const char *raw, const char *key, bool echo)
{
	char prefix[128], line[2048];
	const char *phase[] = { "phase setup", "phase data", "phase teardown" };
	double sent;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(prefix, sizeof(prefix), "server=ternd key=%s %s", key,
		    phase[i]);
		ok(strstr(raw, prefix) != NULL, "%s: %s ran", key, phase[i]);
	}
	snprintf(prefix, sizeof(prefix), "server=ternd key=%s result ", key);
	if (!ok(find_line(raw, prefix, line, sizeof(line)) == 0,
	    "%s: a result", key))
		return;
	sent = field(line, "sent");
	ok(sent >= 500, "%s: at least 500 datagrams sent (%.0f)", key, sent);
	is_int((long long)field(line, "rx_peer"), (long long)sent,
	    "%s: every one reached the peer", key);
	if (echo)
		is_int((long long)field(line, "rx_client"), (long long)sent,
		    "%s: and came back to the client", key);
	ok(field(line, "loss_pct") == 0, "%s: loss 0", key);
	ok(field(line, "p99_us") > 0 && field(line, "srv_cpu_s") >= 0,
	    "%s: latency and the server's CPU time were measured", key);
}

static void
check_raw(const char *path)
{
	static char raw[SMOKE_OUT];
	char line[2048];
	size_t n;
	FILE *f;

	if (!ok((f = fopen(path, "re")) != NULL, "the raw results were kept"))
		return;
	n = fread(raw, 1, sizeof(raw) - 1, f);
	raw[n] = '\0';
	fclose(f);
	check_point(raw, points[0], false);
	check_point(raw, points[1], true);
	ok(find_line(raw, "server=ternd key=setup result ", line,
	    sizeof(line)) == 0 && field(line, "setup_allocs") == 16 &&
	    field(line, "setup_per_s") > 0,
	    "16 allocations were set up and timed");
	ok(find_line(raw, "server=ternd key=rss result ", line,
	    sizeof(line)) == 0 && field(line, "rss1_kib") > 0 &&
	    field(line, "rss0_kib") > 0,
	    "ternd's RSS was read with none and with 16 allocations");
	ok(strstr(raw, "failed=1") == NULL, "no run failed");
}

int
main(int argc, char **argv)
{
	static char out[SMOKE_OUT];
	char dir[] = "/tmp/tern-bench-smoke-XXXXXX", raw[64];
	const char *const args[] = { "/bin/bash", argv[1], "--ternd", argv[3],
		"--tool", argv[2], "--servers", "ternd", "--no-generator",
		"--points", "c2p/500/100/2,echo/500/100/2", "--duration", "2",
		"--setup-allocs", "16", "--rss-allocs", "16", "--raw", raw,
		NULL };
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SCRIPTS/BENCH TERN-BENCH TERND\n",
		    argv[0]);
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(raw, sizeof(raw), "%s/raw", dir);
	rc = harness_run(args, out, sizeof(out), SMOKE_MS);
	if (!ok(rc == 0, "scripts/bench exits 0 (%d)", rc))
		print_diag(out);
	check_table(out);
	check_raw(raw);
	unlink(raw);
	rmdir(dir);
	return tap_done();
}
