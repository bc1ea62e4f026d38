/* SPDX-License-Identifier: ISC */
/*
 * ternctl against a real redis-server: what each command does to
 * the keys ternd reads (read back with redis-cli), rotation, the user key
 * MD5(user:realm:password), revocation TTLs, the PUBLISH on tern/events
 * seen by a subscriber, and the failures: unreachable Redis, a password
 * Redis refuses, bad usage. No command may print a secret or a password.
 *
 * The case "ternd" runs the loop against a real ternd reading the same
 * Redis (redis-userdb): what ternctl writes is what ternd enforces.
 *
 *   test_ternctl_redis TERND TERNCTL
 *       secrets|users|revoke|events|errors|auth|ternd
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "harness.h"
#include "redis_helper.h"
#include "tap.h"
#include "util/crypto.h"

#define KNOWN_SECRET	"known-secret-of-the-redis-test"
#define PASSWORD	"pw-of-alice-7"
#define REDIS_PASS	"redis-pass-of-the-test"
#define WAIT_MS		5000

static const char *ternctl;
static struct redis_helper rh;
static char seen[65536];	/* every output, to look for leaked secrets */
static size_t seen_len;

/*
 * Runs ternctl with args (NULL-terminated) and --redis for rh, input (or
 * nothing) on stdin; output (stdout and stderr) in out. The exit code.
 */
static int
ctl_in(const char *input, char *out, size_t cap, const char *const *args)
{
	const char *argv[40] = { ternctl };
	char path[300];
	size_t i, n = 1;
	int in[2], ofd, rc;
	ssize_t got;
	pid_t pid;

	bool conn = false;

	for (i = 0; args[i] != NULL && n < 36; i++) {
		conn |= strcmp(args[i], "--redis") == 0;
		argv[n++] = args[i];
	}
	if (!conn) {
		argv[n++] = "--redis";
		argv[n++] = rh.conn;
	}
	argv[n] = NULL;
	redis_helper_path(&rh, "ctl.out", path, sizeof(path));
	if ((ofd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		return -3;
	if (pipe(in) == -1 || (pid = fork()) == -1) {
		close(ofd);
		return -3;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], STDIN_FILENO);
		dup2(ofd, STDOUT_FILENO);
		dup2(ofd, STDERR_FILENO);
		close(in[1]);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	if (input != NULL && write(in[1], input, strlen(input)) < 0)
		diag("write to stdin: short");
	close(in[1]);
	if ((rc = harness_wait(pid, 15000)) == -2) {
		kill(pid, SIGKILL);
		(void)harness_wait(pid, 5000);
	}
	got = pread(ofd, out, cap - 1, 0);
	close(ofd);
	out[got > 0 ? got : 0] = '\0';
	while (got > 0 && out[got - 1] == '\n')
		out[--got] = '\0';
	if (seen_len + (size_t)(got > 0 ? got : 0) + 2 < sizeof(seen)) {
		memcpy(seen + seen_len, out, (size_t)(got > 0 ? got : 0));
		seen_len += (size_t)(got > 0 ? got : 0);
		seen[seen_len++] = '\n';
		seen[seen_len] = '\0';
	}
	return rc;
}

#define CTL(out, ...)	ctl_in(NULL, out, sizeof(out), \
    (const char *[]){ __VA_ARGS__, NULL })
#define CTL_IN(in, out, ...)	ctl_in(in, out, sizeof(out), \
    (const char *[]){ __VA_ARGS__, NULL })
#define CLI(out, ...)	redis_helper_cli(&rh, out, sizeof(out), __VA_ARGS__, \
    NULL)

/* First 16 hex digits of SHA-256(s). */
static void
fp_of(const char *s, char fp[17])
{
	struct crypto_seg seg = { s, strlen(s) };
	uint8_t d[32];
	int i;

	crypto_sha256(&seg, 1, d);
	for (i = 0; i < 8; i++)
		snprintf(fp + 2 * i, 3, "%02x", d[i]);
}

/* The member of the secret set whose fingerprint is fp, into out. */
static int
secret_by_fp(const char *realm, const char *fp, char *out, size_t cap)
{
	char key[128], all[8192], f[17], *line, *save = NULL;

	snprintf(key, sizeof(key), "turn/realm/%s/secret", realm);
	if (CLI(all, "SMEMBERS", key) != 0)
		return -1;
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		fp_of(line, f);
		if (strcmp(f, fp) == 0) {
			snprintf(out, cap, "%s", line);
			return 0;
		}
	}
	return -1;
}

