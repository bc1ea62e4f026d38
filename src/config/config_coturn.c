/* SPDX-License-Identifier: ISC */
/*
 * config_coturn: what ternd does with a coturn turnserver.conf brought
 * over. Options whose meaning is the same have the same name in
 * config_table.c and need nothing here. This table holds the others, one
 * row each, with the reason an operator reads:
 *  - ignored: the option asks for what ternd does anyway, or for a feature
 *    whose absence changes nothing for a client (one warning each, from
 *    config_check(), naming the line);
 *  - default: a coturn spelling of a value ternd's default already means
 *    (log-file = stdout, cipher-list = "DEFAULT"): the option is set to
 *    ternd's default, with one warning;
 *  - refused: ternd would do less than the line asks, or something the
 *    operator relies on would silently stop (an error at FILE:LINE).
 * README.md ("Coming from coturn") and ternd.conf(5) (COTURN
 * COMPATIBILITY) list the same rows for the operator; the rows for a value
 * (row.value set) change ternd's own options only for that value.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/log.h"

#define CONFIG_COTURN_MAX	128	/* rows; ignored ones are fewer */

#define IGNORE	CONFIG_COTURN_IGNORE
#define DEFAULT	CONFIG_COTURN_DEFAULT
#define REFUSE	CONFIG_COTURN_REFUSE

#define TLS12	"ternd never offers TLS below 1.2"
#define SQLDB	"ternd reads users and REST secrets from Redis (redis-userdb) " \
		"or this file only; README.md, Coming from coturn"
#define CLI	"ternd has no telnet CLI (CVE-2018-4059); use ternctl"
#define DHE	"ternd offers no finite-field DHE suite, only ECDHE"
#define RFC5780	"used for RFC 5780 NAT discovery only, which ternd does not " \
		"implement"
#define STDOUT	"coturn's name for standard output: ternd logs to stderr " \
		"when log-file is unset"

