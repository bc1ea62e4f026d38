/* SPDX-License-Identifier: ISC */
/* test_config_options: the options of each area (authentication, TURN,
 * metrics and drain, peer ranges), the cross-option checks of
 * config_check() and the start-up warnings of config_warnings(); the
 * parser itself is tested by test_config_parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_tests.h"
#include "tap.h"
#include "auth/auth.h"
#include "config/config.h"

static void
check_err(const char *text, const char *want)
{
	struct config *c;
	int rv;

	c = parse(text, &rv);
	rv = rv == 0 ? config_check(c, err, sizeof(err)) : 99;
	if (!ok(rv == -1 && strcmp(err, want) == 0, "check: %s", oneline(want)))
		printf("#   got rv %d: %s", rv, err);
	config_free(c);
}

static void
test_check(void)
{
	struct config *c;
	int rv;

	check_err("cert = /c.pem\n",
	    "cert: is set but pkey is not; TLS needs both\n");
	check_err("pkey = /k.pem\n",
	    "pkey: is set but cert is not; TLS needs both\n");
	check_err("no-udp\nno-tcp\n", "no-udp: with no-tcp and no TLS "
	    "listener, ternd would listen nowhere\n");
	check_err("cert /c\npkey /k\ntls-listening-port 3478\n",
	    "tls-listening-port: 3478 is also listening-port; TCP and TLS need "
	    "different ports\n");
	check_err("max-connections 10\n",
	    "max-connections-per-ip: 64 is more than max-connections (10)\n");
	check_err("syslog\nlog-file /x\n",
	    "log-file: cannot be used together with syslog\n");
	check_err("proc-group nogroup\n",
	    "proc-group: is set but proc-user is not\n");
	check_err("cert /c\nsyslog\nlog-file /x\nmax-connections 1\n",
	    "cert: is set but pkey is not; TLS needs both\n"
	    "max-connections-per-ip: 64 is more than max-connections (1)\n"
	    "log-file: cannot be used together with syslog\n");

	c = parse("cert /c\npkey /k\nno-udp\nno-tcp\n", &rv);
	ok(rv == 0 && config_check(c, err, sizeof(err)) == 0,
	    "TLS only is a valid set-up");
	config_free(c);
}

static void
test_auth_options(void)
{
	struct auth_creds *creds;
	char text[1200];
	struct config *c;
	int rv, i, n;

	c = parse("realm = example.org\nuser = alice:pw one\n"
	    "user \"bob:0x00112233445566778899aabbccddeeff\"\n"
	    "user = c:a:b\nstatic-auth-secret = s2\nstatic-auth-secret s1\n"
	    "use-auth-secret\nrest-api-separator = \"#\"\n"
	    "max-credential-ttl = 12h\nstale-nonce = 30s\n", &rv);
	ok(rv == 0, "auth options parse");
	is_str(c->realm, "example.org", "realm");
	ok(c->n_user == 3 && strcmp(c->user[0], "alice:pw one") == 0 &&
	    strcmp(c->user[2], "c:a:b") == 0, "users kept in order, verbatim");
	ok(c->n_static_auth_secret == 2 &&
	    strcmp(c->static_auth_secret[0], "s2") == 0 &&
	    strcmp(c->static_auth_secret[1], "s1") == 0, "secrets in order");
	ok(c->use_auth_secret && c->rest_api_separator == '#',
	    "use-auth-secret, separator #");
	ok(c->max_credential_ttl == 43200 && c->stale_nonce == 30,
	    "max-credential-ttl, stale-nonce");
	is_int(config_check(c, err, sizeof(err)), 0, "auth set-up passes");
	creds = auth_creds_new(c->realm, strlen(c->realm), c->rest_api_separator,
	    c->max_credential_ttl, 0);
	for (i = n = 0; creds != NULL && (size_t)i < c->n_user; i++)
		n += auth_creds_add_user(creds, c->user[i], strlen(c->user[i])) == 0;
	ok(creds != NULL && n == 3, "auth_creds accepts the realm, separator "
	    "and every user");
	auth_creds_free(creds);
	config_free(c);

	parse_err("user = alice\n", "t.conf:1: user: value is not "
	    "name:password or name:0x<32 hex digits>\n");
	parse_err("user = :hunter2\n", "t.conf:1: user: the user name is "
	    "empty\n");
	parse_err("user = alice:\n", "t.conf:1: user: the password is empty\n");
	parse_err("user = alice:0xhunter2\n", "t.conf:1: user: the key after "
	    "0x is not 32 hex digits (an MD5 key; write a password that "
	    "starts with 0x in another form)\n");
	parse_err("user = a:0x00112233445566778899aabbccddeeff0\n", "t.conf:1: "
	    "user: the key after 0x is not 32 hex digits (an MD5 key; write "
	    "a password that starts with 0x in another form)\n");
	parse_err("user = alice:hunter2\nuser = alice:other\n", "t.conf:2: "
	    "user: a user of this name is already listed\n");
	parse_err("user = \"alice:hun\tter2\"\n", "t.conf:1: user: value holds "
	    "control characters or is not valid UTF-8\n");
	n = snprintf(text, sizeof(text), "user = ");
	for (i = 0; i < 256; i++)
		text[n++] = 'n';
	snprintf(text + n, sizeof(text) - (size_t)n, ":hunter2\n");
	parse_err(text, "t.conf:1: user: the user name is longer than 255 "
	    "bytes\n");
	text[7 + 1] = ':';	/* name of 1 byte, password of 254 + 8 */
	c = parse(text, &rv);
	ok(rv == 0 && c->n_user == 1, "long password accepted");
	config_free(c);

	n = snprintf(text, sizeof(text), "static-auth-secret = ");
	for (i = 0; i < 257; i++)
		text[n++] = 's';
	text[n] = '\0';
	parse_err(text, "t.conf:1: static-auth-secret: value is not 1 to 256 "
	    "bytes long\n");
	parse_err("static-auth-secret = hunter2\nstatic-auth-secret hunter2\n",
	    "t.conf:2: static-auth-secret: value is listed twice\n");
	for (i = n = 0; i < 17; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "static-auth-secret = secret%d\n", i);
	parse_err(text, "t.conf:17: static-auth-secret: more than 16 entries\n");
	ok(strstr(err, "hunter2") == NULL, "secret values never echoed");

	n = snprintf(text, sizeof(text), "realm = ");
	for (i = 0; i < 64; i++)	/* 64 characters, 128 bytes */
		n += snprintf(text + n, sizeof(text) - (size_t)n, "\xc3\xa9");
	parse_err(text, "t.conf:1: realm: value is longer than 127 bytes (RFC "
	    "8489 §14.9)\n");
	parse_err("rest-api-separator = 7\n", "t.conf:1: rest-api-separator: "
	    "7 is not one printable character other than a digit or a space\n");
	parse_err("rest-api-separator = ::\n", "t.conf:1: rest-api-separator: "
	    ":: is not one printable character other than a digit or a space\n");
	parse_err("rest-api-separator = \" \"\n", "t.conf:1: rest-api-separator: "
	    "\" \" is not one printable character other than a digit or a "
	    "space\n");
	parse_err("stale-nonce = 29\n", "t.conf:1: stale-nonce: 29 is out of "
	    "range 30..86400 seconds\n");
	parse_err("max-credential-ttl = 31d\n", "t.conf:1: max-credential-ttl: "
	    "31d is out of range 60..2592000 seconds\n");
}

