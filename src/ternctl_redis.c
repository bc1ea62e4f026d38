/* SPDX-License-Identifier: ISC */
/*
 * ternctl_redis: the commands that change ternd's data in Redis (the
 * keys are described in src/auth/auth_schema.h), for operators and app
 * backends. Each verb is one row of a table that says which options it
 * takes and how many names follow it.
 *
 *   ternctl secret add|list|rm FP|rotate|prune	REST secrets of a realm
 *   ternctl user add|rm NAME|list			long-term users
 *   ternctl revoke USER / unrevoke USER		the block-list
 *
 * Every command takes --redis CONN (ternd's redis-userdb syntax),
 * --redis-password-file F and --realm R. Secrets and passwords come from
 * files or stdin, never from the command line (ps(1) shows it), and no
 * command prints one; `secret list` shows fingerprints only. The Redis
 * work itself is src/client/client_redis*.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth_redis.h"
#include "client/client.h"
#include "ternctl_int.h"
#include "util/crypto.h"

#define TERNCTL_KEEP_DEFAULT	86400	/* the longest credential lifetime */
#define TERNCTL_REVOKE_TTL	129600	/* max-credential-ttl + max session */
#define TERNCTL_DURATION_MAX	(365L * 86400)

/* Options a verb may take (besides --redis, --redis-password-file, --realm). */
#define OPT_SECRET_FILE		0x01
#define OPT_KEEP		0x02
#define OPT_PASSWORD_FILE	0x04
#define OPT_TTL			0x08

struct ternctl_rargs {
	const char *cmd;		/* "secret rotate", for messages */
	const char *usage;
	const char *conn, *pwfile, *realm;
	const char *secret_file, *password_file;
	const char *name;		/* the positional argument */
	long keep, ttl;
	uint64_t now;
	struct client_redis *r;
};

struct ternctl_verb {
	const char *name;
	int (*run)(struct ternctl_rargs *);
	unsigned opts;
	bool takes_name;
	const char *usage;
};

static int ternctl_secret_add(struct ternctl_rargs *);
static int ternctl_secret_list(struct ternctl_rargs *);
static int ternctl_secret_rm(struct ternctl_rargs *);
static int ternctl_secret_rotate(struct ternctl_rargs *);
static int ternctl_secret_prune(struct ternctl_rargs *);
static int ternctl_user_add(struct ternctl_rargs *);
static int ternctl_user_rm(struct ternctl_rargs *);
static int ternctl_user_list(struct ternctl_rargs *);
static int ternctl_revoke_run(struct ternctl_rargs *);
static int ternctl_unrevoke_run(struct ternctl_rargs *);

#define RCOMMON	"[--redis CONN] [--redis-password-file FILE] [--realm R]"

static const struct ternctl_verb ternctl_secret_verbs[] = {
	{ "add", ternctl_secret_add, OPT_SECRET_FILE, false,
	    "secret add [--secret-file FILE|-] " RCOMMON },
	{ "list", ternctl_secret_list, 0, false, "secret list " RCOMMON },
	{ "rm", ternctl_secret_rm, 0, true, "secret rm FINGERPRINT " RCOMMON },
	{ "rotate", ternctl_secret_rotate, OPT_KEEP, false,
	    "secret rotate [--keep DURATION] " RCOMMON },
	{ "prune", ternctl_secret_prune, 0, false, "secret prune " RCOMMON },
	{ NULL, NULL, 0, false, NULL },
};

static const struct ternctl_verb ternctl_user_verbs[] = {
	{ "add", ternctl_user_add, OPT_PASSWORD_FILE, true,
	    "user add NAME [--password-file FILE|-] " RCOMMON },
	{ "rm", ternctl_user_rm, 0, true, "user rm NAME " RCOMMON },
	{ "list", ternctl_user_list, 0, false, "user list " RCOMMON },
	{ NULL, NULL, 0, false, NULL },
};

