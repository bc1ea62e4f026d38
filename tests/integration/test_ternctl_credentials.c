/* SPDX-License-Identifier: ISC */
/*
 * `ternctl credentials`: the printed RTCIceServer object carries the known
 * credential for a fixed --now (secret "turn-test-secret", username
 * "1735689600:alice", password base64(HMAC-SHA1(secret, username)) =
 * "yPlE/dEM42nx7DAbLdBChBwv7Iw="), a credential that the server's own code
 * (auth_rest_parse, auth_rest_in_window, auth_rest_password) accepts, JSON
 * escaping of awkward user-ids, and never the secret; bad inputs exit 2
 * with a message. No ternd is needed.
 *
 *   test_ternctl_credentials TERND TERNCTL
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "harness.h"
#include "tap.h"
#include "util/crypto.h"

#define B6_SECRET	"turn-test-secret"
#define B6_JSON		"{\"urls\":[\"turn:127.0.0.1:3478?transport=udp\"]," \
    "\"username\":\"1735689600:alice\",\"credential\":" \
    "\"yPlE/dEM42nx7DAbLdBChBwv7Iw=\",\"ttl\":3600}"

static const char *ternctl;
static char dir[] = "/tmp/test_ternctl_credentials.XXXXXX";
static char secret_file[256], empty_file[256], long_file[256], crlf_file[256];

/* Runs ternctl credentials with args (NULL-terminated, at most 24). */
static int
run(char *out, size_t cap, const char *const *args)
{
	const char *argv[32] = { ternctl, "credentials" };
	size_t i;

	for (i = 0; args[i] != NULL && i < 24; i++)
		argv[2 + i] = args[i];
	argv[2 + i] = NULL;
	return harness_run(argv, out, cap, 10000);
}