static void
test_turn_options(void)
{
	struct config *c;
	char buf[ADDR_STRLEN];
	int rv;

	c = parse("max-allocate-lifetime = 1h\nchannel-lifetime 10m\n"
	    "permission-lifetime 5m\nrelay-ip 192.0.2.1\nrelay-ip ::1\n"
	    "external-ip = 203.0.113.1/192.0.2.1\nexternal-ip 2001:db8::9\n"
	    "min-port 1024\nmax-port 1024\nuser-quota 0\n"
	    "max-allocations-per-ip 3\ntotal-quota 0\n", &rv);
	ok(rv == 0, "TURN options parse");
	ok(c->max_allocate_lifetime == 3600 && c->channel_lifetime == 600 &&
	    c->permission_lifetime == 300, "lifetimes");
	ok(c->n_relay_ip == 2 && addr_family(&c->relay_ip[1]) == AF_INET6,
	    "relay-ip list");
	ok(c->n_external_ip == 2 && c->external_ip[0].has_private &&
	    !c->external_ip[1].has_private, "external-ip pair and bare");
	is_str(addr_ip_str(&c->external_ip[0].public_ip, buf, sizeof(buf)),
	    "203.0.113.1", "external-ip PUBLIC");
	is_str(addr_ip_str(&c->external_ip[0].private_ip, buf, sizeof(buf)),
	    "192.0.2.1", "external-ip PRIVATE");
	ok(c->min_port == 1024 && c->max_port == 1024, "one relay port");
	ok(c->user_quota == 0 && c->max_allocations_per_ip == 3 &&
	    c->total_quota == 0, "quotas, 0 = unlimited");
	is_int(config_check(c, err, sizeof(err)), 0, "TURN set-up passes");
	config_free(c);

	parse_err("min-port = 1023\n", "t.conf:1: min-port: 1023 is out of "
	    "range 1024..65535\n");
	parse_err("max-allocate-lifetime = 599\n", "t.conf:1: "
	    "max-allocate-lifetime: 599 is out of range 600..86400 seconds\n");
	parse_err("permission-lifetime = 0\n", "t.conf:1: permission-lifetime: "
	    "0 is out of range 1..3600 seconds\n");
	parse_err("total-quota = 16777217\n", "t.conf:1: total-quota: "
	    "16777217 is out of range 0..16777216\n");
	parse_err("external-ip = 203.0.113.1/::1\n", "t.conf:1: external-ip: "
	    "203.0.113.1/::1 mixes IPv4 and IPv6\n");
	parse_err("external-ip = turn.example.org\n", "t.conf:1: external-ip: "
	    "turn.example.org is not PUBLIC or PUBLIC/PRIVATE (IP addresses)\n");
	parse_err("external-ip = 1.2.3.4/5.6.7.8/9.9.9.9\n", "t.conf:1: "
	    "external-ip: 1.2.3.4/5.6.7.8/9.9.9.9 is not PUBLIC or "
	    "PUBLIC/PRIVATE (IP addresses)\n");
	parse_err("external-ip = 0.0.0.0\n", "t.conf:1: external-ip: 0.0.0.0 "
	    "holds a wildcard address\n");
	parse_err("external-ip = 1.2.3.4/\n", "t.conf:1: external-ip: "
	    "1.2.3.4/ is not PUBLIC or PUBLIC/PRIVATE (IP addresses)\n");
	parse_err("external-ip 1.2.3.4\nexternal-ip 2001:db8::1\n"
	    "external-ip 1.2.3.5\n", "t.conf:3: external-ip: 1.2.3.5 is a "
	    "second PUBLIC-only address of its family\n");
	parse_err("external-ip 1.2.3.4/10.0.0.1\nexternal-ip 1.2.3.5/10.0.0.1\n",
	    "t.conf:2: external-ip: 1.2.3.5/10.0.0.1 names a PRIVATE address "
	    "already listed\n");
}

