/* SPDX-License-Identifier: ISC */
/*
 * Secrets in files of their own and the start-up warnings against a real
 * ternd (docs/security.md, Secrets handling and Hardening):
 *  - a REST credential signed with a secret that is only in
 *    static-auth-secret-file allocates (RFC 8656 §7.2 after the 401);
 *  - after the file is rewritten with a new secret and SIGHUP, the new
 *    secret allocates and the old one gets 401;
 *  - neither secret appears in ternd's log, in `ps` or in
 *    /proc/PID/cmdline;
 *  - a secret file that becomes world-readable gets its warning after the
 *    SIGHUP; a world-readable secret file and a world-readable config with
 *    an inline secret each get theirs at start;
 *  - redis-password-file's password is used instead of password= in
 *    redis-userdb, and a new one in the file plus SIGHUP makes ternd
 *    connect again with it;
 *  - a log-file that is a symbolic link stops the start with a message
 *    naming it, and nothing is written through the link;
 *  - a log-file in a world-writable directory gets a warning saying so,
 *    and running as root without proc-user gets one too.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		3000
#define RELOAD_MS	5000
#define OLD_SECRET	"first-file-secret-6b1d0e2f"
#define NEW_SECRET	"second-file-secret-93ac5f40"
#define INLINE_SECRET	"inline-secret-4e7a21c8"
#define REDIS_PW_OLD	"Redis-pw-old-0c9d"
#define REDIS_PW_NEW	"Redis-pw-new-7f21"
#define REDIS_SKEY	"turn/realm/tern.test/secret"

/* Writes text to path with mode, through a rename (atomic for ternd). */
static int
put_file(const char *path, const char *text, mode_t mode)
{
	char tmp[HARNESS_PATH + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (harness_write_file(tmp, text) == -1 || chmod(tmp, mode) == -1)
		return -1;
	return rename(tmp, path);
}

/* The whole of a small file, NUL bytes turned into spaces. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
	size_t n = 0, i;
	ssize_t r;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return n;
}

/* Waits until ternd's log holds needle, or the deadline. */
static bool
wait_log(const struct harness *h, const char *needle, int ms)
{
	static char buf[1 << 20];
	int64_t deadline = client_now_ms() + ms;
	struct timespec nap = { 0, 50 * 1000000L };

	do {
		slurp(h->errlog, buf, sizeof(buf));
		if (strstr(buf, needle) != NULL)
			return true;
		nanosleep(&nap, NULL);
	} while (client_now_ms() < deadline);
	return false;
}

/* Allocate with a REST credential signed by secret: 0, 401, or other. */
static int
try_alloc(struct harness *h, const char *secret, const char *id)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char user[128], pass[29];
	int r;

	if (harness_rest_cred(secret, (int64_t)time(NULL) + 600, id, user,
	    sizeof(user), pass) == -1 ||
	    harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) == -1)
		return -1;
	r = client_turn_allocate(&t, NULL, WAIT_MS);
	if (r == 0)
		client_turn_refresh(&t, 0, WAIT_MS);
	harness_turn_close(&c, &t);
	return r;
}

/* Polls until the new secret allocates, or the deadline. */
static bool
wait_alloc(struct harness *h, const char *secret)
{
	int64_t deadline = client_now_ms() + RELOAD_MS;
	struct timespec nap = { 0, 100 * 1000000L };

	do {
		if (try_alloc(h, secret, "dora") == 0)
			return true;
		nanosleep(&nap, NULL);
	} while (client_now_ms() < deadline);
	return false;
}

/* Neither secret in the log, in ps or in /proc/PID/cmdline. */
static void
check_no_secret(const struct harness *h)
{
	static char buf[1 << 20];
	char pid[32], path[64], out[4096];
	const char *ps[] = { "/usr/bin/ps", "-ww", "-o", "args=", "-p", pid,
	    NULL };
	int rc;

	slurp(h->errlog, buf, sizeof(buf));
	ok(buf[0] != '\0' && strstr(buf, OLD_SECRET) == NULL &&
	    strstr(buf, NEW_SECRET) == NULL, "no secret in ternd's log");
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)h->pid);
	slurp(path, out, sizeof(out));
	ok(strstr(out, h->conf) != NULL && strstr(out, OLD_SECRET) == NULL &&
	    strstr(out, NEW_SECRET) == NULL,
	    "/proc/PID/cmdline names the config and no secret");
	snprintf(pid, sizeof(pid), "%ld", (long)h->pid);
	rc = harness_run(ps, out, sizeof(out), 5000);
	ok(rc == 0 && strstr(out, "ternd") != NULL &&
	    strstr(out, OLD_SECRET) == NULL && strstr(out, NEW_SECRET) == NULL,
	    "ps shows no secret (%d)", rc);
}

