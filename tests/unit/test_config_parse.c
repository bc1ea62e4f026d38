/* SPDX-License-Identifier: ISC */
/* test_config_parse: value types, file syntax, error messages, command-line
 * precedence, secrets never echoed, loading a file and files of secrets. The options of each
 * area and the cross-option checks are tested by test_config_options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_tests.h"
#include "tap.h"
#include "config/config_int.h"
#include "util/log.h"

static void
test_defaults(void)
{
	struct config *c = config_new();

	ok(c != NULL, "config_new");
	is_int(c->n_listening_ip, 0, "no listening-ip by default");
	is_int(c->listening_port, 3478, "listening-port 3478");
	is_int(c->tls_listening_port, 5349, "tls-listening-port 5349");
	ok(!c->no_udp && !c->no_tcp && !c->no_tls, "all transports on");
	is_int(c->workers, 0, "workers 0");
	ok(c->cert == NULL && c->pkey == NULL, "no cert, no pkey");
	ok(c->cipher_list && strncmp(c->cipher_list,
	    "ECDHE-ECDSA-AES128-GCM-SHA256:", 30) == 0, "cipher-list default");
	ok(c->software_attribute == NULL, "no SOFTWARE by default");
	is_int(c->stream_idle_timeout, 30, "stream-idle-timeout 30");
	is_int(c->tls_handshake_timeout, 10, "tls-handshake-timeout 10");
	is_int(c->max_connections, 10000, "max-connections");
	is_int(c->max_connections_per_ip, 64, "max-connections-per-ip");
	is_int(c->stream_buffer_limit, 256 * 1024, "stream-buffer-limit 256k");
	ok(c->log_file == NULL && !c->syslog, "log to stderr");
	is_int(c->log_level, LOG_LVL_INFO, "log-level info");
	ok(!c->proc_user && !c->proc_group && !c->pidfile, "no user/group/pid");
	is_str(c->realm, "tern", "realm tern");
	ok(c->n_user == 0 && c->user == NULL && c->n_static_auth_secret == 0 &&
	    !c->use_auth_secret, "no users, no secrets");
	ok(c->rest_api_separator == ':', "rest-api-separator :");
	is_int(c->max_credential_ttl, 86400, "max-credential-ttl 86400");
	is_int(c->stale_nonce, 600, "stale-nonce 600");
	is_int(c->max_allocate_lifetime, 3600, "max-allocate-lifetime 3600");
	is_int(c->channel_lifetime, 600, "channel-lifetime 600");
	is_int(c->permission_lifetime, 300, "permission-lifetime 300");
	ok(c->n_relay_ip == 0 && c->n_external_ip == 0, "no relay/external ip");
	ok(c->min_port == 49152 && c->max_port == 65535, "ports 49152-65535");
	ok(c->n_allowed_peer_ip == 0 && c->n_denied_peer_ip == 0 &&
	    !c->allow_loopback_peers && !c->allow_multicast_peers,
	    "no peer rules, no peer flags");
	ok(c->user_quota == 16 && c->max_allocations_per_ip == 256 &&
	    c->total_quota == 16000, "quotas 16/256/16000");
	is_int(config_check(c, err, sizeof(err)), 0, "defaults pass the check");
	is_str(err, "", "defaults: no warning either");
	config_free(c);
	config_free(NULL);
}

static void
test_value_parsers(void)
{
	uint64_t v = 0;
	bool b;

	ok(config_parse_duration("30", &v) == 0 && v == 30, "duration 30");
	ok(config_parse_duration("30s", &v) == 0 && v == 30, "duration 30s");
	ok(config_parse_duration("5m", &v) == 0 && v == 300, "duration 5m");
	ok(config_parse_duration("2h", &v) == 0 && v == 7200, "duration 2h");
	ok(config_parse_duration("1d", &v) == 0 && v == 86400, "duration 1d");
	ok(config_parse_duration("", &v) == -1, "duration empty");
	ok(config_parse_duration("-1", &v) == -1, "duration negative");
	ok(config_parse_duration("+1", &v) == -1, "duration plus sign");
	ok(config_parse_duration(" 1", &v) == -1, "duration leading space");
	ok(config_parse_duration("5x", &v) == -1, "duration bad unit");
	ok(config_parse_duration("5mm", &v) == -1, "duration trailing junk");
	ok(config_parse_duration("m", &v) == -1, "duration unit only");
	ok(config_parse_duration("213503982334602d", &v) == -1,
	    "duration multiply overflow");
	ok(config_parse_duration("99999999999999999999", &v) == -1,
	    "duration strtoull overflow");
	ok(config_parse_size("4096", &v) == 0 && v == 4096, "size 4096");
	ok(config_parse_size("64k", &v) == 0 && v == 65536, "size 64k");
	ok(config_parse_size("1m", &v) == 0 && v == 1048576, "size 1m");
	ok(config_parse_size("1G", &v) == 0 && v == 1073741824, "size 1G");
	ok(config_parse_size("5kb", &v) == -1, "size kb junk");
	ok(config_parse_size("-5k", &v) == -1, "size negative");
	ok(config_parse_size("18014398509481984k", &v) == -1, "size overflow");
	ok(config_parse_size("", &v) == -1, "size empty");
	ok(config_parse_uint("0", &v) == 0 && v == 0, "uint 0");
	ok(config_parse_uint("1x", &v) == -1, "uint junk");
	ok(config_parse_uint("0x10", &v) == -1, "uint hex refused");
	ok(config_parse_bool("on", &b) == 0 && b, "bool on");
	ok(config_parse_bool("0", &b) == 0 && !b, "bool 0");
	ok(config_parse_bool("TRUE", &b) == -1, "bool is case-sensitive");
}

static void
test_types(void)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char text[256];
	struct config *c;
	size_t i;
	int rv;

	c = parse("no-udp\n", &rv);
	ok(rv == 0 && c->no_udp, "bare flag sets true");
	config_free(c);
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "no-tcp = %s\nno-tls %s\n", yes[i],
		    no[i]);
		c = parse(text, &rv);
		ok(rv == 0 && c->no_tcp && !c->no_tls, "bool %s / %s", yes[i],
		    no[i]);
		config_free(c);
	}
	parse_err("no-udp = maybe\n", "t.conf:1: no-udp: maybe is not a boolean "
	    "(true/false, yes/no, on/off, 1/0)\n");

	c = parse("workers = 8\nlistening-port 3479\ntls-listening-port=443\n",
	    &rv);
	ok(rv == 0 && c->workers == 8 && c->listening_port == 3479 &&
	    c->tls_listening_port == 443, "uint and ports");
	config_free(c);
	parse_err("workers = 257\n",
	    "t.conf:1: workers: 257 is out of range 0..256\n");
	parse_err("workers = -1\n", "t.conf:1: workers: -1 is not a number\n");
	parse_err("listening-port = 70000\n",
	    "t.conf:1: listening-port: 70000 is out of range 1..65535\n");
	parse_err("listening-port = 0\n",
	    "t.conf:1: listening-port: 0 is out of range 1..65535\n");
	parse_err("listening-port = 34 78\n",
	    "t.conf:1: listening-port: \"34 78\" is not a port number\n");

	c = parse("stream-idle-timeout = 1h\ntls-handshake-timeout 5m\n", &rv);
	ok(rv == 0 && c->stream_idle_timeout == 3600 &&
	    c->tls_handshake_timeout == 300, "durations with units");
	config_free(c);
	parse_err("stream-idle-timeout = 2h\n", "t.conf:1: stream-idle-timeout: "
	    "2h is out of range 1..3600 seconds\n");
	parse_err("tls-handshake-timeout = 0s\n", "t.conf:1: tls-handshake-timeout: "
	    "0s is out of range 1..300 seconds\n");
	parse_err("stream-idle-timeout = 10y\n", "t.conf:1: stream-idle-timeout: "
	    "10y is not a duration (e.g. 30, 30s, 5m, 2h, 1d)\n");

	c = parse("stream-buffer-limit = 1m\n", &rv);
	ok(rv == 0 && c->stream_buffer_limit == 1048576, "size 1m");
	config_free(c);
	c = parse("stream-buffer-limit = 65556\n", &rv);
	ok(rv == 0 && c->stream_buffer_limit == 65556, "size at minimum");
	config_free(c);
	parse_err("stream-buffer-limit = 64k\n", "t.conf:1: stream-buffer-limit: "
	    "64k is out of range 65556..67108864 bytes\n");
	parse_err("stream-buffer-limit = 1q\n", "t.conf:1: stream-buffer-limit: "
	    "1q is not a size (e.g. 4096, 64k, 1m)\n");

	c = parse("log-level = debug\n", &rv);
	ok(rv == 0 && c->log_level == LOG_LVL_DEBUG, "log-level debug");
	config_free(c);
	parse_err("log-level = loud\n", "t.conf:1: log-level: loud is not one "
	    "of error, warn, info, debug\n");
}

static void
test_strings_addrs(void)
{
	char text[1024];
	struct config *c;
	int rv, i, n;

	c = parse("software-attribute = tern 1.0\ncert /a/b.pem\n"
	    "pkey=\"/a/k ey.pem\"\n", &rv);
	ok(rv == 0 && c->software_attribute &&
	    strcmp(c->software_attribute, "tern 1.0") == 0, "unquoted text "
	    "with a space");
	ok(c->cert && strcmp(c->cert, "/a/b.pem") == 0, "path");
	ok(c->pkey && strcmp(c->pkey, "/a/k ey.pem") == 0, "quoted path");
	config_free(c);

	/* 127 two-byte characters: 254 bytes but within 127 characters */
	n = snprintf(text, sizeof(text), "software-attribute = ");
	for (i = 0; i < 127; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "\xc3\xa9");
	snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	c = parse(text, &rv);
	ok(rv == 0 && c->software_attribute &&
	    strlen(c->software_attribute) == 254, "127 characters allowed");
	config_free(c);
	n = snprintf(text, sizeof(text), "software-attribute = ");
	for (i = 0; i < 128; i++)
		text[n++] = 'x';
	text[n] = '\0';
	parse_err(text, "t.conf:1: software-attribute: value is longer than "
	    "127 characters\n");
	parse_err("software-attribute = \"a\tb\"\n", "t.conf:1: software-attribute: "
	    "value holds control characters or is not valid UTF-8\n");
	parse_err("software-attribute = \xff\n", "t.conf:1: software-attribute: "
	    "value holds control characters or is not valid UTF-8\n");

	c = parse("listening-ip 127.0.0.1\nlistening-ip = ::1\n", &rv);
	ok(rv == 0 && c->n_listening_ip == 2, "two listening-ip");
	ok(addr_family(&c->listening_ip[0]) == AF_INET &&
	    addr_family(&c->listening_ip[1]) == AF_INET6 &&
	    addr_port(&c->listening_ip[0]) == 0, "families, port 0");
	config_free(c);
	parse_err("listening-ip = example.com\n",
	    "t.conf:1: listening-ip: example.com is not an IP address\n");
	parse_err("listening-ip = 10.0.0.1:3478\n",
	    "t.conf:1: listening-ip: 10.0.0.1:3478 is not an IP address\n");
	parse_err("listening-ip 10.0.0.1\nlistening-ip 10.0.0.1\n",
	    "t.conf:2: listening-ip: 10.0.0.1 is listed twice\n");
	n = 0;
	for (i = 0; i <= CONFIG_MAX_ADDRS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "listening-ip 10.0.0.%d\n", i + 1);
	parse_err(text, "t.conf:33: listening-ip: more than 32 addresses\n");
}