/* The metrics endpoint and the drain (SIGUSR1). */
static void
test_metrics_options(void)
{
	static const char bad_alt[] = "not an IP address with an optional "
	    "port (192.0.2.1:3478, [2001:db8::1]:3478)\n";
	char want[256];
	struct config *c;
	int rv;

	c = parse("", &rv);
	ok(rv == 0 && !c->prometheus && c->prometheus_port == 9641 &&
	    strcmp(c->prometheus_address, "127.0.0.1") == 0 &&
	    c->prometheus_token_file == NULL && c->n_alternate_server == 0 &&
	    c->drain_timeout == 3600, "metrics and drain defaults");
	config_free(c);
	c = parse("prometheus\nprometheus-address = ::1\nprometheus-port 9100\n"
	    "prometheus-token-file /etc/tern/token\n"
	    "alternate-server = 192.0.2.20\n"
	    "alternate-server = 192.0.2.21:3479\n"
	    "alternate-server = [2001:db8::20]:3478\n"
	    "alternate-server = 2001:db8::21\ndrain-timeout = 2m\n", &rv);
	ok(rv == 0 && c->prometheus && c->prometheus_port == 9100 &&
	    strcmp(c->prometheus_address, "::1") == 0 &&
	    c->n_alternate_server == 4 && c->drain_timeout == 120,
	    "metrics and drain options parse");
	if (rv == 0)
		is_str(c->alternate_server[2], "[2001:db8::20]:3478",
		    "alternate-server kept as written");
	config_free(c);
	parse_err("prometheus-address = localhost\n", "t.conf:1: "
	    "prometheus-address: not an IP address\n");
	snprintf(want, sizeof(want), "t.conf:1: alternate-server: %s", bad_alt);
	parse_err("alternate-server = turn2.example.org\n", want);
	parse_err("alternate-server = 192.0.2.1:70000\n", want);
	parse_err("alternate-server = [2001:db8::1]:x\n", want);
	parse_err("drain-timeout = 0\n", "t.conf:1: drain-timeout: 0 is out of "
	    "range 1..604800 seconds\n");
}

