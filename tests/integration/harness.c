/* SPDX-License-Identifier: ISC */
/* harness: one real ternd on loopback per test. See harness.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "harness.h"
#include "util/crypto.h"

#define HARNESS_ATTEMPTS	5

static void
harness_nap(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

int
harness_init(struct harness *h, const char *ternd)
{
	const char *tmp = getenv("TMPDIR");

	memset(h, 0, sizeof(*h));
	h->ternd = ternd;
	if (crypto_init() == -1)
		return -1;
	snprintf(h->dir, sizeof(h->dir), "%s/tern-it-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(h->dir) == NULL)
		return -1;
	harness_path(h, "ternd.conf", h->conf, sizeof(h->conf));
	harness_path(h, "cert.pem", h->cert, sizeof(h->cert));
	harness_path(h, "pkey.pem", h->pkey, sizeof(h->pkey));
	harness_path(h, "ternd.stderr", h->errlog, sizeof(h->errlog));
	harness_path(h, "ternd.pid", h->pidfile, sizeof(h->pidfile));
	return 0;
}

const char *
harness_path(const struct harness *h, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", h->dir, name);
	return out;
}

/* Writes the strings of parts (NULL-terminated) one after the other. */
static int
harness_write_parts(const char *path, const char *const parts[])
{
	FILE *f;
	int rv = 0;
	size_t i;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; parts[i] != NULL; i++)
		if (fputs(parts[i], f) == EOF)
			rv = -1;
	if (fclose(f) == EOF)
		rv = -1;
	return rv;
}

int
harness_write_file(const char *path, const char *text)
{
	const char *const parts[] = { text, NULL };

	return harness_write_parts(path, parts);
}

int
harness_wait(pid_t pid, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r == -1 && errno != EINTR)
			return -1;
		if (client_now_ms() >= deadline)
			return -2;
		harness_nap(10);
	}
}

/* Child side of a spawn: output to fd, stdin from /dev/null. */
static void
harness_child(int outfd, const char *const argv[])
{
	int nul = open("/dev/null", O_RDONLY);

	/* If the test dies (a meson timeout), no ternd is left behind. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (nul != -1)
		dup2(nul, 0);
	dup2(outfd, 1);
	dup2(outfd, 2);
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

int
harness_run(const char *const argv[], char *out, size_t cap, int timeout_ms)
{
	char tmpl[] = "/tmp/tern-run-XXXXXX";
	ssize_t n;
	pid_t pid;
	int fd, rc;

	if (cap == 0 || (fd = mkstemp(tmpl)) == -1)
		return -1;
	unlink(tmpl);
	fflush(stdout);
	if ((pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0)
		harness_child(fd, argv);
	rc = harness_wait(pid, timeout_ms);
	if (rc == -2) {
		kill(pid, SIGKILL);
		(void)harness_wait(pid, 5000);
		rc = -1;
	}
	n = pread(fd, out, cap - 1, 0);
	if (n < 0)
		n = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;	/* one-line outputs compare without the newline */
	out[n] = '\0';
	close(fd);
	return rc;
}

int
harness_make_cert(const char *cert, const char *key)
{
	const char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
	    "-subj", "/CN=localhost",
	    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
	    "-keyout", key, "-out", cert, NULL };
	char out[4096];

	if (harness_run(argv, out, sizeof(out), 20000) != 0) {
		printf("# openssl req failed: %s\n", out);
		return -1;
	}
	return 0;
}

/* Binds a socket of type on ip:port to see if the port is free. */
static bool
harness_port_free(const char *ip, uint16_t port, int type)
{
	struct addr a;
	int fd, one = 1;
	bool okk;

	if (addr_parse_ip(&a, ip, port) == -1)
		return false;
	if ((fd = socket(addr_family(&a), type | SOCK_CLOEXEC, 0)) == -1)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	okk = bind(fd, &a.u.sa, addr_len(&a)) == 0;
	close(fd);
	return okk;
}

uint16_t
harness_free_port(const char *ip)
{
	uint16_t port;
	int i;

	for (i = 0; i < 100; i++) {
		if (crypto_random(&port, sizeof(port)) == -1)
			return 0;
		port = (uint16_t)(20000 + port % 30000);
		if (harness_port_free(ip, port, SOCK_DGRAM) &&
		    harness_port_free(ip, port, SOCK_STREAM))
			return port;
	}
	return 0;
}

