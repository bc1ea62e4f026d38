/* SPDX-License-Identifier: ISC */
/*
 * config: ternd's configuration, driven by one option table.
 *
 * The table (config_table.c) names each option once: its key, type, bounds,
 * default, whether SIGHUP may change it, whether it is a secret, and its help
 * text. The same table drives the file parser, `--key=value` arguments
 * (which override the file), `--help`, `--check-config`, `--print-config`
 * (secrets redacted) and the test that checks every option is documented in
 * etc/ternd.conf and man/ternd.conf.5.
 *
 * File syntax: `key = value`, `key value` or a bare `flag`, `#` comments,
 * values optionally in double quotes. Keys follow coturn's names where the
 * meaning is the same; an unknown key is an error naming it, coturn
 * options ternd has no use for are accepted with one warning each, and
 * those it drops on purpose are errors that say why (config_coturn.c).
 *
 * Every problem is reported as `FILE:LINE: OPTION: PROBLEM` (or
 * `command line: OPTION: PROBLEM`) into the caller's error buffer. Pure: the
 * parser reads only the text it is given; config_load_file() and
 * config_secrets_load() (the files of secrets) are the functions that open
 * files.
 *
 * A struct config is immutable once loaded; reload builds a new one. It
 * owns every string and heap list in it; config_free() wipes the secrets
 * (user, static-auth-secret, redis-userdb, the Redis password) before
 * freeing them.
 */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"
#include "util/addr.h"

#define CONFIG_MAX_ADDRS	32	/* listening-ip, relay-ip, external-ip */
#define CONFIG_MAX_SECRETS	16	/* static-auth-secret (AUTH_MAX_SECRETS) */
#define CONFIG_MAX_USERS	4096	/* user lines */
#define CONFIG_MAX_RULES	1024	/* allowed-peer-ip, denied-peer-ip each */

/*
 * external-ip: the address advertised in XOR-RELAYED-ADDRESS for a relay
 * behind 1:1 NAT. With has_private, only for relays on private_ip; without,
 * for every relay of public_ip's family that no pair names. Ports are 0.
 */
struct config_external_ip {
	struct addr public_ip;
	struct addr private_ip;		/* valid when has_private */
	bool has_private;
};

struct config {
	/* listeners */
	struct addr listening_ip[CONFIG_MAX_ADDRS];	/* port 0; none = every local address */
	size_t n_listening_ip;
	uint16_t listening_port;	/* 3478 */
	uint16_t tls_listening_port;	/* 5349 */
	bool no_udp, no_tcp, no_tls;
	unsigned workers;		/* 0 = number of CPUs */
	size_t udp_recv_buffer;		/* SO_RCVBUF of UDP listeners; 0 = kernel's */
	size_t udp_send_buffer;		/* SO_SNDBUF of UDP listeners */

	/* TLS (TLS 1.2 and 1.3 only) */
	char *cert;			/* PEM chain file */
	char *pkey;			/* PEM key file */
	char *cipher_list;		/* TLS 1.2 suites, OpenSSL syntax */

	/* STUN */
	char *software_attribute;	/* NULL = no SOFTWARE attribute */

	/* authentication (RFC 8489 §9.2, TURN REST API draft) */
	char *realm;			/* "tern"; 1..127 bytes (§14.9) */
	char **user;			/* "name:password" / "name:0x<md5 key>";
					   secret; checked by auth_creds_add_user
					   rules at parse time */
	size_t n_user;
	char **static_auth_secret;	/* REST secrets in file order (the
					   order tried), then those read from
					   static-auth-secret-file; secret */
	size_t n_static_auth_secret;
	char **static_auth_secret_file;	/* files of REST secrets, one a line
					   (config_secrets_load) */
	size_t n_static_auth_secret_file;
	size_t n_static_auth_secret_read;	/* the last ones of
					   static_auth_secret came from files */
	bool use_auth_secret;		/* coturn compatibility only: REST is on
					   whenever a static-auth-secret is set */
	char rest_api_separator;	/* ':' */
	unsigned max_credential_ttl;	/* s; REST expiry further ahead: 401 */
	unsigned stale_nonce;		/* s; 600 */
	char *rest_api_hmac;		/* "sha1" | "sha256" */
	unsigned max_session_duration;	/* s; allocations end after it */
	bool strict_credential_expiry;	/* end allocations at REST expiry */

	/* Redis (auth/auth_redis.h) */
	char *redis_userdb;		/* coturn's connection string; secret
					   (it holds the password) */
	char *redis_password_file;	/* its first line is the password */
	char *redis_password;		/* read from it (config_secrets_load),
					   overrides password=; secret */
	unsigned redis_snapshot_interval;	/* s; 5 */
	unsigned redis_command_timeout;	/* s; 2 */
	unsigned user_key_cache_ttl;	/* s; 60 */
	unsigned user_key_negative_ttl;	/* s; 5 */
	unsigned user_key_lookup_rate;	/* lookups per s per source; 5 */
	unsigned user_key_lookup_burst;	/* 40 */