static void
test_peer_ranges(void)
{
	char text[40000], buf[POLICY_RANGE_STRLEN];
	struct config *c;
	int rv, i, n;

	c = parse("allowed-peer-ip = 10.20.0.0/16\n"
	    "allowed-peer-ip = 10.0.0.1-10.0.0.9\ndenied-peer-ip 2001:db8::/32\n"
	    "denied-peer-ip = 198.51.100.7\nallow-multicast-peers\n", &rv);
	ok(rv == 0 && c->n_allowed_peer_ip == 2 && c->n_denied_peer_ip == 2,
	    "ranges parse");
	is_str(policy_range_str(&c->allowed_peer_ip[1], buf, sizeof(buf)),
	    "10.0.0.1-10.0.0.9", "a-b range kept");
	ok(c->denied_peer_ip[0].family == AF_INET6 &&
	    c->denied_peer_ip[1].family == AF_INET, "families");
	ok(c->allow_multicast_peers && !c->allow_loopback_peers, "flags");
	is_int(config_check(c, err, sizeof(err)), 0, "ranges pass the check");
	is_str(err, "", "narrow rules: no warning");
	config_free(c);

	parse_err("allowed-peer-ip = 10.1.2.3/8\n", "t.conf:1: allowed-peer-ip: "
	    "10.1.2.3/8 is not an address range (CIDR or a-b): host bits set "
	    "after the prefix length\n");
	parse_err("denied-peer-ip = 10.0.0.9-10.0.0.1\n", "t.conf:1: "
	    "denied-peer-ip: 10.0.0.9-10.0.0.1 is not an address range (CIDR or "
	    "a-b): a-b range ends before it starts\n");
	parse_err("denied-peer-ip = example.com\n", "t.conf:1: denied-peer-ip: "
	    "example.com is not an address range (CIDR or a-b): bad IP "
	    "address\n");
	parse_err("allowed-peer-ip 10.0.0.0/8\nallowed-peer-ip 10.0.0.0/8\n",
	    "t.conf:2: allowed-peer-ip: 10.0.0.0/8 is listed twice\n");
	for (i = n = 0; i <= CONFIG_MAX_RULES; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "denied-peer-ip 10.%d.%d.0/24\n", i / 256, i % 256);
	parse_err(text, "t.conf:1025: denied-peer-ip: more than 1024 ranges\n");
}

