/* SPDX-License-Identifier: ISC */
/*
 * metrics_table: tern's metric set, the one place where metric names, help
 * texts and label value sets are declared (Prometheus conventions: the
 * tern_ prefix, _total counters, base units). Every label value is a
 * constant from this file or a name function of the policy or the engine;
 * nothing from the wire.
 */
#include <stddef.h>

#include "metrics/metrics.h"
#include "policy/policy.h"
#include "stun/stun.h"
#include "turn/turn.h"

#ifndef TERN_VERSION
#define TERN_VERSION "unknown"
#endif

_Static_assert(METRICS_DROP_TURN_COUNT == TURN_DROP_COUNT,
    "metrics.h METRICS_DROP_TURN_COUNT must follow enum turn_drop");
_Static_assert((int)METRICS_UDP == (int)TURN_UDP &&
    (int)METRICS_TCP == (int)TURN_TCP && (int)METRICS_TLS == (int)TURN_TLS,
    "enum metrics_transport must follow enum turn_transport");

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define LABEL(n, v)	{ .name = (n), .count = NITEMS(v), .values = (v) }

static const char *const version_v[] = { TERN_VERSION };
static const char *const transport_v[] = { "udp", "tcp", "tls" };
static const char *const family_v[] = { "ipv4", "ipv6" };
static const char *const end_v[] = {
	"expired", "deleted", "connection_closed", "shutdown", "revoked" };
static const char *const direction_v[] = { "client_to_peer", "peer_to_client" };
static const char *const auth_v[] = { "bad_integrity", "unknown_user",
	"expired", "revoked", "stale_nonce", "bad_request" };
static const char *const quota_v[] = { "user", "ip", "total", "permissions",
	"channels", "connections" };
static const char *const tls_v[] = { "success", "failure", "timeout" };
static const char *const tls_reload_v[] = { "ok", "error" };
_Static_assert(NITEMS(tls_reload_v) == METRICS_TLS_RELOAD_COUNT,
    "TLS reload results");
static const char *const conn_refusal_v[] = { "per_ip", "per_48", "total",
	"accept_rate" };
static const char *const conn_timeout_v[] = { "no_allocation",
	"stalled_frame", "idle" };
static const char *const uk_refusal_v[] = { "rate", "source_queue",
	"queue_full" };
static const char *const uk_eviction_v[] = { "key", "negative" };
_Static_assert(NITEMS(uk_refusal_v) == METRICS_UK_REFUSAL_COUNT,
    "user-key refusal reasons");
_Static_assert(NITEMS(uk_eviction_v) == METRICS_UK_EVICTION_COUNT,
    "user-key eviction kinds");

/* Same order as the STUN method list in metrics_stun_method_index(). */
static const uint16_t stun_methods[] = { STUN_BINDING, STUN_ALLOCATE,
	STUN_REFRESH, STUN_SEND, STUN_DATA, STUN_CREATE_PERMISSION,
	STUN_CHANNEL_BIND, STUN_CONNECT, STUN_CONNECTION_BIND,
	STUN_CONNECTION_ATTEMPT };
static const char *const method_v[] = { "binding", "allocate", "refresh",
	"send", "data", "create_permission", "channel_bind", "connect",
	"connection_bind", "connection_attempt" };
/* Success, then the RFC error codes tern sends. */
static const unsigned stun_codes[] = { 0, 300, 400, 401, 403, 420, 437, 438,
	440, 441, 442, 443, 446, 447, 486, 500, 508 };
static const char *const code_v[] = { "200", "300", "400", "401", "403",
	"420", "437", "438", "440", "441", "442", "443", "446", "447", "486",
	"500", "508" };
_Static_assert(NITEMS(end_v) == METRICS_END_COUNT, "end reasons");
_Static_assert(NITEMS(quota_v) == METRICS_QUOTA_COUNT, "quota kinds");
_Static_assert(NITEMS(conn_refusal_v) == METRICS_CONN_REFUSAL_COUNT,
    "connection refusal reasons");
