/* SPDX-License-Identifier: ISC */
/*
 * The README's "Issuing credentials from your backend" snippets, run as
 * written: each is cut out of README.md (the fenced block after
 * `<!-- snippet:LANG -->`), given a two-line driver that reads the secret
 * and user from the environment, and run. The Node.js credential must make
 * a real Allocate on ternd succeed (RFC 8656 §7.2) and a tampered one get
 * 401; every snippet must print the same credential for a fixed time as
 * `ternctl credentials` (the TURN REST API scheme, README.md "Issuing
 * credentials from your backend"). A missing runtime is a TAP skip
 * ("ok N # SKIP why"), which scripts/test counts as skipped and, in CI,
 * as a failure: node, python3 and go are test packages (scripts/lib.sh).
 *
 * Go runs offline: the snippet and its driver are one `package main` of
 * two files that import only the standard library, built with a cache and
 * a HOME of the test's own (the test may run as root without either),
 * GOTOOLCHAIN=local (never fetch a toolchain) and GOPROXY=off (never fetch
 * a module).
 *
 *   test_backend_snippet TERND TERNCTL README.md
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define SECRET		"secret-of-the-snippet-test"
#define FIXED_SECRET	"turn-test-secret"
#define FIXED_NOW	"1735686000"
#define FIXED_OUT	"1735689600:alice yPlE/dEM42nx7DAbLdBChBwv7Iw="
#define WAIT_MS		3000

static const char node_driver[] =
    "\nconst e = process.env;\n"
    "const c = turnCredential(e.TURN_SECRET, e.TURN_USER, Number(e.TURN_TTL),"
    " e.TURN_NOW ? Number(e.TURN_NOW) : undefined);\n"
    "console.log(c.username + ' ' + c.credential);\n";
static const char python_driver[] =
    "\nimport os\n"
    "e = os.environ\n"
    "c = turn_credential(e['TURN_SECRET'], e['TURN_USER'], int(e['TURN_TTL']),"
    " int(e['TURN_NOW']) if e.get('TURN_NOW') else None)\n"
    "print(c['username'], c['credential'])\n";
static const char go_driver[] =
    "package main\n\n"
    "import (\n\t\"fmt\"\n\t\"os\"\n\t\"strconv\"\n\t\"time\"\n)\n\n"
    "func main() {\n"
    "\tttl, _ := strconv.Atoi(os.Getenv(\"TURN_TTL\"))\n"
    "\tnow := time.Now()\n"
    "\tif s := os.Getenv(\"TURN_NOW\"); s != \"\" {\n"
    "\t\tn, _ := strconv.ParseInt(s, 10, 64)\n"
    "\t\tnow = time.Unix(n, 0)\n\t}\n"
    "\tu, c := TurnCredential(os.Getenv(\"TURN_SECRET\"), "
    "os.Getenv(\"TURN_USER\"), time.Duration(ttl)*time.Second, now)\n"
    "\tfmt.Println(u, c)\n}\n";

static char dir[] = "/tmp/test_backend_snippet.XXXXXX";
static char readme[65536];

/*
 * A TAP skip: "ok N # SKIP why", with no description, so that meson and
 * scripts/test see a skipped check, not a passed one.
 */
static void
skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
	fflush(stdout);
}

/* The first executable called name on PATH, into out. */
static const char *
which(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH"), *p, *end;
	size_t len;

	for (p = path != NULL ? path : "/usr/bin"; *p != '\0'; p = end) {
		end = p + strcspn(p, ":");
		len = (size_t)(end - p);
		if (len > 0 && (size_t)snprintf(out, cap, "%.*s/%s", (int)len,
		    p, name) < cap && access(out, X_OK) == 0)
			return out;
		if (*end == ':')
			end++;
	}
	return NULL;
}

/* The body of the fenced block after <!-- snippet:lang -->. */
static int
extract(const char *lang, char *out, size_t cap)
{
	char mark[64];
	const char *p, *body, *end;

	snprintf(mark, sizeof(mark), "<!-- snippet:%s -->\n```", lang);
	if ((p = strstr(readme, mark)) == NULL ||
	    (body = strchr(p + strlen(mark), '\n')) == NULL ||
	    (end = strstr(++body, "\n```")) == NULL ||
	    (size_t)(end - body) + 2 > cap)
		return -1;
	memcpy(out, body, (size_t)(end - body));
	out[end - body] = '\n';
	out[end - body + 1] = '\0';
	return 0;
}

