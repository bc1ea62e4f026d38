/* SPDX-License-Identifier: ISC */
/*
 * ternctl probe: without credentials a STUN Binding request (RFC 8489
 * §12): the mapped address and the round trip. With credentials (a TURN
 * REST API secret, or a long-term user and password, read from files and
 * never from the command line) the relay probe of client_probe.c: two
 * allocations relay a packet to each other and back, by Send indication
 * and over a channel (RFC 8656 §7-§12). Its exit status tells a health
 * check or a monitor what broke: cannot connect, authentication refused,
 * allocation refused, relay did not deliver.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "client/client.h"
#include "ternctl_int.h"
#include "util/crypto.h"

#define PROBE_REST_TTL	600	/* s: a REST credential for one probe */
#define PROBE_REST_USER	"ternctl-probe"

struct probe_args {
	long timeout;
	struct client_opts o;
	bool json;
	const char *secret_file;	/* REST */
	const char *password_file;	/* long-term, with user */
	const char *user;
	uint8_t family;
	const char *url_text;
	struct client_url u;
};

/* A usage error: the message, the usage, exit status 2. */
static int
probe_usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "ternctl: probe: %s\n", msg);
	fprintf(stderr, "usage: ternctl %s\n", TERNCTL_PROBE_USAGE);
	return TERNCTL_EXIT_USAGE;
}

/* s as a JSON string in buf (cap bytes), or null. */
static const char *
probe_json_str(char *buf, size_t cap, const char *s)
{
	size_t len = 0;

	if (client_json_str(buf, cap, &len, s) == -1)
		return "null";
	return buf;
}

static int
probe_opt(struct probe_args *a, int ch, const char *arg)
{
	long v;

	switch (ch) {
	case 't':
		if (ternctl_parse_uint(arg, 1, 600000, &a->timeout) == -1)
			return probe_usage("--timeout: want 1..600000 ms");
		break;
	case 'c':
		a->o.ca_file = arg;
		break;
	case 'k':
		a->o.insecure = true;
		break;
	case 'j':
		a->json = true;
		break;
	case 's':
		a->secret_file = arg;
		break;
	case 'p':
		a->password_file = arg;
		break;
	case 'u':
		a->user = arg;
		break;
	case 'f':
		if (ternctl_parse_uint(arg, 4, 6, &v) == -1 || v == 5)
			return probe_usage("--family: want 4 or 6");
		a->family = v == 4 ? CLIENT_TURN_FAMILY_IPV4 :
		    CLIENT_TURN_FAMILY_IPV6;
		break;
	default:
		return TERNCTL_EXIT_USAGE;
	}
	return 0;
}

/* The credential options make sense together. 0 or an exit status. */
static int
probe_check(const struct probe_args *a)
{
	const char *why;
	bool creds = a->secret_file != NULL || a->password_file != NULL;

	if (a->secret_file != NULL && a->password_file != NULL)
		return probe_usage("--secret-file (REST) and --password-file "
		    "(long-term) exclude each other");
	if (a->password_file != NULL && a->user == NULL)
		return probe_usage("--password-file needs --user");
	if (a->user != NULL && !creds)
		return probe_usage("--user needs --password-file or "
		    "--secret-file");
	if (a->user != NULL && (why = client_creds_user_problem(a->user)) != NULL) {
		fprintf(stderr, "ternctl: probe: --user: %s\n", why);
		return TERNCTL_EXIT_USAGE;
	}
	if (a->family != 0 && !creds)
		return probe_usage("--family needs credentials (a Binding "
		    "allocates nothing)");
	if (creds && a->u.scheme != CLIENT_TURN && a->u.scheme != CLIENT_TURNS)
		return probe_usage("a relay probe needs a turn: or turns: URL");
	return 0;
}