const struct config_dropped config_dropped[] = {
	/* listeners */
	{ "listening-device", false, NULL, REFUSE,
	    "ternd binds addresses, not devices; use listening-ip" },
	{ "relay-device", false, NULL, REFUSE,
	    "ternd binds addresses, not devices; use relay-ip" },
	{ "alt-listening-port", false, NULL, IGNORE, RFC5780 },
	{ "alt-tls-listening-port", false, NULL, IGNORE, RFC5780 },
	{ "aux-server", false, NULL, REFUSE, "ternd listens on listening-ip "
	    "and listening-port only; clients sent here would get no answer" },
	{ "udp-self-balance", false, NULL, IGNORE, "ternd has no auxiliary "
	    "servers; SO_REUSEPORT spreads UDP over its workers" },
	{ "tcp-proxy-port", false, NULL, REFUSE, "ternd does not speak the "
	    "PROXY protocol; it must see each client's own address" },
	{ "relay-threads", false, NULL, REFUSE, "ternd calls it workers "
	    "(and workers = 0 means one per CPU, not a single thread)" },
	{ "ne", false, NULL, IGNORE,
	    "coturn's internal network engine choice; ternd has one" },
	{ "no-dtls", false, NULL, IGNORE, "ternd has no DTLS listener" },
	{ "daemon", false, NULL, REFUSE, "ternd stays in the foreground; run "
	    "it under systemd (etc/ternd.service) or a supervisor" },

	/* TLS */
	{ "no-sslv2", false, NULL, IGNORE, TLS12 },
	{ "no-sslv3", false, NULL, IGNORE, TLS12 },
	{ "no-tlsv1", false, NULL, IGNORE, TLS12 },
	{ "no-tlsv1_1", false, NULL, IGNORE, TLS12 },
	{ "no-tlsv1_2", false, NULL, REFUSE, "ternd offers TLS 1.2 (ECDHE with "
	    "AEAD suites) and 1.3 and cannot turn 1.2 off" },
	{ "pkey-pwd", false, NULL, REFUSE, "ternd reads an unencrypted PEM key "
	    "only: decrypt it (openssl pkey) into a file of mode 0600" },
	{ "CA-file", false, NULL, REFUSE, "ternd does not verify client "
	    "certificates; clients authenticate with TURN credentials" },
	{ "ec-curve-name", false, NULL, IGNORE, "OpenSSL picks the ECDHE group "
	    "(X25519, P-256, ...) from the client's list" },
	{ "dh566", false, NULL, IGNORE, DHE },
	{ "dh1066", false, NULL, IGNORE, DHE },
	{ "dh-file", false, NULL, IGNORE, DHE },
	{ "cipher-list", false, "DEFAULT", DEFAULT, "coturn's default; ternd "
	    "keeps its own (ECDHE with AEAD suites)" },

	/* authentication and databases */
	{ "lt-cred-mech", false, NULL, IGNORE,
	    "ternd always uses long-term credentials (RFC 8489 §9.2)" },
	{ "no-auth", false, NULL, REFUSE, "ternd never runs an open relay" },
	{ "oauth", false, NULL, REFUSE, "ternd does not implement third-party "
	    "authorization (RFC 7635)" },
	{ "server-name", false, NULL, IGNORE, "coturn uses it for oAuth only, "
	    "which ternd does not implement" },
	{ "userdb", false, NULL, REFUSE, SQLDB },
	{ "db", false, NULL, REFUSE, SQLDB },
	{ "psql-userdb", false, NULL, REFUSE, SQLDB },
	{ "mysql-userdb", false, NULL, REFUSE, SQLDB },
	{ "mongo-userdb", false, NULL, REFUSE, SQLDB },
	{ "secret-key-file", false, NULL, REFUSE,
	    "it decrypts mysql-userdb's password; ternd has no MySQL" },
	{ "redis-statsdb", false, NULL, REFUSE, "ternd publishes no allocation "
	    "status to Redis; use the Prometheus metrics and the log" },
	{ "check-origin-consistency", false, NULL, IGNORE, "ternd ignores "
	    "ORIGIN (one realm a server), so there is nothing to compare" },
	{ "no-auth-pings", false, NULL, IGNORE, "ternd's Redis connection has "
	    "its own command timeout (redis-command-timeout)" },
	{ "no-dynamic-realms", false, NULL, IGNORE,
	    "ternd has one realm, the realm of this file" },
	{ "no-dynamic-ip-list", false, NULL, REFUSE, "ternd always reads the "
	    "peer rules in redis-userdb; delete those keys, then this line" },
	{ "stale-nonce", false, "", DEFAULT,
	    "without a value coturn means 600 s, ternd's default" },

	/* STUN and TURN */
	{ "fingerprint", false, NULL, IGNORE, "ternd adds FINGERPRINT to every "
	    "answer whose request carried one (RFC 8489 §14.7)" },
	{ "stun-only", false, NULL, REFUSE, "ternd has no STUN-only mode; "
	    "without user, static-auth-secret and redis-userdb no TURN request "
	    "authenticates" },
	{ "no-stun", false, NULL, REFUSE, "ternd always answers Binding, "
	    "no larger than the request needs (docs/security.md)" },
	{ "secure-stun", false, NULL, REFUSE,
	    "Binding is never authenticated (RFC 8489 §12)" },
	{ "no-software-attribute", false, NULL, IGNORE,
	    "ternd sends SOFTWARE only when software-attribute is set" },
	{ "no-rfc5780", false, NULL, IGNORE, "ternd does not implement RFC "
	    "5780; no answer carries OTHER-ADDRESS or RESPONSE-ORIGIN" },
	{ "response-origin-only-with-rfc5780", false, NULL, IGNORE,
	    "ternd never sends RESPONSE-ORIGIN" },
	{ "no-stun-backward-compatibility", false, NULL, IGNORE, "ternd never "
	    "answers RFC 3489 requests nor sends MAPPED-ADDRESS" },
	{ "mobility", false, NULL, IGNORE, "ternd does not implement TURN "
	    "mobility (RFC 8016); its MOBILITY-TICKET is ignored" },
	{ "max-allocate-timeout", false, NULL, IGNORE, "ternd keeps nothing "
	    "for a client before its authenticated Allocate (stateless "
	    "nonces), so nothing waits to time out" },
	{ "keep-address-family", false, NULL, REFUSE, "ternd follows RFC 8656 "
	    "§7.2: without REQUESTED-ADDRESS-FAMILY the relay is IPv4" },
	{ "allocation-default-address-family", false, "ipv4", IGNORE,
	    "IPv4 is what RFC 8656 §7.2 and ternd use by default" },
	{ "allocation-default-address-family", false, NULL, REFUSE, "ternd "
	    "follows RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relay "
	    "is IPv4" },
	{ "no-udp-relay", false, NULL, REFUSE, "ternd relays over UDP only "
	    "(no RFC 6062), so nothing would be left to relay" },
	{ "no-tcp-relay", false, NULL, IGNORE, "ternd has no TCP relaying "
	    "(RFC 6062): REQUESTED-TRANSPORT TCP gets 442" },
	{ "server-relay", false, NULL, REFUSE,
	    "ternd never relays without a permission (RFC 8656 §9)" },
	{ "tls-alternate-server", false, NULL, REFUSE, "ternd redirects only "
	    "while draining, every transport to alternate-server" },

	/* peers */
	{ "no-loopback-peers", false, NULL, IGNORE, "ternd denies loopback "
	    "peers unless allow-loopback-peers is set" },
	{ "no-multicast-peers", false, NULL, IGNORE, "ternd denies multicast "
	    "peers unless allow-multicast-peers is set" },

	/* logging */
	{ "verbose", false, NULL, IGNORE,
	    "ternd logs at log-level (info by default); set log-level = debug "
	    "for more" },
	{ "Verbose", false, NULL, IGNORE,
	    "set log-level = debug for ternd's most detailed records" },
	{ "no-stdout-log", false, NULL, IGNORE, "ternd writes to one place: "
	    "log-file, syslog, or else stderr" },
	{ "simple-log", false, NULL, IGNORE, "ternd never renames its log "
	    "file; rotate it and send SIGHUP" },
	{ "new-log-timestamp", false, NULL, IGNORE,
	    "ternd's records always carry ts= in ISO 8601, UTC" },
	{ "new-log-timestamp-format", false, NULL, IGNORE,
	    "ternd's records always carry ts= in ISO 8601, UTC" },
	{ "log-binding", false, NULL, IGNORE, "ternd never logs a single "
	    "Binding request, so that a flood cannot flood the log" },
	{ "syslog-facility", false, NULL, REFUSE, "ternd logs to the daemon "
	    "facility; select its records by the program name ternd" },
	{ "log-file", false, "stdout", DEFAULT, STDOUT },
	{ "log-file", false, "-", DEFAULT, STDOUT },
	{ "log-file", false, "syslog", REFUSE,
	    "coturn's name for the system log: write syslog instead" },

	/* administration */
	{ "cli-", true, NULL, REFUSE, CLI },
	{ "no-cli", false, NULL, IGNORE, "ternd has no telnet CLI" },
	{ "web-admin", true, NULL, REFUSE,
	    "ternd has no web admin; use ternctl and the metrics endpoint" },
	{ "acme-redirect", false, NULL, REFUSE, "ternd answers no HTTP on its "
	    "TURN ports; renew with your ACME client and send SIGHUP" },
	{ "prometheus-username-labels", false, NULL, IGNORE, "ternd never "
	    "labels metrics with user names (the series would be unbounded)" },
	{ NULL, false, NULL, REFUSE, NULL },
};