/* The secret only in static-auth-secret-file; rotation by SIGHUP. */
static void
test_rotation(struct harness *hp)
{
	char file[HARNESS_PATH], extra[1024], want[HARNESS_PATH + 128];
	struct harness_opts o = { .extra = extra };
	struct harness h = *hp;
	int failed = tap_failed;

	harness_path(&h, "rest-secrets", file, sizeof(file));
	snprintf(extra, sizeof(extra), HARNESS_TURN_CONF
	    "static-auth-secret-file = %s\n", file);
	if (!ok(put_file(file, "# the REST secret\n\n" OLD_SECRET "\n",
	    0600) == 0, "a 0600 file holds the only secret") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	is_int(try_alloc(&h, OLD_SECRET, "bob"), 0,
	    "a credential signed with the file's secret allocates");
	is_int(try_alloc(&h, NEW_SECRET, "bob"), 401,
	    "one signed with the next secret does not yet (401)");
	ok(!wait_log(&h, "option=\"static-auth-secret-file\"", 0),
	    "no warning about a 0600 file");

	ok(put_file(file, NEW_SECRET "\n", 0644) == 0,
	    "the file is rewritten with a new secret, world-readable");
	ok(kill(h.pid, SIGHUP) == 0, "SIGHUP");
	ok(wait_alloc(&h, NEW_SECRET), "the new secret allocates after the "
	    "reload");
	is_int(try_alloc(&h, OLD_SECRET, "bob"), 401,
	    "the old one no longer does (401)");
	snprintf(want, sizeof(want), "level=warn event=config_warning "
	    "option=\"static-auth-secret-file\" reason=\"%s is readable by its "
	    "group or by every user", file);
	ok(wait_log(&h, want, RELOAD_MS), "the reload warns about the "
	    "world-readable file, naming it");
	check_no_secret(&h);
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed != failed)
		harness_dump_log(&h);
	if (h.pid != 0)
		harness_stop(&h);
}

/* A world-readable secret file and a world-readable config with an
 * inline secret: one warning each at start. */
static void
test_readable(struct harness *hp)
{
	char file[HARNESS_PATH], extra[1024], want[HARNESS_PATH + 160];
	struct harness_opts o = { .extra = extra };
	struct stat st;
	struct harness h = *hp;
	int failed = tap_failed;

	harness_path(&h, "rest-secrets", file, sizeof(file));
	snprintf(extra, sizeof(extra), HARNESS_TURN_CONF
	    "static-auth-secret = " INLINE_SECRET "\n"
	    "static-auth-secret-file = %s\n", file);
	if (!ok(put_file(file, OLD_SECRET "\n", 0644) == 0,
	    "a world-readable secret file") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	ok(stat(h.conf, &st) == 0 && (st.st_mode & 0004) != 0,
	    "the config file is world-readable");
	snprintf(want, sizeof(want), "event=config_warning option=\"static-"
	    "auth-secret-file\" reason=\"%s is readable by its group or by "
	    "every user", file);
	ok(wait_log(&h, want, WAIT_MS), "warning naming the secret file");
	snprintf(want, sizeof(want), "event=config_warning option=\"static-"
	    "auth-secret\" reason=\"written in %s, which its group or every "
	    "user can read", h.conf);
	ok(wait_log(&h, want, WAIT_MS), "warning naming the config file with "
	    "the inline secret");
	is_int(try_alloc(&h, INLINE_SECRET, "carol"), 0,
	    "the inline secret allocates");
	is_int(try_alloc(&h, OLD_SECRET, "carol"), 0,
	    "and so does the file's");
	ok(!wait_log(&h, INLINE_SECRET, 0), "the inline secret is not logged");
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed != failed)
		harness_dump_log(&h);
	if (h.pid != 0)
		harness_stop(&h);
}

/* redis-password-file overrides a wrong password= in redis-userdb; a new
 * password in the file and SIGHUP make ternd connect again with it. */
