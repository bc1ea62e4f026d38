/* SPDX-License-Identifier: ISC */
/*
 * config_table: the one list of options. Adding an option is one row here,
 * one field in struct config, a paragraph in etc/ternd.conf and an entry in
 * man/ternd.conf.5 (test_config_table checks the last two).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"
#include "config/config_int.h"

#define OFF(f)		offsetof(struct config, f)
#define SECONDS		UINT64_C(1)
#define KIB		UINT64_C(1024)
#define MIB		(KIB * 1024)

/* redis-userdb: the reason never quotes the value (it holds the password). */
static const char *
config_redis_problem(const char *s)
{
	struct auth_redis_conf rc;
	const char *why = NULL;

	if (auth_redis_conf_parse(s, strlen(s), &rc, &why) == 0)
		auth_redis_conf_clear(&rc);
	return why;
}

static const char *
config_ip_problem(const char *s)
{
	struct addr a;

	return addr_parse_ip(&a, s, 0) == 0 ? NULL : "not an IP address";
}

/* alternate-server: "ip", "ip:port" or "[ipv6]:port". */
static const char *
config_endpoint_problem(const char *s)
{
	struct addr a;

	return addr_parse(&a, s, 0) == 0 ? NULL : "not an IP address with an "
	    "optional port (192.0.2.1:3478, [2001:db8::1]:3478)";
}

static const char *
config_client_address_problem(const char *s)
{
	if (strcmp(s, "full") == 0 || strcmp(s, "prefix") == 0 ||
	    strcmp(s, "hash") == 0)
		return NULL;
	return "must be full, prefix or hash";
}

static const char *
config_hmac_problem(const char *s)
{
	if (strcmp(s, "sha1") == 0 || strcmp(s, "sha256") == 0)
		return NULL;
	return "must be sha1 or sha256";
}