_Static_assert(NITEMS(conn_timeout_v) == METRICS_CONN_TIMEOUT_COUNT,
    "connection timeout reasons");
/* The engine's outcome names the label index directly. */
_Static_assert((int)METRICS_QUOTA_USER == (int)TURN_QUOTA_USER &&
    (int)METRICS_QUOTA_IP == (int)TURN_QUOTA_IP &&
    (int)METRICS_QUOTA_TOTAL == (int)TURN_QUOTA_TOTAL &&
    (int)METRICS_QUOTA_PERMISSIONS == (int)TURN_QUOTA_PERMISSIONS &&
    (int)METRICS_QUOTA_CHANNELS == (int)TURN_QUOTA_CHANNELS,
    "quota kinds follow enum turn_quota_kind");
_Static_assert((int)METRICS_END_EXPIRED == (int)TURN_END_EXPIRED &&
    (int)METRICS_END_DELETED == (int)TURN_END_DELETED &&
    (int)METRICS_END_CONN_CLOSED == (int)TURN_END_CONN_CLOSED &&
    (int)METRICS_END_SHUTDOWN == (int)TURN_END_SHUTDOWN &&
    (int)METRICS_END_REVOKED == (int)TURN_END_REVOKED &&
    (int)METRICS_END_COUNT == (int)TURN_END_COUNT,
    "end reasons follow enum turn_end");
_Static_assert(NITEMS(stun_methods) == NITEMS(method_v), "method names");
_Static_assert(NITEMS(stun_codes) == NITEMS(code_v), "code names");

/* Refusals are the deny verdicts; allow verdicts fold into "other". */
static const char *
metrics_refusal_name(unsigned i)
{
	if (policy_verdict_is_allowed((enum policy_verdict)i))
		return NULL;
	return policy_verdict_name((enum policy_verdict)i);
}

static const char *const drop_io_v[] = { "too_big", "send_failed" };
_Static_assert(NITEMS(drop_io_v) == METRICS_DROP_COUNT - TURN_DROP_COUNT,
    "drop names");

static const char *
metrics_drop_name(unsigned i)
{
	if (i == TURN_DROP_NONE || i == TURN_DROP_PENDING)
		return NULL;
	if (i < TURN_DROP_COUNT)
		return turn_drop_name((enum turn_drop)i);
	return drop_io_v[i - TURN_DROP_COUNT];
}

static const struct metrics_label l_version = LABEL("version", version_v);
static const struct metrics_label l_transport = LABEL("transport", transport_v);
static const struct metrics_label l_family = LABEL("family", family_v);
static const struct metrics_label l_end = LABEL("reason", end_v);
static const struct metrics_label l_direction = LABEL("direction", direction_v);
static const struct metrics_label l_auth = LABEL("reason", auth_v);
static const struct metrics_label l_quota = LABEL("kind", quota_v);
static const struct metrics_label l_tls = LABEL("result", tls_v);
static const struct metrics_label l_tls_reload = LABEL("result",
    tls_reload_v);
static const struct metrics_label l_conn_refusal = LABEL("reason",
    conn_refusal_v);
static const struct metrics_label l_conn_timeout = LABEL("reason",
    conn_timeout_v);
static const struct metrics_label l_uk_refusal = LABEL("reason",
    uk_refusal_v);
static const struct metrics_label l_uk_eviction = LABEL("kind",
    uk_eviction_v);
static const struct metrics_label l_method = LABEL("method", method_v);
static const struct metrics_label l_code = LABEL("code", code_v);
static const struct metrics_label l_refusal = { .name = "reason",
	.count = POLICY_VERDICT_COUNT, .value_fn = metrics_refusal_name };
static const struct metrics_label l_drop = { .name = "reason",
	.count = METRICS_DROP_COUNT, .value_fn = metrics_drop_name };

