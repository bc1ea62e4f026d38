/* SPDX-License-Identifier: ISC */
/*
 * ternctl: the operator's tool. Each subcommand is one row of
 * ternctl_cmds[]; a new command is a new row and a new function.
 *
 *   ternctl probe [...] URL
 *	a STUN Binding request, or with credentials a relay probe that
 *	proves a TURN server relays (ternctl_probe.c).
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

static int ternctl_credentials(int, char *[]);

static const struct ternctl_cmd ternctl_cmds[] = {
	{ "probe", ternctl_probe, TERNCTL_PROBE_USAGE,
	    "without credentials: a STUN Binding request (mapped address, RTT);\n"
	    "      with them: proves that a TURN relay relays (Allocate,\n"
	    "      CreatePermission, Send and channel relay to relay and back);\n"
	    "      exit 0 only then, so fit for a container HEALTHCHECK or a\n"
	    "      monitoring check (exit: 3 cannot connect, 4 authentication\n"
	    "      refused, 5 allocation refused, 6 relay did not deliver)" },
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
