/* SPDX-License-Identifier: ISC */
/* soak_proc: the legitimate traffic's processes (see soak.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soak.h"

#define PEER_READY_MS	5000
#define KILL_MS		5000
#define UCLIENT_LEN	"170"	/* -l: bytes per message */
#define UCLIENT_GAP	"20"	/* -z: ms between a client's messages */

static char text[512 * 1024];	/* one process's output, for parsing */

pid_t
soak_spawn(const char *const argv[], const char *out, int deathsig)
{
	pid_t pid;
	int fd, nul;

	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		/* If the test dies (a meson timeout), nothing is left behind. */
		(void)prctl(PR_SET_PDEATHSIG, deathsig);
		if ((nul = open("/dev/null", O_RDONLY)) != -1)
			dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

void
soak_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (harness_wait(pid, KILL_MS) == -2) {
		kill(pid, SIGKILL);
		(void)harness_wait(pid, KILL_MS);
	}
}

long
soak_read_file(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;
	int fd;

	if (cap == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

void
soak_dump_tail(const char *path, const char *prefix, int lines)
{
	long len = soak_read_file(path, text, sizeof(text));
	char *p, *line, *save = NULL;
	int n = 0;

	if (len <= 0)
		return;
	for (p = text + len; p > text; p--)
		if (p[-1] == '\n' && ++n > lines)
			break;
	for (line = strtok_r(p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		printf("#   %s%s\n", prefix, line);
}

pid_t
soak_peer_start(uint16_t port)
{
	char p[8];
	const char *argv[] = { SOAK_PEER, "-L", SOAK_LOOPBACK, "-p", p, NULL };
	pid_t pid;

	snprintf(p, sizeof(p), "%u", port);
	if ((pid = soak_spawn(argv, "/dev/null", SIGKILL)) == -1)
		return -1;
	if (!harness_echo_ready(pid, SOAK_LOOPBACK, port, PEER_READY_MS)) {
		soak_kill(pid);
		return -1;
	}
	return pid;
}

int
soak_uclient_start(struct soak_uclient *u, const struct harness *h,
    uint16_t peer, const char *secret, const char *user)
{
	char pbuf[8], sbuf[8], nbuf[24], mbuf[24];
	const char *argv[32];
	int n = 0;

	snprintf(pbuf, sizeof(pbuf), "%u", h->port);
	snprintf(sbuf, sizeof(sbuf), "%u", peer);
	snprintf(nbuf, sizeof(nbuf), "%ld", u->msgs);
	snprintf(mbuf, sizeof(mbuf), "%ld", u->clients);
	argv[n++] = SOAK_UCLIENT;
	argv[n++] = "-L"; argv[n++] = SOAK_LOOPBACK;
	argv[n++] = "-e"; argv[n++] = SOAK_LOOPBACK;
	argv[n++] = "-r"; argv[n++] = sbuf;
	argv[n++] = "-p"; argv[n++] = pbuf;
	argv[n++] = "-n"; argv[n++] = nbuf;
	argv[n++] = "-m"; argv[n++] = mbuf;
	argv[n++] = "-l"; argv[n++] = UCLIENT_LEN;
	argv[n++] = "-z"; argv[n++] = UCLIENT_GAP;
	if (u->tcp)
		argv[n++] = "-t";
	argv[n++] = "-W"; argv[n++] = secret;
	argv[n++] = "-u"; argv[n++] = user;
	argv[n++] = SOAK_LOOPBACK;
	argv[n] = NULL;
	harness_path(h, u->tcp ? "uclient-tcp.out" : "uclient-udp.out", u->out,
	    sizeof(u->out));
	u->sent = u->recvd = u->lost = -1;
	u->rc = -1;
	return (u->pid = soak_spawn(argv, u->out, SIGKILL)) > 0 ? 0 : -1;
}

/* "... KEY<number>" at the last occurrence of key; -1 when absent. */
static long
stat_after(const char *s, const char *key)
{
	const char *p = NULL, *q = s;

	while ((q = strstr(q, key)) != NULL)
		p = q++;
	return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Waits for pid until the deadline, then kills it. Exit code or -1. */
static int
finish(pid_t pid, int64_t deadline_ms)
{
	int64_t left = deadline_ms - client_now_ms();
	int rc;

	rc = harness_wait(pid, left > 0 ? (int)left : 0);
	if (rc == -2) {
		printf("# pid %d still running at its deadline: killed\n", (int)pid);
		soak_kill(pid);
		rc = -1;
	}
	return rc;
}

void
soak_uclient_finish(struct soak_uclient *u, int64_t deadline_ms)
{
	if (u->pid <= 0)
		return;
	u->rc = finish(u->pid, deadline_ms);
	u->pid = 0;
	if (soak_read_file(u->out, text, sizeof(text)) < 0)
		return;
	/* The summary line, without the per-second "msz=" prefix. */
	u->sent = stat_after(text, "start_mclient: tot_send_msgs=");
	u->recvd = stat_after(text, ", tot_recv_msgs=");
	u->lost = stat_after(text, "Total lost packets ");
}

int
soak_chrome_start(struct soak_chrome *c, const struct harness *h,
    const char *node, const char *script, const char *secret, long run_ms)
{
	const char *argv[] = { node, script, NULL };
	char v[64];

	/* The environment of the child; set before any thread exists. */
	snprintf(v, sizeof(v), "%u", h->port);
	setenv("TERN_SOAK_PORT", v, 1);
	snprintf(v, sizeof(v), "%u", h->tls_port);
	setenv("TERN_SOAK_TLS_PORT", v, 1);
	snprintf(v, sizeof(v), "%ld", run_ms);
	setenv("TERN_SOAK_RUN_MS", v, 1);
	setenv("TERN_SOAK_SECRET", secret, 1);
	setenv("TERN_SOAK_CERT", h->cert, 1);
	setenv("TERN_SOAK_DIR", h->dir, 1);
	harness_path(h, "chromium.out", c->out, sizeof(c->out));
	c->calls = c->failed = c->expected = c->received = -1;
	c->udp = c->tcp = c->tls = c->no_relay = -1;
	c->relay_sent = c->relay_received = -1;
	c->rc = -1;
	/* SIGTERM, so that node can still kill Chromium by its PID */
	c->pid = soak_spawn(argv, c->out, SIGTERM);
	unsetenv("TERN_SOAK_SECRET");
	return c->pid > 0 ? 0 : -1;
}

void
soak_chrome_finish(struct soak_chrome *c, int64_t deadline_ms)
{
	const char *p;

	if (c->pid <= 0)
		return;
	c->rc = finish(c->pid, deadline_ms);
	c->pid = 0;
	if (soak_read_file(c->out, text, sizeof(text)) < 0 ||
	    (p = strstr(text, "SOAK-CHROMIUM ")) == NULL)
		return;
	/* Each key with the space in front, so that " received=" is not
	 * found in "relay_received=". */
	c->calls = stat_after(p, " calls=");
	c->failed = stat_after(p, " failed=");
	c->expected = stat_after(p, " expected=");
	c->received = stat_after(p, " received=");
	c->udp = stat_after(p, " udp=");
	c->tcp = stat_after(p, " tcp=");
	c->tls = stat_after(p, " tls=");
	c->relay_sent = stat_after(p, " relay_sent=");
	c->relay_received = stat_after(p, " relay_received=");
	c->no_relay = stat_after(p, " no_relay=");
}

/* Sends the request and reads until EOF or the deadline. */
static long
http_exchange(int fd, const char *req, char *buf, size_t cap, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return -1;
	while (len + 1 < cap && client_now_ms() < deadline) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if ((n = recv(fd, buf + len, cap - 1 - len, 0)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (long)len;
}

long
soak_http_get(uint16_t port, const char *path, char *buf, size_t cap,
    int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	char req[256];
	struct addr a;
	char *body;
	long len;
	int fd;

	if (cap == 0 || addr_parse_ip(&a, SOAK_LOOPBACK, port) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: " SOAK_LOOPBACK
	    "\r\n\r\n", path);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, &a.u.sa, addr_len(&a)) == -1) {
		close(fd);
		return -1;
	}
	len = http_exchange(fd, req, buf, cap, deadline);
	close(fd);
	if (len < 0 || (body = strstr(buf, "\r\n\r\n")) == NULL)
		return -1;
	body += 4;
	len -= body - buf;
	memmove(buf, body, (size_t)len + 1);
	return len;
}