/* Redis round trips on loopback or a LAN: 100 us to 5 s. */
static const double redis_b[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };
/* Allocation lifetimes: a failed call to a day-long session. */
static const double alloc_b[] = { 1, 10, 30, 60, 300, 600, 1800, 3600,
	7200, 14400, 43200, 86400 };

#define C(id, n, h, ...)	[id] = { .name = (n), .type = METRICS_COUNTER, \
	.help = (h), .labels = { __VA_ARGS__ } }
#define G(id, n, h, ...)	[id] = { .name = (n), .type = METRICS_GAUGE, \
	.help = (h), .labels = { __VA_ARGS__ } }
#define H(id, n, h, b)		[id] = { .name = (n), \
	.type = METRICS_HISTOGRAM, .help = (h), .buckets = (b), \
	.nbuckets = NITEMS(b) }

const struct metrics_def metrics_tern_defs[METRICS_ID_COUNT] = {
	[METRICS_BUILD_INFO] = { .name = "tern_build_info",
	    .type = METRICS_GAUGE, .flags = METRICS_F_CONST1,
	    .help = "Build information; the value is always 1.",
	    .labels = { &l_version } },
	G(METRICS_ALLOCATIONS, "tern_allocations",
	    "Live TURN allocations.", &l_transport, &l_family),
	G(METRICS_PERMISSIONS, "tern_permissions", "Live TURN permissions.",
	    NULL),
	G(METRICS_CHANNELS, "tern_channels", "Live TURN channel bindings.",
	    NULL),
	G(METRICS_CONNECTIONS, "tern_connections",
	    "Open client connections.", &l_transport),
	G(METRICS_RELAY_PORTS_USED, "tern_relay_ports_used",
	    "Relay ports in use or reserved.", NULL),
	G(METRICS_RELAY_PORTS_FREE, "tern_relay_ports_free",
	    "Relay ports available for new allocations.", NULL),
	C(METRICS_ALLOCATIONS_CREATED, "tern_allocations_created_total",
	    "TURN allocations created.", NULL),
	C(METRICS_ALLOCATIONS_ENDED, "tern_allocations_ended_total",
	    "TURN allocations ended, by reason.", &l_end),
	C(METRICS_RELAYED_PACKETS, "tern_relayed_packets_total",
	    "Packets relayed, by direction.", &l_direction),
	C(METRICS_RELAYED_BYTES, "tern_relayed_bytes_total",
	    "Payload bytes relayed, by direction.", &l_direction),
	C(METRICS_STUN_REQUESTS, "tern_stun_requests_total",
	    "STUN requests and indications received, by method.", &l_method),
	C(METRICS_STUN_RESPONSES, "tern_stun_responses_total",
	    "STUN responses sent, by method and code (200 is success).",
	    &l_method, &l_code),
	C(METRICS_AUTH_FAILURES, "tern_auth_failures_total",
	    "Requests that failed authentication, by reason.", &l_auth),
	C(METRICS_PEER_REFUSALS, "tern_peer_refusals_total",
	    "Peers refused by the peer policy, by verdict.", &l_refusal),
	C(METRICS_QUOTA_REFUSALS, "tern_quota_refusals_total",
	    "Requests refused by a quota, by kind.", &l_quota),
	C(METRICS_DROPPED_PACKETS, "tern_dropped_packets_total",
	    "Packets dropped without an answer, by reason.", &l_drop),
	C(METRICS_TLS_HANDSHAKES, "tern_tls_handshakes_total",
	    "TLS handshakes, by result.", &l_tls),
	C(METRICS_CONN_REFUSALS, "tern_connection_refusals_total",
	    "TCP and TLS connections refused at accept, by reason.",
	    &l_conn_refusal),
	C(METRICS_CONN_TIMEOUTS, "tern_connection_timeouts_total",
	    "TCP and TLS connections closed for making no progress, by reason.",
	    &l_conn_timeout),
	C(METRICS_REDIS_ERRORS, "tern_redis_errors_total",
	    "Redis commands or connections that failed.", NULL),
	G(METRICS_REDIS_UP, "tern_redis_up",
	    "1 when the Redis connection is up, else 0; NaN without Redis.",
	    NULL),
	H(METRICS_REDIS_COMMAND_SECONDS, "tern_redis_command_seconds",
	    "Redis command round-trip time.", redis_b),
	G(METRICS_SECRETS_LOADED, "tern_secrets_loaded",
	    "REST API secrets in the current snapshot.", NULL),
	G(METRICS_SNAPSHOT_TIMESTAMP, "tern_snapshot_timestamp_seconds",
	    "Unix time the secrets snapshot was last loaded.", NULL),
	C(METRICS_REDIS_SNAPSHOT_FAILURES, "tern_redis_snapshot_failures_total",
	    "Redis snapshot loads that failed; the previous snapshot stayed.",
	    NULL),
	C(METRICS_USER_KEY_REFUSED, "tern_user_key_lookups_refused_total",
	    "User-key lookups not started and their requests dropped, by "
	    "reason.", &l_uk_refusal),
	C(METRICS_USER_KEY_EVICTIONS, "tern_user_key_evictions_total",
	    "User-key cache entries evicted to make room, by kind.",
	    &l_uk_eviction),
	H(METRICS_ALLOCATION_DURATION, "tern_allocation_duration_seconds",
	    "Lifetime of ended TURN allocations.", alloc_b),
	G(METRICS_DRAINING, "tern_draining",
	    "1 while draining (after SIGUSR1), else 0.", NULL),
	G(METRICS_READY, "tern_ready",
	    "1 when /readyz answers 200, else 0 (503).", NULL),
	C(METRICS_TLS_RELOADS, "tern_tls_reloads_total",
	    "Loads of the TLS certificate and key after start-up (SIGHUP or a "
	    "file change), by result; on error the previous pair stayed.",
	    &l_tls_reload),
	G(METRICS_TLS_CERT_EXPIRY,
	    "tern_tls_certificate_expiry_timestamp_seconds",
	    "Unix time the TLS certificate in force expires (notAfter); NaN "
	    "without TLS.", NULL),
	G(METRICS_SELF_TEST_SUCCESS, "tern_self_test_success",
	    "1 when the last self-test relayed through this server, else 0.",
	    NULL),
	G(METRICS_SELF_TEST_DURATION, "tern_self_test_duration_seconds",
	    "How long the last self-test took.", NULL),
	C(METRICS_SELF_TEST_FAILURES, "tern_self_test_failures_total",
	    "Self-tests that failed.", NULL),
	C(METRICS_PROCESS_CPU, "process_cpu_seconds_total",
	    "Total user and system CPU time spent in seconds.", NULL),
	G(METRICS_PROCESS_RESIDENT, "process_resident_memory_bytes",
	    "Resident memory size in bytes.", NULL),
	G(METRICS_PROCESS_VIRTUAL, "process_virtual_memory_bytes",
	    "Virtual memory size in bytes.", NULL),
	G(METRICS_PROCESS_OPEN_FDS, "process_open_fds",
	    "Number of open file descriptors.", NULL),
	G(METRICS_PROCESS_MAX_FDS, "process_max_fds",
	    "Maximum number of open file descriptors.", NULL),
	G(METRICS_PROCESS_START_TIME, "process_start_time_seconds",
	    "Start time of the process since unix epoch in seconds.", NULL),
};

unsigned
metrics_stun_method_index(uint16_t method)
{
	unsigned i;

	for (i = 0; i < NITEMS(stun_methods); i++)
		if (stun_methods[i] == method)
			return i;
	return NITEMS(stun_methods);
}

unsigned
metrics_stun_code_index(unsigned code)
{
	unsigned i;

	for (i = 0; i < NITEMS(stun_codes); i++)
		if (stun_codes[i] == code)
			return i;
	return NITEMS(stun_codes);
}
