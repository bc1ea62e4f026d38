/* SPDX-License-Identifier: ISC */
/*
 * A coturn configuration brought over (README.md, Coming from coturn):
 * Debian's own /etc/turnserver.conf from the coturn package, copied at test
 * time with its examples uncommented in place (so line numbers stay), fed
 * to `ternd --check-config`, and for the Redis cases to a running ternd.
 * One case per run, named by argv[2]:
 *  shipped      the file as Debian ships it: ok, one warning for each of its
 *               three uncommented coturn-only lines, at that line;
 *  rest-file    TURN REST with static-auth-secret, use-auth-secret, a
 *               static user, the peer ranges, quotas, relay ports, addresses
 *               and coturn's no-op flags: ok, each no-op warned once at its
 *               first line;
 *  rest-redis   use-auth-secret with the secret only in Redis (coturn's
 *               connection string with password and dbname): ternd starts
 *               on the file, warns once per no-op, and a credential signed
 *               with the secret stored in Redis allocates (another gets 401);
 *  users-redis  long-term users in Redis (the key of the file's own
 *               ninefingers example): ternd starts and the user allocates;
 *  tls          cert/pkey (a generated certificate), cipher-list "DEFAULT",
 *               the TLS no-op flags: ok;
 *  dropped      the options ternd refuses: not ok, an error at FILE:LINE
 *               naming each.
 * The file must exist (Debian package coturn, installed by scripts/lib.sh):
 * the test fails, never skips, without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "redis_common.h"
#include "tap.h"

#define COTURN_CONF	"/etc/turnserver.conf"
#define MAX_LINES	2048
#define OUT_CAP		(64 * 1024)
#define SECRET		"logen"		/* coturn's schema.userdb.redis */
#define REALM		"north.gov"
#define REDIS_PW	"turn"
#define REDIS_DB	"2"

/* The copy, line by line, and where each option was uncommented. */
struct conf {
	char *line[MAX_LINES];
	size_t n;
	char path[HARNESS_PATH];
};

/* A no-op flag the case uncomments: it must be warned once, at line. */
struct expect {
	const char *option;
	unsigned line;
};

static struct expect expects[64];
static size_t nexpect;
static char out[OUT_CAP];

static int
conf_load(struct conf *c)
{
	static char text[256 * 1024];
	size_t len;
	char *p, *nl;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if ((f = fopen(COTURN_CONF, "r")) == NULL) {
		printf("# cannot read %s: %s (Debian package coturn; "
		    "scripts/lib.sh installs it)\n", COTURN_CONF,
		    strerror(errno));
		return -1;
	}
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	for (p = text; *p != '\0' && c->n < MAX_LINES; p = nl + 1) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if ((c->line[c->n++] = strdup(p)) == NULL)
			return -1;
		if (nl == NULL)
			break;
	}
	return c->n > 100 ? 0 : -1;
}

static void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->line[i]);
	c->n = 0;
}

/*
 * The first commented example of key ("#key", "# key", "#key=...") is
 * uncommented, or replaced by "key=value" when value is set. key may hold
 * "=" to pick one example ("user=ninefingers:0x"). Its line number, or 0.
 */
static unsigned
conf_on(struct conf *c, const char *key, const char *value)
{
	size_t i, klen = strlen(key), nlen = strcspn(key, "=");
	const char *p;
	char buf[1024], *dup;

	for (i = 0; i < c->n; i++) {
		p = c->line[i];
		if (*p++ != '#')
			continue;
		if (*p == ' ')
			p++;
		/* "# user name" is prose; "#user=" and "#flag" are examples */
		if (strncmp(p, key, klen) != 0 || (nlen == klen &&
		    p[klen] != '\0' && p[klen] != '='))
			continue;
		if (value != NULL)
			snprintf(buf, sizeof(buf), "%.*s=%s", (int)nlen, p,
			    value);
		else
			snprintf(buf, sizeof(buf), "%s", p);
		if ((dup = strdup(buf)) == NULL)
			return 0;
		free(c->line[i]);
		c->line[i] = dup;
		return (unsigned)i + 1;
	}
	printf("# %s has no commented example of %s\n", COTURN_CONF, key);
	return 0;
}

/* Uncomments a coturn no-op flag and expects its warning. */
static void
conf_noop(struct conf *c, const char *key)
{
	unsigned line = conf_on(c, key, NULL);

	ok(line > 0, "uncommented %s (line %u)", key, line);
	if (nexpect < sizeof(expects) / sizeof(expects[0]))
		expects[nexpect++] = (struct expect){ key, line };
}

