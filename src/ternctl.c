/* SPDX-License-Identifier: ISC */
/*
 * ternctl: the operator's tool. Each subcommand is one row of
 * ternctl_cmds[]; a new command is a new row and a new function.
 *
 *   ternctl probe [--timeout MS] [--ca FILE] [--insecure] URL
 *	sends a STUN Binding request (RFC 8489 §12) and prints the mapped
 *	address and the round-trip time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "util/crypto.h"

#define TERNCTL_EXIT_FAIL	1	/* the operation failed */
#define TERNCTL_EXIT_USAGE	2	/* bad command line */

struct ternctl_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *usage;
	const char *summary;
};

static int ternctl_probe(int, char *[]);

static const struct ternctl_cmd ternctl_cmds[] = {
	{ "probe", ternctl_probe, "probe [--timeout MS] [--ca FILE] [--insecure] URL",
	    "send a STUN Binding request and print the mapped address and RTT" },
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