static int
harness_write_conf(struct harness *h, const struct harness_opts *o)
{
	char text[4096];
	/* a file brought over first (harness_opts.head): its line numbers
	 * stay, and the lines below override it */
	const char *const parts[] = { o->head != NULL ? o->head : "",
	    o->head != NULL ? "\n" : "", text, NULL };
	int n;

	n = snprintf(text, sizeof(text),
	    "# written by the integration harness\n"
	    "listening-ip = %s\n"
	    "listening-port = %u\n"
	    "tls-listening-port = %u\n"
	    "workers = 2\n"
	    "pidfile = %s\n"
	    "log-level = debug\n"
	    "max-connections = %u\n",
	    h->ip, h->port, h->tls_port, h->pidfile, HARNESS_MAX_CONNECTIONS);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	if (h->tls)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "cert = %s\npkey = %s\n",
		    h->cert, h->pkey);
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "no-tls\n");
	if (o->extra != NULL && (size_t)n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\n", o->extra);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	return harness_write_parts(h->conf, parts);
}

/* Child side: the open-file limit the test asked for (harness_opts). */
static void
harness_nofile(const struct harness *h)
{
	struct rlimit rl = { .rlim_cur = h->nofile_soft,
	    .rlim_max = h->nofile_hard };

	if (h->nofile_hard == 0)
		return;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		_exit(126);
}