/* The whole text, for a file or for harness_opts.head. */
static char *
conf_text(const struct conf *c)
{
	size_t i, len = 1, n = 0;
	char *t;

	for (i = 0; i < c->n; i++)
		len += strlen(c->line[i]) + 1;
	if ((t = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		n += (size_t)snprintf(t + n, len - n, "%s\n", c->line[i]);
	return t;
}

static int
conf_write(const struct conf *c, const char *path)
{
	char *t = conf_text(c);
	int rv;

	if (t == NULL)
		return -1;
	rv = harness_write_file(path, t);
	free(t);
	return rv == 0 ? chmod(path, 0600) : -1;
}

/* Occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Each expected no-op is warned exactly once, at its line (text is the
 * --check-config output, or ternd's log where it is quoted).
 */
static void
check_warnings(const char *text, const char *path, bool logged)
{
	char want[1024], any[256];
	size_t i;

	for (i = 0; i < nexpect; i++) {
		if (logged) {
			snprintf(want, sizeof(want), "option=\"%s\" reason="
			    "\"ignored (%s:%u)", expects[i].option, path,
			    expects[i].line);
			snprintf(any, sizeof(any), "option=\"%s\" ",
			    expects[i].option);
		} else {
			snprintf(want, sizeof(want), "warning: %s: ignored "
			    "(%s:%u): ", expects[i].option, path,
			    expects[i].line);
			snprintf(any, sizeof(any), "warning: %s: ",
			    expects[i].option);
		}
		is_int(count(text, want), 1, "%s %s warned once, at line %u",
		    logged ? "log:" : "check:", expects[i].option,
		    expects[i].line);
		is_int(count(text, any), 1, "%s no other warning names %s",
		    logged ? "log:" : "check:", expects[i].option);
	}
}

/* ternd --check-config -c path: its exit code, its output in out. */
static int
check_config(const char *ternd, const char *path)
{
	const char *argv[] = { ternd, "--check-config", "-c", path, NULL };
	int rc = harness_run(argv, out, sizeof(out), 10000);

	if (rc != 0)
		printf("# ternd --check-config exited %d:\n", rc);
	return rc;
}

static void
print_out(void)
{
	const char *p = out, *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		printf("#   %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (nl == NULL)
			break;
	}
}

/* The flags of a typical coturn set-up that ternd accepts as no-ops. */
static void
common_noops(struct conf *c)
{
	conf_noop(c, "verbose");
	conf_noop(c, "fingerprint");
	conf_noop(c, "lt-cred-mech");
	conf_noop(c, "no-multicast-peers");
	conf_noop(c, "no-cli");
	conf_noop(c, "no-tlsv1");
	conf_noop(c, "no-tlsv1_1");
	conf_noop(c, "simple-log");
	conf_noop(c, "no-stdout-log");
	conf_noop(c, "no-software-attribute");
}

/* The three coturn-only lines Debian ships uncommented. */
static void
shipped_noops(struct conf *c)
{
	static const char *const keys[] = { "no-rfc5780",
	    "no-stun-backward-compatibility",
	    "response-origin-only-with-rfc5780" };
	size_t i, j, before = nexpect;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (j = 0; j < c->n; j++)
			if (strcmp(c->line[j], keys[i]) == 0 &&
			    nexpect < sizeof(expects) / sizeof(expects[0]))
				expects[nexpect++] =
				    (struct expect){ keys[i], (unsigned)j + 1 };
	is_int(nexpect - before, 3, "Debian's file ships the three RFC 5780 lines "
	    "uncommented");
}

static void
check_ok(const char *ternd, const char *path)
{
	if (!ok(check_config(ternd, path) == 0 &&
	    strstr(out, "configuration ok") != NULL, "ternd --check-config "
	    "accepts %s", path))
		print_out();
	check_warnings(out, path, false);
}

static void
case_rest_file(const char *ternd, struct conf *c)
{
	/* options ternd knows by the same name, each example as written */
	static const char *const same[] = { "listening-port",
	    "tls-listening-port", "listening-ip=172.17.19.101",
	    "relay-ip=172.17.19.105", "external-ip", "min-port", "max-port",
	    "use-auth-secret", "static-auth-secret", "realm",
	    "user=ninefingers:0x", "stale-nonce", "max-allocate-lifetime",
	    "denied-peer-ip", "allowed-peer-ip", "user-quota", "total-quota",
	    "max-bps", "bps-capacity", "pidfile", "prometheus" };
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ok(conf_on(c, same[i], NULL) > 0, "uncommented %s", same[i]);
	common_noops(c);
	conf_noop(c, "no-tcp-relay");
	conf_noop(c, "no-dtls");
	conf_noop(c, "max-allocate-timeout");
	conf_noop(c, "check-origin-consistency");
	conf_noop(c, "mobility");
	shipped_noops(c);
	if (conf_write(c, c->path) == 0)
		check_ok(ternd, c->path);
}

static void
case_tls(const char *ternd, struct conf *c, const char *dir)
{
	char cert[HARNESS_PATH + 32], key[HARNESS_PATH + 32];

	snprintf(cert, sizeof(cert), "%s/turn_server_cert.pem", dir);
	snprintf(key, sizeof(key), "%s/turn_server_pkey.pem", dir);
	if (!ok(harness_make_cert(cert, key) == 0, "a certificate"))
		return;
	ok(conf_on(c, "cert", cert) > 0 && conf_on(c, "pkey", key) > 0 &&
	    conf_on(c, "tls-listening-port", NULL) > 0 &&
	    conf_on(c, "static-auth-secret", NULL) > 0, "cert, pkey, TLS port");
	conf_noop(c, "no-tlsv1");
	conf_noop(c, "no-tlsv1_1");
	conf_noop(c, "dh1066");
	conf_noop(c, "ec-curve-name");
	shipped_noops(c);
	is_int(conf_on(c, "cipher-list", NULL) > 0, 1,
	    "cipher-list=\"DEFAULT\" uncommented");
	if (conf_write(c, c->path) != 0)
		return;
	check_ok(ternd, c->path);
	ok(strstr(out, "warning: cipher-list: ternd's default is used") !=
	    NULL, "coturn's cipher-list \"DEFAULT\" keeps ternd's suites, "
	    "with a warning");
}

/* Each refused option: an error at its line that names it. */
static void
case_dropped(const char *ternd, struct conf *c)
{
	static const char *const keys[] = { "no-auth", "cli-password",
	    "secure-stun", "server-relay", "web-admin", "stun-only",
	    "no-stun", "keep-address-family", "no-tlsv1_2", "userdb",
	    "redis-statsdb", "tcp-proxy-port", "aux-server", "relay-threads",
	    "listening-device", "oauth", "CA-file", "pkey-pwd",
	    "syslog-facility", "acme-redirect", "tls-alternate-server" };
	unsigned line[sizeof(keys) / sizeof(keys[0])];
	char want[HARNESS_PATH + 64];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		line[i] = conf_on(c, keys[i], NULL);
	common_noops(c);
	if (conf_write(c, c->path) != 0)
		return;
	ok(check_config(ternd, c->path) == 1 &&
	    strstr(out, "configuration ok") == NULL, "ternd --check-config "
	    "refuses the file");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "%s:%u: %s: ", c->path, line[i],
		    keys[i]);
		if (!ok(line[i] > 0 && count(out, want) == 1, "%s is an error "
		    "at %s:%u with the reason", keys[i], c->path, line[i]))
			print_out();
	}
	ok(strstr(out, "warning: ") == NULL && strstr(out, ": fingerprint:") ==
	    NULL, "the no-ops are neither errors nor warned about in a "
	    "refused file");
}

