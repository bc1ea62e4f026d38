/* SPDX-License-Identifier: ISC */
/*
 * ternctl: the operator's tool. Each subcommand is one row of
 * ternctl_cmds[]; a new command is a new row and a new function.
 *
 *   ternctl probe [--timeout MS] [--ca FILE] [--insecure] URL
 *	sends a STUN Binding request (RFC 8489 §12) and prints the mapped
 *	address and the round-trip time.
 *   ternctl credentials --secret-file FILE --user ID --uri URL ... [...]
 *	mints a TURN REST API credential (reference A.11) and prints the
 *	RTCIceServer JSON object an app backend hands to a browser. The
 *	secret is read from a file or stdin, never from the command line
 *	(where ps(1) would show it), and is wiped after use.
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
#include "util/crypto.h"

#define TERNCTL_EXIT_FAIL	1	/* the operation failed */
#define TERNCTL_EXIT_USAGE	2	/* bad command line */

#define TERNCTL_SECRET_MAX	256	/* bytes; ternd's limit (AUTH_SECRET_MAX) */
#define TERNCTL_MAX_URIS	16
#define TERNCTL_TTL_DEFAULT	43200	/* 12 h: outlasts a long call (A.11) */
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
	    "credentials --secret-file FILE|- --user ID --uri URL [--uri URL ...]\n"
	    "      [--ttl DURATION] [--max-ttl DURATION] [--separator C] [--realm R]",
	    "print a TURN REST API credential as a JSON RTCIceServer object" },
	{ NULL, NULL, NULL, NULL },
};

static void
ternctl_usage(FILE *f)
{
	const struct ternctl_cmd *c;

	fprintf(f, "usage: ternctl [--help | --version] COMMAND [ARGS]\n\ncommands:\n");
	for (c = ternctl_cmds; c->name != NULL; c++)
		fprintf(f, "  %s\n      %s\n", c->usage, c->summary);
	fprintf(f, "\nURL: stun:HOST[:PORT], stuns:HOST[:PORT], "
	    "turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT][?transport=tcp]\n");
}

/* Strict decimal in [min, max]. 0 or -1. */
static int
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
	const char *user;
	const char *realm;
	const char *uris[TERNCTL_MAX_URIS];
	size_t nuris;
	long ttl, max_ttl;
	uint64_t now;
	bool have_now;
	char sep;
};

/* "30", "30s", "5m", "1h", "1d" in [1, max] seconds. 0 or -1. */
static int
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

/*
 * Reads the first line of path ("-": stdin) into buf, without its line
 * end. The secret never reaches a message. 0, or -1 with *why set.
 */
static int
ternctl_read_secret(const char *path, char *buf, size_t cap, size_t *len,
    const char **why)
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
		*why = "the secret is empty";
	else if (got > TERNCTL_SECRET_MAX)
		*why = "the secret is longer than 256 bytes";
	else if (memchr(buf, '\0', got) != NULL)
		*why = "the secret holds a NUL byte";
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

	if (a->secret_file == NULL)
		return ternctl_creds_usage("%s", "--secret-file is required");
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

static int
ternctl_credentials(int argc, char *argv[])
{
	struct ternctl_creds a;
	struct client_creds_json j;
	char secret[TERNCTL_SECRET_MAX + 2], username[512], pw[32], out[8192];
	const char *why;
	size_t slen = 0;
	int rv = TERNCTL_EXIT_FAIL, r;

	if ((r = ternctl_creds_args(&a, argc, argv)) != 0)
		return r == -1 ? 0 : r;
	if (ternctl_read_secret(a.secret_file, secret, sizeof(secret), &slen,
	    &why) == -1) {
		fprintf(stderr, "ternctl: credentials: --secret-file %s: %s\n",
		    a.secret_file, why);
		rv = TERNCTL_EXIT_USAGE;
		goto out;
	}
	if (!a.have_now)
		a.now = (uint64_t)time(NULL);
	if (client_creds_make(secret, slen, a.user, a.sep, a.now +
	    (uint64_t)a.ttl, username, sizeof(username), pw, sizeof(pw)) == -1) {
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