/* Writes snippet + driver to dir/name. */
static const char *
write_prog(const char *name, const char *snippet, const char *driver,
    char *path, size_t cap)
{
	char text[16384];

	snprintf(path, cap, "%s/%s", dir, name);
	if ((size_t)snprintf(text, sizeof(text), "%s%s", snippet, driver) >=
	    sizeof(text) || harness_write_file(path, text) == -1)
		return NULL;
	return path;
}

/* Runs argv with TURN_* set; its one line of output in out. */
static int
run_with(const char *const argv[], const char *secret, const char *user,
    const char *ttl, const char *now, char *out, size_t cap)
{
	setenv("TURN_SECRET", secret, 1);
	setenv("TURN_USER", user, 1);
	setenv("TURN_TTL", ttl, 1);
	if (now != NULL)
		setenv("TURN_NOW", now, 1);
	else
		unsetenv("TURN_NOW");
	return harness_run(argv, out, cap, 60000);
}

/* Allocate over UDP with user/pass: 0, the error code, or < 0. */
static int
allocate(struct harness *h, const char *user, const char *pass)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	int r;

	if (harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) != 0)
		return -100;
	r = client_turn_allocate(&t, NULL, WAIT_MS);
	if (r == 0)
		(void)client_turn_refresh(&t, 0, WAIT_MS);
	harness_turn_close(&c, &t);
	return r;
}

/* The Node.js snippet's credential against a real ternd. */
static void
test_node_ternd(const char *const argv[], const char *ternd)
{
	struct harness h;
	struct harness_opts o = { .extra = HARNESS_TURN_CONF
	    "static-auth-secret = " SECRET "\n" };
	char out[1024], user[1024], *pass;
	int r;

	if (!ok(run_with(argv, SECRET, "7f3c9a1e", "600", NULL, out,
	    sizeof(out)) == 0 && (pass = strchr(out, ' ')) != NULL,
	    "node prints a username and a credential (%s)", out))
		return;
	*pass++ = '\0';
	snprintf(user, sizeof(user), "%s", out);
	ok(strtol(user, NULL, 10) >= (long)time(NULL) + 590 &&
	    strcmp(strchr(user, ':'), ":7f3c9a1e") == 0,
	    "username <now + 600>:7f3c9a1e (%s)", user);
	if (!ok(harness_init(&h, ternd) == 0 && harness_start(&h, &o) == 0,
	    "ternd with static-auth-secret"))
		goto out;
	r = allocate(&h, user, pass);
	is_int(r, 0, "ternd accepts the credential: Allocate succeeds");
	pass[0] = pass[0] == 'A' ? 'B' : 'A';
	r = allocate(&h, user, pass);
	is_int(r, 401, "a tampered credential gets 401");
	pass[0] = pass[0] == 'A' ? 'B' : 'A';
	user[0] = user[0] == '1' ? '2' : '1';
	r = allocate(&h, user, pass);
	is_int(r, 401, "a tampered expiry gets 401");
	is_int(harness_stop(&h), 0, "ternd exits 0");
out:
	harness_fini(&h);
}

/* Every snippet prints the fixed-time credential ternctl prints. */
static void
test_fixed(const char *lang, const char *const argv[])
{
	char out[1024];

	is_int(run_with(argv, FIXED_SECRET, "alice", "3600", FIXED_NOW, out,
	    sizeof(out)), 0, "%s: exit 0", lang);
	is_str(out, FIXED_OUT, "%s: the credential for a fixed expiry", lang);
}

/* ternctl credentials prints the same for the same inputs. */
static void
test_ternctl(const char *ternctl)
{
	char path[300], out[2048];
	const char *argv[] = { ternctl, "credentials", "--secret-file", path,
	    "--user", "alice", "--uri", "turn:127.0.0.1", "--ttl", "1h",
	    "--now", FIXED_NOW, NULL };

	snprintf(path, sizeof(path), "%s/secret", dir);
	harness_write_file(path, FIXED_SECRET "\n");
	ok(harness_run(argv, out, sizeof(out), 10000) == 0 &&
	    strstr(out, "\"username\":\"1735689600:alice\",\"credential\":"
	    "\"yPlE/dEM42nx7DAbLdBChBwv7Iw=\"") != NULL,
	    "ternctl credentials agrees (%s)", out);
	unlink(path);
}