static bool
config_dropped_name(const struct config_dropped *d, const char *name)
{
	return d->prefix ? strncmp(name, d->name, strlen(d->name)) == 0 :
	    strcmp(name, d->name) == 0;
}

/* The row for an option name, whatever its value; rows about one value of
 * one of ternd's own options are not found here. */
const struct config_dropped *
config_dropped_find(const char *name)
{
	const struct config_dropped *d;

	for (d = config_dropped; d->name != NULL; d++)
		if (config_dropped_name(d, name) &&
		    (d->value == NULL || config_option_find(d->name) == NULL))
			return d;
	return NULL;
}

/* The row for this line: a row about its value first, then any row for
 * the name. val NULL (a bare flag) matches a value of "". */
static const struct config_dropped *
config_coturn_row(const char *key, const char *val)
{
	const struct config_dropped *d;

	for (d = config_dropped; d->name != NULL; d++) {
		if (!config_dropped_name(d, key))
			continue;
		if (d->value == NULL ||
		    strcmp(d->value, val != NULL ? val : "") == 0)
			return d;
	}
	return NULL;
}

/*
 * The options that name a file. ternd never changes directory, so a
 * relative path is opened from its working directory (/ under systemd),
 * where coturn also looks in its configuration directories: a path that
 * worked for coturn may name no file, or another one, for ternd. One
 * warning each, at the first file line that set it relatively.
 */
#define RELATIVE	"ternd opens a relative path from its working " \
		"directory (/ under systemd), not from the configuration " \
		"file's directory as coturn may; use an absolute path"