static void
test_redis_password(struct harness *hp)
{
	char file[HARNESS_PATH], extra[1024], out[256];
	struct harness_opts o = { .extra = extra };
	struct harness_redis r = { .password = REDIS_PW_OLD };
	struct harness h = *hp;
	int failed = tap_failed;

	harness_path(&h, "redis-password", file, sizeof(file));
	if (!ok(harness_redis_start(&r, h.dir, 0) == 0, "redis-server with a "
	    "password") ||
	    !ok(harness_redis_cmd(&r, out, sizeof(out), "SADD", REDIS_SKEY,
	    OLD_SECRET, NULL) == 0, "a REST secret in Redis"))
		goto out;
	snprintf(extra, sizeof(extra), HARNESS_TURN_CONF "redis-userdb = "
	    "\"ip=127.0.0.1 port=%u password=not-the-password\"\n"
	    "redis-password-file = %s\n", r.port, file);
	if (!ok(put_file(file, REDIS_PW_OLD "\n", 0600) == 0, "the password "
	    "in a file of its own") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	ok(wait_alloc(&h, OLD_SECRET), "the secret read from Redis allocates: "
	    "the file's password was used, not password=");

	ok(harness_redis_cmd(&r, out, sizeof(out), "CONFIG", "SET",
	    "requirepass", REDIS_PW_NEW, NULL) == 0, "Redis takes a new "
	    "password");
	r.password = REDIS_PW_NEW;
	ok(put_file(file, REDIS_PW_NEW "\n", 0600) == 0 &&
	    kill(h.pid, SIGHUP) == 0, "the file gets it too, then SIGHUP");
	ok(wait_log(&h, "event=redis_reconnect", RELOAD_MS),
	    "ternd connects again");
	harness_redis_cmd(&r, out, sizeof(out), "SADD", REDIS_SKEY, NEW_SECRET,
	    NULL);
	harness_redis_cmd(&r, out, sizeof(out), "PUBLISH", "tern/events",
	    "secret *", NULL);
	ok(wait_alloc(&h, NEW_SECRET), "a secret added afterwards is read: the "
	    "new connections authenticated with the new password");
	ok(!wait_log(&h, "Redis-pw-", 0), "no Redis password in the log");
out:
	if (tap_failed != failed)
		harness_dump_log(&h);
	if (h.pid != 0)
		harness_stop(&h);
	harness_redis_kill(&r);
}

/* log-file is a symbolic link: ternd refuses to start, naming it. */
static void
test_log_link(const struct harness *hp)
{
	char conf[HARNESS_PATH], link_[HARNESS_PATH], target[HARNESS_PATH];
	char text[1024], out[4096], want[HARNESS_PATH + 64];
	const char *argv[] = { hp->ternd, "-c", conf, NULL };
	const struct harness *h = hp;
	struct stat st;
	int rc;

	harness_path(h, "link.conf", conf, sizeof(conf));
	harness_path(h, "ternd.log", link_, sizeof(link_));
	harness_path(h, "elsewhere", target, sizeof(target));
	snprintf(text, sizeof(text), "listening-ip = 127.0.0.1\n"
	    "listening-port = %u\nno-tls\nlog-file = %s\n",
	    (unsigned)harness_free_port("127.0.0.1"), link_);
	ok(harness_write_file(conf, text) == 0 && symlink(target, link_) == 0,
	    "log-file is a link to another file");
	rc = harness_run(argv, out, sizeof(out), 10000);
	ok(rc > 0, "ternd refuses to start (exit %d)", rc);
	snprintf(want, sizeof(want), "log-file %s: is a symbolic link", link_);
	if (!ok(strstr(out, want) != NULL, "the message names the file"))
		diag("output: %s", out);
	ok(lstat(target, &st) == -1, "nothing was written through the link");
}

/* log-file in a world-writable directory: a log_dir_writable warning in
 * the file itself; as root without proc-user, that warning too. */
static void
test_log_dir(struct harness *hp)
{
	static char buf[1 << 16];
	char dir[HARNESS_PATH], file[HARNESS_PATH], extra[1024];
	struct harness_opts o = { .extra = extra };
	struct harness h = *hp;

	harness_path(&h, "open", dir, sizeof(dir));
	harness_path(&h, "open/ternd.log", file, sizeof(file));
	snprintf(extra, sizeof(extra), "log-file = %s\n", file);
	if (!ok(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0,
	    "a world-writable directory without the sticky bit") ||
	    !ok(harness_start(&h, &o) == 0, "ternd started, logging there"))
		goto out;
	/* written before the listeners answered, which harness_start saw */
	slurp(file, buf, sizeof(buf));
	ok(strstr(buf, "level=warn event=log_dir_writable file=") != NULL &&
	    strstr(buf, "group- or world-writable without the sticky bit") !=
	    NULL, "the log says the directory lets others replace the file");
	if (geteuid() == 0)
		ok(strstr(buf, "event=config_warning option=\"proc-user\" "
		    "reason=\"ternd runs as root") != NULL,
		    "as root without proc-user: a warning");
	is_int(harness_stop(&h), 0, "SIGTERM: ternd exits 0");
out:
	if (h.pid != 0)
		harness_stop(&h);
	unlink(file);
	rmdir(dir);
}

int
main(int argc, char *argv[])
{
	struct harness h;

	if (argc != 2) {
		fprintf(stderr, "usage: test_secret_files TERND\n");
		return 2;
	}
	/* One directory for the three runs (one crypto_init()). */
	if (ok(harness_init(&h, argv[1]) == 0, "temp dir")) {
		test_rotation(&h);
		test_readable(&h);
		test_redis_password(&h);
		test_log_link(&h);
		test_log_dir(&h);
	}
	harness_fini(&h);
	return tap_done();
}
