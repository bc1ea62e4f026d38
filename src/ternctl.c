/* SPDX-License-Identifier: ISC */
/*
 * ternctl: the operator's tool. Each subcommand is one row of
 * ternctl_cmds[]; a new command is a new row and a new function.
 *
 *   ternctl probe [--timeout MS] [--ca FILE] [--insecure] URL
 *	sends a STUN Binding request (RFC 8489 §12) and prints the mapped
 *	address and the round-trip time.
 *   ternctl credentials --secret-file FILE --user ID --uri URL ... [...]
 *	mints a TURN REST API credential (README.md) and prints the
 *	RTCIceServer JSON object an app backend hands to a browser. The
 *	secret is read from a file or stdin, never from the command line
 *	(where ps(1) would show it), and is wiped after use. With --redis
 *	it signs with the newest active secret of the realm in Redis.
 *   ternctl secret|user|revoke|unrevoke ...
 *	change ternd's data in Redis (ternctl_redis.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "ternctl_int.h"
#include "util/crypto.h"

#define TERNCTL_MAX_URIS	16
#define TERNCTL_TTL_DEFAULT	43200	/* 12 h: outlasts a long call */
#define TERNCTL_MAX_TTL		86400	/* ternd's default max-credential-ttl */
#define TERNCTL_MAX_TTL_CAP	(30 * 86400)	/* ternd's highest */

struct ternctl_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *usage;
	const char *summary;
};

static int ternctl_probe(int, char *[]);
static int ternctl_credentials(int, char *[]);

static const struct ternctl_cmd ternctl_cmds[] = {
	{ "probe", ternctl_probe, "probe [--timeout MS] [--ca FILE] [--insecure] URL",
	    "send a STUN Binding request and print the mapped address and RTT" },
	{ "credentials", ternctl_credentials,
	    "credentials --secret-file FILE|- | --redis CONN "
	    "[--redis-password-file FILE]\n"
	    "      --user ID --uri URL [--uri URL ...] [--ttl DURATION]\n"
	    "      [--max-ttl DURATION] [--separator C] [--realm R] "
	    "[--hmac sha1|sha256]",
	    "print a TURN REST API credential as a JSON RTCIceServer object" },
	{ "secret", ternctl_secret,
	    "secret add [--secret-file FILE|-] | list | rm FINGERPRINT |\n"
	    "      rotate [--keep DURATION] | prune   [REDIS]",
	    "manage a realm's REST secrets in Redis" },
	{ "user", ternctl_user,
	    "user add NAME [--password-file FILE|-] | rm NAME | list   [REDIS]",
	    "manage a realm's long-term users in Redis" },
	{ "revoke", ternctl_revoke, "revoke USER [--ttl DURATION]   [REDIS]",
	    "refuse a user (REST user-id or long-term name) for a while" },
	{ "unrevoke", ternctl_unrevoke, "unrevoke USER   [REDIS]",
	    "lift a revocation" },
	{ NULL, NULL, NULL, NULL },
};

static void
ternctl_usage(FILE *f)
{
	const struct ternctl_cmd *c;

	fprintf(f, "usage: ternctl [--help | --version] COMMAND [ARGS]\n\ncommands:\n");
	for (c = ternctl_cmds; c->name != NULL; c++)
		fprintf(f, "  %s\n      %s\n", c->usage, c->summary);
	fprintf(f, "\nREDIS: [--redis CONN] [--redis-password-file FILE] "
	    "[--realm R]\n  CONN: ternd's redis-userdb, default \"%s\"\n",
	    TERNCTL_REDIS_DEFAULT);
	fprintf(f, "\nURL: stun:HOST[:PORT], stuns:HOST[:PORT], "
	    "turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT][?transport=tcp]\n");
}