static const struct ternctl_verb ternctl_revoke_verb = { "revoke",
    ternctl_revoke_run, OPT_TTL, true,
    "revoke USER [--ttl DURATION] " RCOMMON };
static const struct ternctl_verb ternctl_unrevoke_verb = { "unrevoke",
    ternctl_unrevoke_run, 0, true, "unrevoke USER " RCOMMON };

static int ternctl_rusage(const struct ternctl_rargs *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A usage error: the message, the usage line, exit status 2. */
static int
ternctl_rusage(const struct ternctl_rargs *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ternctl: %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ternctl %s\n", a->usage);
	return TERNCTL_EXIT_USAGE;
}

/* A failed operation: the message, exit status 1. */
static int
ternctl_rfail(const struct ternctl_rargs *a, const char *msg)
{
	fprintf(stderr, "ternctl: %s: %s\n", a->cmd, msg);
	return TERNCTL_EXIT_FAIL;
}

/* One option of a verb. 0 or an exit status. */
static int
ternctl_ropt(struct ternctl_rargs *a, const struct ternctl_verb *v, int ch,
    const char *arg)
{
	static const struct ternctl_only {
		int ch;
		unsigned opt;
		const char *name;
	} only[] = {
		{ 's', OPT_SECRET_FILE, "--secret-file" },
		{ 'k', OPT_KEEP, "--keep" },
		{ 'p', OPT_PASSWORD_FILE, "--password-file" },
		{ 't', OPT_TTL, "--ttl" },
	};
	long *dur = ch == 'k' ? &a->keep : &a->ttl;
	long v64;
	size_t i;

	for (i = 0; i < sizeof(only) / sizeof(only[0]); i++)
		if (ch == only[i].ch && (v->opts & only[i].opt) == 0)
			return ternctl_rusage(a, "%s does not apply here",
			    only[i].name);
	switch (ch) {
	case 'R': a->conn = arg; break;
	case 'P': a->pwfile = arg; break;
	case 'r': a->realm = arg; break;
	case 's': a->secret_file = arg; break;
	case 'p': a->password_file = arg; break;
	case 'k':
	case 't':
		if (ternctl_parse_duration(arg, TERNCTL_DURATION_MAX,
		    dur) == -1)
			return ternctl_rusage(a, "--%s %s: want a duration "
			    "such as 30s, 5m, 1h or 1d, at most 365d",
			    ch == 'k' ? "keep" : "ttl", arg);
		break;
	case 'n':
		if (ternctl_parse_uint(arg, 1, 99999999999L -
		    TERNCTL_DURATION_MAX, &v64) == -1)
			return ternctl_rusage(a, "--now %s: want Unix seconds",
			    arg);
		a->now = (uint64_t)v64;
		break;
	default:
		return ternctl_rusage(a, "%s", "unknown option");
	}
	return 0;
}

/* Parses argv (argv[0] is the verb) for v. 0, -1 (--help), or a status. */
static int
ternctl_rparse(struct ternctl_rargs *a, const struct ternctl_verb *v, int argc,
    char *argv[])
{
	static const struct option longopts[] = {
		{ "redis", required_argument, NULL, 'R' },
		{ "redis-password-file", required_argument, NULL, 'P' },
		{ "realm", required_argument, NULL, 'r' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "keep", required_argument, NULL, 'k' },
		{ "ttl", required_argument, NULL, 't' },
		{ "now", required_argument, NULL, 'n' },	/* tests */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int ch, rv;

	a->usage = v->usage;
	a->conn = TERNCTL_REDIS_DEFAULT;
	a->realm = TERNCTL_REALM_DEFAULT;
	a->keep = TERNCTL_KEEP_DEFAULT;
	a->ttl = TERNCTL_REVOKE_TTL;
	a->now = (uint64_t)time(NULL);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: ternctl %s\n", v->usage);
			return -1;
		}
		if (ch == '?')
			return ternctl_rusage(a, "%s", "bad option");
		if ((rv = ternctl_ropt(a, v, ch, optarg)) != 0)
			return rv;
	}
	if (v->takes_name && optind < argc)
		a->name = argv[optind++];
	if (v->takes_name && a->name == NULL)
		return ternctl_rusage(a, "%s", "a name is required");
	if (optind < argc)
		return ternctl_rusage(a, "unexpected argument %s",
		    argv[optind]);
	if ((why = client_redis_name_problem(a->realm, AUTH_REALM_MAX)) != NULL)
		return ternctl_rusage(a, "--realm: %s", why);
	if (a->name != NULL && v->run != ternctl_secret_rm && (why =
	    client_redis_name_problem(a->name, AUTH_NAME_MAX)) != NULL)
		return ternctl_rusage(a, "bad name: %s", why);
	return 0;
}

