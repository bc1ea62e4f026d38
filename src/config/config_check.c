/* SPDX-License-Identifier: ISC */
/*
 * config_check: the checks that span options, run once everything is
 * parsed (file and command line). Errors fail the check; warnings are
 * written to the same buffer, prefixed "warning: ", and do not. Also the
 * risks of a valid configuration that ternd logs at start and on reload
 * (config_warnings; docs/security.md, Hardening).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"
#include "util/log.h"

#define CONFIG_PERMISSION_LIFETIME	300	/* RFC 8656 §9 */
#define CONFIG_CHANNEL_LIFETIME		600	/* RFC 8656 §12: 10 minutes */

static void
config_check_listeners(const struct config *c, struct config_err *e)
{
	bool tls = !c->no_tls && c->cert != NULL && c->pkey != NULL;

	if ((c->cert == NULL) != (c->pkey == NULL))
		config_err_add(e, NULL, c->cert != NULL ? "cert" : "pkey",
		    "is set but %s is not; TLS needs both",
		    c->cert != NULL ? "pkey" : "cert");
	if (c->no_udp && c->no_tcp && !tls)
		config_err_add(e, NULL, "no-udp", "with no-tcp and no TLS "
		    "listener, ternd would listen nowhere");
	if (tls && !c->no_tcp && c->tls_listening_port == c->listening_port)
		config_err_add(e, NULL, "tls-listening-port", "%u is also "
		    "listening-port; TCP and TLS need different ports",
		    (unsigned)c->tls_listening_port);
	if (c->max_connections_per_ip > c->max_connections)
		config_err_add(e, NULL, "max-connections-per-ip", "%u is more "
		    "than max-connections (%u)", c->max_connections_per_ip,
		    c->max_connections);
}

static void
config_check_process(const struct config *c, struct config_err *e)
{
	if (c->syslog && c->log_file != NULL)
		config_err_add(e, NULL, "log-file", "cannot be used together "
		    "with syslog");
	if (c->proc_group != NULL && c->proc_user == NULL)
		config_err_add(e, NULL, "proc-group", "is set but proc-user "
		    "is not");
}

/* Whether a is one of the n addresses in list (ports ignored). */
static bool
config_addr_in(const struct addr *a, const struct addr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_equal(&list[i], a, false))
			return true;
	return false;
}

/*
 * A PRIVATE external-ip must be an address a relay is on: a relay-ip, or a
 * listening-ip when relay-ip is unset. Not checkable when relays follow a
 * wildcard or every local address.
 */
static void
config_check_relays(const struct config *c, struct config_err *e)
{
	const struct addr *relays = c->relay_ip;
	size_t n = c->n_relay_ip, i;
	char buf[ADDR_STRLEN];
	bool known = true;

	for (i = 0; i < c->n_relay_ip; i++)
		if (addr_is_any(&c->relay_ip[i]))
			config_err_add(e, NULL, "relay-ip", "%s is a wildcard; "
			    "give the address the relay sockets bind to",
			    addr_ip_str(&c->relay_ip[i], buf, sizeof(buf)));
	if (n == 0) {
		relays = c->listening_ip;
		n = c->n_listening_ip;
		for (i = 0; i < n; i++)
			if (addr_is_any(&relays[i]))
				known = false;
	}
	for (i = 0; known && n > 0 && i < c->n_external_ip; i++) {
		if (!c->external_ip[i].has_private ||
		    config_addr_in(&c->external_ip[i].private_ip, relays, n))
			continue;
		config_err_add(e, NULL, "external-ip", "PRIVATE address %s is "
		    "not a relay address (relay-ip, or listening-ip when "
		    "relay-ip is unset)", addr_ip_str(
		    &c->external_ip[i].private_ip, buf, sizeof(buf)));
	}
	if (c->min_port > c->max_port)
		config_err_add(e, NULL, "min-port", "%u is more than max-port "
		    "(%u)", (unsigned)c->min_port, (unsigned)c->max_port);
}

