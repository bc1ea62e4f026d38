/* SPDX-License-Identifier: ISC */
/*
 * redis_helper: see redis_helper.h. A port that turns out to be taken
 * (redis-server exits at once) is retried with another one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "redis_helper.h"

int
redis_helper_available(void)
{
	return access(REDIS_HELPER_SERVER, X_OK) == 0 &&
	    access(REDIS_HELPER_CLI, X_OK) == 0;
}

const char *
redis_helper_path(const struct redis_helper *r, const char *name, char *out,
    size_t cap)
{
	snprintf(out, cap, "%s/%s", r->dir, name);
	return out;
}

static void
redis_helper_nap(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Spawns redis-server on r->port. 0 or -1. */
static int
redis_helper_spawn(struct redis_helper *r)
{
	char log[300];
	const char *argv[20] = { REDIS_HELPER_SERVER, "--port", r->port_s,
	    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
	    r->dir, "--logfile", redis_helper_path(r, "redis.log", log,
	    sizeof(log)), "--daemonize", "no", NULL };
	size_t n = 15;
	int nul;

	if (r->password[0] != '\0') {
		argv[n++] = "--requirepass";
		argv[n++] = r->password;
		argv[n] = NULL;
	}
	fflush(stdout);
	if ((r->pid = fork()) == -1) {
		r->pid = 0;
		return -1;
	}
	if (r->pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((nul = open("/dev/null", O_RDWR)) != -1) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return 0;
}

/* Polls PING until PONG, the server's exit, or the deadline. */
static int
redis_helper_ready(struct redis_helper *r)
{
	int64_t deadline = client_now_ms() + REDIS_HELPER_READY_MS;
	char out[256];

	while (client_now_ms() < deadline) {
		if (harness_wait(r->pid, 0) != -2) {
			r->pid = 0;	/* exited: the port was taken */
			return -1;
		}
		if (redis_helper_cli(r, out, sizeof(out), "PING", NULL) == 0 &&
		    strcmp(out, "PONG") == 0)
			return 0;
		redis_helper_nap(20);
	}
	return -1;
}

int
redis_helper_start(struct redis_helper *r, const char *password)
{
	int attempt;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/tern-redis-XXXXXX");
	if (mkdtemp(r->dir) == NULL)
		return -1;
	if (password != NULL)
		snprintf(r->password, sizeof(r->password), "%s", password);
	for (attempt = 0; attempt < 5; attempt++) {
		if ((r->port = harness_free_port("127.0.0.1")) == 0)
			return -1;
		snprintf(r->port_s, sizeof(r->port_s), "%u", r->port);
		snprintf(r->conn, sizeof(r->conn), "ip=127.0.0.1 port=%u",
		    r->port);
		if (redis_helper_spawn(r) == -1)
			return -1;
		if (redis_helper_ready(r) == 0)
			return 0;
		if (r->pid != 0)
			break;	/* running but silent: give up */
	}
	return -1;
}

/* Removes the files redis-server may have left, then the directory. */
static void
redis_helper_rmdir(struct redis_helper *r)
{
	char path[600];
	struct dirent *e;
	DIR *d;
	int i;

	if (r->dir[0] == '\0' || (d = opendir(r->dir)) == NULL)
		return;
	for (i = 0; i < 64 && (e = readdir(d)) != NULL; i++) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", r->dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(r->dir);
	r->dir[0] = '\0';
}

void
redis_helper_stop(struct redis_helper *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		if (harness_wait(r->pid, 5000) == -2) {
			kill(r->pid, SIGKILL);
			(void)harness_wait(r->pid, 5000);
		}
		r->pid = 0;
	}
	redis_helper_rmdir(r);
}

int
redis_helper_cli(const struct redis_helper *r, char *out, size_t cap, ...)
{
	const char *argv[32] = { REDIS_HELPER_CLI, "-h", "127.0.0.1", "-p",
	    r->port_s };
	const char *a;
	size_t n = 5;
	va_list ap;

	if (r->password[0] != '\0') {
		argv[n++] = "--no-auth-warning";
		argv[n++] = "-a";
		argv[n++] = r->password;
	}
	va_start(ap, cap);
	while ((a = va_arg(ap, const char *)) != NULL && n < 30)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return harness_run(argv, out, cap, 10000);
}