/*
 * Parses conn, takes the password from pwfile if given, and connects.
 * 0 or an exit status (after a message prefixed with cmd).
 */
static int
ternctl_redis_connect(const char *cmd, const char *conn, const char *pwfile,
    struct client_redis **r)
{
	struct auth_redis_conf c;
	char pw[TERNCTL_SECRET_MAX + 2], err[512];
	const char *why;
	size_t len;
	int rv = TERNCTL_EXIT_USAGE;

	if (auth_redis_conf_parse(conn, strlen(conn), &c, &why) == -1) {
		fprintf(stderr, "ternctl: %s: --redis: %s\n", cmd, why);
		return TERNCTL_EXIT_USAGE;
	}
	if (pwfile != NULL) {
		if (ternctl_read_secret(pwfile, "password", pw, sizeof(pw),
		    &len, &why) == -1) {
			fprintf(stderr, "ternctl: %s: --redis-password-file "
			    "%s: %s\n", cmd, pwfile, why);
			goto out;
		}
		memcpy(c.password, pw, len);
		c.password[len] = '\0';
	}
	rv = TERNCTL_EXIT_FAIL;
	if (client_redis_open(r, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "ternctl: %s: %s\n", cmd, err);
		goto out;
	}
	rv = 0;
out:
	crypto_wipe(pw, sizeof(pw));
	auth_redis_conf_clear(&c);
	return rv;
}

/* Finds the verb, parses, connects, runs. */
static int
ternctl_rrun(const struct ternctl_verb *v, const char *cmd, int argc,
    char *argv[])
{
	struct ternctl_rargs a;
	int rv;

	memset(&a, 0, sizeof(a));
	a.cmd = cmd;
	if ((rv = ternctl_rparse(&a, v, argc, argv)) != 0)
		return rv == -1 ? 0 : rv;
	if ((rv = ternctl_redis_connect(cmd, a.conn, a.pwfile, &a.r)) != 0)
		return rv;
	rv = v->run(&a);
	client_redis_free(a.r);
	if (rv == 0 && fflush(stdout) != 0)
		return ternctl_rfail(&a, "cannot write the output");
	return rv;
}

/* `secret VERB ...` and `user VERB ...`. */
static int
ternctl_verb_dispatch(const char *group, const struct ternctl_verb *verbs,
    int argc, char *argv[])
{
	const struct ternctl_verb *v;
	char cmd[32];

	for (v = verbs; argc > 1 && v->name != NULL; v++) {
		if (strcmp(argv[1], v->name) == 0) {
			snprintf(cmd, sizeof(cmd), "%s %s", group, v->name);
			return ternctl_rrun(v, cmd, argc - 1, argv + 1);
		}
	}
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		for (v = verbs; v->name != NULL; v++)
			printf("usage: ternctl %s\n", v->usage);
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-')
		fprintf(stderr, "ternctl: %s: unknown verb '%s'\n", group,
		    argv[1]);
	else
		fprintf(stderr, "ternctl: %s: a verb is required\n", group);
	for (v = verbs; v->name != NULL; v++)
		fprintf(stderr, "usage: ternctl %s\n", v->usage);
	return TERNCTL_EXIT_USAGE;
}