static void
test_syntax(void)
{
	struct config *c;
	char *big;
	int rv;

	c = parse("# comment\n\n   \t\n  listening-port\t=\t3479   # port\r\n"
	    "\tno-udp # flag with comment\r\n"
	    "software-attribute = \"a # not a comment \\\"q\\\" \\\\\"  # c\n"
	    "workers=3#c\n"
	    "log-level debug", &rv);
	ok(rv == 0, "mixed syntax parses");
	is_int(c->listening_port, 3479, "key = value with tabs, comment, CRLF");
	ok(c->no_udp, "bare flag with comment and CRLF");
	is_str(c->software_attribute, "a # not a comment \"q\" \\",
	    "quoted value keeps #, escapes undone");
	is_int(c->workers, 3, "key=value#comment");
	is_int(c->log_level, LOG_LVL_DEBUG, "last line without newline");
	config_free(c);

	c = parse("listening-port 1000\nlistening-port 2000\n", &rv);
	ok(rv == 0 && c->listening_port == 2000, "repeated option: last wins");
	config_free(c);

	parse_err("software-attribute = \"abc\n",
	    "t.conf:1: software-attribute: unterminated quote\n");
	parse_err("software-attribute = \"abc\" def\n", "t.conf:1: "
	    "software-attribute: unexpected text after the closing quote\n");
	parse_err("no-udp =\n", "t.conf:1: no-udp: empty value\n");
	parse_err("listening-port\n", "t.conf:1: listening-port: needs a value\n");
	parse_err("--listening-port = 1\n",
	    "t.conf:1: --listening-port: write the key without \"--\"\n");
	parse_err("frobnicate = 1\n", "t.conf:1: frobnicate: unknown option\n");
	parse_err("fr\x1b[2Jb\n", "t.conf:1: \"fr\\x1b[2Jb\": unknown option\n");

	big = malloc(CONFIG_LINE_MAX + 64);
	memcpy(big, "\n\n", 2);
	memset(big + 2, 'a', CONFIG_LINE_MAX + 1);
	memcpy(big + 2 + CONFIG_LINE_MAX + 1, "\nno-udp\n", 9);
	c = parse(big, &rv);
	ok(rv == -1 && strcmp(err,
	    "t.conf:3: line is longer than 4096 bytes\n") == 0 && c->no_udp,
	    "over-long line named, parsing goes on");
	free(big);
	config_free(c);

	c = config_new();
	rv = config_parse_text(c, "t.conf", "no-udp\0x\nno-tcp\n", 15, err,
	    sizeof(err));
	ok(rv == -1 && strcmp(err, "t.conf:1: line holds a NUL byte\n") == 0 &&
	    c->no_tcp, "NUL byte reported");
	config_free(c);
}