const struct config_option config_options[] = {
	/* listeners */
	{ .name = "listening-ip", .type = CONFIG_ADDR_LIST,
	  .offset = OFF(listening_ip), .count_offset = OFF(n_listening_ip),
	  .metavar = "IP",
	  .help = "IP address to listen on, repeatable; unset means every "
	      "local address" },
	{ .name = "listening-port", .type = CONFIG_PORT,
	  .offset = OFF(listening_port), .def = "3478", .min = 1, .max = 65535,
	  .metavar = "PORT", .help = "UDP and TCP port for STUN and TURN" },
	{ .name = "tls-listening-port", .type = CONFIG_PORT,
	  .offset = OFF(tls_listening_port), .def = "5349", .min = 1,
	  .max = 65535, .metavar = "PORT", .help = "TLS port" },
	{ .name = "no-udp", .type = CONFIG_BOOL, .offset = OFF(no_udp),
	  .def = "false", .metavar = "BOOL", .help = "do not listen on UDP" },
	{ .name = "no-tcp", .type = CONFIG_BOOL, .offset = OFF(no_tcp),
	  .def = "false", .metavar = "BOOL", .help = "do not listen on TCP" },
	{ .name = "no-tls", .type = CONFIG_BOOL, .offset = OFF(no_tls),
	  .def = "false", .metavar = "BOOL", .help = "do not listen on TLS" },
	{ .name = "workers", .type = CONFIG_UINT, .offset = OFF(workers),
	  .def = "0", .min = 0, .max = 256, .metavar = "N",
	  .help = "worker threads (0 = one per CPU)" },
	{ .name = "udp-recv-buffer", .type = CONFIG_SIZE,
	  .offset = OFF(udp_recv_buffer), .def = "4m", .min = 0,
	  .max = 1024 * MIB, .metavar = "SIZE",
	  .help = "receive buffer of each UDP listener socket (SO_RCVBUF); "
	      "0 = the kernel's default" },
	{ .name = "udp-send-buffer", .type = CONFIG_SIZE,
	  .offset = OFF(udp_send_buffer), .def = "1m", .min = 0,
	  .max = 1024 * MIB, .metavar = "SIZE",
	  .help = "send buffer of each UDP listener socket (SO_SNDBUF); "
	      "0 = the kernel's default" },

	/* TLS */
	{ .name = "cert", .type = CONFIG_PATH, .offset = OFF(cert),
	  .min = 1, .max = 1023, .reloadable = true, .metavar = "FILE",
	  .help = "PEM certificate chain; TLS starts when cert and pkey are set" },
	{ .name = "pkey", .type = CONFIG_PATH, .offset = OFF(pkey),
	  .min = 1, .max = 1023, .reloadable = true, .metavar = "FILE",
	  .help = "PEM private key for cert" },
	{ .name = "cipher-list", .type = CONFIG_STRING,
	  .offset = OFF(cipher_list),
	  .def = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
	  .min = 1, .max = 1024, .reloadable = true, .metavar = "LIST",
	  .help = "TLS 1.2 cipher suites, OpenSSL syntax (TLS 1.3 uses "
	      "OpenSSL's defaults)" },

	/* STUN */
	{ .name = "software-attribute", .type = CONFIG_STRING,
	  .offset = OFF(software_attribute), .min = 1, .max = 127,
	  .metavar = "TEXT",
	  .help = "SOFTWARE attribute in responses, at most 127 characters; "
	      "unset means none" },

	/* authentication */
	{ .name = "realm", .type = CONFIG_STRING, .offset = OFF(realm),
	  .def = "tern", .min = 1, .max = 127, .reloadable = true,
	  .metavar = "TEXT", .check = config_realm_problem,
	  .help = "REALM of the long-term credentials, under 128 characters "
	      "and bytes (RFC 8489 §14.9)" },
	{ .name = "user", .type = CONFIG_USER_LIST, .offset = OFF(user),
	  .count_offset = OFF(n_user), .max_items = CONFIG_MAX_USERS,
	  .reloadable = true, .secret = true, .metavar = "NAME:PASSWORD",
	  .help = "static user, repeatable: name:password or name:0x<MD5 key "
	      "in 32 hex digits>" },
	{ .name = "static-auth-secret", .type = CONFIG_STRING_LIST,
	  .offset = OFF(static_auth_secret),
	  .count_offset = OFF(n_static_auth_secret), .min = 1, .max = 256,
	  .max_items = CONFIG_MAX_SECRETS, .reloadable = true, .secret = true,
	  .metavar = "SECRET",
	  .help = "TURN REST API shared secret, repeatable for rotation "
	      "(every one is tried)" },
	{ .name = "static-auth-secret-file", .type = CONFIG_STRING_LIST,
	  .offset = OFF(static_auth_secret_file),
	  .count_offset = OFF(n_static_auth_secret_file), .min = 1,
	  .max = 1023, .max_items = CONFIG_MAX_SECRETS, .reloadable = true,
	  .secret_file = true, .metavar = "FILE",
	  .help = "file of TURN REST API secrets, one a line (blank lines and "
	      "# comments skipped), repeatable; read at start and on SIGHUP" },
	{ .name = "use-auth-secret", .type = CONFIG_BOOL,
	  .offset = OFF(use_auth_secret), .def = "false", .reloadable = true,
	  .metavar = "BOOL",
	  .help = "coturn compatibility: REST credentials are checked whenever "
	      "a static-auth-secret is set" },
	{ .name = "rest-api-separator", .type = CONFIG_CHAR,
	  .offset = OFF(rest_api_separator), .def = ":", .reloadable = true,
	  .metavar = "CHAR",
	  .help = "separator of expiry and user-id in REST usernames" },
	{ .name = "max-credential-ttl", .type = CONFIG_DURATION,
	  .offset = OFF(max_credential_ttl), .def = "86400", .min = 60,
	  .max = 30 * 86400 * SECONDS, .reloadable = true,
	  .metavar = "DURATION",
	  .help = "refuse REST credentials that expire further ahead" },
	{ .name = "stale-nonce", .type = CONFIG_DURATION,
	  .offset = OFF(stale_nonce), .def = "600", .min = 30,
	  .max = 86400 * SECONDS, .metavar = "DURATION",
	  .help = "lifetime of a NONCE before 438 (Stale Nonce)" },
	{ .name = "rest-api-hmac", .type = CONFIG_STRING,
	  .offset = OFF(rest_api_hmac), .def = "sha1", .min = 4, .max = 6,
	  .reloadable = true, .metavar = "ALG", .check = config_hmac_problem,
	  .help = "HMAC of REST passwords: sha1 (the draft, coturn) or sha256" },
	{ .name = "max-session-duration", .type = CONFIG_DURATION,
	  .offset = OFF(max_session_duration), .def = "43200", .min = 60,
	  .max = 30 * 86400 * SECONDS,
	  .metavar = "DURATION",
	  .help = "how long after its REST credential expired an allocation "
	      "may still be refreshed with it (then 401)" },
	{ .name = "strict-credential-expiry", .type = CONFIG_BOOL,
	  .offset = OFF(strict_credential_expiry), .def = "false",
	  .metavar = "BOOL",
	  .help = "refuse an expired REST credential at once, even for "
	      "refreshing its allocation" },

	/* Redis */
	{ .name = "redis-userdb", .type = CONFIG_STRING,
	  .offset = OFF(redis_userdb), .min = 1, .max = 1500, .secret = true,
	  .metavar = "CONNINFO", .check = config_redis_problem,
	  .help = "Redis with REST secrets, user keys, peer rules, quotas and "
	      "revocations: \"ip=127.0.0.1 port=6379 dbname=0 password=... "
	      "connect_timeout=30\"; a secret" },
	{ .name = "redis-password-file", .type = CONFIG_PATH,
	  .offset = OFF(redis_password_file), .min = 1, .max = 1023,
	  .reloadable = true, .secret_file = true, .metavar = "FILE",
	  .help = "the Redis password is this file's first line (it overrides "
	      "password= in redis-userdb); read at start and on SIGHUP" },
	{ .name = "redis-snapshot-interval", .type = CONFIG_DURATION,
	  .offset = OFF(redis_snapshot_interval), .def = "5", .min = 1,
	  .max = 3600 * SECONDS, .metavar = "DURATION",
	  .help = "re-read secrets, rules, quotas and revocations from Redis "
	      "this often (and at once on a tern/events message)" },
	{ .name = "redis-command-timeout", .type = CONFIG_DURATION,
	  .offset = OFF(redis_command_timeout), .def = "2", .min = 1,
	  .max = 60 * SECONDS, .metavar = "DURATION",
	  .help = "a Redis connection that owes an answer this long is closed "
	      "and opened again" },
	{ .name = "user-key-cache-ttl", .type = CONFIG_DURATION,
	  .offset = OFF(user_key_cache_ttl), .def = "60", .min = 1,
	  .max = 86400 * SECONDS, .metavar = "DURATION",
	  .help = "how long a user key read from Redis is used before it is "
	      "read again" },
	{ .name = "user-key-negative-ttl", .type = CONFIG_DURATION,
	  .offset = OFF(user_key_negative_ttl), .def = "5", .min = 1,
	  .max = 3600 * SECONDS, .metavar = "DURATION",
	  .help = "how long an unknown user is remembered as unknown" },
	{ .name = "user-key-lookup-rate", .type = CONFIG_UINT,
	  .offset = OFF(user_key_lookup_rate), .def = "5", .min = 1,
	  .max = 100000, .metavar = "N",
	  .help = "Redis user-key lookups one source may start per second "
	      "(per worker); beyond, its requests are dropped" },
	{ .name = "user-key-lookup-burst", .type = CONFIG_UINT,
	  .offset = OFF(user_key_lookup_burst), .def = "40", .min = 1,
	  .max = 100000, .metavar = "N",
	  .help = "Redis user-key lookups one source may start at once" },

	/* TURN */
	{ .name = "max-allocate-lifetime", .type = CONFIG_DURATION,
	  .offset = OFF(max_allocate_lifetime), .def = "3600", .min = 600,
	  .max = 86400 * SECONDS, .metavar = "DURATION",
	  .help = "longest allocation lifetime granted; longer requests are "
	      "cut to it" },
	{ .name = "channel-lifetime", .type = CONFIG_DURATION,
	  .offset = OFF(channel_lifetime), .def = "600", .min = 1,
	  .max = 3600 * SECONDS, .metavar = "DURATION",
	  .help = "channel binding lifetime; RFC 8656 fixes 600, other values "
	      "are for tests" },
	{ .name = "rfc5766-channels", .type = CONFIG_BOOL,
	  .offset = OFF(rfc5766_channels), .def = "false", .metavar = "BOOL",
	  .help = "also accept channel numbers 0x5000-0x7FFF (RFC 5766) "
	      "from older clients" },
	{ .name = "permission-lifetime", .type = CONFIG_DURATION,
	  .offset = OFF(permission_lifetime), .def = "300", .min = 1,
	  .max = 3600 * SECONDS, .metavar = "DURATION",
	  .help = "permission lifetime; RFC 8656 fixes 300, other values are "
	      "for tests" },
	{ .name = "relay-ip", .type = CONFIG_ADDR_LIST, .offset = OFF(relay_ip),
	  .count_offset = OFF(n_relay_ip), .metavar = "IP",
	  .help = "IP address for relay sockets, repeatable; unset means the "
	      "listening addresses" },
	{ .name = "external-ip", .type = CONFIG_EXTERNAL_IP_LIST,
	  .offset = OFF(external_ip), .count_offset = OFF(n_external_ip),
	  .metavar = "PUBLIC[/PRIVATE]",
	  .help = "public address advertised for relays behind 1:1 NAT, "
	      "repeatable" },
	{ .name = "min-port", .type = CONFIG_PORT, .offset = OFF(min_port),
	  .def = "49152", .min = 1024, .max = 65535, .metavar = "PORT",
	  .help = "lowest relay port" },
	{ .name = "max-port", .type = CONFIG_PORT, .offset = OFF(max_port),
	  .def = "65535", .min = 1024, .max = 65535, .metavar = "PORT",
	  .help = "highest relay port" },
	{ .name = "relay-recv-buffer", .type = CONFIG_SIZE,
	  .offset = OFF(relay_recv_buffer), .def = "0", .min = 0,
	  .max = 1024 * MIB, .metavar = "SIZE",
	  .help = "receive buffer of each relay socket (SO_RCVBUF); 0 = the "
	      "kernel's default" },
	{ .name = "relay-send-buffer", .type = CONFIG_SIZE,
	  .offset = OFF(relay_send_buffer), .def = "0", .min = 0,
	  .max = 1024 * MIB, .metavar = "SIZE",
	  .help = "send buffer of each relay socket (SO_SNDBUF); 0 = the "
	      "kernel's default" },

	/* peer policy and quotas */
	{ .name = "allowed-peer-ip", .type = CONFIG_RANGE_LIST,
	  .offset = OFF(allowed_peer_ip),
	  .count_offset = OFF(n_allowed_peer_ip), .max_items = CONFIG_MAX_RULES,
	  .reloadable = true, .metavar = "RANGE",
	  .help = "peer addresses to allow despite the default deny list, "
	      "repeatable (CIDR or a-b)" },
	{ .name = "denied-peer-ip", .type = CONFIG_RANGE_LIST,
	  .offset = OFF(denied_peer_ip), .count_offset = OFF(n_denied_peer_ip),
	  .max_items = CONFIG_MAX_RULES, .reloadable = true,
	  .metavar = "RANGE",
	  .help = "more peer addresses to deny, repeatable (CIDR or a-b)" },
	{ .name = "allow-loopback-peers", .type = CONFIG_BOOL,
	  .offset = OFF(allow_loopback_peers), .def = "false",
	  .reloadable = true, .metavar = "BOOL",
	  .help = "allow peers on loopback (testing only)" },
	{ .name = "allow-multicast-peers", .type = CONFIG_BOOL,
	  .offset = OFF(allow_multicast_peers), .def = "false",
	  .reloadable = true, .metavar = "BOOL",
	  .help = "allow multicast peers" },
	{ .name = "user-quota", .type = CONFIG_UINT, .offset = OFF(user_quota),
	  .def = "16", .min = 0, .max = 1048576, .reloadable = true,
	  .metavar = "N",
	  .help = "allocations per user (REST user-id); 0 = unlimited" },
	{ .name = "max-allocations-per-ip", .type = CONFIG_UINT,
	  .offset = OFF(max_allocations_per_ip), .def = "256", .min = 0,
	  .max = 1048576, .reloadable = true, .metavar = "N",
	  .help = "allocations per client IP address; 0 = unlimited" },
	{ .name = "total-quota", .type = CONFIG_UINT,
	  .offset = OFF(total_quota), .def = "16000", .min = 0,
	  .max = 16777216, .reloadable = true, .metavar = "N",
	  .help = "allocations in total; 0 = unlimited" },
	{ .name = "max-permissions", .type = CONFIG_UINT,
	  .offset = OFF(max_permissions), .def = "128", .min = 1,
	  .max = 4096, .metavar = "N",
	  .help = "permissions (peer IPs) per allocation" },
	{ .name = "max-channels", .type = CONFIG_UINT,
	  .offset = OFF(max_channels), .def = "128", .min = 1, .max = 4096,
	  .metavar = "N", .help = "channels per allocation" },
	{ .name = "max-peers-per-request", .type = CONFIG_UINT,
	  .offset = OFF(max_peers_per_request), .def = "32", .min = 1,
	  .max = 256 /* TURN_MAX_PEERS_LIMIT */, .metavar = "N",
	  .help = "XOR-PEER-ADDRESS attributes in one CreatePermission" },
	{ .name = "max-bps", .type = CONFIG_SIZE, .offset = OFF(max_bps),
	  .def = "0", .min = 0, .max = 1024 * MIB, .reloadable = true,
	  .metavar = "SIZE",
	  .help = "bytes per second one allocation may relay, both "
	      "directions together; 0 = unlimited" },
	{ .name = "bps-capacity", .type = CONFIG_SIZE,
	  .offset = OFF(bps_capacity), .def = "0", .min = 0,
	  .max = 64 * 1024 * MIB, .reloadable = true, .metavar = "SIZE",
	  .help = "bytes per second the whole server relays; 0 = unlimited" },
	{ .name = "unauth-rate", .type = CONFIG_UINT,
	  .offset = OFF(unauth_rate), .def = "50", .min = 1, .max = 1000000,
	  .metavar = "N",
	  .help = "answers per second to one source's requests that carry no "
	      "valid MESSAGE-INTEGRITY" },
	{ .name = "unauth-burst", .type = CONFIG_UINT,
	  .offset = OFF(unauth_burst), .def = "400", .min = 1,
	  .max = 500000, .metavar = "N",
	  .help = "such answers one source may get at once" },
	{ .name = "auth-failure-limit", .type = CONFIG_UINT,
	  .offset = OFF(auth_failure_limit), .def = "30", .min = 1,
	  .max = 8000, .metavar = "N",
	  .help = "failed credential checks per source per minute before its "
	      "attempts are dropped for the rest of the minute" },

	/* stream connections */
	{ .name = "stream-idle-timeout", .type = CONFIG_DURATION,
	  .offset = OFF(stream_idle_timeout), .def = "30", .min = 1,
	  .max = 3600 * SECONDS, .metavar = "DURATION",
	  .help = "close a TCP/TLS connection after this long without a "
	      "valid STUN message" },
	{ .name = "tls-handshake-timeout", .type = CONFIG_DURATION,
	  .offset = OFF(tls_handshake_timeout), .def = "10", .min = 1,
	  .max = 300 * SECONDS, .metavar = "DURATION",
	  .help = "close a TLS connection whose handshake takes longer" },
	{ .name = "max-connections", .type = CONFIG_UINT,
	  .offset = OFF(max_connections), .def = "10000", .min = 1,
	  .max = 1048576, .metavar = "N",
	  .help = "TCP and TLS connections in total" },
	{ .name = "max-connections-per-ip", .type = CONFIG_UINT,
	  .offset = OFF(max_connections_per_ip), .def = "64", .min = 1,
	  .max = 1048576, .metavar = "N",
	  .help = "TCP and TLS connections from one client IP address" },
	{ .name = "max-connections-per-48", .type = CONFIG_UINT,
	  .offset = OFF(max_connections_per_48), .def = "0", .min = 0,
	  .max = 1048576, .metavar = "N",
	  .help = "TCP and TLS connections from one IPv6 /48; 0 = 4 x "
	      "max-connections-per-ip" },
	{ .name = "stream-accept-rate", .type = CONFIG_UINT,
	  .offset = OFF(stream_accept_rate), .def = "20", .min = 0,
	  .max = 1048576, .metavar = "N",
	  .help = "new TCP and TLS connections a second from one source, "
	      "per worker; 0 = no budget" },
	{ .name = "stream-accept-burst", .type = CONFIG_UINT,
	  .offset = OFF(stream_accept_burst), .def = "100", .min = 1,
	  .max = 1048576, .metavar = "N",
	  .help = "new TCP and TLS connections at once from one source, "
	      "per worker" },
	{ .name = "stream-buffer-limit", .type = CONFIG_SIZE,
	  .offset = OFF(stream_buffer_limit), .def = "256k", .min = 65556,
	  .max = 64 * MIB, .metavar = "SIZE",
	  .help = "bytes queued towards one TCP/TLS client before it is "
	      "closed" },

	/* process and logging */
	{ .name = "log-file", .type = CONFIG_PATH, .offset = OFF(log_file),
	  .min = 1, .max = 1023, .reloadable = true, .metavar = "FILE",
	  .help = "append log records to FILE; unset means stderr" },
	{ .name = "syslog", .type = CONFIG_BOOL, .offset = OFF(syslog),
	  .def = "false", .metavar = "BOOL", .help = "log to syslog" },
	{ .name = "log-level", .type = CONFIG_LOG_LEVEL,
	  .offset = OFF(log_level), .def = "info", .reloadable = true,
	  .metavar = "LEVEL", .help = "error, warn, info or debug" },
	{ .name = "session-records", .type = CONFIG_BOOL,
	  .offset = OFF(session_records), .def = "true", .metavar = "BOOL",
	  .help = "log a record at info when an allocation starts and when "
	      "it ends" },
	{ .name = "log-client-address", .type = CONFIG_STRING,
	  .offset = OFF(log_client_address), .def = "full", .min = 4,
	  .max = 6, .metavar = "HOW", .check = config_client_address_problem,
	  .help = "client addresses in the log (session records, refused "
	      "connections): full, prefix (IPv4 /24, IPv6 /48) or hash "
	      "(keyed)" },
	{ .name = "log-client-address-key-file", .type = CONFIG_PATH,
	  .offset = OFF(log_client_address_key_file), .min = 1, .max = 1023,
	  .metavar = "FILE",
	  .help = "the key of log-client-address = hash (its first line); "
	      "unset means a random key per start" },
	{ .name = "proc-user", .type = CONFIG_STRING, .offset = OFF(proc_user),
	  .min = 1, .max = 255, .metavar = "USER",
	  .help = "user to switch to after binding the listeners" },
	{ .name = "proc-group", .type = CONFIG_STRING,
	  .offset = OFF(proc_group), .min = 1, .max = 255, .metavar = "GROUP",
	  .help = "group to switch to after binding the listeners" },
	{ .name = "pidfile", .type = CONFIG_PATH, .offset = OFF(pidfile),
	  .min = 1, .max = 1023, .metavar = "FILE",
	  .help = "write the process ID to FILE" },

	/* metrics, health and drain */
	{ .name = "prometheus", .type = CONFIG_BOOL, .offset = OFF(prometheus),
	  .def = "false", .metavar = "BOOL",
	  .help = "serve /metrics, /healthz and /readyz over HTTP" },
	{ .name = "prometheus-address", .type = CONFIG_STRING,
	  .offset = OFF(prometheus_address), .def = "127.0.0.1", .min = 2,
	  .max = 63, .metavar = "IP", .check = config_ip_problem,
	  .help = "address of the metrics endpoint (keep it private)" },
	{ .name = "prometheus-port", .type = CONFIG_PORT,
	  .offset = OFF(prometheus_port), .def = "9641", .min = 1,
	  .max = 65535, .metavar = "PORT",
	  .help = "TCP port of the metrics endpoint" },
	{ .name = "prometheus-token-file", .type = CONFIG_PATH,
	  .offset = OFF(prometheus_token_file), .min = 1, .max = 1023,
	  .metavar = "FILE",
	  .help = "/metrics needs \"Authorization: Bearer\" and the file's "
	      "first line" },
	{ .name = "alternate-server", .type = CONFIG_STRING_LIST,
	  .offset = OFF(alternate_server),
	  .count_offset = OFF(n_alternate_server), .min = 2, .max = 63,
	  .max_items = CONFIG_MAX_ADDRS, .metavar = "IP[:PORT]",
	  .check = config_endpoint_problem,
	  .help = "while draining, redirect new allocations here (300 Try "
	      "Alternate), repeatable" },
	{ .name = "drain-timeout", .type = CONFIG_DURATION,
	  .offset = OFF(drain_timeout), .def = "3600", .min = 1,
	  .max = 7 * 86400, .metavar = "DURATION",
	  .help = "after SIGUSR1, exit when no allocation is left or after "
	      "this" },
	{ .name = "self-test-interval", .type = CONFIG_DURATION,
	  .offset = OFF(self_test_interval), .def = "0", .min = 0,
	  .max = 86400, .metavar = "DURATION",
	  .help = "relay a packet through this server to itself this often "
	      "(/readyz, tern_self_test_*); 0 = off" },

	{ .name = NULL },
};