	/* TURN (RFC 8656) */
	unsigned max_allocate_lifetime;	/* s; 3600; requested lifetimes clamp */
	unsigned channel_lifetime;	/* s; 600 (§12 fixes 10 min) */
	bool rfc5766_channels;		/* also 0x5000-0x7FFF (RFC 5766 §11) */
	unsigned permission_lifetime;	/* s; 300 (§9 fixes 300 s) */
	struct addr relay_ip[CONFIG_MAX_ADDRS];	/* port 0; none = listeners */
	size_t n_relay_ip;
	struct config_external_ip external_ip[CONFIG_MAX_ADDRS];
	size_t n_external_ip;
	uint16_t min_port, max_port;	/* relay ports, 49152..65535 */
	size_t relay_recv_buffer;	/* SO_RCVBUF of relay sockets; 0 = kernel's */
	size_t relay_send_buffer;	/* SO_SNDBUF of relay sockets */

	/* peer policy and quotas (docs/security.md, Peer deny list and
	 * Attack catalogue: resource exhaustion); 0 = unlimited */
	struct policy_range *allowed_peer_ip;	/* heap, n entries */
	size_t n_allowed_peer_ip;
	struct policy_range *denied_peer_ip;	/* heap, n entries */
	size_t n_denied_peer_ip;
	bool allow_loopback_peers;	/* testing only */
	bool allow_multicast_peers;
	unsigned user_quota;		/* allocations per user-id; 16 */
	unsigned max_allocations_per_ip;	/* 256 */
	unsigned total_quota;		/* allocations in total; 16000 */
	unsigned max_permissions;	/* per allocation; 128 */
	unsigned max_channels;		/* per allocation; 128 */
	unsigned max_peers_per_request;	/* per CreatePermission; 32 */
	size_t max_bps;			/* bytes/s per allocation; 0 = no cap */
	size_t bps_capacity;		/* bytes/s of the server; 0 = no cap */
	unsigned unauth_rate;		/* answers/s per source before MI; 50 */
	unsigned unauth_burst;		/* 400 */
	unsigned auth_failure_limit;	/* failed MI per source per minute; 30 */

	/* stream connections (TCP/TLS) */
	unsigned stream_idle_timeout;	/* s without a valid message -> close */
	unsigned tls_handshake_timeout;	/* s */
	unsigned max_connections;	/* all TCP/TLS connections */
	unsigned max_connections_per_ip;
	unsigned max_connections_per_48;	/* per IPv6 /48; 0 = 4 x per ip */
	unsigned stream_accept_rate;	/* new connections/s per source; 0 = off */
	unsigned stream_accept_burst;	/* and at once */
	size_t stream_buffer_limit;	/* bytes queued towards one client */

	/* metrics, health and drain */
	bool prometheus;		/* serve /metrics, /healthz, /readyz */
	char *prometheus_address;	/* "127.0.0.1"; an IP literal */
	uint16_t prometheus_port;	/* 9641 */
	char *prometheus_token_file;	/* NULL = no bearer token */
	char **alternate_server;	/* "ip[:port]" for 300 while draining */
	size_t n_alternate_server;
	unsigned drain_timeout;		/* s; 3600 */
	unsigned self_test_interval;	/* s between self-tests; 0 = off */

	/* process */
	char *log_file;			/* NULL = stderr */
	bool syslog;
	int log_level;			/* enum log_level */
	bool session_records;		/* a record per allocation, at info */
	char *log_client_address;	/* "full" | "prefix" | "hash" */
	char *log_client_address_key_file;	/* hash key; NULL = random
					   per start */
	char *proc_user, *proc_group;
	char *pidfile;

	/* Where secrets were written (CONFIG_SECRET_* bits), for
	 * config_warnings(): in a config file, on the command line. */
	unsigned secrets_in_file;
	unsigned secrets_in_args;

	/* coturn options accepted and ignored (config_coturn.c), for one
	 * warning each from config_check(); heap */
	struct config_ignored *coturn_ignored;
	size_t n_coturn_ignored;
};

/* A coturn option accepted and ignored: its row in config_coturn.c and
 * the first place that set it ("FILE:LINE" or "command line"). */
struct config_dropped;
struct config_ignored {
	const struct config_dropped *row;
	char *where;
};

#define CONFIG_SECRET_REST	0x1	/* static-auth-secret */
#define CONFIG_SECRET_USER	0x2	/* user (a password or an MD5 key) */
#define CONFIG_SECRET_REDIS	0x4	/* password= in redis-userdb */