static void
test_dropped(void)
{
	static const char *const cases[][2] = {
		{ "cli-password = x", "ternd has no telnet CLI (CVE-2018-4059); use ternctl" },
		{ "cli-port 5766", "ternd has no telnet CLI (CVE-2018-4059); use ternctl" },
		{ "web-admin-port 8080", "ternd has no web admin; use ternctl and the metrics endpoint" },
		{ "no-auth", "ternd never runs an open relay" },
		{ "secure-stun", "Binding is never authenticated (RFC 8489 §12)" },
		{ "no-tlsv1_2", "ternd offers TLS 1.2 (ECDHE with AEAD suites) and 1.3 and cannot turn 1.2 off" },
		{ "server-relay", "ternd never relays without a permission (RFC 8656 §9)" },
		{ "allocation-default-address-family = ipv6", "ternd follows RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY the relay is IPv4" },
		{ "log-file = syslog", "coturn's name for the system log: write syslog instead" },
		{ "userdb /var/db/turndb", "ternd reads users and REST secrets from Redis (redis-userdb) or this file only; README.md, Coming from coturn" },
	};
	char want[256], key[64];
	struct config *c = config_new();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(key, sizeof(key), "%s", cases[i][0]);
		key[strcspn(key, " =")] = '\0';
		snprintf(want, sizeof(want), "t.conf:1: %s: %s\n", key,
		    cases[i][1]);
		parse_err(cases[i][0], want);
	}
	is_int(config_set_arg(c, "no-auth", err, sizeof(err)), -1,
	    "dropped option on the command line");
	is_str(err, "command line: no-auth: ternd never runs an open relay\n",
	    "command-line dropped message");
	config_free(c);
}