int
ternctl_parse_uint(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
ternctl_probe_report(const char *url, int r, const struct client_binding *res,
    const char *err)
{
	if (r == CLIENT_E_PROTO && res->error_code > 0) {
		fprintf(stderr, "ternctl: probe %s: error response %d %s\n", url,
		    res->error_code, stun_error_reason(res->error_code));
	} else if (r == CLIENT_E_PROTO) {
		fprintf(stderr, "ternctl: probe %s: response without a mapped address\n",
		    url);
	} else if (err[0] != '\0') {
		fprintf(stderr, "ternctl: probe %s: %s\n", url, err);
	} else {
		fprintf(stderr, "ternctl: probe %s: %s\n", url, client_strerror(r));
	}
	return TERNCTL_EXIT_FAIL;
}

/*
 * Tries each address of the host in turn (a name may resolve to ::1 and
 * 127.0.0.1 while the server listens on one), sharing the time left
 * evenly between the addresses not tried yet.
 */
static int
ternctl_probe_run(const struct client_url *u, const struct client_opts *o, long timeout,
    struct client **cp, struct client_binding *res, char *err, size_t errcap)
{
	int64_t deadline = client_now_ms() + timeout, left;
	struct addr a[CLIENT_MAX_ADDRS];
	int i, n, r = CLIENT_E_TIMEOUT;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if ((n = client_url_resolve(u, a, CLIENT_MAX_ADDRS, err, errcap)) < 0)
		return n;
	for (i = 0; i < n; i++) {
		if ((left = deadline - client_now_ms()) <= 0)
			return CLIENT_E_TIMEOUT;
		left /= n - i;
		err[0] = '\0';
		r = client_open(cp, u->transport, &a[i], u->host, o, (int)left, err, errcap);
		if (r == 0 && (r = client_binding(*cp, (int)left, res)) == 0)
			return 0;
		client_free(*cp);
		*cp = NULL;
		if (r == CLIENT_E_TLS || (r == CLIENT_E_PROTO && res->error_code != 0))
			break;	/* the server answered: another address won't help */
	}
	return r;
}

static int
ternctl_probe(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'c' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_opts o = { 0 };
	struct client_binding res;
	struct client_url u;
	struct client *c = NULL;
	char err[256] = "", srv[ADDR_STRLEN], map[ADDR_STRLEN];
	long timeout = 5000;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "t:c:kh", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (ternctl_parse_uint(optarg, 1, 600000, &timeout) == -1) {
				fprintf(stderr, "ternctl: probe: --timeout: want 1..600000 ms\n");
				return TERNCTL_EXIT_USAGE;
			}
			break;
		case 'c':
			o.ca_file = optarg;
			break;
		case 'k':
			o.insecure = true;
			break;
		case 'h':
			printf("usage: ternctl %s\n", ternctl_cmds[0].usage);
			return 0;
		default:
			return TERNCTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: ternctl %s\n", ternctl_cmds[0].usage);
		return TERNCTL_EXIT_USAGE;
	}
	if (client_url_parse(&u, argv[optind], err, sizeof(err)) == -1) {
		fprintf(stderr, "ternctl: probe: %s: %s\n", argv[optind], err);
		return TERNCTL_EXIT_USAGE;
	}
	if ((r = ternctl_probe_run(&u, &o, timeout, &c, &res, err, sizeof(err))) != 0)
		return ternctl_probe_report(argv[optind], r, &res, err);
	printf("%s %s mapped=%s rtt=%.2fms\n", client_transport_name(u.transport),
	    addr_str(client_server(c), srv, sizeof(srv)),
	    addr_str(&res.mapped, map, sizeof(map)), res.rtt_ms);
	client_free(c);
	return 0;
}

/* ---- credentials ---- */

struct ternctl_creds {
	const char *secret_file;
	const char *redis, *redis_pwfile;	/* or the newest in Redis */
	bool sha256;			/* --hmac sha256 */
	const char *user;
	const char *realm;
	const char *uris[TERNCTL_MAX_URIS];
	size_t nuris;
	long ttl, max_ttl;
	uint64_t now;
	bool have_now;
	char sep;
};