/* The same with input on stdin; output from a file. */
static int
run_stdin(char *out, size_t cap, const char *input, const char *const *args)
{
	const char *argv[32] = { ternctl, "credentials" };
	char path[300];
	int in[2], ofd, rc;
	size_t i;
	ssize_t n;
	FILE *f;
	pid_t pid;

	for (i = 0; args[i] != NULL && i < 24; i++)
		argv[2 + i] = args[i];
	argv[2 + i] = NULL;
	snprintf(path, sizeof(path), "%s/stdout", dir);
	if ((ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    pipe(in) == -1 || (pid = fork()) == -1)
		return -3;
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(ofd, STDOUT_FILENO);
		dup2(ofd, STDERR_FILENO);
		close(in[1]);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	close(ofd);
	n = write(in[1], input, strlen(input));
	close(in[1]);
	if ((rc = harness_wait(pid, 10000)) == -2) {
		kill(pid, SIGKILL);
		harness_wait(pid, 10000);
	}
	out[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		i = fread(out, 1, cap - 1, f);
		out[i] = '\0';
		out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
	return n == (ssize_t)strlen(input) ? rc : -4;
}

/* The JSON string value of key in obj, unescaped (\" and \\ only). */
static const char *
json_get(const char *obj, const char *key, char *val, size_t cap)
{
	char needle[64];
	const char *p;
	size_t n = 0;

	snprintf(needle, sizeof(needle), "\"%s\":\"", key);
	if ((p = strstr(obj, needle)) == NULL)
		return NULL;
	for (p += strlen(needle); *p != '\0' && *p != '"' && n + 1 < cap; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		val[n++] = *p;
	}
	val[n] = '\0';
	return *p == '"' ? val : NULL;
}

static void
test_vector(void)
{
	const char *args[] = { "--secret-file", secret_file, "--user", "alice",
	    "--uri", "turn:127.0.0.1:3478?transport=udp", "--now", "1735686000",
	    "--ttl", "1h", NULL };
	char out[4096];

	is_int(run(out, sizeof(out), args), 0, "known credential: exit 0");
	is_str(out, B6_JSON, "username 1735689600:alice, credential "
	    "yPlE/dEM42nx7DAbLdBChBwv7Iw=");
	is_int(run_stdin(out, sizeof(out), B6_SECRET "\n",
	    (const char *[]){ "--secret-file", "-", "--user", "alice", "--uri",
	    "turn:127.0.0.1:3478?transport=udp", "--now", "1735686000",
	    "--ttl", "3600", NULL }), 0, "secret on stdin: exit 0");
	is_str(out, B6_JSON, "secret on stdin: same object");
}

/* A credential minted now verifies with the server's own functions. */
static void
test_verifies(void)
{
	const char *user = "we\"ird\\user \xc3\xa9:x";
	const char *args[] = { "--secret-file", crlf_file, "--user", user,
	    "--uri", "turns:turn.example.org:443?transport=tcp", "--uri",
	    "turn:[2001:db8::1]", "--ttl", "5m", "--realm", "ex\"ample", NULL };
	char out[4096], name[1024], cred[64], pw[AUTH_REST_PASSWORD_LEN + 1];
	struct auth_rest_name rn;
	uint64_t t0 = (uint64_t)time(NULL), t1;

	is_int(run(out, sizeof(out), args), 0, "awkward user-id: exit 0");
	t1 = (uint64_t)time(NULL);
	ok(strstr(out, "\"urls\":[\"turns:turn.example.org:443?transport=tcp\","
	    "\"turn:[2001:db8::1]\"],") != NULL, "urls in order (%s)", out);
	ok(strstr(out, ":we\\\"ird\\\\user \xc3\xa9:x\",") != NULL,
	    "quote and backslash escaped, UTF-8 kept");
	ok(strstr(out, "\"ttl\":300,\"realm\":\"ex\\\"ample\"}") != NULL,
	    "ttl and escaped realm");
	ok(strstr(out, "s3cret") == NULL, "the secret is not printed");
	ok(json_get(out, "username", name, sizeof(name)) != NULL &&
	    json_get(out, "credential", cred, sizeof(cred)) != NULL,
	    "username and credential present");
	ok(auth_rest_parse((const uint8_t *)name, strlen(name), ':', &rn) == 0 &&
	    rn.user_len == strlen(user) && memcmp(rn.user, user,
	    rn.user_len) == 0, "username splits into expiry and the user-id");
	ok(rn.expiry >= t0 + 300 && rn.expiry <= t1 + 300, "expiry = now + ttl");
	ok(auth_rest_in_window(rn.expiry, t1, AUTH_MAX_TTL_DEFAULT,
	    AUTH_SKEW_DEFAULT), "inside ternd's window");
	ok(auth_rest_password("s3cret", 6, name, strlen(name), pw) == 0 &&
	    strcmp(pw, cred) == 0, "credential = base64(HMAC-SHA1(first line "
	    "without CR LF, username))");
}

static void
test_options(void)
{
	char out[4096], name[256];

	is_int(run(out, sizeof(out), (const char *[]){ "--secret-file",
	    secret_file, "--user", "bob", "--uri", "stun:example.org",
	    "--separator", "#", "--now", "1000", "--ttl", "2d", "--max-ttl",
	    "3d", NULL }), 0, "--separator, --max-ttl: exit 0");
	ok(json_get(out, "username", name, sizeof(name)) != NULL &&
	    strcmp(name, "173800#bob") == 0, "username 173800#bob (%s)", out);
	is_int(run(out, sizeof(out), (const char *[]){ "--secret-file",
	    secret_file, "--user", "bob", "--uri", "stun:example.org",
	    "--now", "1000", NULL }), 0, "default ttl: exit 0");
	ok(strstr(out, "\"username\":\"44200:bob\"") != NULL &&
	    strstr(out, "\"ttl\":43200}") != NULL, "default ttl is 12 h");
	is_int(run(out, sizeof(out), (const char *[]){ "--secret-file",
	    secret_file, "--user", "bob", "--uri", "stun:example.org",
	    "--ttl", "30s", NULL }), 0, "--ttl 30s");
	ok(strstr(out, "\"ttl\":30}") != NULL, "ttl 30");
	is_int(run(out, sizeof(out), (const char *[]){ "--secret-file",
	    secret_file, "--user", "bob", "--uri", "stun:example.org",
	    "--ttl", "1d", NULL }), 0, "--ttl 1d is the default limit");
}

/* Exit 2 and a message that contains want. */
static void
bad(const char *want, const char *const *args)
{
	char out[4096];
	int rc = run(out, sizeof(out), args);

	if (!ok(rc == 2 && strstr(out, want) != NULL, "exit 2, says \"%s\"",
	    want))
		diag("rc %d: %s", rc, out);
	ok(strstr(out, B6_SECRET) == NULL, "no secret in the message");
}

#define GOOD	"--secret-file", secret_file, "--uri", "stun:x"

static void
test_bad(void)
{
	char out[4096];

	bad("--secret-file /nonexistent/s: No such file or directory",
	    (const char *[]){ "--secret-file", "/nonexistent/s", "--user", "a",
	    "--uri", "stun:x", NULL });
	bad("the secret is empty", (const char *[]){ "--secret-file",
	    empty_file, "--user", "a", "--uri", "stun:x", NULL });
	bad("the secret is longer than 256 bytes", (const char *[]){
	    "--secret-file", long_file, "--user", "a", "--uri", "stun:x", NULL });
	bad("--user is required", (const char *[]){ GOOD, NULL });
	bad("--secret-file is required", (const char *[]){ "--user", "a",
	    "--uri", "stun:x", NULL });
	bad("at least one --uri is required", (const char *[]){
	    "--secret-file", secret_file, "--user", "a", NULL });
	bad("--uri http://x: unknown scheme", (const char *[]){ "--secret-file",
	    secret_file, "--user", "a", "--uri", "http://x", NULL });
	bad("--uri turn:x:0: port out of range", (const char *[]){
	    "--secret-file", secret_file, "--user", "a", "--uri", "turn:x:0",
	    NULL });
	bad("--ttl 1w: want a duration", (const char *[]){ GOOD, "--user", "a",
	    "--ttl", "1w", NULL });
	bad("--ttl 0: want a duration", (const char *[]){ GOOD, "--user", "a",
	    "--ttl", "0", NULL });
	bad("--ttl -5: want a duration", (const char *[]){ GOOD, "--user", "a",
	    "--ttl", "-5", NULL });
	bad("--ttl 86401 is more than --max-ttl 86400", (const char *[]){ GOOD,
	    "--user", "a", "--ttl", "86401", NULL });
	bad("--max-ttl 31d: want a duration", (const char *[]){ GOOD, "--user",
	    "a", "--max-ttl", "31d", NULL });
	bad("--separator 7: want one printable character", (const char *[]){
	    GOOD, "--user", "a", "--separator", "7", NULL });
	bad("--user: the user-id holds a control character", (const char *[]){
	    GOOD, "--user", "a\nb", NULL });
	bad("--user: the user-id is not valid UTF-8", (const char *[]){ GOOD,
	    "--user", "a\xff", NULL });
	bad("--user: the user-id is empty", (const char *[]){ GOOD, "--user",
	    "", NULL });
	bad("unexpected argument extra", (const char *[]){ GOOD, "--user", "a",
	    "extra", NULL });
	is_int(run_stdin(out, sizeof(out), "\n", (const char *[]){
	    "--secret-file", "-", "--user", "a", "--uri", "stun:x", NULL }), 2,
	    "an empty line on stdin: exit 2");
	ok(strstr(out, "the secret is empty") != NULL, "and says so (%s)", out);
}

static int
setup(void)
{
	char big[400];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(secret_file, sizeof(secret_file), "%s/secret", dir);
	snprintf(empty_file, sizeof(empty_file), "%s/empty", dir);
	snprintf(long_file, sizeof(long_file), "%s/long", dir);
	snprintf(crlf_file, sizeof(crlf_file), "%s/crlf", dir);
	memset(big, 'k', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	return harness_write_file(secret_file, B6_SECRET "\n") == 0 &&
	    harness_write_file(empty_file, "") == 0 &&
	    harness_write_file(long_file, big) == 0 &&
	    harness_write_file(crlf_file, "s3cret\r\nsecond line\n") == 0 ?
	    0 : -1;
}

static void
cleanup(void)
{
	const char *const names[] = { "secret", "empty", "long", "crlf",
	    "stdout" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		return 2;
	ternctl = argv[2];
	if (!ok(setup() == 0, "temp files"))
		return tap_done();
	test_vector();
	test_verifies();
	test_options();
	test_bad();
	cleanup();
	return tap_done();
}