static int
harness_spawn(struct harness *h)
{
	const char *argv[] = { h->ternd, "-c", h->conf, NULL };
	int fd;

	if ((fd = open(h->errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	fflush(stdout);
	if ((h->pid = fork()) == -1) {
		h->pid = 0;
		close(fd);
		return -1;
	}
	if (h->pid == 0) {
		harness_nofile(h);
		harness_child(fd, argv);
	}
	close(fd);
	return 0;
}

/* A connect() to a stream port succeeds within the deadline. */
static bool
harness_stream_ready(struct harness *h, const struct addr *a, int64_t deadline)
{
	struct client *c;
	char err[256];

	while (client_now_ms() < deadline) {
		if (client_open(&c, CLIENT_TCP, a, NULL, NULL, 500, err, sizeof(err)) == 0) {
			client_free(c);
			return true;
		}
		if (harness_wait(h->pid, 0) != -2)
			return false;
		harness_nap(50);
	}
	return false;
}

/* Polls Binding over UDP until ternd answers, exits, or the deadline. */
static int
harness_ready(struct harness *h)
{
	int64_t deadline = client_now_ms() + HARNESS_READY_MS;
	struct client_binding res;
	struct client *c = NULL;
	char err[256];
	int rc;

	if (client_open(&c, CLIENT_UDP, &h->srv, NULL, NULL, 1000, err, sizeof(err)) != 0)
		return -1;
	while (client_now_ms() < deadline) {
		if ((rc = harness_wait(h->pid, 0)) != -2) {
			printf("# ternd exited at start with %d\n", rc);
			h->pid = 0;
			client_free(c);
			return -1;
		}
		if (client_binding(c, 200, &res) == 0)
			break;
		client_free(c);	/* a refused UDP socket stays in error: start over */
		harness_nap(20);
		if (client_open(&c, CLIENT_UDP, &h->srv, NULL, NULL, 1000, err,
		    sizeof(err)) != 0)
			return -1;
	}
	client_free(c);
	if (client_now_ms() >= deadline)
		return -1;
	if (!harness_stream_ready(h, &h->srv, deadline))
		return -1;
	if (h->tls && !harness_stream_ready(h, &h->srv_tls, deadline))
		return -1;
	return 0;
}

int
harness_start(struct harness *h, const struct harness_opts *o)
{
	int attempt;

	snprintf(h->ip, sizeof(h->ip), "%s", o->ip ? o->ip : "127.0.0.1");
	h->tls = o->tls;
	h->nofile_soft = o->nofile_soft;
	h->nofile_hard = o->nofile_hard;
	if (h->tls && harness_make_cert(h->cert, h->pkey) == -1)
		return -1;
	for (attempt = 0; attempt < HARNESS_ATTEMPTS; attempt++) {
		if ((h->port = harness_free_port(h->ip)) == 0 ||
		    (h->tls_port = harness_free_port(h->ip)) == 0 ||
		    h->port == h->tls_port)
			continue;
		if (addr_parse_ip(&h->srv, h->ip, h->port) == -1 ||
		    addr_parse_ip(&h->srv_tls, h->ip, h->tls_port) == -1)
			return -1;
		if (harness_write_conf(h, o) == -1 || harness_spawn(h) == -1)
			return -1;
		if (harness_ready(h) == 0) {
			printf("# ternd pid %d on %s port %u tls %u\n", (int)h->pid, h->ip,
			    h->port, h->tls_port);
			return 0;
		}
		harness_dump_log(h);
		if (h->pid != 0) {
			/* Running but not answering: not a port clash. */
			kill(h->pid, SIGKILL);
			(void)harness_wait(h->pid, 5000);
			h->pid = 0;
			return -1;
		}
	}
	return -1;
}

int
harness_stop(struct harness *h)
{
	int rc;

	if (h->pid == 0)
		return -1;
	kill(h->pid, SIGTERM);
	rc = harness_wait(h->pid, HARNESS_STOP_MS);
	if (rc == -2) {
		printf("# ternd did not exit within %d ms of SIGTERM\n", HARNESS_STOP_MS);
		kill(h->pid, SIGKILL);
		(void)harness_wait(h->pid, 5000);
		rc = -1;
	}
	h->pid = 0;
	if (rc != 0)
		harness_dump_log(h);
	return rc;
}

void
harness_dump_log(const struct harness *h)
{
	char line[1024];
	FILE *f;
	int n = 0;

	if ((f = fopen(h->errlog, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && n++ < 200)
		printf("# ternd: %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

void
harness_fini(struct harness *h)
{
	struct dirent *de;
	char p[HARNESS_PATH * 2];
	DIR *d;

	if (h->pid != 0) {
		kill(h->pid, SIGKILL);
		(void)harness_wait(h->pid, 5000);
		h->pid = 0;
	}
	/* The directory holds plain files only. */
	if (h->dir[0] != '\0' && (d = opendir(h->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", h->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
		rmdir(h->dir);
	}
	crypto_shutdown();
}

int
harness_client(struct harness *h, enum client_transport t, struct client **c)
{
	struct client_opts o = { .ca_file = h->cert, .verify_host = h->ip };
	char err[256];
	int r;

	r = client_open(c, t, t == CLIENT_TLS ? &h->srv_tls : &h->srv, h->ip, &o, 5000,
	    err, sizeof(err));
	if (r != 0)
		printf("# client_open %s: %s\n", client_transport_name(t), err);
	return r;
}

int
harness_answer_code(const struct stun_msg *m)
{
	const struct stun_attr *a;
	const uint8_t *reason;
	size_t rlen;
	int code;

	if (m->cls == STUN_SUCCESS)
		return 0;
	if (m->cls != STUN_ERROR ||
	    (a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE)) == NULL ||
	    stun_attr_error(a, &code, &reason, &rlen) == -1)
		return -1;
	return code;
}

bool
harness_echo_ready(pid_t pid, const char *ip, uint16_t port, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	struct addr a;
	char buf[64];
	bool up = false;
	int fd;

	if (addr_parse_ip(&a, ip, port) == -1 ||
	    (fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	if (connect(fd, &a.u.sa, addr_len(&a)) == -1) {
		close(fd);
		return false;
	}
	while (!up && client_now_ms() < deadline && harness_wait(pid, 0) == -2) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		(void)send(fd, "tern-ping", 9, 0);	/* ECONNREFUSED until it binds */
		if (poll(&pfd, 1, 100) == 1 && recv(fd, buf, sizeof(buf), 0) == 9 &&
		    memcmp(buf, "tern-ping", 9) == 0)
			up = true;
	}
	close(fd);
	return up;
}

long
harness_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			char *end;
			kib = strtol(line + 6, &end, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

/* The peer thread: receive, record, echo; polls so that stop is seen. */
static void *
harness_peer_main(void *arg)
{
	struct harness_peer *p = arg;
	struct sockaddr_storage ss;
	struct pollfd pfd;
	uint8_t buf[65536];
	socklen_t sl;
	ssize_t n;

	while (!atomic_load(&p->stop)) {
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		sl = sizeof(ss);
		n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			continue;
		pthread_mutex_lock(&p->mu);
		p->count++;
		p->last_len = (size_t)n < sizeof(p->last) ? (size_t)n : sizeof(p->last);
		memcpy(p->last, buf, p->last_len);
		(void)addr_from_sockaddr(&p->last_from, (struct sockaddr *)&ss, sl);
		pthread_mutex_unlock(&p->mu);
		if (p->echo)
			(void)sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl);
	}
	return NULL;
}

int
harness_peer_start(struct harness_peer *p, const char *ip, bool echo)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr a;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->echo = echo;
	atomic_init(&p->stop, false);
	/* Loopback only (127.0.0.0/8, ::1): the tests never send anywhere
	 * else. */
	if (addr_parse_ip(&a, ip, 0) == -1 || !((addr_family(&a) == AF_INET &&
	    (ntohl(a.u.sin.sin_addr.s_addr) >> 24) == 127) ||
	    strcmp(ip, "::1") == 0))
		return -1;
	if ((p->fd = socket(addr_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(p->fd, &a.u.sa, addr_len(&a)) == -1 ||
	    getsockname(p->fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr(&p->addr, (struct sockaddr *)&ss, sl) == -1)
		goto fail;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto fail;
	if (pthread_create(&p->th, NULL, harness_peer_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		goto fail;
	}
	p->running = true;
	return 0;
fail:
	close(p->fd);
	p->fd = -1;
	return -1;
}

void
harness_peer_stop(struct harness_peer *p)
{
	if (p->running) {
		atomic_store(&p->stop, true);
		pthread_join(p->th, NULL);
		pthread_mutex_destroy(&p->mu);
		p->running = false;
	}
	/* fd 0 is stdin, never ours: a zeroed struct stops safely. */
	if (p->fd > 0)
		close(p->fd);
	p->fd = -1;
}

unsigned
harness_peer_count(struct harness_peer *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->count;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int
harness_peer_wait(struct harness_peer *p, unsigned seen, uint8_t *buf, size_t cap,
    size_t *len, struct addr *from, int timeout_ms)
{
	int64_t deadline = client_now_ms() + timeout_ms;
	bool got;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		got = p->count > seen;
		if (got) {
			*len = p->last_len < cap ? p->last_len : cap;
			memcpy(buf, p->last, *len);
			if (from != NULL)
				*from = p->last_from;
		}
		pthread_mutex_unlock(&p->mu);
		if (got)
			return 0;
		if (client_now_ms() >= deadline)
			return -1;
		harness_nap(5);
	}
}

int
harness_rest_cred(const char *secret, int64_t expiry, const char *id, char *user,
    size_t ucap, char pass[29])
{
	int n;

	n = snprintf(user, ucap, "%lld:%s", (long long)expiry, id);
	if (n < 0 || (size_t)n >= ucap)
		return -1;
	return auth_rest_password(secret, strlen(secret), user, (size_t)n, pass);
}

int
harness_turn_open(struct harness *h, enum client_transport t, const char *user,
    const char *pass, struct client **c, struct client_turn *turn)
{
	if (harness_client(h, t, c) != 0)
		return -1;
	if (client_turn_init(turn, *c, user, pass) != 0) {
		client_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

void
harness_turn_close(struct client **c, struct client_turn *turn)
{
	client_turn_clear(turn);
	client_free(*c);
	*c = NULL;
}

const char *
harness_ip_path(void)
{
	static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip",
	    "/usr/bin/ip", "/bin/ip" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int
harness_ip(const char *ip, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5, const char *a6, const char *a7,
    const char *a8)
{
	const char *argv[] = { ip, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	char out[1024];
	size_t i;
	int rc;

	rc = harness_run(argv, out, sizeof(out), 10000);
	if (rc != 0) {
		printf("# ip");
		for (i = 1; argv[i] != NULL; i++)
			printf(" %s", argv[i]);
		printf(": exit %d: %s\n", rc, out);
	}
	return rc == 0 ? 0 : -1;
}
