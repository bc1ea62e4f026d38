/* SPDX-License-Identifier: ISC */
/*
 * A real Prometheus server scrapes a real ternd:
 *     test_metrics_prometheus TERND
 * ternd serves two live UDP allocations; /usr/bin/prometheus is started on
 * loopback with a temporary config (scrape_interval 1s) and storage
 * directory; its HTTP API must report up == 1 for the target and
 * sum(tern_allocations) == 2 within a bounded wait. Prometheus is stopped
 * by PID and its directory removed.
 */
#define _XOPEN_SOURCE 700
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics_common.h"
#include "tap.h"

#define PROM_BIN	"/usr/bin/prometheus"
#define PROM_WAIT_MS	45000	/* start-up plus a few scrapes */
#define N_ALLOC		2

struct prom {
	char dir[HARNESS_PATH];
	uint16_t port;
	pid_t pid;
};

static int
prom_rm(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(path);
}

static int
prom_start(struct prom *p, uint16_t target)
{
	char conf[HARNESS_PATH + 32], text[1024], log[HARNESS_PATH + 32];
	char a_conf[HARNESS_PATH + 64], a_data[HARNESS_PATH + 64], a_web[64];
	const char *argv[] = { PROM_BIN, a_conf, a_data, a_web,
	    "--log.level=warn", "--storage.tsdb.retention.time=1h", NULL };
	int fd;

	snprintf(p->dir, sizeof(p->dir), "/tmp/tern-prom-XXXXXX");
	if (mkdtemp(p->dir) == NULL || (p->port = harness_free_port(
	    "127.0.0.1")) == 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/prometheus.yml", p->dir);
	snprintf(text, sizeof(text),
	    "global:\n"
	    "  scrape_interval: 1s\n"
	    "  scrape_timeout: 1s\n"
	    "  evaluation_interval: 1s\n"
	    "scrape_configs:\n"
	    "  - job_name: tern\n"
	    "    static_configs:\n"
	    "      - targets: ['127.0.0.1:%u']\n", target);
	if (harness_write_file(conf, text) == -1)
		return -1;
	snprintf(a_conf, sizeof(a_conf), "--config.file=%s", conf);
	snprintf(a_data, sizeof(a_data), "--storage.tsdb.path=%s/data", p->dir);
	snprintf(a_web, sizeof(a_web), "--web.listen-address=127.0.0.1:%u",
	    p->port);
	snprintf(log, sizeof(log), "%s/prometheus.log", p->dir);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	fflush(stdout);
	if ((p->pid = fork()) == -1) {
		p->pid = 0;
		close(fd);
		return -1;
	}
	if (p->pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd);
	return 0;
}

static void
prom_stop(struct prom *p)
{
	if (p->pid != 0) {
		kill(p->pid, SIGTERM);
		if (harness_wait(p->pid, 15000) == -2) {
			kill(p->pid, SIGKILL);
			(void)harness_wait(p->pid, 5000);
		}
		p->pid = 0;
	}
	if (p->dir[0] != '\0')
		(void)nftw(p->dir, prom_rm, 16, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
}

static void
prom_dump(const struct prom *p)
{
	char path[HARNESS_PATH + 32], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/prometheus.log", p->dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && n++ < 40)
		printf("# prometheus: %s", line);
	fclose(f);
}

/* The first instant vector's value of an API answer, as text. */
static int
prom_value(const char *body, char *out, size_t cap)
{
	const char *p = strstr(body, "\"value\":["), *q, *e;

	if (p == NULL || (q = strchr(p, ',')) == NULL || q[1] != '"' ||
	    (e = strchr(q + 2, '"')) == NULL)
		return -1;
	snprintf(out, cap, "%.*s", (int)(e - q - 2), q + 2);
	return 0;
}

/* Polls /api/v1/query until its value is want, or the deadline. */
static bool
prom_until(struct prom *p, const char *query, const char *want,
    int64_t deadline, char *last, size_t cap)
{
	struct timespec nap = { 0, 250 * 1000000L };
	char path[256];
	struct mc_resp r;
	bool hit = false;

	snprintf(last, cap, "(nothing)");
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", query);
	while (!hit && client_now_ms() < deadline) {
		if (mc_http(p->port, "GET", path, NULL, &r, 2000) == 0 &&
		    r.status == 200 && prom_value(r.body, last, cap) == 0)
			hit = strcmp(last, want) == 0;
		mc_resp_free(&r);
		if (!hit)
			nanosleep(&nap, NULL);
	}
	return hit;
}

int
main(int argc, char *argv[])
{
	struct mc m;
	struct prom p = { 0 };
	struct harness_peer peer = { 0 };
	struct client_turn t[N_ALLOC] = { 0 };
	struct client *c[N_ALLOC] = { 0 };
	int64_t deadline;
	char last[64];
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: test_metrics_prometheus TERND\n");
		return 2;
	}
	if (!ok(access(PROM_BIN, X_OK) == 0, "%s is installed (package "
	    "prometheus, scripts/lib.sh)", PROM_BIN))
		return tap_done();
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir") ||
	    !ok(mc_start(&m, NULL) == 0, "ternd with metrics") ||
	    !ok(harness_peer_start(&peer, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	for (i = 0; i < N_ALLOC; i++)
		if (!ok(mc_alloc(&m, &peer.addr, &c[i], &t[i]) == 0,
		    "allocation %d", i))
			goto out;
	if (!ok(prom_start(&p, m.mport) == 0, "prometheus started"))
		goto out;
	deadline = client_now_ms() + PROM_WAIT_MS;
	if (!ok(prom_until(&p, "up", "1", deadline, last, sizeof(last)),
	    "Prometheus reports up == 1 (last %s)", last))
		prom_dump(&p);
	ok(prom_until(&p, "sum(tern_allocations)", "2", deadline, last,
	    sizeof(last)), "Prometheus reports sum(tern_allocations) == %d "
	    "(last %s)", N_ALLOC, last);
	ok(prom_until(&p, "tern_build_info", "1", deadline, last,
	    sizeof(last)), "tern_build_info scraped (last %s)", last);
	prom_stop(&p);
	for (i = 0; i < N_ALLOC; i++)
		harness_turn_close(&c[i], &t[i]);
	harness_peer_stop(&peer);
	is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
out:
	prom_stop(&p);
	for (i = 0; i < N_ALLOC; i++)
		harness_turn_close(&c[i], &t[i]);
	harness_peer_stop(&peer);
	mc_fini(&m);
	return tap_done();
}