/* ternd on the file (its lines first, the harness's ports after). */
static int
start(struct rt *t, const struct conf *c)
{
	char extra[256];
	char *head = conf_text(c);
	struct harness_opts o = { .extra = extra, .head = head };
	int rv;

	snprintf(extra, sizeof(extra), "syslog = false\nmin-port = %u\n"
	    "max-port = %u\n", HARNESS_RELAY_MIN, HARNESS_RELAY_MAX);
	rv = head != NULL ? harness_start(&t->h, &o) : -1;
	free(head);
	return rv;
}

/* ternd's stderr. */
static const char *
ternd_log(const struct harness *h)
{
	size_t n = 0;
	FILE *f;

	if ((f = fopen(h->errlog, "r")) != NULL) {
		n = fread(out, 1, sizeof(out) - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	return out;
}

static void
redis_line(struct conf *c, const struct harness_redis *r)
{
	char v[256];

	/* coturn's syntax, exactly as its turnserver.conf documents it */
	snprintf(v, sizeof(v), "\"ip=127.0.0.1 dbname=%s password=%s "
	    "port=%u connect_timeout=30\"", REDIS_DB, REDIS_PW, r->port);
	ok(conf_on(c, "redis-userdb", v) > 0, "redis-userdb in coturn's "
	    "syntax");
}

static void
case_rest_redis(struct rt *t, struct conf *c)
{
	char o[256];

	redis_line(c, &t->r);
	ok(conf_on(c, "use-auth-secret", NULL) > 0 &&
	    conf_on(c, "realm", REALM) > 0, "use-auth-secret, realm, no "
	    "static-auth-secret");
	common_noops(c);
	shipped_noops(c);
	ok(harness_redis_cmd(&t->r, o, sizeof(o), "-n", REDIS_DB, "SADD",
	    "turn/realm/" REALM "/secret", SECRET, "bloody9", NULL) == 0,
	    "SADD turn/realm/" REALM "/secret in database " REDIS_DB);
	if (conf_write(c, c->path) != 0)
		return;
	check_ok(t->h.ternd, c->path);
	if (!ok(start(t, c) == 0, "ternd starts on the file"))
		return;
	ok(rt_rest_until(&t->h, SECRET, "alice", 0, 3000) >= 0,
	    "a REST credential signed with the secret stored in Redis "
	    "allocates");
	ok(rt_rest_until(&t->h, "north", "alice", 401, 1000) >= 0,
	    "one signed with another secret gets 401");
	is_int(harness_stop(&t->h), 0, "SIGTERM: ternd exits 0");
	check_warnings(ternd_log(&t->h), t->h.conf, true);
}

static void
case_users_redis(struct rt *t, struct conf *c)
{
	struct client_turn turn;
	struct client *cl = NULL;
	int64_t end;
	int r = -1;
	char o[256];

	redis_line(c, &t->r);
	ok(conf_on(c, "realm", REALM) > 0, "realm " REALM);
	common_noops(c);
	/* turnadmin -k -u ninefingers -r north.gov -p youhavetoberealistic,
	 * as the file's own comment shows */
	ok(harness_redis_cmd(&t->r, o, sizeof(o), "-n", REDIS_DB, "SET",
	    "turn/realm/" REALM "/user/ninefingers/key",
	    "bc807ee29df3c9ffa736523fb2c4e8ee", NULL) == 0,
	    "SET the user's key as coturn's schema has it");
	if (conf_write(c, c->path) != 0)
		return;
	check_ok(t->h.ternd, c->path);
	if (!ok(start(t, c) == 0, "ternd starts on the file"))
		return;
	end = client_now_ms() + 3000;
	while (r != 0 && client_now_ms() < end)
		r = rt_user_alloc(&t->h, "ninefingers", "youhavetoberealistic",
		    &cl, &turn);
	is_int(r, 0, "the user from Redis allocates");
	harness_turn_close(&cl, &turn);
	is_int(rt_user_alloc(&t->h, "ninefingers", "wrong", &cl, &turn), 401,
	    "a wrong password gets 401");
	is_int(harness_stop(&t->h), 0, "SIGTERM: ternd exits 0");
	check_warnings(ternd_log(&t->h), t->h.conf, true);
}

int
main(int argc, char **argv)
{
	struct rt t;
	struct conf c;
	const char *mode = argc > 2 ? argv[2] : "";
	bool redis = strcmp(mode, "rest-redis") == 0 ||
	    strcmp(mode, "users-redis") == 0;

	if (argc < 3) {
		printf("1..0 # SKIP usage: test_coturn_conf TERND CASE\n");
		return 1;
	}
	memset(&t, 0, sizeof(t));
	if (!ok(conf_load(&c) == 0, "read " COTURN_CONF))
		return tap_done();
	if (!ok(harness_init(&t.h, argv[1]) == 0, "temporary directory"))
		goto out;
	t.h_ready = true;
	harness_path(&t.h, "turnserver.conf", c.path, sizeof(c.path));
	t.r.password = REDIS_PW;
	if (redis && !ok(harness_redis_available() &&
	    harness_redis_start(&t.r, t.h.dir, 0) == 0, "redis-server "
	    "with a password"))
		goto out;
	if (strcmp(mode, "shipped") == 0) {
		shipped_noops(&c);
		if (conf_write(&c, c.path) == 0)
			check_ok(argv[1], c.path);
	} else if (strcmp(mode, "rest-file") == 0)
		case_rest_file(argv[1], &c);
	else if (strcmp(mode, "tls") == 0)
		case_tls(argv[1], &c, t.h.dir);
	else if (strcmp(mode, "dropped") == 0)
		case_dropped(argv[1], &c);
	else if (strcmp(mode, "rest-redis") == 0)
		case_rest_redis(&t, &c);
	else if (strcmp(mode, "users-redis") == 0)
		case_users_redis(&t, &c);
	else
		ok(0, "unknown case %s", mode);
out:
	conf_free(&c);
	rt_fini(&t);
	return tap_done();
}