int
ternctl_secret(int argc, char *argv[])
{
	return ternctl_verb_dispatch("secret", ternctl_secret_verbs, argc,
	    argv);
}

int
ternctl_user(int argc, char *argv[])
{
	return ternctl_verb_dispatch("user", ternctl_user_verbs, argc, argv);
}

int
ternctl_revoke(int argc, char *argv[])
{
	return ternctl_rrun(&ternctl_revoke_verb, "revoke", argc, argv);
}

int
ternctl_unrevoke(int argc, char *argv[])
{
	return ternctl_rrun(&ternctl_unrevoke_verb, "unrevoke", argc, argv);
}

/* ---- secrets ---- */

/* Adds a secret (from --secret-file, else a fresh random one); keep > 0
 * schedules the others' expiry (rotate). Prints the fingerprint. */
static int
ternctl_secret_put(struct ternctl_rargs *a, uint64_t keep)
{
	char secret[TERNCTL_SECRET_MAX + 2], fp[CLIENT_REDIS_FP_LEN + 1];
	char err[512];
	const char *why;
	size_t len;
	int rv = TERNCTL_EXIT_USAGE;

	if (a->secret_file != NULL) {
		if (ternctl_read_secret(a->secret_file, "secret", secret,
		    sizeof(secret), &len, &why) == -1) {
			fprintf(stderr, "ternctl: %s: --secret-file %s: %s\n",
			    a->cmd, a->secret_file, why);
			goto out;
		}
	} else if (client_redis_secret_new(secret) == 0) {
		len = strlen(secret);
	} else {
		rv = ternctl_rfail(a, "cannot draw random bytes");
		goto out;
	}
	rv = TERNCTL_EXIT_FAIL;
	if (client_redis_secret_add(a->r, a->realm, secret, len, a->now, keep,
	    fp, err, sizeof(err)) == -1) {
		ternctl_rfail(a, err);
		goto out;
	}
	printf("%s\n", fp);
	rv = 0;
out:
	crypto_wipe(secret, sizeof(secret));
	return rv;
}

static int
ternctl_secret_add(struct ternctl_rargs *a)
{
	return ternctl_secret_put(a, 0);
}

static int
ternctl_secret_rotate(struct ternctl_rargs *a)
{
	return ternctl_secret_put(a, (uint64_t)a->keep);
}

/* ISO 8601 UTC, or "-" for 0. */
static const char *
ternctl_time(uint64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "-");
	return buf;
}