int
ternctl_parse_duration(const char *s, long max, long *out)
{
	static const char units[] = "smhd";
	static const long mult[] = { 1, 60, 3600, 86400 };
	const char *u;
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > max / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	if (v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int ternctl_creds_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A usage error: the message, the usage line, exit status 2. */
static int
ternctl_creds_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ternctl: credentials: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ternctl %s\n", ternctl_cmds[1].usage);
	return TERNCTL_EXIT_USAGE;
}

/* The messages of ternctl_read_secret, by noun. */
static const char *
ternctl_read_problem(const char *noun, int which)
{
	static const char *const secret[] = { "the secret is empty",
	    "the secret is longer than 256 bytes",
	    "the secret holds a NUL byte" };
	static const char *const password[] = { "the password is empty",
	    "the password is longer than 256 bytes",
	    "the password holds a NUL byte" };

	return strcmp(noun, "password") == 0 ? password[which] : secret[which];
}

int
ternctl_read_secret(const char *path, const char *noun, char *buf, size_t cap,
    size_t *len, const char **why)
{
	size_t got = 0;
	ssize_t r;
	char *nl;
	int fd;

	*why = NULL;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	while (got < cap && memchr(buf, '\n', got) == NULL) {
		r = read(fd, buf + got, cap - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			*why = strerror(errno);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (*why != NULL)
		return -1;
	if ((nl = memchr(buf, '\n', got)) != NULL)
		got = (size_t)(nl - buf);
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	if (got == 0)
		*why = ternctl_read_problem(noun, 0);
	else if (got > TERNCTL_SECRET_MAX)
		*why = ternctl_read_problem(noun, 1);
	else if (memchr(buf, '\0', got) != NULL)
		*why = ternctl_read_problem(noun, 2);
	*len = got;
	return *why == NULL ? 0 : -1;
}

/* Checks the collected options. 0 or an exit status. */
static int
ternctl_creds_check(const struct ternctl_creds *a)
{
	struct client_url u;
	char err[256];
	const char *why;
	size_t i;

	if ((a->secret_file == NULL) == (a->redis == NULL))
		return ternctl_creds_usage("%s", a->secret_file == NULL ?
		    "--secret-file is required (or --redis)" :
		    "--secret-file and --redis exclude each other");
	if (a->redis_pwfile != NULL && a->redis == NULL)
		return ternctl_creds_usage("%s", "--redis-password-file "
		    "needs --redis");
	if (a->user == NULL)
		return ternctl_creds_usage("%s", "--user is required");
	if ((why = client_creds_user_problem(a->user)) != NULL)
		return ternctl_creds_usage("--user: %s", why);
	if (a->nuris == 0)
		return ternctl_creds_usage("%s", "at least one --uri is required");
	for (i = 0; i < a->nuris; i++) {
		if (client_url_parse(&u, a->uris[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "ternctl: credentials: --uri %s: %s\n",
			    a->uris[i], err);
			return TERNCTL_EXIT_USAGE;
		}
	}
	if (a->ttl > a->max_ttl) {
		fprintf(stderr, "ternctl: credentials: --ttl %ld is more than "
		    "--max-ttl %ld seconds (ternd refuses credentials beyond "
		    "its max-credential-ttl)\n", a->ttl, a->max_ttl);
		return TERNCTL_EXIT_USAGE;
	}
	if (a->realm != NULL && (a->realm[0] == '\0' || strlen(a->realm) > 127))
		return ternctl_creds_usage("%s", "--realm: want 1 to 127 bytes");
	if (a->redis != NULL && a->realm != NULL &&
	    (why = client_redis_name_problem(a->realm, 127)) != NULL)
		return ternctl_creds_usage("--realm: %s", why);
	return 0;
}

static int
ternctl_creds_opt(struct ternctl_creds *a, int ch, const char *arg)
{
	long v;

	switch (ch) {
	case 's':
		a->secret_file = arg;
		break;
	case 'u':
		a->user = arg;
		break;
	case 'U':
		if (a->nuris == TERNCTL_MAX_URIS)
			return ternctl_creds_usage("%s", "at most 16 --uri");
		a->uris[a->nuris++] = arg;
		break;
	case 't':
		if (ternctl_parse_duration(arg, TERNCTL_MAX_TTL_CAP, &a->ttl) == -1)
			return ternctl_creds_usage("--ttl %s: want a duration "
			    "such as 30s, 5m, 1h or 1d, at most 30d", arg);
		break;
	case 'm':
		if (ternctl_parse_duration(arg, TERNCTL_MAX_TTL_CAP,
		    &a->max_ttl) == -1)
			return ternctl_creds_usage("--max-ttl %s: want a duration "
			    "such as 12h or 1d, at most 30d", arg);
		break;
	case 'S':
		if (arg[0] <= ' ' || arg[0] > '~' || arg[1] != '\0' ||
		    (arg[0] >= '0' && arg[0] <= '9'))
			return ternctl_creds_usage("--separator %s: want one "
			    "printable character, not a digit", arg);
		a->sep = arg[0];
		break;
	case 'r':
		a->realm = arg;
		break;
	case 'R':
		a->redis = arg;
		break;
	case 'P':
		a->redis_pwfile = arg;
		break;
	case 'H':
		if (strcmp(arg, "sha1") != 0 && strcmp(arg, "sha256") != 0)
			return ternctl_creds_usage("--hmac %s: want sha1 or "
			    "sha256", arg);
		a->sha256 = strcmp(arg, "sha256") == 0;
		break;
	case 'n':
		if (ternctl_parse_uint(arg, 0, 99999999999L - TERNCTL_MAX_TTL_CAP,
		    &v) == -1)
			return ternctl_creds_usage("--now %s: want Unix seconds",
			    arg);
		a->now = (uint64_t)v;
		a->have_now = true;
		break;
	default:
		return TERNCTL_EXIT_USAGE;
	}
	return 0;
}

static int
ternctl_creds_args(struct ternctl_creds *a, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "secret-file", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "uri", required_argument, NULL, 'U' },
		{ "ttl", required_argument, NULL, 't' },
		{ "max-ttl", required_argument, NULL, 'm' },
		{ "separator", required_argument, NULL, 'S' },
		{ "realm", required_argument, NULL, 'r' },
		{ "redis", required_argument, NULL, 'R' },
		{ "redis-password-file", required_argument, NULL, 'P' },
		{ "hmac", required_argument, NULL, 'H' },
		{ "now", required_argument, NULL, 'n' },	/* tests */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rv;

	memset(a, 0, sizeof(*a));
	a->ttl = TERNCTL_TTL_DEFAULT;
	a->max_ttl = TERNCTL_MAX_TTL;
	a->sep = ':';
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: ternctl %s\n", ternctl_cmds[1].usage);
			return -1;
		}
		if ((rv = ternctl_creds_opt(a, ch, optarg)) != 0)
			return rv;
	}
	if (optind != argc)
		return ternctl_creds_usage("unexpected argument %s", argv[optind]);
	return ternctl_creds_check(a);
}

/* The secret from --secret-file or from Redis. 0 or an exit status. */
static int
ternctl_creds_secret(const struct ternctl_creds *a, char *secret, size_t cap,
    size_t *slen)
{
	const char *why;

	if (a->secret_file == NULL)	/* then --redis (ternctl_creds_check) */
		return ternctl_redis_secret("credentials", a->redis,
		    a->redis_pwfile, a->realm != NULL ? a->realm :
		    TERNCTL_REALM_DEFAULT, secret, cap, slen);
	if (ternctl_read_secret(a->secret_file, "secret", secret, cap, slen,
	    &why) == -1) {
		fprintf(stderr, "ternctl: credentials: --secret-file %s: %s\n",
		    a->secret_file, why);
		return TERNCTL_EXIT_USAGE;
	}
	return 0;
}

/*
 * --hmac sha256: base64(HMAC-SHA256(secret, username)), for ternd's
 * rest-api-hmac = sha256 (44 characters). 0 or -1.
 */
static int
ternctl_creds_sha256(const char *secret, size_t slen, const char *username,
    char *pw, size_t cap)
{
	struct crypto_seg seg = { username, strlen(username) };
	uint8_t mac[CRYPTO_SHA256_LEN];
	long n;

	if (crypto_hmac(CRYPTO_MD_SHA256, secret, slen, &seg, 1, mac) == -1)
		return -1;
	n = crypto_base64_encode(mac, sizeof(mac), pw, cap);
	crypto_wipe(mac, sizeof(mac));
	return n < 0 ? -1 : 0;
}

static int
ternctl_credentials(int argc, char *argv[])
{
	struct ternctl_creds a;
	struct client_creds_json j;
	char secret[TERNCTL_SECRET_MAX + 2], username[512], pw[64], out[8192];
	size_t slen = 0;
	int rv = TERNCTL_EXIT_FAIL, r;

	if ((r = ternctl_creds_args(&a, argc, argv)) != 0)
		return r == -1 ? 0 : r;
	if ((rv = ternctl_creds_secret(&a, secret, sizeof(secret), &slen)) != 0)
		goto out;
	rv = TERNCTL_EXIT_FAIL;
	if (!a.have_now)
		a.now = (uint64_t)time(NULL);
	if (client_creds_make(secret, slen, a.user, a.sep, a.now +
	    (uint64_t)a.ttl, username, sizeof(username), pw, sizeof(pw)) == -1 ||
	    (a.sha256 && ternctl_creds_sha256(secret, slen, username, pw,
	    sizeof(pw)) == -1)) {
		fprintf(stderr, "ternctl: credentials: cannot compute the "
		    "credential\n");
		goto out;
	}
	j = (struct client_creds_json){ .urls = a.uris, .nurls = a.nuris,
	    .username = username, .credential = pw, .ttl = (uint64_t)a.ttl,
	    .realm = a.realm };
	if (client_creds_json(out, sizeof(out), &j) == -1) {
		fprintf(stderr, "ternctl: credentials: the JSON object does not "
		    "fit or a string is not UTF-8\n");
		goto out;
	}
	if (printf("%s\n", out) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "ternctl: credentials: cannot write: %s\n",
		    strerror(errno));
		goto out;
	}
	rv = 0;
out:
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(pw, sizeof(pw));
	crypto_wipe(out, sizeof(out));
	return rv;
}

int
main(int argc, char *argv[])
{
	const struct ternctl_cmd *c;
	int rv;

	if (argc < 2) {
		ternctl_usage(stderr);
		return TERNCTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		ternctl_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ternctl %s\n", TERN_VERSION);
		return 0;
	}
	if (crypto_init() == -1) {
		fprintf(stderr, "ternctl: cannot initialise libcrypto\n");
		return TERNCTL_EXIT_FAIL;
	}
	for (c = ternctl_cmds; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0) {
			rv = c->run(argc - 1, argv + 1);
			crypto_shutdown();
			return rv;
		}
	}
	crypto_shutdown();
	fprintf(stderr, "ternctl: unknown command '%s' (try ternctl --help)\n", argv[1]);
	return TERNCTL_EXIT_USAGE;
}