/* coturn options ternd does anyway: accepted, one warning each from
 * config_check() at the first line that set it. */
static void
test_coturn_ignored(void)
{
	struct config *c;
	int rv;

	c = parse("fingerprint\nlt-cred-mech\nno-tlsv1\nfingerprint\n"
	    "no-cli\nverbose\nno-multicast-peers\nsimple-log\n"
	    "allocation-default-address-family = ipv4\nno-tlsv1_1 = t\n", &rv);
	is_int(rv, 0, "ignored coturn options parse");
	is_int(config_check(c, err, sizeof(err)), 0, "and pass the check");
	is_str(err,
	    "warning: fingerprint: ignored (t.conf:1): ternd adds FINGERPRINT "
	    "to every answer whose request carried one (RFC 8489 §14.7)\n"
	    "warning: lt-cred-mech: ignored (t.conf:2): ternd always uses "
	    "long-term credentials (RFC 8489 §9.2)\n"
	    "warning: no-tlsv1: ignored (t.conf:3): ternd never offers TLS "
	    "below 1.2\n"
	    "warning: no-cli: ignored (t.conf:5): ternd has no telnet CLI\n"
	    "warning: verbose: ignored (t.conf:6): ternd logs at log-level "
	    "(info by default); set log-level = debug for more\n"
	    "warning: no-multicast-peers: ignored (t.conf:7): ternd denies "
	    "multicast peers unless allow-multicast-peers is set\n"
	    "warning: simple-log: ignored (t.conf:8): ternd never renames its "
	    "log file; rotate it and send SIGHUP\n"
	    "warning: allocation-default-address-family: ignored (t.conf:9): "
	    "IPv4 is what RFC 8656 §7.2 and ternd use by default\n"
	    "warning: no-tlsv1_1: ignored (t.conf:10): ternd never offers TLS "
	    "below 1.2\n", "one warning each, at its first line, saying why");
	config_free(c);

	c = parse("log-file = /var/log/x.log\nlog-file = stdout\n"
	    "cipher-list = AES128-SHA\ncipher-list = \"DEFAULT\"\n"
	    "stale-nonce = 60\nstale-nonce\n", &rv);
	ok(rv == 0 && c->log_file == NULL && c->stale_nonce == 600 &&
	    strncmp(c->cipher_list, "ECDHE-ECDSA-AES128-GCM-SHA256:", 30) == 0,
	    "coturn's stdout, DEFAULT and bare stale-nonce mean ternd's "
	    "defaults");
	is_int(config_check(c, err, sizeof(err)), 0, "they pass the check");
	ok(strstr(err, "warning: log-file: ternd's default is used (t.conf:2): "
	    "coturn's name for standard output") != NULL &&
	    strstr(err, "warning: cipher-list: ternd's default is used "
	    "(t.conf:4)") != NULL && strstr(err, "warning: stale-nonce: "
	    "ternd's default is used (t.conf:6)") != NULL,
	    "each with its warning");
	config_free(c);
	ok(config_dropped_find("log-file") == NULL &&
	    config_dropped_find("stale-nonce") == NULL &&
	    config_dropped_find("allocation-default-address-family") != NULL,
	    "rows about a value of ternd's own options are no dropped names");
}