/* The credential of `credentials --redis` for user, and its username. */
static int
creds(const char *realm, const char *hmac, char *name, size_t ncap,
    char *cred, size_t ccap)
{
	char out[4096];
	const char *u, *c;
	int rc;

	rc = CTL(out, "credentials", "--realm", realm, "--user", "bob",
	    "--uri", "turn:127.0.0.1", "--ttl", "1h", "--hmac", hmac);
	if (rc != 0 || (u = strstr(out, "\"username\":\"")) == NULL ||
	    (c = strstr(out, "\"credential\":\"")) == NULL) {
		diag("credentials: rc %d: %s", rc, out);
		return -1;
	}
	u += 12;
	c += 14;
	snprintf(name, ncap, "%.*s", (int)strcspn(u, "\""), u);
	snprintf(cred, ccap, "%.*s", (int)strcspn(c, "\""), c);
	return 0;
}

/* Does the credential for name verify with secret (sha1 or sha256)? */
static int
cred_is(const char *secret, const char *name, const char *cred, bool sha256)
{
	struct crypto_seg seg = { name, strlen(name) };
	char pw[64];
	uint8_t mac[32];

	if (!sha256)
		return auth_rest_password(secret, strlen(secret), name,
		    strlen(name), pw) == 0 && strcmp(pw, cred) == 0;
	return crypto_hmac(CRYPTO_MD_SHA256, secret, strlen(secret), &seg, 1,
	    mac) == 0 && crypto_base64_encode(mac, 32, pw, sizeof(pw)) == 44 &&
	    strcmp(pw, cred) == 0;
}

