/* SPDX-License-Identifier: ISC */
/*
 * config_check: the checks that span options, run once everything is
 * parsed (file and command line). Errors fail the check; warnings are
 * written to the same buffer, prefixed "warning: ", and do not.
 */
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

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

	if (c->use_auth_secret && c->n_static_auth_secret == 0)
		config_err_add(e, NULL, "use-auth-secret", "is set but no "
		    "static-auth-secret is given");
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
	return e.count == 0 ? 0 : -1;
}