static void
test_turn_check(void)
{
	struct config *c;
	int rv;

	check_err("use-auth-secret\n",
	    "use-auth-secret: is set but no static-auth-secret, "
	    "static-auth-secret-file or redis-userdb gives a secret\n");
	c = parse("use-auth-secret\nredis-userdb = \"ip=127.0.0.1 dbname=0 "
	    "port=6379 connect_timeout=30\"\n", &rv);
	ok(rv == 0 && config_check(c, err, sizeof(err)) == 0,
	    "use-auth-secret with redis-userdb: the secrets are in Redis");
	config_free(c);
	check_err("min-port 60000\nmax-port 50000\n",
	    "min-port: 60000 is more than max-port (50000)\n");
	check_err("relay-ip 0.0.0.0\n", "relay-ip: 0.0.0.0 is a wildcard; give "
	    "the address the relay sockets bind to\n");
	check_err("relay-ip 192.0.2.1\nexternal-ip 203.0.113.1/192.0.2.2\n",
	    "external-ip: PRIVATE address 192.0.2.2 is not a relay address "
	    "(relay-ip, or listening-ip when relay-ip is unset)\n");
	check_err("listening-ip 192.0.2.1\nexternal-ip 203.0.113.1/192.0.2.2\n",
	    "external-ip: PRIVATE address 192.0.2.2 is not a relay address "
	    "(relay-ip, or listening-ip when relay-ip is unset)\n");
	check_err("use-auth-secret\nallowed-peer-ip 10.0.0.0/7\n",
	    "use-auth-secret: is set but no static-auth-secret, "
	    "static-auth-secret-file or redis-userdb gives a secret\n"
	    "warning: allowed-peer-ip: 10.0.0.0/7 is wider than /8 (IPv4) or "
	    "/16 (IPv6): check that the relay should reach all of it\n");

	/* unknowable: relays on every local address */
	c = parse("listening-ip ::\nexternal-ip 203.0.113.1/192.0.2.2\n", &rv);
	ok(rv == 0 && config_check(c, err, sizeof(err)) == 0,
	    "PRIVATE not checked against a wildcard listener");
	config_free(c);

	c = parse("allowed-peer-ip 10.0.0.0/7\nallowed-peer-ip fd00::/15\n"
	    "allowed-peer-ip 10.0.0.0/8\nallow-loopback-peers\n"
	    "permission-lifetime 5\nchannel-lifetime 7\n", &rv);
	is_int(rv == 0 ? config_check(c, err, sizeof(err)) : 99, 0,
	    "warnings do not fail the check");
	is_str(err, "warning: allowed-peer-ip: 10.0.0.0/7 is wider than /8 "
	    "(IPv4) or /16 (IPv6): check that the relay should reach all of "
	    "it\n"
	    "warning: allowed-peer-ip: fd00::/15 is wider than /8 (IPv4) or "
	    "/16 (IPv6): check that the relay should reach all of it\n"
	    "warning: allow-loopback-peers: peers on loopback are allowed; use "
	    "this for testing only\n"
	    "warning: permission-lifetime: 5 is not the 300 s RFC 8656 §9 "
	    "fixes; use this for testing only\n"
	    "warning: channel-lifetime: 7 is not the 600 s RFC 8656 §12 fixes; "
	    "use this for testing only\n", "one warning line each");
	config_free(c);
}

/* config_warnings() on text parsed as t.conf with mode `mode`, started
 * as euid; the warnings' text in err. */