/*
 * Go's environment: everything it writes goes under dir/gohome (removed by
 * cleanup()), nothing is fetched, and the caller's GOFLAGS cannot change
 * the build.
 */
static void
go_env(void)
{
	char home[300], path[400];

	snprintf(home, sizeof(home), "%s/gohome", dir);
	(void)mkdir(home, 0700);
	setenv("HOME", home, 1);
	snprintf(path, sizeof(path), "%s/cache", home);
	setenv("GOCACHE", path, 1);
	snprintf(path, sizeof(path), "%s/go", home);
	setenv("GOPATH", path, 1);
	setenv("GOTOOLCHAIN", "local", 1);
	setenv("GOPROXY", "off", 1);
	setenv("GOFLAGS", "", 1);
	setenv("GO111MODULE", "", 1);
	setenv("CGO_ENABLED", "0", 1);
}

static int
load_readme(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(readme, 1, sizeof(readme) - 1, f);
	readme[n] = '\0';
	fclose(f);
	return n > 0 ? 0 : -1;
}

static void
test_langs(const char *ternd)
{
	char snip[8192], bin[512], p1[300], p2[300];
	const char *argv[6];

	/* Node.js: the real ternd, then the fixed vector */
	if (!ok(extract("node", snip, sizeof(snip)) == 0, "README has the "
	    "Node.js snippet"))
		return;
	if (which("node", bin, sizeof(bin)) == NULL) {
		skip("node snippet: node is not installed");
	} else if (ok(write_prog("snippet.js", snip, node_driver, p1,
	    sizeof(p1)) != NULL, "snippet.js")) {
		argv[0] = bin, argv[1] = p1, argv[2] = NULL;
		test_node_ternd(argv, ternd);
		test_fixed("node", argv);
	}
	if (!ok(extract("python", snip, sizeof(snip)) == 0, "README has the "
	    "Python snippet"))
		return;
	if (which("python3", bin, sizeof(bin)) == NULL) {
		skip("python snippet: python3 is not installed");
	} else if (ok(write_prog("snippet.py", snip, python_driver, p1,
	    sizeof(p1)) != NULL, "snippet.py")) {
		argv[0] = bin, argv[1] = p1, argv[2] = NULL;
		test_fixed("python", argv);
	}
	if (!ok(extract("go", snip, sizeof(snip)) == 0, "README has the Go "
	    "snippet"))
		return;
	if (which("go", bin, sizeof(bin)) == NULL) {
		skip("go snippet: go is not installed");
	} else if (ok(write_prog("snippet.go", "package main\n\n", snip, p1,
	    sizeof(p1)) != NULL && write_prog("main.go", go_driver, "", p2,
	    sizeof(p2)) != NULL, "snippet.go, main.go")) {
		go_env();
		argv[0] = bin, argv[1] = "run", argv[2] = p1, argv[3] = p2;
		argv[4] = NULL;
		test_fixed("go", argv);
	}
}

/* The directory holds only files this test wrote, and Go's home. */
static void
cleanup(void)
{
	static const char *const names[] = { "snippet.js", "snippet.py",
	    "snippet.go", "main.go" };
	const char *rm[] = { "/bin/rm", "-rf", NULL, NULL };
	char path[600], out[256];
	size_t i;

	snprintf(path, sizeof(path), "%s/gohome", dir);
	if (access(path, F_OK) == 0) {
		rm[2] = path;
		(void)harness_run(rm, out, sizeof(out), 30000);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(int argc, char *argv[])
{
	if (argc != 4) {
		fprintf(stderr, "usage: test_backend_snippet TERND TERNCTL "
		    "README.md\n");
		return 2;
	}
	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return tap_done();
	if (ok(load_readme(argv[3]) == 0, "read %s", argv[3])) {
		test_ternctl(argv[2]);
		test_langs(argv[1]);
	}
	cleanup();
	return tap_done();
}
