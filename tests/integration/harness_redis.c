/* SPDX-License-Identifier: ISC */
/*
 * harness_redis: a real redis-server for one integration test, on a random
 * loopback port, in a temporary directory, with persistence off
 * (`--save "" --appendonly no`), DEBUG allowed from loopback (for DEBUG
 * SLEEP), started and killed by PID; and redis-cli
 * (arguments passed as argv, never through a shell) to prepare data.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void
harness_redis_nap(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
	    .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
harness_redis_available(void)
{
	return access(HARNESS_REDIS_SERVER, X_OK) == 0 &&
	    access(HARNESS_REDIS_CLI, X_OK) == 0;
}

static pid_t
harness_redis_spawn(struct harness_redis *r)
{
	char port[16], log[HARNESS_PATH + 16];
	const char *argv[32] = { HARNESS_REDIS_SERVER, "--port", port, "--bind",
	    "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r->dir,
	    "--daemonize", "no", "--logfile", log, "--protected-mode", "yes",
	    "--enable-debug-command", "local" };
	size_t n = 19;
	pid_t pid;
	int nul;

	snprintf(port, sizeof(port), "%u", r->port);
	snprintf(log, sizeof(log), "%s/redis.log", r->dir);
	if (r->password != NULL) {
		argv[n++] = "--requirepass";
		argv[n++] = r->password;
	}
	if (r->unix_path[0] != '\0') {
		argv[n++] = "--unixsocket";
		argv[n++] = r->unix_path;
		argv[n++] = "--unixsocketperm";
		argv[n++] = "700";
	}
	argv[n] = NULL;
	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((nul = open("/dev/null", O_RDWR)) != -1) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
	}
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

int
harness_redis_start(struct harness_redis *r, const char *dir, uint16_t port)
{
	char out[256];
	int64_t deadline;
	int tries;

	if (dir != NULL)
		snprintf(r->dir, sizeof(r->dir), "%s", dir);
	for (tries = 0; tries < 5; tries++) {
		r->port = port != 0 ? port : harness_free_port("127.0.0.1");
		if (r->port == 0 || (r->pid = harness_redis_spawn(r)) <= 0)
			return -1;
		deadline = client_now_ms() + 5000;
		while (client_now_ms() < deadline) {
			if (harness_wait(r->pid, 0) != -2) {
				r->pid = 0;	/* exited: port taken? */
				break;
			}
			if (harness_redis_cmd(r, out, sizeof(out), "PING",
			    NULL) == 0 && strcmp(out, "PONG") == 0)
				return 0;
			harness_redis_nap(20);
		}
		if (r->pid != 0) {
			harness_redis_kill(r);
			return -1;
		}
		if (port != 0)
			return -1;
	}
	return -1;
}

void
harness_redis_kill(struct harness_redis *r)
{
	if (r->pid <= 0)
		return;
	kill(r->pid, SIGKILL);
	(void)harness_wait(r->pid, 5000);
	r->pid = 0;
}

int
harness_redis_cmdv(const struct harness_redis *r, char *out, size_t cap,
    const char *const args[])
{
	const char *argv[24];
	char port[16];
	size_t i, n = 0;

	snprintf(port, sizeof(port), "%u", r->port);
	argv[n++] = HARNESS_REDIS_CLI;
	argv[n++] = "-h";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = port;
	if (r->password != NULL) {
		argv[n++] = "--no-auth-warning";
		argv[n++] = "-a";
		argv[n++] = r->password;
	}
	for (i = 0; args[i] != NULL && n + 1 < sizeof(argv) / sizeof(argv[0]);
	    i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return harness_run(argv, out, cap, 10000);
}

int
harness_redis_cmd(const struct harness_redis *r, char *out, size_t cap, ...)
{
	const char *args[20];
	va_list ap;
	size_t n = 0;

	va_start(ap, cap);
	while (n + 1 < sizeof(args) / sizeof(args[0]) &&
	    (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return harness_redis_cmdv(r, out, cap, args);
}

int
harness_redis_conf(const struct harness_redis *r, char *out, size_t cap)
{
	int n = snprintf(out, cap, "redis-userdb = \"ip=127.0.0.1 port=%u "
	    "dbname=0 connect_timeout=2%s%s\"\n", r->port,
	    r->password != NULL ? " password=" : "",
	    r->password != NULL ? r->password : "");

	return n > 0 && (size_t)n < cap ? 0 : -1;
}