static void
config_check_turn(const struct config *c, struct config_err *e)
{
	char buf[POLICY_RANGE_STRLEN];
	size_t i;

	/* coturn's use-auth-secret with redis-userdb: the secrets are the
	 * Redis set turn/realm/<realm>/secret (auth/auth_schema.h) */
	if (c->use_auth_secret && c->n_static_auth_secret == 0 &&
	    c->redis_userdb == NULL)
		config_err_add(e, NULL, "use-auth-secret", "is set but no "
		    "static-auth-secret, static-auth-secret-file or redis-userdb "
		    "gives a secret");
	if (c->redis_password_file != NULL && c->redis_userdb == NULL)
		config_err_add(e, NULL, "redis-password-file", "is set but "
		    "redis-userdb is not");
	for (i = 0; i < c->n_allowed_peer_ip; i++)
		if (policy_range_is_wide(&c->allowed_peer_ip[i]))
			config_warn_add(e, "allowed-peer-ip", "%s is wider than "
			    "/8 (IPv4) or /16 (IPv6): check that the relay "
			    "should reach all of it",
			    policy_range_str(&c->allowed_peer_ip[i], buf,
			    sizeof(buf)));
	if (c->allow_loopback_peers)
		config_warn_add(e, "allow-loopback-peers", "peers on loopback "
		    "are allowed; use this for testing only");
	if (c->permission_lifetime != CONFIG_PERMISSION_LIFETIME)
		config_warn_add(e, "permission-lifetime", "%u is not the 300 s "
		    "RFC 8656 §9 fixes; use this for testing only",
		    c->permission_lifetime);
	if (c->channel_lifetime != CONFIG_CHANNEL_LIFETIME)
		config_warn_add(e, "channel-lifetime", "%u is not the 600 s "
		    "RFC 8656 §12 fixes; use this for testing only",
		    c->channel_lifetime);
}

int
config_check(const struct config *c, char *err, size_t errcap)
{
	struct config_err e;

	config_err_init(&e, err, errcap);
	config_check_listeners(c, &e);
	config_check_process(c, &e);
	config_check_relays(c, &e);
	config_check_turn(c, &e);
	config_coturn_warn(c, &e);
	return e.count == 0 ? 0 : -1;
}

/* The options behind CONFIG_SECRET_* bits, as "a, b" into out. */
static const char *
config_secret_names(unsigned bits, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ CONFIG_SECRET_REST, "static-auth-secret" },
		{ CONFIG_SECRET_USER, "user" },
		{ CONFIG_SECRET_REDIS, "redis-userdb" },
	};
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((bits & names[i].bit) == 0 || used >= cap)
			continue;
		n = snprintf(out + used, cap - used, "%s%s", used > 0 ?
		    ", " : "", names[i].name);
		if (n > 0)
			used += (size_t)n;
	}
	return out;
}

/* Where each inline secret should go instead. */
static const char *
config_secret_advice(unsigned bits)
{
	if (bits == CONFIG_SECRET_REST)
		return "static-auth-secret-file";
	if (bits == CONFIG_SECRET_REDIS)
		return "redis-password-file";
	return "static-auth-secret-file, redis-password-file or Redis for "
	    "users";
}

static void
config_warn_secrets(const struct config *c, const struct config_facts *f,
    struct config_err *e)
{
	char names[96], echo[LOG_ESCAPE_CAP];

	if (c->secrets_in_file != 0 && f->file != NULL && f->file_known &&
	    (f->file_mode & 044) != 0)
		config_warn_add(e, config_secret_names(c->secrets_in_file,
		    names, sizeof(names)), "written in %s, which its group or "
		    "every user can read; make it mode 0600 (or 0400), or move "
		    "the secret to %s", config_echo(echo, sizeof(echo),
		    f->file), config_secret_advice(c->secrets_in_file));
	if (c->secrets_in_args != 0)
		config_warn_add(e, config_secret_names(c->secrets_in_args,
		    names, sizeof(names)), "given on the command line, which "
		    "ps and /proc/PID/cmdline show to every local user; use %s",
		    config_secret_advice(c->secrets_in_args));
}

static bool
config_is_loopback(const char *ip)
{
	struct addr a;
	const uint8_t *b;

	if (addr_parse_ip(&a, ip, 0) == -1)
		return false;
	if (addr_family(&a) == AF_INET)
		return (ntohl(a.u.sin.sin_addr.s_addr) >> 24) == 127;
	b = a.u.sin6.sin6_addr.s6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&a.u.sin6.sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a.u.sin6.sin6_addr) && b[12] == 127;
}

int
config_warnings(const struct config *c, const struct config_facts *f,
    char *out, size_t cap)
{
	char echo[LOG_ESCAPE_CAP];
	struct config_err e;

	config_err_init(&e, out, cap);
	config_warn_secrets(c, f, &e);
	if (f->euid == 0 && c->proc_user == NULL)
		config_warn_add(&e, "proc-user", "ternd runs as root and "
		    "proc-user is not set, so it keeps root's rights after "
		    "start-up; set proc-user (docs/security.md, Privilege "
		    "drop)");
	if (c->prometheus && c->prometheus_token_file == NULL &&
	    !config_is_loopback(c->prometheus_address))
		config_warn_add(&e, "prometheus-address", "%s is not a "
		    "loopback address and no prometheus-token-file is set: "
		    "whoever reaches it reads the metrics; set "
		    "prometheus-token-file or keep the endpoint on loopback",
		    config_echo(echo, sizeof(echo), c->prometheus_address));
	return (int)e.warnings;
}