/* A relative file path (a coturn config often has "cert = turn.pem"):
 * one warning naming the option and its line, for every option that
 * names a file; an absolute path and the command line warn nothing. */
static void
test_relative_paths(void)
{
	const struct config_option *o;
	struct config *c;
	char text[160], want[160];
	int rv, n = 0, warned = 0;

	c = parse("# coturn\ncert = turn_server_cert.pem\n"
	    "pkey = /etc/ssl/private/turn.key\ncert = b.pem\n", &rv);
	is_int(rv, 0, "a relative cert parses");
	is_int(config_check(c, err, sizeof(err)), 0, "and passes the check");
	is_str(err, "warning: cert: relative path (t.conf:2): ternd opens a "
	    "relative path from its working directory (/ under systemd), not "
	    "from the configuration file's directory as coturn may; use an "
	    "absolute path\n", "one warning, at the first relative line");
	is_int(config_set_arg(c, "pkey=k.pem", err, sizeof(err)), 0,
	    "a relative pkey on the command line");
	is_int(config_check(c, err, sizeof(err)), 0, "passes the check");
	ok(strstr(err, "pkey") == NULL, "and warns nothing: the shell's "
	    "directory is meant");
	config_free(c);
	for (o = config_options; o->name != NULL; o++) {
		if (o->type != CONFIG_PATH && !o->secret_file)
			continue;
		n++;
		snprintf(text, sizeof(text), "\n%s = dir/file\n", o->name);
		snprintf(want, sizeof(want), "warning: %s: relative path "
		    "(t.conf:2): ternd opens", o->name);
		c = parse(text, &rv);
		config_check(c, err, sizeof(err));
		warned += strstr(err, want) != NULL;
		config_free(c);
	}
	ok(n >= 8 && warned == n, "every option naming a file warns of a "
	    "relative path (%d of %d)", warned, n);
}