enum config_type {
	CONFIG_BOOL,		/* bare flag, or true/false/yes/no/on/off/1/0 */
	CONFIG_UINT,		/* decimal, within [min, max] */
	CONFIG_PORT,		/* 1..65535 (0 allowed where min is 0) */
	CONFIG_DURATION,	/* seconds: 30, 30s, 5m, 2h, 1d; within [min, max] */
	CONFIG_SIZE,		/* bytes: 4096, 64k, 1m; within [min, max] */
	CONFIG_STRING,
	CONFIG_PATH,		/* a string that names a file */
	CONFIG_ADDR_LIST,	/* repeatable IP literal */
	CONFIG_LOG_LEVEL,	/* error | warn | info | debug */
	CONFIG_CHAR,		/* one printable ASCII character, not a digit */
	CONFIG_STRING_LIST,	/* repeatable text of min..max bytes (char **) */
	CONFIG_USER_LIST,	/* repeatable name:password (char **) */
	CONFIG_RANGE_LIST,	/* repeatable CIDR or a-b (struct policy_range *) */
	CONFIG_EXTERNAL_IP_LIST,	/* repeatable PUBLIC[/PRIVATE] */
};

struct config_option {
	const char *name;
	enum config_type type;
	size_t offset;		/* into struct config */
	size_t count_offset;	/* lists: offset of the count (size_t) */
	const char *def;	/* default as text, NULL = unset */
	uint64_t min, max;
	bool reloadable;	/* SIGHUP applies it */
	bool secret;		/* redacted by --print-config */
	const char *metavar;	/* for --help: FILE, N, IP, ... */
	const char *help;	/* one line */
	size_t max_items;	/* heap lists: most entries (0 = no cap) */
	/* STRING: an extra check of the value; NULL or a static reason */
	const char *(*check)(const char *val);
	/* PATH or STRING_LIST naming a file of secrets, read by
	 * config_secrets_load(); the value is not secret itself */
	bool secret_file;
};

/* The table, terminated by a NULL name. */
extern const struct config_option config_options[];
const struct config_option *config_option_find(const char *name);

/* Fresh config holding every default. NULL on out of memory. */
struct config *config_new(void);
void config_free(struct config *c);

/*
 * Parses `text` (len bytes) as a config file named `fname` into c.
 * 0 on success; -1 with every problem found, one per line, written to err
 * (NUL-terminated, truncated to errcap).
 */
int config_parse_text(struct config *c, const char *fname, const char *text,
    size_t len, char *err, size_t errcap);
/* Reads and parses a file (the only I/O here). Same contract. */
int config_load_file(struct config *c, const char *path, char *err, size_t errcap);
/* Applies one `--key=value` / `--flag` argument (without the dashes). */
int config_set_arg(struct config *c, const char *arg, char *err, size_t errcap);
/*
 * Reads the files of secrets the options name (static-auth-secret-file:
 * one secret a line, blank lines and `#` comments skipped, appended to
 * static_auth_secret; redis-password-file: the first line, into
 * redis_password), after the file and the command line are parsed, at
 * start and on every reload. A file that cannot be read is an error at the
 * line that names it (`FILE:LINE: OPTION: PROBLEM`), a bad line one at the
 * line of the file of secrets; a file its group or every user can read is
 * a "warning: " line. No secret is ever echoed. 0 or -1.
 */
int config_secrets_load(struct config *c, char *err, size_t errcap);

/*
 * Cross-option checks after everything is parsed (cert without pkey, ...).
 * -1 if any error. Warnings (a wide allowed-peer-ip, a test-only lifetime,
 * allow-loopback-peers) do not fail the check: they are written to err as
 * lines starting with "warning: ", so err may be non-empty when 0 is
 * returned, and the caller should log them.
 */
int config_check(const struct config *c, char *err, size_t errcap);

/* What config_warnings() judges besides the configuration itself. */
struct config_facts {
	const char *file;	/* the config file, or NULL */
	bool file_known;	/* file_mode holds its permission bits */
	unsigned file_mode;
	unsigned long euid;	/* the user ternd starts as */
};

/*
 * The risks of a valid configuration that do not stop ternd, one
 * "warning: OPTION: PROBLEM" line each (docs/security.md, Hardening): a
 * config file its group or every user can read that holds a secret
 * inline; a secret on the command line (ps shows it); root without
 * proc-user; a metrics endpoint off loopback without a token. Pure. The
 * number of warnings written (lines are cut at cap).
 */
int config_warnings(const struct config *c, const struct config_facts *f,
    char *out, size_t cap);

/*
 * The options SIGHUP cannot change (reloadable = false in the table) whose
 * values differ between a and b, as "name,name,..." in out (NUL-terminated,
 * truncated to cap). Returns how many differ, -1 on out of memory.
 */
int config_fixed_changed(const struct config *a, const struct config *b,
    char *out, size_t cap);

/* --help text for every option; --print-config with secrets redacted. */
void config_print_help(FILE *f);
void config_print(const struct config *c, FILE *f);

#endif