const struct config_option *
config_option_find(const char *name)
{
	const struct config_option *o;

	if (name == NULL)
		return NULL;
	for (o = config_options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

struct config *
config_new(void)
{
	const struct config_option *o;
	struct config *c;
	struct config_err e;
	char err[256];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	config_err_init(&e, err, sizeof(err));
	for (o = config_options; o->name != NULL; o++) {
		if (o->def == NULL)
			continue;
		/* Only out of memory can fail here: test_config_table
		 * parses every default. */
		if (config_option_set(c, o, o->def, "default", &e) == -1)
			goto fail;
	}
	return c;
fail:
	config_free(c);
	return NULL;
}

void
config_free_strings(struct config *c, const struct config_option *tab)
{
	const struct config_option *o;
	char **sp;

	for (o = tab; o->name != NULL; o++) {
		config_list_free(c, o);
		if (o->type != CONFIG_STRING && o->type != CONFIG_PATH)
			continue;
		sp = (char **)((char *)c + o->offset);
		if (*sp != NULL && o->secret)
			explicit_bzero(*sp, strlen(*sp));
		free(*sp);
		*sp = NULL;
	}
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	config_free_strings(c, config_options);
	config_coturn_free(c);
	if (c->redis_password != NULL)	/* read from redis-password-file */
		explicit_bzero(c->redis_password, strlen(c->redis_password));
	free(c->redis_password);
	free(c);
}