/* One line per secret: fingerprint, added, state. Never the secret. */
static int
ternctl_secret_list(struct ternctl_rargs *a)
{
	struct client_redis_secret s[CLIENT_REDIS_MAX_SECRETS];
	char err[512], t1[32], t2[32];
	size_t n, i;

	if (client_redis_secret_load(a->r, a->realm, s,
	    CLIENT_REDIS_MAX_SECRETS, &n, err, sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	for (i = 0; i < n; i++)
		printf("%s %s %s%s\n", s[i].fp, ternctl_time(s[i].added, t1,
		    sizeof(t1)), s[i].expires == 0 ? "active" :
		    s[i].expires <= a->now ? "expired " : "expires ",
		    s[i].expires == 0 ? "" : ternctl_time(s[i].expires, t2,
		    sizeof(t2)));
	client_redis_secrets_wipe(s, n);
	return 0;
}

static int
ternctl_secret_rm(struct ternctl_rargs *a)
{
	char err[512];

	if (strlen(a->name) != CLIENT_REDIS_FP_LEN ||
	    strspn(a->name, "0123456789abcdefABCDEF") != CLIENT_REDIS_FP_LEN)
		return ternctl_rusage(a, "%s: want the 16 hex digits that "
		    "secret list shows", a->name);
	if (client_redis_secret_rm(a->r, a->realm, a->name, err,
	    sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	return 0;
}

static int
ternctl_secret_prune(struct ternctl_rargs *a)
{
	char err[512];
	size_t n;

	if (client_redis_secret_prune(a->r, a->realm, a->now, &n, err,
	    sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	printf("removed %zu expired secret%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* ---- users and revocations ---- */

static int
ternctl_user_add(struct ternctl_rargs *a)
{
	const char *path = a->password_file != NULL ? a->password_file : "-";
	char pw[CLIENT_TURN_PASS_MAX + 2], err[512];
	const char *why;
	size_t len;
	int rv = TERNCTL_EXIT_USAGE;

	if (ternctl_read_secret(path, "password", pw, sizeof(pw), &len,
	    &why) == -1) {
		fprintf(stderr, "ternctl: %s: %s%s: %s\n", a->cmd,
		    a->password_file != NULL ? "--password-file " : "stdin",
		    a->password_file != NULL ? a->password_file : "", why);
		goto out;
	}
	rv = TERNCTL_EXIT_FAIL;
	if (client_redis_user_add(a->r, a->realm, a->name, pw, len, err,
	    sizeof(err)) == -1) {
		ternctl_rfail(a, err);
		goto out;
	}
	rv = 0;
out:
	crypto_wipe(pw, sizeof(pw));
	return rv;
}

static int
ternctl_user_rm(struct ternctl_rargs *a)
{
	char err[512];

	if (client_redis_user_rm(a->r, a->realm, a->name, err,
	    sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	return 0;
}

/* Prints a user name; control bytes (from another tool) as '?'. */
static void
ternctl_user_print(const char *user, void *arg)
{
	const unsigned char *p;

	(void)arg;
	for (p = (const unsigned char *)user; *p != '\0'; p++)
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

static int
ternctl_user_list(struct ternctl_rargs *a)
{
	char err[512];

	if (client_redis_user_list(a->r, a->realm, ternctl_user_print, NULL,
	    err, sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	return 0;
}

static int
ternctl_revoke_run(struct ternctl_rargs *a)
{
	char err[512];

	if (client_redis_revoke(a->r, a->realm, a->name, a->now,
	    (uint64_t)a->ttl, err, sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	return 0;
}

static int
ternctl_unrevoke_run(struct ternctl_rargs *a)
{
	char err[512];

	if (client_redis_unrevoke(a->r, a->realm, a->name, err,
	    sizeof(err)) == -1)
		return ternctl_rfail(a, err);
	return 0;
}

/* ---- credentials --redis ---- */

int
ternctl_redis_secret(const char *cmd, const char *conn, const char *pwfile,
    const char *realm, char *buf, size_t cap, size_t *len)
{
	struct client_redis_secret s[CLIENT_REDIS_MAX_SECRETS];
	const struct client_redis_secret *best;
	struct client_redis *r = NULL;
	char err[512];
	size_t n = 0;
	int rv;

	if ((rv = ternctl_redis_connect(cmd, conn, pwfile, &r)) != 0)
		return rv;
	rv = TERNCTL_EXIT_FAIL;
	if (client_redis_secret_load(r, realm, s, CLIENT_REDIS_MAX_SECRETS, &n,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "ternctl: %s: %s\n", cmd, err);
		goto out;
	}
	if (n == 0 || (best = client_redis_secret_newest(s, n)) == NULL) {
		fprintf(stderr, "ternctl: %s: realm %s has no %s (ternctl "
		    "secret add)\n", cmd, realm, n == 0 ? "secrets" :
		    "active secret, only secrets that expire");
		goto out;
	}
	if (best->len >= cap) {
		fprintf(stderr, "ternctl: %s: the secret is too long\n", cmd);
		goto out;
	}
	memcpy(buf, best->secret, best->len);
	*len = best->len;
	rv = 0;
out:
	client_redis_secrets_wipe(s, n);
	client_redis_free(r);
	return rv;
}