static int
probe_args(struct probe_args *a, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'c' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "family", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int ch, rv;

	memset(a, 0, sizeof(*a));
	a->timeout = 5000;
	while ((ch = getopt_long(argc, argv, "t:c:kh", longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: ternctl %s\n", TERNCTL_PROBE_USAGE);
			return -1;
		}
		if ((rv = probe_opt(a, ch, optarg)) != 0)
			return rv;
	}
	if (optind != argc - 1)
		return probe_usage(NULL);
	a->url_text = argv[optind];
	if (client_url_parse(&a->u, a->url_text, err, sizeof(err)) == -1) {
		fprintf(stderr, "ternctl: probe: %s: %s\n", a->url_text, err);
		return TERNCTL_EXIT_USAGE;
	}
	return probe_check(a);
}

/* ---- the Binding probe ---- */

/*
 * Tries each address of the host in turn (a name may resolve to ::1 and
 * 127.0.0.1 while the server listens on one), sharing the time left
 * evenly between the addresses not tried yet.
 */
static int
probe_binding_run(const struct probe_args *a, struct client **cp,
    struct client_binding *res, char *err, size_t errcap)
{
	int64_t deadline = client_now_ms() + a->timeout, left;
	struct addr ad[CLIENT_MAX_ADDRS];
	int i, n, r = CLIENT_E_TIMEOUT;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if ((n = client_url_resolve(&a->u, ad, CLIENT_MAX_ADDRS, err, errcap)) < 0)
		return n;
	for (i = 0; i < n; i++) {
		if ((left = deadline - client_now_ms()) <= 0)
			return CLIENT_E_TIMEOUT;
		left /= n - i;
		err[0] = '\0';
		r = client_open(cp, a->u.transport, &ad[i], a->u.host, &a->o,
		    (int)left, err, errcap);
		if (r == 0 && (r = client_binding(*cp, (int)left, res)) == 0)
			return 0;
		client_free(*cp);
		*cp = NULL;
		if (r == CLIENT_E_TLS || (r == CLIENT_E_PROTO && res->error_code != 0))
			break;	/* the server answered: another address won't help */
	}
	return r;
}

/* Why a Binding probe failed, in words. */
static void
probe_binding_why(int r, const struct client_binding *res, char *err,
    size_t errcap)
{
	if (r == CLIENT_E_PROTO && res->error_code > 0)
		snprintf(err, errcap, "error response %d %s", res->error_code,
		    stun_error_reason(res->error_code));
	else if (r == CLIENT_E_PROTO)
		snprintf(err, errcap, "response without a mapped address");
	else if (err[0] == '\0')
		snprintf(err, errcap, "%s", client_strerror(r));
}

static int
probe_binding(const struct probe_args *a)
{
	struct client_binding res;
	struct client *c = NULL;
	char err[256], srv[ADDR_STRLEN], map[ADDR_STRLEN], j1[600], j2[600];
	int r;

	if ((r = probe_binding_run(a, &c, &res, err, sizeof(err))) != 0) {
		probe_binding_why(r, &res, err, sizeof(err));
		fprintf(stderr, "ternctl: probe %s: %s\n", a->url_text, err);
		if (a->json)
			printf("{\"url\":%s,\"transport\":\"%s\",\"ok\":false,"
			    "\"exit\":%d,\"error\":%s}\n",
			    probe_json_str(j1, sizeof(j1), a->url_text),
			    client_transport_name(a->u.transport),
			    TERNCTL_EXIT_FAIL, probe_json_str(j2, sizeof(j2), err));
		return TERNCTL_EXIT_FAIL;
	}
	addr_str(client_server(c), srv, sizeof(srv));
	addr_str(&res.mapped, map, sizeof(map));
	if (a->json)
		printf("{\"url\":%s,\"transport\":\"%s\",\"ok\":true,\"exit\":0,"
		    "\"server\":\"%s\",\"mapped\":\"%s\",\"rtt_ms\":%.3f}\n",
		    probe_json_str(j1, sizeof(j1), a->url_text),
		    client_transport_name(a->u.transport), srv, map, res.rtt_ms);
	else
		printf("%s %s mapped=%s rtt=%.2fms\n",
		    client_transport_name(a->u.transport), srv, map, res.rtt_ms);
	client_free(c);
	return 0;
}

/* ---- the relay probe ---- */

/*
 * The TURN credential into user and pass (NUL-terminated): for REST the
 * username "<now + 600>:<id>" and its HMAC (README.md), for long-term the
 * name and the password file's line. 0 or an exit status.
 */
static int
probe_creds(const struct probe_args *a, char *user, size_t ucap, char *pass,
    size_t pcap)
{
	const char *file = a->secret_file != NULL ? a->secret_file :
	    a->password_file;
	const char *noun = a->secret_file != NULL ? "secret" : "password";
	char buf[TERNCTL_SECRET_MAX + 2];
	const char *why;
	size_t len = 0;
	int rv = 0;

	if (ternctl_read_secret(file, noun, buf, sizeof(buf), &len, &why) == -1) {
		fprintf(stderr, "ternctl: probe: --%s-file %s: %s\n", noun, file,
		    why);
		rv = TERNCTL_EXIT_USAGE;
	} else if (a->secret_file != NULL) {
		if (client_creds_make(buf, len, a->user != NULL ? a->user :
		    PROBE_REST_USER, ':', (uint64_t)time(NULL) + PROBE_REST_TTL,
		    user, ucap, pass, pcap) == -1) {
			fprintf(stderr, "ternctl: probe: cannot compute the "
			    "REST credential\n");
			rv = TERNCTL_EXIT_FAIL;
		}
	} else if (len >= pcap || snprintf(user, ucap, "%s", a->user) < 0) {
		rv = TERNCTL_EXIT_FAIL;
	} else {
		memcpy(pass, buf, len);
		pass[len] = '\0';
	}
	crypto_wipe(buf, sizeof(buf));
	return rv;
}

static int
probe_exit(const struct client_probe *p)
{
	switch (p->failed) {
	case CLIENT_PROBE_OK:
		return 0;
	case CLIENT_PROBE_CONNECT:
		return TERNCTL_EXIT_CONNECT;
	case CLIENT_PROBE_ALLOCATE:
		/* RFC 8489 §9.2.5: 401 after a signed request, 441, 438 twice */
		if (p->code == STUN_ERR_UNAUTHENTICATED ||
		    p->code == STUN_ERR_WRONG_CREDENTIALS ||
		    p->code == STUN_ERR_STALE_NONCE)
			return TERNCTL_EXIT_AUTH;
		return TERNCTL_EXIT_ALLOCATE;
	default:
		return TERNCTL_EXIT_RELAY;
	}
}

static const char *
probe_outcome(int rv)
{
	switch (rv) {
	case 0:
		return "relaying works";
	case TERNCTL_EXIT_CONNECT:
		return "cannot connect";
	case TERNCTL_EXIT_AUTH:
		return "authentication refused";
	case TERNCTL_EXIT_ALLOCATE:
		return "allocation refused";
	default:
		return "relay did not deliver";
	}
}

/* The result as one JSON object; fields not known are left out. */
static void
probe_relay_json(const struct probe_args *a, const struct client_probe *p,
    int rv)
{
	char s[ADDR_STRLEN], j[600];

	printf("{\"url\":%s,\"transport\":\"%s\",\"ok\":%s,\"exit\":%d,"
	    "\"outcome\":\"%s\"", probe_json_str(j, sizeof(j), a->url_text),
	    client_transport_name(a->u.transport), rv == 0 ? "true" : "false",
	    rv, probe_outcome(rv));
	if (addr_family(&p->server) != AF_UNSPEC)
		printf(",\"server\":\"%s\"", addr_str(&p->server, s, sizeof(s)));
	if (p->allocated) {
		printf(",\"relayed\":\"%s\"", addr_str(&p->relayed, s, sizeof(s)));
		printf(",\"mapped\":\"%s\"", addr_str(&p->mapped, s, sizeof(s)));
	}
	if (addr_family(&p->peer) != AF_UNSPEC)
		printf(",\"peer\":\"%s\"", addr_str(&p->peer, s, sizeof(s)));
	if (p->send_rtt_ms >= 0)
		printf(",\"send_rtt_ms\":%.3f", p->send_rtt_ms);
	if (p->channel_rtt_ms >= 0)
		printf(",\"channel_rtt_ms\":%.3f", p->channel_rtt_ms);
	if (rv != 0)
		printf(",\"step\":\"%s\"", client_probe_step_name(p->failed));
	if (p->code > 0)
		printf(",\"code\":%d,\"reason\":%s", p->code,
		    probe_json_str(j, sizeof(j), p->reason));
	if (rv != 0)
		printf(",\"error\":%s", probe_json_str(j, sizeof(j), p->detail));
	printf("}\n");
}

/* One line on stdout when relaying works, else one on stderr. */
static void
probe_relay_text(const struct probe_args *a, const struct client_probe *p,
    int rv)
{
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN], s3[ADDR_STRLEN];

	if (rv == 0) {
		printf("%s %s relayed=%s mapped=%s send=%.2fms channel=%.2fms\n",
		    client_transport_name(a->u.transport),
		    addr_str(&p->server, s1, sizeof(s1)),
		    addr_str(&p->relayed, s2, sizeof(s2)),
		    addr_str(&p->mapped, s3, sizeof(s3)), p->send_rtt_ms,
		    p->channel_rtt_ms);
		return;
	}
	fprintf(stderr, "ternctl: probe %s: %s: %s", a->url_text,
	    probe_outcome(rv), p->detail);
	if (p->allocated)
		fprintf(stderr, " (relayed=%s mapped=%s)",
		    addr_str(&p->relayed, s2, sizeof(s2)),
		    addr_str(&p->mapped, s3, sizeof(s3)));
	fprintf(stderr, "\n");
}

static int
probe_relay(const struct probe_args *a)
{
	char user[CLIENT_TURN_USER_MAX + 1], pass[CLIENT_TURN_PASS_MAX + 1];
	struct client_probe_opts po;
	struct client_probe p;
	int rv;

	if ((rv = probe_creds(a, user, sizeof(user), pass, sizeof(pass))) != 0)
		goto out;
	po = (struct client_probe_opts){ .url = &a->u, .conn = &a->o,
	    .user = user, .pass = pass, .family = a->family,
	    .timeout_ms = (int)a->timeout };
	(void)client_probe_relay(&po, &p);
	rv = probe_exit(&p);
	if (a->json)
		probe_relay_json(a, &p, rv);
	if (!a->json || rv != 0)
		probe_relay_text(a, &p, rv);
out:
	crypto_wipe(pass, sizeof(pass));
	return rv;
}

int
ternctl_probe(int argc, char *argv[])
{
	struct probe_args a;
	int rv;

	if ((rv = probe_args(&a, argc, argv)) != 0)
		return rv == -1 ? 0 : rv;
	if (a.secret_file == NULL && a.password_file == NULL)
		return probe_binding(&a);
	return probe_relay(&a);
}