static bool
is_fp(const char *s)
{
	return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

/* The secrets test's state: fingerprints, secrets, the start time. */
static char fp1[64], fp2[17], fp3[64], s1[128], s3[128];
static long t0;

/* add (random, given), list, credentials --redis signs with the newest. */
static void
test_secret_add(void)
{
	char out[4096], val[256], name[512], cred[64], now[24];

	snprintf(now, sizeof(now), "%ld", t0 - 100);
	is_int(CTL(fp1, "secret", "add", "--now", now), 0,
	    "secret add: exit 0");
	ok(is_fp(fp1), "it prints a fingerprint (%s)", fp1);
	ok(secret_by_fp("tern", fp1, s1, sizeof(s1)) == 0 && strlen(s1) == 64 &&
	    strspn(s1, "0123456789abcdef") == 64,
	    "the set holds a 64-hex-digit secret with that fingerprint");
	ok(CLI(val, "HGET", "tern/realm/tern/secret-added", fp1) == 0 &&
	    strcmp(val, now) == 0, "secret-added[fp] = the time added (%s)",
	    val);
	snprintf(now, sizeof(now), "%ld", t0 - 50);
	is_int(CTL_IN(KNOWN_SECRET "\n", out, "secret", "add", "--secret-file",
	    "-", "--now", now), 0, "secret add --secret-file -: exit 0");
	fp_of(KNOWN_SECRET, fp2);
	is_str(out, fp2, "the fingerprint is SHA-256(secret)[:16]");
	ok(CLI(val, "SISMEMBER", "turn/realm/tern/secret", KNOWN_SECRET) == 0 &&
	    strcmp(val, "1") == 0, "the given secret is in the set");
	ok(CTL_IN(KNOWN_SECRET "\n", out, "secret", "add", "--secret-file",
	    "-") == 1 && strstr(out, "already has that secret") != NULL,
	    "adding it twice: exit 1 (%s)", out);
	is_int(CTL(out, "secret", "list"), 0, "secret list: exit 0");
	if (!ok(strstr(out, fp1) != NULL && strstr(out, fp2) != NULL &&
	    strstr(out, "active") != NULL && strchr(out, '\n') != NULL &&
	    strstr(out, s1) == NULL, "two lines, fingerprints, no secret"))
		diag("%s", out);
	ok(strncmp(out, fp2, 16) == 0, "newest first");
	ok(creds("tern", "sha1", name, sizeof(name), cred, sizeof(cred)) == 0 &&
	    cred_is(KNOWN_SECRET, name, cred, false),
	    "credentials --redis signs with the newest secret");
	ok(creds("tern", "sha256", name, sizeof(name), cred,
	    sizeof(cred)) == 0 && strlen(cred) == 44 &&
	    cred_is(KNOWN_SECRET, name, cred, true),
	    "--hmac sha256: base64(HMAC-SHA256(secret, username))");
}

/* rotate: a new active secret, the others expire after --keep. */
static void
test_secret_rotate(void)
{
	char out[4096], val[256], name[512], cred[64], now[24], t[24];

	snprintf(now, sizeof(now), "%ld", t0);
	is_int(CTL(fp3, "secret", "rotate", "--keep", "1h", "--now", now), 0,
	    "secret rotate --keep 1h: exit 0");
	ok(is_fp(fp3) && secret_by_fp("tern", fp3, s3, sizeof(s3)) == 0,
	    "the new secret is in the set");
	snprintf(t, sizeof(t), "%ld", t0 + 3600);
	ok(CLI(val, "HGET", "tern/realm/tern/secret-expires", fp1) == 0 &&
	    strcmp(val, t) == 0 && CLI(val, "HGET",
	    "tern/realm/tern/secret-expires", fp2) == 0 && strcmp(val, t) == 0,
	    "the two old secrets expire at now + 1h");
	ok(CLI(val, "HEXISTS", "tern/realm/tern/secret-expires", fp3) == 0 &&
	    strcmp(val, "0") == 0, "the new one does not expire");
	ok(creds("tern", "sha1", name, sizeof(name), cred, sizeof(cred)) == 0 &&
	    cred_is(s3, name, cred, false),
	    "credentials use the rotated secret");
	is_int(CTL(out, "secret", "list", "--now", now), 0,
	    "list after rotate");
	if (!ok(strstr(out, "expires ") != NULL && strstr(out, s3) == NULL,
	    "old secrets show their expiry"))
		diag("%s", out);
	snprintf(now, sizeof(now), "%ld", t0 + 10);
	is_int(CTL(out, "secret", "rotate", "--keep", "2h", "--now", now), 0,
	    "a second rotation");
	ok(CLI(val, "HGET", "tern/realm/tern/secret-expires", fp1) == 0 &&
	    strcmp(val, t) == 0, "an earlier expiry is kept");
	snprintf(t, sizeof(t), "%ld", t0 + 10 + 7200);
	ok(CLI(val, "HGET", "tern/realm/tern/secret-expires", fp3) == 0 &&
	    strcmp(val, t) == 0, "the previous secret expires after 2h");
}

/* prune after the first expiry, then rm. */
static void
test_secret_prune(void)
{
	char out[4096], val[256], now[24];

	snprintf(now, sizeof(now), "%ld", t0 + 3601);
	is_int(CTL(out, "secret", "list", "--now", now), 0, "list later");
	ok(strstr(out, "expired ") != NULL, "expired secrets say so");
	is_int(CTL(out, "secret", "prune", "--now", now), 0, "prune: exit 0");
	is_str(out, "removed 2 expired secrets", "prune says how many");
	ok(CLI(val, "SCARD", "turn/realm/tern/secret") == 0 &&
	    strcmp(val, "2") == 0, "two secrets left");
	ok(CLI(val, "HEXISTS", "tern/realm/tern/secret-added", fp1) == 0 &&
	    strcmp(val, "0") == 0 && CLI(val, "HEXISTS",
	    "tern/realm/tern/secret-expires", fp2) == 0 &&
	    strcmp(val, "0") == 0, "and their bookkeeping is gone");

	/* rm */
	is_int(CTL(out, "secret", "rm", fp3), 0, "secret rm FP: exit 0");
	ok(CLI(val, "SISMEMBER", "turn/realm/tern/secret", s3) == 0 &&
	    strcmp(val, "0") == 0, "the secret left the set");
	ok(CLI(val, "HEXISTS", "tern/realm/tern/secret-expires", fp3) == 0 &&
	    strcmp(val, "0") == 0, "its expiry is gone");
	ok(CTL(out, "secret", "rm", fp3) == 1 && strstr(out,
	    "has no secret with fingerprint") != NULL, "rm again: exit 1");
	ok(CTL(out, "secret", "rm", "xyz") == 2,
	    "rm of a non-fingerprint: exit 2");
	ok(CTL(out, "credentials", "--realm", "empty", "--user", "u", "--uri",
	    "stun:x") == 1 && strstr(out, "realm empty has no secrets") != NULL,
	    "credentials for a realm without secrets: exit 1 (%s)", out);
}

static void
test_secrets(void)
{
	t0 = (long)time(NULL);
	test_secret_add();
	test_secret_rotate();
	test_secret_prune();
	ok(strstr(seen, KNOWN_SECRET) == NULL && strstr(seen, s1) == NULL &&
	    strstr(seen, s3) == NULL, "no command printed a secret");
}

/* user add (stdin, --password-file), list (SCAN, glob-escaped), rm. */
static void
test_users(void)
{
	char out[4096], val[256], hex[33], pwfile[300];
	uint8_t key[16];
	int i;

	is_int(CTL_IN(PASSWORD "\n", out, "user", "add", "alice"), 0,
	    "user add alice (password on stdin): exit 0");
	auth_key_md5("alice", 5, "tern", 4, PASSWORD, strlen(PASSWORD), key);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	ok(CLI(val, "GET", "turn/realm/tern/user/alice/key") == 0 &&
	    strcmp(val, hex) == 0, "the key is hex MD5(alice:tern:password)");
	harness_write_file(redis_helper_path(&rh, "pw", pwfile, sizeof(pwfile)),
	    PASSWORD "\n");
	is_int(CTL(out, "user", "add", "bob", "--realm", "r*m",
	    "--password-file", pwfile), 0, "user add --password-file: exit 0");
	auth_key_md5("bob", 3, "r*m", 3, PASSWORD, strlen(PASSWORD), key);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	ok(CLI(val, "GET", "turn/realm/r*m/user/bob/key") == 0 &&
	    strcmp(val, hex) == 0, "in realm r*m, keyed with that realm");
	CLI(val, "SET", "turn/realm/rxm/user/eve/key", hex);
	CTL_IN("x\n", out, "user", "add", "carol");
	is_int(CTL(out, "user", "list"), 0, "user list: exit 0");
	is_str(out, "alice\ncarol", "sorted names of the realm");
	is_int(CTL(out, "user", "list", "--realm", "r*m"), 0, "user list r*m");
	is_str(out, "bob", "the realm's '*' is not a glob: no eve of rxm");
	ok(CTL(out, "user", "add", "dave", "--password", "x") == 2,
	    "no password option on the command line: exit 2");
	ok(CTL_IN("\n", out, "user", "add", "dave") == 2 &&
	    strstr(out, "the password is empty") != NULL,
	    "an empty password: exit 2 (%s)", out);
	ok(CTL_IN("x\n", out, "user", "add", "a/b") == 2,
	    "a name with '/': exit 2");
	is_int(CTL(out, "user", "rm", "alice"), 0, "user rm alice: exit 0");
	ok(CLI(val, "EXISTS", "turn/realm/tern/user/alice/key") == 0 &&
	    strcmp(val, "0") == 0, "the key is gone");
	ok(CTL(out, "user", "rm", "alice") == 1 &&
	    strstr(out, "realm tern has no user alice") != NULL,
	    "rm again: exit 1 (%s)", out);
	ok(strstr(seen, PASSWORD) == NULL, "the password was never printed");
}

static void
test_revoke(void)
{
	char out[4096], val[64];
	long start = (long)time(NULL), v;

	is_int(CTL(out, "revoke", "7f3c9a1e"), 0, "revoke: exit 0");
	ok(CLI(val, "GET", "tern/revoked/tern/7f3c9a1e") == 0 &&
	    (v = strtol(val, NULL, 10)) >= start && v <= (long)time(NULL),
	    "the value is the time of revocation (%s)", val);
	ok(CLI(val, "TTL", "tern/revoked/tern/7f3c9a1e") == 0 &&
	    (v = strtol(val, NULL, 10)) > 129600 - 30 && v <= 129600,
	    "default TTL 129600 s (%s)", val);
	is_int(CTL(out, "revoke", "u2", "--ttl", "1h", "--realm", "ex"), 0,
	    "revoke --ttl 1h --realm ex");
	ok(CLI(val, "TTL", "tern/revoked/ex/u2") == 0 &&
	    (v = strtol(val, NULL, 10)) > 3600 - 30 && v <= 3600,
	    "TTL 3600 (%s)", val);
	is_int(CTL(out, "unrevoke", "7f3c9a1e"), 0, "unrevoke: exit 0");
	ok(CLI(val, "EXISTS", "tern/revoked/tern/7f3c9a1e") == 0 &&
	    strcmp(val, "0") == 0, "the key is gone");
	ok(CTL(out, "unrevoke", "7f3c9a1e") == 1 &&
	    strstr(out, "is not revoked") != NULL, "again: exit 1 (%s)", out);
	ok(CTL(out, "revoke", "u3", "--ttl", "1w") == 2, "--ttl 1w: exit 2");
	ok(CTL(out, "revoke") == 2, "no user: exit 2");
}

/* Waits until the subscriber's output holds want at least n times. */
static bool
sub_wait_n(const char *path, const char *want, int n)
{
	int64_t deadline = client_now_ms() + WAIT_MS;
	struct timespec ts = { 0, 20000000L };
	char buf[8192], *p;
	ssize_t got;
	int fd, k;

	while (client_now_ms() < deadline) {
		if ((fd = open(path, O_RDONLY)) != -1) {
			got = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[got > 0 ? got : 0] = '\0';
			for (p = buf, k = 0; (p = strstr(p, want)) != NULL;
			    p += strlen(want))
				k++;
			if (k >= n)
				return true;
		}
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool
sub_wait(const char *path, const char *want)
{
	return sub_wait_n(path, want, 1);
}

static void
test_events(void)
{
	const char *argv[] = { REDIS_HELPER_CLI, "-h", "127.0.0.1", "-p",
	    rh.port_s, "SUBSCRIBE", "tern/events", NULL };
	char path[300], out[4096];
	pid_t pid;
	int fd;

	redis_helper_path(&rh, "sub.out", path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (pid = fork()) == -1) {
		ok(0, "subscriber");
		return;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd);
	if (ok(sub_wait(path, "tern/events\n1"), "subscribed to tern/events")) {
		CTL(out, "secret", "add");
		ok(sub_wait(path, "message\ntern/events\nsecret tern"),
		    "secret add publishes \"secret tern\"");
		CTL_IN("p\n", out, "user", "add", "zed", "--realm", "ev");
		ok(sub_wait(path, "message\ntern/events\nuser ev"),
		    "user add publishes \"user ev\"");
		CTL(out, "revoke", "zed");
		ok(sub_wait(path, "message\ntern/events\nrevoke tern"),
		    "revoke publishes \"revoke tern\"");
		CTL(out, "unrevoke", "zed");
		ok(sub_wait(path, "message\ntern/events\nunrevoke tern"),
		    "unrevoke publishes \"unrevoke tern\"");
		CTL(out, "user", "rm", "zed", "--realm", "ev");
		ok(sub_wait_n(path, "message\ntern/events\nuser ev", 2),
		    "user rm publishes \"user ev\"");
	}
	kill(pid, SIGTERM);
	if (harness_wait(pid, 5000) == -2) {
		kill(pid, SIGKILL);
		(void)harness_wait(pid, 5000);
	}
}

/* Exit rc and a message that contains want. */
static void
expect(int rc, const char *want, const char *const *args)
{
	char out[4096];
	int got = ctl_in(NULL, out, sizeof(out), args);

	if (!ok(got == rc && strstr(out, want) != NULL, "exit %d, says \"%s\"",
	    rc, want))
		diag("rc %d: %s", got, out);
}

static void
test_errors(void)
{
	const char *argv[8];
	char out[4096], want[128], conn[64];
	uint16_t port = harness_free_port("127.0.0.1");

	snprintf(conn, sizeof(conn), "ip=127.0.0.1 port=%u", port);
	snprintf(want, sizeof(want), "cannot reach Redis at 127.0.0.1:%u: "
	    "Connection refused", port);
	argv[0] = ternctl;
	argv[1] = "secret";
	argv[2] = "list";
	argv[3] = "--redis";
	argv[4] = conn;
	argv[5] = NULL;
	ok(harness_run(argv, out, sizeof(out), 15000) == 1 &&
	    strstr(out, want) != NULL, "unreachable: exit 1 (%s)", out);
	argv[1] = "credentials";
	argv[2] = "--user=u";
	argv[5] = "--uri=stun:x";
	argv[6] = NULL;
	ok(harness_run(argv, out, sizeof(out), 15000) == 1 &&
	    strstr(out, want) != NULL, "credentials, unreachable: exit 1");
	expect(2, "a verb is required", (const char *[]){ "secret", NULL });
	expect(2, "unknown verb 'frob'", (const char *[]){ "secret", "frob",
	    NULL });
	expect(2, "unexpected argument extra", (const char *[]){ "secret",
	    "add", "extra", NULL });
	expect(2, "--keep 1w: want a duration", (const char *[]){ "secret",
	    "rotate", "--keep", "1w", NULL });
	expect(2, "--keep does not apply", (const char *[]){ "secret", "add",
	    "--keep", "1h", NULL });
	expect(2, "a name is required", (const char *[]){ "user", "add",
	    NULL });
	expect(2, "--realm: it holds a '/'", (const char *[]){ "user", "list",
	    "--realm", "a/b", NULL });
	expect(2, "--redis:", (const char *[]){ "secret", "list", "--redis",
	    "bogus", NULL });
	expect(2, "--secret-file and --redis exclude each other",
	    (const char *[]){ "credentials", "--secret-file", "/dev/null",
	    "--user", "u", "--uri", "stun:x", NULL });
	expect(2, "--hmac md5: want sha1 or sha256", (const char *[]){
	    "credentials", "--user", "u", "--uri", "stun:x", "--hmac", "md5",
	    NULL });
}

static void
test_auth(void)
{
	char out[4096], wrong[300], right[300], conn[160];

	redis_helper_path(&rh, "wrong", wrong, sizeof(wrong));
	redis_helper_path(&rh, "right", right, sizeof(right));
	ok(harness_write_file(wrong, "not-the-password\n") == 0 &&
	    harness_write_file(right, REDIS_PASS "\n") == 0, "password files");
	expect(1, "wants a password", (const char *[]){ "secret", "list",
	    NULL });
	expect(1, "Redis refused the password", (const char *[]){ "secret",
	    "list", "--redis-password-file", wrong, NULL });
	expect(0, "", (const char *[]){ "secret", "add",
	    "--redis-password-file", right, NULL });
	snprintf(conn, sizeof(conn), "%s password=%s", rh.conn, REDIS_PASS);
	ok(ctl_in(NULL, out, sizeof(out), (const char *[]){ "secret", "list",
	    "--redis", conn, NULL }) == 0 && strstr(out, "active") != NULL,
	    "password= in the connection string works");
	ok(strstr(seen, REDIS_PASS) == NULL && strstr(seen, "not-the-pass") ==
	    NULL, "no password was printed");
}

/* Allocates (and closes) until the answer is want, for at most ms. */
static bool
alloc_until(struct harness *h, const char *user, const char *pass, int want,
    int ms)
{
	int64_t deadline = client_now_ms() + ms;
	struct timespec ts = { 0, 50000000L };
	struct client_turn t;
	struct client *c;
	int r = -100;

	while (client_now_ms() < deadline) {
		memset(&t, 0, sizeof(t));
		c = NULL;
		if (harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) == 0) {
			r = client_turn_allocate(&t, NULL, 2000);
			if (r == 0)
				(void)client_turn_refresh(&t, 0, 2000);
			harness_turn_close(&c, &t);
		}
		if (r == want)
			return true;
		nanosleep(&ts, NULL);
	}
	diag("last answer %d, wanted %d", r, want);
	return false;
}

/* credentials --redis for ternd's realm: username and credential. */
static int
ternd_creds(const char *id, char *name, size_t ncap, char *cred, size_t ccap)
{
	char out[4096];
	const char *u, *c;

	if (CTL(out, "credentials", "--realm", "tern.test", "--user", id,
	    "--uri", "turn:127.0.0.1", "--ttl", "10m") != 0 ||
	    (u = strstr(out, "\"username\":\"")) == NULL ||
	    (c = strstr(out, "\"credential\":\"")) == NULL)
		return -1;
	snprintf(name, ncap, "%.*s", (int)strcspn(u + 12, "\""), u + 12);
	snprintf(cred, ccap, "%.*s", (int)strcspn(c + 14, "\""), c + 14);
	return 0;
}

/*
 * The whole loop against a real ternd reading the same Redis: ternctl's
 * secret signs, a rotation keeps the old credential working until the old
 * secret is removed, revoke and user add/rm take effect within seconds.
 */
static void
test_ternd_loop(struct harness *h)
{
	char out[4096], n1[512], c1[64], n2[512], c2[64], fp[64];

	ok(CTL(fp, "secret", "add", "--realm", "tern.test") == 0 &&
	    ternd_creds("u1", n1, sizeof(n1), c1, sizeof(c1)) == 0,
	    "secret add, credentials --redis");
	ok(alloc_until(h, n1, c1, 0, WAIT_MS), "ternd accepts it");
	ok(CTL(out, "secret", "rotate", "--realm", "tern.test") == 0 &&
	    ternd_creds("u1", n2, sizeof(n2), c2, sizeof(c2)) == 0 &&
	    strcmp(c1, c2) != 0, "rotate: a credential from the new secret");
	ok(alloc_until(h, n2, c2, 0, WAIT_MS), "the new secret works");
	ok(alloc_until(h, n1, c1, 0, WAIT_MS), "the old one still works");
	is_int(CTL(out, "secret", "rm", fp, "--realm", "tern.test"), 0,
	    "secret rm the old one");
	ok(alloc_until(h, n1, c1, 401, WAIT_MS), "its credential gets 401");
	is_int(CTL(out, "revoke", "u1", "--realm", "tern.test"), 0, "revoke u1");
	ok(alloc_until(h, n2, c2, 401, WAIT_MS), "u1 gets 401");
	is_int(CTL(out, "unrevoke", "u1", "--realm", "tern.test"), 0,
	    "unrevoke u1");
	ok(alloc_until(h, n2, c2, 0, WAIT_MS), "u1 is back");
	is_int(CTL_IN(PASSWORD "\n", out, "user", "add", "alice", "--realm",
	    "tern.test"), 0, "user add alice");
	ok(alloc_until(h, "alice", PASSWORD, 0, WAIT_MS),
	    "alice allocates with her password");
	is_int(CTL(out, "user", "rm", "alice", "--realm", "tern.test"), 0,
	    "user rm alice");
	ok(alloc_until(h, "alice", PASSWORD, 401, WAIT_MS), "alice gets 401");
}

static void
test_ternd(const char *ternd)
{
	char extra[512];
	struct harness h;
	struct harness_opts o = { .extra = extra };

	snprintf(extra, sizeof(extra), HARNESS_TURN_CONF "redis-userdb = "
	    "\"%s connect_timeout=2\"\n", rh.conn);
	if (ok(harness_init(&h, ternd) == 0 && harness_start(&h, &o) == 0,
	    "ternd with redis-userdb")) {
		test_ternd_loop(&h);
		is_int(harness_stop(&h), 0, "ternd exits 0");
	} else
		harness_dump_log(&h);
	harness_fini(&h);
}

int
main(int argc, char *argv[])
{
	static const struct { const char *name; void (*fn)(void); } cases[] = {
		{ "secrets", test_secrets }, { "users", test_users },
		{ "revoke", test_revoke }, { "events", test_events },
		{ "errors", test_errors }, { "auth", test_auth },
		{ "ternd", NULL },
	};
	size_t i;
	bool started;

	if (argc != 4)
		return 2;
	ternctl = argv[2];
	/* redis-server and redis-tools are test packages: missing, the test
	 * fails rather than skips */
	ok(redis_helper_available(), "redis-server and redis-cli installed");
	if (crypto_init() == -1)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[3], cases[i].name) == 0)
			break;
	if (i == sizeof(cases) / sizeof(cases[0]))
		return 2;
	started = redis_helper_start(&rh, strcmp(argv[3], "auth") == 0 ?
	    REDIS_PASS : NULL) == 0;
	if (ok(started, "redis-server on 127.0.0.1:%u", rh.port)) {
		if (cases[i].fn != NULL)
			cases[i].fn();
		else
			test_ternd(argv[1]);
	}
	redis_helper_stop(&rh);
	return tap_done();
}