static void
test_many_errors(void)
{
	struct config *c;
	char small[40];
	int rv;

	c = parse("listening-port = 70000\nno-udp\nbogus\nworkers = x\n"
	    "no-auth\nlog-level = info\n", &rv);
	is_int(rv, -1, "several problems: -1");
	is_str(err, "t.conf:1: listening-port: 70000 is out of range 1..65535\n"
	    "t.conf:3: bogus: unknown option\n"
	    "t.conf:4: workers: x is not a number\n"
	    "t.conf:5: no-auth: ternd never runs an open relay\n",
	    "every problem reported, in order, with its line");
	ok(c->no_udp, "good lines still applied");
	config_free(c);

	c = config_new();
	memset(small, 'Z', sizeof(small));
	rv = config_parse_text(c, "t.conf", "a\nb\nc\n", 6, small, sizeof(small));
	ok(rv == -1 && strlen(small) < sizeof(small), "small error buffer: "
	    "truncated and terminated");
	ok(strncmp(small, "t.conf:1: a: unknown option\n", 28) == 0,
	    "small error buffer keeps the first line");
	rv = config_parse_text(c, "t.conf", "x\n", 2, NULL, 0);
	is_int(rv, -1, "NULL error buffer is allowed");
	config_free(c);

	/* a long bad value is echoed escaped and cut */
	c = parse("listening-ip = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"\n", &rv);
	ok(rv == -1 && strstr(err, "a...\" is not an IP address\n") != NULL &&
	    strlen(err) < 200, "long value cut with a marker");
	config_free(c);
}

static void
test_command_line(void)
{
	struct config *c;
	int rv;

	c = parse("listening-port = 3479\nno-udp\n", &rv);
	ok(config_set_arg(c, "listening-port=4000", err, sizeof(err)) == 0 &&
	    c->listening_port == 4000, "command line overrides the file");
	ok(config_set_arg(c, "no-udp=false", err, sizeof(err)) == 0 &&
	    !c->no_udp, "--no-udp=false overrides the file's flag");
	ok(config_set_arg(c, "no-tcp", err, sizeof(err)) == 0 && c->no_tcp,
	    "--no-tcp flag");
	ok(config_set_arg(c, "software-attribute=a=b # c", err,
	    sizeof(err)) == 0 && strcmp(c->software_attribute, "a=b # c") == 0,
	    "command-line value taken verbatim after the first =");
	is_int(config_set_arg(c, "listening-port", err, sizeof(err)), -1,
	    "value missing");
	is_str(err, "command line: listening-port: needs a value\n",
	    "command-line needs-a-value message");
	is_int(config_set_arg(c, "bogus=1", err, sizeof(err)), -1, "unknown");
	is_str(err, "command line: bogus: unknown option\n",
	    "command-line unknown message");
	is_int(config_set_arg(c, "=1", err, sizeof(err)), -1, "empty name");
	is_int(config_set_arg(c, "workers=999", err, sizeof(err)), -1, "range");
	is_str(err, "command line: workers: 999 is out of range 0..256\n",
	    "command-line range message");
	is_int(c->workers, 0, "a rejected value leaves the old one");
	config_free(c);
}

static void
test_secret(void)
{
	struct config_option o = { .name = "test-secret", .type = CONFIG_PORT,
	    .offset = offsetof(struct config, listening_port), .min = 1,
	    .max = 65535, .secret = true };
	struct config_option b = o;
	struct config_err e;
	struct config *c = config_new();

	config_err_init(&e, err, sizeof(err));
	is_int(config_option_set(c, &o, "hunter2", "t.conf:1", &e), -1,
	    "bad secret value refused");
	is_int(config_option_set(c, &o, "99999", "t.conf:2", &e), -1,
	    "out-of-range secret refused");
	b.type = CONFIG_BOOL;
	b.offset = offsetof(struct config, no_udp);
	is_int(config_option_set(c, &b, "s3cr3t", "t.conf:3", &e), -1,
	    "bad secret bool refused");
	is_str(err, "t.conf:1: test-secret: value is not a port number\n"
	    "t.conf:2: test-secret: value is out of range 1..65535\n"
	    "t.conf:3: test-secret: value is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)\n", "secret values never echoed");
	ok(strstr(err, "hunter2") == NULL && strstr(err, "99999") == NULL &&
	    strstr(err, "s3cr3t") == NULL, "no secret in the errors");
	config_free(c);
}

static void
test_load_file(void)
{
	char path[] = "/tmp/test_config_parse.XXXXXX";
	char want[256];
	struct config *c = config_new();
	int fd;

	fd = mkstemp(path);
	ok(fd != -1 && write(fd, "listening-port 4444\nbogus\n", 26) == 26,
	    "write temp config");
	close(fd);
	is_int(config_load_file(c, path, err, sizeof(err)), -1, "load with error");
	snprintf(want, sizeof(want), "%s:2: bogus: unknown option\n", path);
	is_str(err, want, "file errors carry the path");
	is_int(c->listening_port, 4444, "file values applied");
	unlink(path);
	is_int(config_load_file(c, path, err, sizeof(err)), -1, "missing file");
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory\n", path);
	is_str(err, want, "missing file message");
	is_int(config_load_file(c, "/tmp", err, sizeof(err)), -1, "directory");
	config_free(c);
}

/* Writes text to dir/name with mode; the path into out. */
static const char *
put_file(const char *dir, const char *name, const char *text, mode_t mode,
    char *out, size_t cap)
{
	FILE *f;

	snprintf(out, cap, "%s/%s", dir, name);
	if ((f = fopen(out, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(out, mode);
	return out;
}

/* Parses text (which names files of secrets), then reads them. */
static struct config *
parse_load(const char *text, int *rv)
{
	struct config *c = parse(text, rv);

	if (*rv == 0)
		*rv = config_secrets_load(c, err, sizeof(err));
	return c;
}

static char *
printed(const struct config *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	config_print(c, f);
	fclose(f);
	return out;
}

/* static-auth-secret-file: one secret a line, comments and blank lines
 * skipped; errors at the line that names the file or at the bad line of
 * the file, never with a secret in them (docs/security.md, Secrets
 * handling). */
static void
test_secret_files(const char *dir)
{
	char text[1024], want[1024], two[300], ro[300], bad[300], none[300];
	char big[400];
	struct config *c;
	char *out;
	int rv;

	put_file(dir, "two", "# rotation: new first\n\n  new-secret-1  \n"
	    "old-secret-2\r\n", 0600, two, sizeof(two));
	snprintf(text, sizeof(text), "static-auth-secret = inline-secret-0\n"
	    "static-auth-secret-file = %s\n", two);
	c = parse_load(text, &rv);
	ok(rv == 0 && err[0] == '\0', "a 0600 file of two secrets loads "
	    "without a word");
	ok(c->n_static_auth_secret == 3 && c->n_static_auth_secret_read == 2,
	    "the file adds two secrets after the inline one");
	if (c->n_static_auth_secret == 3) {
		is_str(c->static_auth_secret[1], "new-secret-1",
		    "spaces around a secret are not part of it");
		is_str(c->static_auth_secret[2], "old-secret-2",
		    "CR LF line ends");
	}
	out = printed(c);
	ok(strstr(out, "new-secret") == NULL && strstr(out, "old-secret") ==
	    NULL && strstr(out, "inline-secret") == NULL,
	    "--print-config shows no secret");
	snprintf(want, sizeof(want), "static-auth-secret = <redacted>\n"
	    "static-auth-secret-file = \"%s\"\n", two);
	ok(strstr(out, want) != NULL, "one redacted inline line, then the "
	    "file's name");
	free(out);
	config_free(c);

	snprintf(text, sizeof(text), "realm = r\nstatic-auth-secret-file = "
	    "%s/missing\n", dir);
	c = parse_load(text, &rv);
	snprintf(want, sizeof(want), "t.conf:2: static-auth-secret-file: "
	    "cannot read %s/missing: No such file or directory\n", dir);
	ok(rv == -1 && strcmp(err, want) == 0,
	    "a missing file: FILE:LINE: OPTION: PROBLEM");
	config_free(c);

	c = config_new();
	snprintf(text, sizeof(text), "static-auth-secret-file=%s", dir);
	rv = config_set_arg(c, text, err, sizeof(err));
	rv = rv == 0 ? config_secrets_load(c, err, sizeof(err)) : 99;
	snprintf(want, sizeof(want), "command line: static-auth-secret-file: "
	    "cannot read %s: not a regular file of at most 64 KiB\n", dir);
	ok(rv == -1 && strcmp(err, want) == 0,
	    "a directory named on the command line");
	config_free(c);

	put_file(dir, "none", "# nothing yet\n\n", 0600, none, sizeof(none));
	snprintf(text, sizeof(text), "static-auth-secret-file = %s\n", none);
	c = parse_load(text, &rv);
	snprintf(want, sizeof(want), "t.conf:1: static-auth-secret-file: %s "
	    "holds no secret (one a line; # starts a comment)\n", none);
	ok(rv == -1 && strcmp(err, want) == 0, "a file of comments only");
	config_free(c);

	memset(big, 'z', 300);
	big[300] = '\0';
	snprintf(text, sizeof(text), "good-one\n%s\ngood-one\n", big);
	put_file(dir, "bad", text, 0600, bad, sizeof(bad));
	snprintf(text, sizeof(text), "static-auth-secret-file = %s\n", bad);
	c = parse_load(text, &rv);
	snprintf(want, sizeof(want), "%s:2: static-auth-secret-file: value "
	    "is not 1 to 256 bytes long\n%s:3: static-auth-secret-file: value "
	    "is listed twice\n", bad, bad);
	ok(rv == -1 && strcmp(err, want) == 0, "bad lines are errors at their "
	    "line of the file of secrets");
	ok(strstr(err, "good-one") == NULL && strstr(err, "zzz") == NULL,
	    "no secret in the errors");
	config_free(c);

	put_file(dir, "ro", "shared-secret\n", 0644, ro, sizeof(ro));
	snprintf(text, sizeof(text), "static-auth-secret-file = %s\n", ro);
	c = parse_load(text, &rv);
	snprintf(want, sizeof(want), "warning: static-auth-secret-file: %s is "
	    "readable by its group or by every user; make it mode 0600 or "
	    "0400, owned by the user ternd runs as\n", ro);
	ok(rv == 0 && c->n_static_auth_secret == 1 && strcmp(err, want) == 0,
	    "a world-readable file loads with a warning naming it");
	config_free(c);
}

/* redis-password-file: the first line, exactly, overrides password=. */
static void
test_redis_password_file(const char *dir)
{
	char text[1024], want[1024], pw[300], empty[300];
	struct config *c;
	int rv;

	put_file(dir, "pw", "pass word 1\nnot this\n", 0400, pw, sizeof(pw));
	snprintf(text, sizeof(text), "redis-userdb = \"ip=127.0.0.1 "
	    "password=inline\"\nredis-password-file = %s\n", pw);
	c = parse_load(text, &rv);
	ok(rv == 0 && c->redis_password != NULL &&
	    strcmp(c->redis_password, "pass word 1") == 0,
	    "the first line is the password, spaces and all");
	ok(rv == 0 && config_check(c, err, sizeof(err)) == 0,
	    "with redis-userdb the check passes");
	config_free(c);

	snprintf(text, sizeof(text), "redis-password-file = %s\n", pw);
	c = parse_load(text, &rv);
	ok(rv == 0 && config_check(c, err, sizeof(err)) == -1 &&
	    strcmp(err, "redis-password-file: is set but redis-userdb is "
	    "not\n") == 0, "without redis-userdb it is an error");
	config_free(c);

	put_file(dir, "empty", "\nsecond\n", 0600, empty, sizeof(empty));
	snprintf(text, sizeof(text), "redis-userdb = \"ip=127.0.0.1\"\n"
	    "redis-password-file = %s\n", empty);
	c = parse_load(text, &rv);
	snprintf(want, sizeof(want), "t.conf:2: redis-password-file: the first "
	    "line of %s must be the password: 1 to 511 bytes without control "
	    "characters\n", empty);
	ok(rv == -1 && strcmp(err, want) == 0 && c->redis_password == NULL,
	    "an empty first line is an error");
	config_free(c);
}

static void
rm_files(const char *dir)
{
	static const char *const names[] = { "two", "none", "bad", "ro", "pw",
	    "empty" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/test_config_parse.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	test_defaults();
	test_value_parsers();
	test_types();
	test_strings_addrs();
	test_syntax();
	test_dropped();
	test_coturn_ignored();
	test_relative_paths();
	test_many_errors();
	test_command_line();
	test_secret();
	test_load_file();
	test_secret_files(dir);
	test_redis_password_file(dir);
	rm_files(dir);
	return tap_done();
}