static const struct config_dropped config_relative[] = {
	{ "cert", false, NULL, IGNORE, RELATIVE },
	{ "pkey", false, NULL, IGNORE, RELATIVE },
	{ "static-auth-secret-file", false, NULL, IGNORE, RELATIVE },
	{ "redis-password-file", false, NULL, IGNORE, RELATIVE },
	{ "log-file", false, NULL, IGNORE, RELATIVE },
	{ "log-client-address-key-file", false, NULL, IGNORE, RELATIVE },
	{ "pidfile", false, NULL, IGNORE, RELATIVE },
	{ "prometheus-token-file", false, NULL, IGNORE, RELATIVE },
	{ NULL, false, NULL, IGNORE, NULL }
};

static const struct config_dropped *
config_relative_find(const char *name)
{
	const struct config_dropped *d;

	for (d = config_relative; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static bool
config_is_relative(const struct config_dropped *d)
{
	return d >= config_relative &&
	    d < config_relative +
	    sizeof(config_relative) / sizeof(config_relative[0]);
}

/* Sets option name back to its default (NULL: unset). 0 or -1. */
static int
config_coturn_default(struct config *c, const char *name, const char *where,
    struct config_err *e)
{
	const struct config_option *o = config_option_find(name);
	char **sp;

	if (o == NULL)
		return -1;
	if (o->def != NULL)
		return config_option_set(c, o, o->def, where, e);
	if (o->type != CONFIG_STRING && o->type != CONFIG_PATH)
		return -1;
	sp = (char **)((char *)c + o->offset);
	free(*sp);
	*sp = NULL;
	return 0;
}

/* Keeps where the first line of each ignored option was, for one
 * warning each. 0 or -1 (out of memory). */
static int
config_coturn_keep(struct config *c, const struct config_dropped *d,
    const char *where)
{
	struct config_ignored *v;
	size_t i;

	for (i = 0; i < c->n_coturn_ignored; i++)
		if (strcmp(c->coturn_ignored[i].row->name, d->name) == 0)
			return 0;
	if (c->n_coturn_ignored >= CONFIG_COTURN_MAX)
		return 0;
	v = realloc(c->coturn_ignored, (c->n_coturn_ignored + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	c->coturn_ignored = v;
	if ((v[c->n_coturn_ignored].where = strdup(where)) == NULL)
		return -1;
	v[c->n_coturn_ignored++].row = d;
	return 0;
}

int
config_coturn_apply(struct config *c, const char *key, const char *val,
    const char *where, struct config_err *e)
{
	const struct config_dropped *d;
	char echo[LOG_ESCAPE_CAP];

	config_echo(echo, sizeof(echo), key);
	if ((d = config_coturn_row(key, val)) == NULL) {
		/* a file line only: on the command line the shell's
		 * directory is what an operator means */
		d = config_relative_find(key);
		if (d == NULL || val == NULL || val[0] == '/' ||
		    val[0] == '\0' || strcmp(where, "command line") == 0)
			return 0;
		if (config_coturn_keep(c, d, where) == -1) {
			config_err_add(e, where, echo, "out of memory");
			return -1;
		}
		return 0;
	}
	if (d->what == CONFIG_COTURN_REFUSE) {
		config_err_add(e, where, echo, "%s", d->why);
		return -1;
	}
	if (d->what == CONFIG_COTURN_DEFAULT &&
	    config_coturn_default(c, d->name, where, e) == -1)
		return -1;
	if (config_coturn_keep(c, d, where) == -1) {
		config_err_add(e, where, echo, "out of memory");
		return -1;
	}
	return 1;
}

void
config_coturn_warn(const struct config *c, struct config_err *e)
{
	const struct config_dropped *d;
	size_t i;

	for (i = 0; i < c->n_coturn_ignored; i++) {
		d = c->coturn_ignored[i].row;
		/* the option first: ternd logs it as option= */
		config_warn_add(e, d->name, "%s (%s): %s",
		    config_is_relative(d) ? "relative path" :
		    d->what == CONFIG_COTURN_DEFAULT ? "ternd's default is "
		    "used" : "ignored", c->coturn_ignored[i].where, d->why);
	}
}

void
config_coturn_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_coturn_ignored; i++)
		free(c->coturn_ignored[i].where);
	free(c->coturn_ignored);
	c->coturn_ignored = NULL;
	c->n_coturn_ignored = 0;
}