static int
warnings(const char *text, const char *arg, unsigned mode,
    unsigned long euid)
{
	struct config_facts f = { .file = "/etc/tern/ternd.conf",
	    .file_known = true, .file_mode = mode, .euid = euid };
	struct config *c;
	int rv, n;

	c = parse(text, &rv);
	if (rv == 0 && arg != NULL)
		rv = config_set_arg(c, arg, err, sizeof(err));
	n = rv == 0 ? config_warnings(c, &f, err, sizeof(err)) : -1;
	config_free(c);
	return n;
}

/* docs/security.md, Hardening: the start-up warnings. */
static void
test_warnings(void)
{
	is_int(warnings("static-auth-secret = s3cr3t-value\n", NULL, 0600,
	    1000), 0, "a 0600 config with an inline secret: no warning");
	is_str(err, "", "and no text");
	is_int(warnings("static-auth-secret = s3cr3t-value\n", NULL, 0644,
	    1000), 1, "a 0644 config with an inline secret: one warning");
	is_str(err, "warning: static-auth-secret: written in "
	    "/etc/tern/ternd.conf, which its group or every user can read; "
	    "make it mode 0600 (or 0400), or move the secret to "
	    "static-auth-secret-file\n", "it names the option and the file");
	ok(strstr(err, "s3cr3t") == NULL, "never the secret");
	is_int(warnings("user = alice:pw\nredis-userdb = \"ip=127.0.0.1 "
	    "password=pw\"\n", NULL, 0640, 1000), 1,
	    "a group-readable config with a user and a Redis password");
	ok(strncmp(err, "warning: user, redis-userdb: written in", 39) == 0,
	    "one warning names both");
	is_int(warnings("redis-userdb = \"ip=127.0.0.1 port=6379\"\n"
	    "realm = r\n", NULL, 0644, 1000), 0,
	    "a readable config without a secret: no warning");
	is_int(warnings("", "static-auth-secret=s3cr3t-value", 0600, 1000), 1,
	    "a secret on the command line: one warning");
	ok(strstr(err, "warning: static-auth-secret: given on the command "
	    "line, which ps and /proc/PID/cmdline show") == err,
	    "it says why");

	is_int(warnings("", NULL, 0600, 0), 1, "root without proc-user");
	ok(strncmp(err, "warning: proc-user: ternd runs as root", 38) == 0,
	    "names proc-user");
	is_int(warnings("proc-user = tern\n", NULL, 0600, 0), 0,
	    "root with proc-user: no warning");

	is_int(warnings("prometheus\nprometheus-address = 0.0.0.0\n", NULL,
	    0600, 1000), 1, "metrics on 0.0.0.0 without a token");
	ok(strstr(err, "warning: prometheus-address: 0.0.0.0 is not a "
	    "loopback address and no prometheus-token-file is set") == err,
	    "names the address");
	is_int(warnings("prometheus\nprometheus-address = ::\n", NULL, 0600,
	    1000), 1, "metrics on :: without a token");
	is_int(warnings("prometheus\nprometheus-address = 0.0.0.0\n"
	    "prometheus-token-file = /etc/tern/token\n", NULL, 0600, 1000), 0,
	    "with a token: no warning");
	is_int(warnings("prometheus\nprometheus-address = 127.0.0.2\n", NULL,
	    0600, 1000), 0, "on 127.0.0.2: no warning");
	is_int(warnings("prometheus\nprometheus-address = ::1\n", NULL, 0600,
	    1000), 0, "on ::1: no warning");
	is_int(warnings("prometheus-address = 0.0.0.0\n", NULL, 0600, 1000), 0,
	    "metrics off: no warning");

	is_int(warnings("static-auth-secret = x-secret\nprometheus\n"
	    "prometheus-address = 192.0.2.1\n", NULL, 0604, 0), 3,
	    "three conditions, three warnings");
}

int
main(void)
{
	test_check();
	test_auth_options();
	test_turn_options();
	test_metrics_options();
	test_peer_ranges();
	test_turn_check();
	test_warnings();
	return tap_done();
}
