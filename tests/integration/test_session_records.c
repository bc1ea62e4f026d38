/* SPDX-License-Identifier: ISC */
/*
 * Session records (README.md, Session records; docs/security.md, Personal
 * data in the logs) against a real ternd, read from its log:
 *     test_session_records TERND flow|tcp|hash|prefix|refused|off|drain
 *  flow: a REST user allocates over UDP, installs a permission, binds a
 *    channel, sends 5 packets of known sizes through an echo peer (Send
 *    indications and ChannelData) and deletes the allocation (Refresh
 *    LIFETIME 0): one session_start and one session_end record with the
 *    user-id (never the USERNAME with its expiry, never the password),
 *    realm, transport, client and relayed address, the credential's
 *    expiry, the exact packets and bytes each way, the peers and channels,
 *    reason=deleted and a duration within the test's own;
 *  tcp: a long-term user over TCP; closing the connection ends it with
 *    reason=connection_closed;
 *  hash: log-client-address = hash: two clients of one address get the
 *    same client_hash, and the address appears in no line but the
 *    listener's; the same key file after a restart gives the same hash, a
 *    different file another, no file a random key; SIGTERM ends the live
 *    allocations with reason=shutdown;
 *  prefix: log-client-address = prefix: 127.0.0.0/24 and ::/48, never the
 *    address itself;
 *  refused: log-client-address = hash covers net's log lines too: a TCP
 *    connection over max-connections-per-ip = 1 is refused with a
 *    conn_refused line holding client_hash=, and 127.0.0.1 is in no line
 *    but the listener's;
 *  off: session-records = off writes no record;
 *  drain: an allocation still live when a drain times out ends with
 *    reason=drain.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tap.h"

#define WAIT_MS		5000
#define LOG_MAX		(1 << 20)
#define CHANNEL		0x4001
#define SECRET		"session-records-secret"
#define USER_ID		"u-42"

static const char conf_base[] = HARNESS_TURN_CONF
    "user = alice:secret\n"
    "static-auth-secret = " SECRET "\n"
    "allow-loopback-peers\n";

static char logbuf[LOG_MAX];

/* ternd's log so far, NUL-terminated, in logbuf. */
static const char *
read_log(const struct harness *h)
{
	FILE *f;
	size_t n = 0;

	if ((f = fopen(h->errlog, "r")) != NULL) {
		n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
		fclose(f);
	}
	logbuf[n] = '\0';
	return logbuf;
}

/* The n-th line (from 0) of log holding every one of the (up to two)
 * strings, copied into out. true if there is one. */
static bool
find_line(const char *log, const char *s1, const char *s2, int n, char *out,
    size_t cap)
{
	const char *p = log, *end;
	size_t len;

	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, '\n')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len >= cap)
			continue;
		memcpy(out, p, len);
		out[len] = '\0';
		if (strstr(out, s1) != NULL && (s2 == NULL ||
		    strstr(out, s2) != NULL) && n-- == 0)
			return true;
	}
	return false;
}

/* Waits for the n-th line with s1 (and s2). true when it came. */
static bool
wait_line(const struct harness *h, const char *s1, const char *s2, int n,
    char *out, size_t cap)
{
	struct timespec nap = { 0, 20 * 1000000 };
	int64_t t0 = client_now_ms();

	do {
		if (find_line(read_log(h), s1, s2, n, out, cap))
			return true;
		nanosleep(&nap, NULL);	/* polling the log, with a deadline */
	} while (client_now_ms() - t0 < WAIT_MS);
	return false;
}

/* The value of " key=" in a record (up to the next space), or "". */
static const char *
field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	out[0] = '\0';
	if ((p = strstr(line, pat)) == NULL)
		return out;
	for (p += strlen(pat); p[n] != '\0' && p[n] != ' ' && n + 1 < cap; n++)
		out[n] = p[n];
	out[n] = '\0';
	return out;
}

static void
is_field(const char *line, const char *key, const char *want, const char *what)
{
	char v[256];

	is_str(field(line, key, v, sizeof(v)), want, "%s: %s=%s", what, key,
	    want);
}

static void
is_field_u(const char *line, const char *key, unsigned long long want,
    const char *what)
{
	char w[32];

	snprintf(w, sizeof(w), "%llu", want);
	is_field(line, key, w, what);
}

/* " session=ID " of a record, to find its other record. */
static void
session_key(const char *line, char *out, size_t cap)
{
	char id[64];

	snprintf(out, cap, " session=%s ", field(line, "session", id,
	    sizeof(id)));
}

/* Sends len bytes (Send, or ChannelData when channel) and reads the echo
 * back. true when the exact length came back. */
static bool
echo(struct client_turn *t, const struct addr *peer, bool channel,
    size_t len)
{
	static uint8_t out[1200], in[2048];
	struct client_turn_data d;

	memset(out, (int)len, len);
	if ((channel ? client_turn_channel_send(t, CHANNEL, out, len) :
	    client_turn_send(t, peer, out, len)) != 0)
		return false;
	return client_turn_recv(t, in, sizeof(in), &d, WAIT_MS) == 0 &&
	    d.len == len && d.channel == channel;
}

static void
check_flow_start(const char *line, const struct client *c,
    const struct client_turn *t, long long expiry)
{
	char want[ADDR_STRLEN + 2];

	is_field(line, "user", "\"" USER_ID "\"", "start");
	is_field(line, "realm", "\"tern.test\"", "start");
	is_field(line, "transport", "udp", "start");
	is_field(line, "client", addr_str(client_local(c), want,
	    sizeof(want)), "start");
	is_field(line, "relayed", addr_str(&t->relayed, want, sizeof(want)),
	    "start");
	is_field_u(line, "credential_expiry", (unsigned long long)expiry,
	    "start");
}

static void
check_flow_end(const char *line, const struct client *c, int64_t elapsed_ms)
{
	char v[64];
	double dur;

	is_field(line, "user", "\"" USER_ID "\"", "end");
	is_field(line, "realm", "\"tern.test\"", "end");
	is_field(line, "transport", "udp", "end");
	is_field(line, "client", addr_str(client_local(c), v, sizeof(v)),
	    "end");
	is_field(line, "reason", "deleted", "end");
	dur = strtod(field(line, "duration_s", v, sizeof(v)), NULL);
	ok(v[0] != '\0' && dur >= 0 && dur * 1000 <= (double)elapsed_ms + 1,
	    "end: duration_s=%s, at least 0 and within the test's %lld ms",
	    v, (long long)elapsed_ms);
	/* 100 + 200 + 300 as Send, 50 + 51 as ChannelData, echoed */
	is_field_u(line, "packets_to_peer", 5, "end");
	is_field_u(line, "bytes_to_peer", 701, "end");
	is_field_u(line, "packets_to_client", 5, "end");
	is_field_u(line, "bytes_to_client", 701, "end");
	is_field_u(line, "peers", 1, "end");
	is_field_u(line, "channels", 1, "end");
}

static void
case_flow(struct harness *h)
{
	static const size_t sends[] = { 100, 200, 300 }, chans[] = { 50, 51 };
	struct harness_peer p = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char user[128], pass[29], line[2048], key[96];
	long long expiry = (long long)time(NULL) + 600;
	int64_t t0 = client_now_ms();
	size_t i;

	if (!ok(harness_rest_cred(SECRET, expiry, USER_ID, user, sizeof(user),
	    pass) == 0, "REST credential") ||
	    !ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer") ||
	    !ok(harness_turn_open(h, CLIENT_UDP, user, pass, &c, &t) == 0,
	    "UDP client"))
		goto out;
	is_int(client_turn_allocate(&t, NULL, WAIT_MS), 0, "Allocate");
	is_int(client_turn_permit(&t, &p.addr, 1, WAIT_MS), 0,
	    "CreatePermission");
	for (i = 0; i < sizeof(sends) / sizeof(sends[0]); i++)
		ok(echo(&t, &p.addr, false, sends[i]), "Send %zu bytes and "
		    "its echo", sends[i]);
	is_int(client_turn_channel_bind(&t, CHANNEL, &p.addr, WAIT_MS), 0,
	    "ChannelBind");
	for (i = 0; i < sizeof(chans) / sizeof(chans[0]); i++)
		ok(echo(&t, &p.addr, true, chans[i]), "ChannelData %zu bytes "
		    "and its echo", chans[i]);
	if (ok(wait_line(h, "event=session_start", NULL, 0, line,
	    sizeof(line)), "a session_start record")) {
		diag("%s", line);
		check_flow_start(line, c, &t, expiry);
	}
	session_key(line, key, sizeof(key));
	is_int(client_turn_refresh(&t, 0, WAIT_MS), 0, "Refresh LIFETIME 0");
	if (ok(wait_line(h, "event=session_end", key, 0, line, sizeof(line)),
	    "a session_end record of the same session")) {
		diag("%s", line);
		check_flow_end(line, c, client_now_ms() - t0);
	}
	ok(!find_line(read_log(h), "event=session_", " session=", 2, line,
	    sizeof(line)), "exactly two records");
	ok(strstr(read_log(h), user) == NULL, "the REST USERNAME whole (%s) "
	    "is in no line", user);
	ok(strstr(read_log(h), pass) == NULL, "the password is in no line");
out:
	harness_turn_close(&c, &t);
	harness_peer_stop(&p);
}

static void
case_tcp(struct harness *h)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char line[2048], key[96];

	if (!ok(harness_turn_open(h, CLIENT_TCP, "alice", "secret", &c, &t) ==
	    0, "TCP client"))
		return;
	is_int(client_turn_allocate(&t, NULL, WAIT_MS), 0, "Allocate");
	if (ok(wait_line(h, "event=session_start", NULL, 0, line,
	    sizeof(line)), "a session_start record")) {
		is_field(line, "user", "\"alice\"", "start");
		is_field(line, "transport", "tcp", "start");
		ok(strstr(line, "credential_expiry=") == NULL,
		    "start: no credential_expiry for a long-term user");
	}
	session_key(line, key, sizeof(key));
	harness_turn_close(&c, &t);
	if (ok(wait_line(h, "event=session_end", key, 0, line, sizeof(line)),
	    "a session_end record once the connection closed")) {
		diag("%s", line);
		is_field(line, "reason", "connection_closed", "end");
		is_field_u(line, "packets_to_peer", 0, "end");
		is_field_u(line, "peers", 0, "end");
	}
}

/* Allocates from a new UDP client (an IPv6 relay when v6) and returns the
 * start record's client field (key=value) in out. */
static bool
alloc_field(struct harness *h, bool v6, int n, const char *key, char *out,
    size_t cap, struct client **c, struct client_turn *t)
{
	struct client_turn_alloc_opts ao = { 0 };
	char line[2048];

	if (v6)
		ao.family = CLIENT_TURN_FAMILY_IPV6;
	if (harness_turn_open(h, CLIENT_UDP, "alice", "secret", c, t) != 0 ||
	    client_turn_allocate(t, &ao, WAIT_MS) != 0 ||
	    !wait_line(h, "event=session_start", NULL, n, line, sizeof(line)))
		return false;
	diag("%s", line);
	field(line, key, out, cap);
	return out[0] != '\0';
}

/* Every line of log holding needle is the listener's. */
static bool
only_listener_has(const char *log, const char *needle)
{
	char line[2048];
	int i;

	for (i = 0; find_line(log, needle, NULL, i, line, sizeof(line)); i++)
		if (strstr(line, "event=listening") == NULL) {
			diag("the address is in: %s", line);
			return false;
		}
	return true;
}

/* ternd with log-client-address = hash and keyfile (NULL: none); one
 * allocation's client_hash in out. */
static bool
hash_run(struct harness *h, const char *keyfile, char *out, size_t cap)
{
	struct harness_opts o = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char extra[1024];
	bool got;

	snprintf(extra, sizeof(extra), "%slog-client-address = hash\n"
	    "relay-ip = ::1\n%s%s%s", conf_base, keyfile != NULL ?
	    "log-client-address-key-file = " : "", keyfile != NULL ? keyfile :
	    "", keyfile != NULL ? "\n" : "");
	o.extra = extra;
	if (harness_start(h, &o) != 0)
		return false;
	got = alloc_field(h, true, 0, "client_hash", out, cap, &c, &t);
	harness_turn_close(&c, &t);
	harness_stop(h);
	return got;
}

static void
case_hash(struct harness *h)
{
	struct harness_opts o = { 0 };
	struct client_turn t1 = { 0 }, t2 = { 0 };
	struct client *c1 = NULL, *c2 = NULL;
	char k1[HARNESS_PATH], k2[HARNESS_PATH], extra[1024], line[2048];
	char h1[64], h2[64], h3[64], needle[ADDR_STRLEN];
	const char *log;
	int i;

	harness_path(h, "key1", k1, sizeof(k1));
	harness_path(h, "key2", k2, sizeof(k2));
	harness_write_file(k1, "the first key of the client hash\n");
	harness_write_file(k2, "another key, for another hash\n");
	snprintf(extra, sizeof(extra), "%slog-client-address = hash\n"
	    "log-client-address-key-file = %s\nrelay-ip = ::1\n", conf_base, k1);
	o.extra = extra;
	if (!ok(harness_start(h, &o) == 0, "ternd with a hash key file"))
		return;
	ok(alloc_field(h, true, 0, "client_hash", h1, sizeof(h1), &c1, &t1),
	    "first client: client_hash=%s", h1);
	ok(alloc_field(h, true, 1, "client_hash", h2, sizeof(h2), &c2, &t2),
	    "second client: client_hash=%s", h2);
	is_int(strlen(h1), 16, "the hash is 16 hex digits");
	is_str(h1, h2, "the same address, the same hash within a run");
	log = read_log(h);
	ok(strstr(log, " client=") == NULL && strstr(log, "client_prefix=") ==
	    NULL, "no record holds the address or its prefix");
	ok(only_listener_has(log, "127.0.0.1"), "127.0.0.1 is in no line "
	    "but the listener's");
	ok(find_line(log, "event=session_records", "key=file", 0, line,
	    sizeof(line)), "the start-up line says the key is from a file");
	/* SIGTERM ends both as a shutdown */
	is_int(harness_stop(h), 0, "ternd exits 0");
	log = read_log(h);
	for (i = 0; i < 2; i++)
		ok(find_line(log, "event=session_end", "reason=shutdown", i, line,
		    sizeof(line)), "session_end %d: reason=shutdown", i + 1);
	addr_str(client_local(c1), needle, sizeof(needle));
	ok(strstr(log, needle) == NULL, "%s is in no line", needle);
	harness_turn_close(&c1, &t1);
	harness_turn_close(&c2, &t2);

	ok(hash_run(h, k1, h3, sizeof(h3)), "restarted with the same key file");
	is_str(h3, h1, "the same key file, the same hash after a restart");
	ok(hash_run(h, k2, h3, sizeof(h3)), "restarted with another key file");
	ok(strcmp(h3, h1) != 0, "another key, another hash (%s)", h3);
	ok(hash_run(h, NULL, h3, sizeof(h3)), "restarted without a key file");
	ok(strcmp(h3, h1) != 0, "a random key, another hash (%s)", h3);
	ok(find_line(read_log(h), "event=session_records",
	    "key=random_per_start", 0, line, sizeof(line)),
	    "the start-up line says the key is random per start");
}

/* One allocation of a ternd on ip with log-client-address = prefix. */
static void
prefix_run(struct harness *h, const char *ip, const char *want)
{
	struct harness_opts o = { 0 };
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char extra[1024], v[64], needle[ADDR_STRLEN];

	snprintf(extra, sizeof(extra), "%slog-client-address = prefix\n"
	    "relay-ip = %s\n", conf_base, ip);
	o.extra = extra;
	o.ip = ip;
	if (!ok(harness_start(h, &o) == 0, "ternd on %s", ip))
		return;
	if (ok(alloc_field(h, strchr(ip, ':') != NULL, 0, "client_prefix", v,
	    sizeof(v), &c, &t), "a session_start record"))
		is_str(v, want, "client_prefix=%s", want);
	addr_str(client_local(c), needle, sizeof(needle));
	ok(strstr(read_log(h), needle) == NULL, "%s is in no line", needle);
	ok(strstr(read_log(h), " client=") == NULL, "no client= field");
	harness_turn_close(&c, &t);
	harness_stop(h);
}

static void
case_prefix(struct harness *h)
{
	prefix_run(h, "127.0.0.1", "127.0.0.0/24");
	prefix_run(h, "::1", "::/48");
}

static void
case_refused(struct harness *h)
{
	struct harness_opts o = { 0 };
	struct client *c1 = NULL, *c2 = NULL;
	char extra[1024], line[2048], v[64];

	snprintf(extra, sizeof(extra), "%slog-client-address = hash\n"
	    "max-connections-per-ip = 1\nrelay-ip = ::1\n", conf_base);
	o.extra = extra;
	if (!ok(harness_start(h, &o) == 0, "ternd with log-client-address = "
	    "hash, max-connections-per-ip = 1"))
		return;
	/* both stay open: whichever ternd accepts second is refused */
	ok(harness_client(h, CLIENT_TCP, &c1) == 0, "first TCP connection");
	ok(harness_client(h, CLIENT_TCP, &c2) == 0, "second TCP connection");
	if (ok(wait_line(h, "event=conn_refused", NULL, 0, line, sizeof(line)),
	    "a conn_refused line")) {
		diag("%s", line);
		is_field(line, "reason", "max-connections-per-ip", "refused");
		is_int(strlen(field(line, "client_hash", v, sizeof(v))), 16,
		    "refused: client_hash=%s, 16 hex digits", v);
		ok(strstr(line, " client=") == NULL &&
		    strstr(line, "127.0.0.1") == NULL,
		    "refused: the address is not in the line");
	}
	ok(only_listener_has(read_log(h), "127.0.0.1"), "127.0.0.1 is in no "
	    "line but the listener's");
	client_free(c1);
	client_free(c2);
	is_int(harness_stop(h), 0, "ternd exits 0");
}

/* ternd with one more config line (and relay-ip 127.0.0.1), and an
 * allocation from a UDP client. true when it was granted. */
static bool
start_alloc(struct harness *h, const char *line, struct client **c,
    struct client_turn *t)
{
	struct harness_opts o = { 0 };
	char extra[1024];

	snprintf(extra, sizeof(extra), "%s%s\nrelay-ip = 127.0.0.1\n",
	    conf_base, line);
	o.extra = extra;
	return ok(harness_start(h, &o) == 0, "ternd with %s", line) &&
	    ok(harness_turn_open(h, CLIENT_UDP, "alice", "secret", c, t) == 0,
	    "UDP client") &&
	    ok(client_turn_allocate(t, NULL, WAIT_MS) == 0, "Allocate");
}

static void
case_off(struct harness *h)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char line[2048];

	if (start_alloc(h, "session-records = off", &c, &t))
		is_int(client_turn_refresh(&t, 0, WAIT_MS), 0,
		    "Refresh LIFETIME 0");
	harness_turn_close(&c, &t);
	/* the records are written before the answers are sent */
	ok(!find_line(read_log(h), "event=session_", " session=", 0, line,
	    sizeof(line)), "no session record");
	is_int(harness_stop(h), 0, "ternd exits 0");
}

static void
case_drain(struct harness *h)
{
	struct client_turn t = { 0 };
	struct client *c = NULL;
	char line[2048];

	if (start_alloc(h, "drain-timeout = 1", &c, &t)) {
		kill(h->pid, SIGUSR1);
		is_int(harness_wait(h->pid, WAIT_MS), 0, "the drain times out "
		    "and ternd exits 0");
		h->pid = 0;
		ok(find_line(read_log(h), "event=session_end", "reason=drain", 0,
		    line, sizeof(line)), "session_end reason=drain");
	}
	harness_turn_close(&c, &t);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct harness_opts o = { 0 };
	char extra[1024];
	const char *what = argc == 3 ? argv[2] : "";
	bool own = strcmp(what, "flow") == 0 || strcmp(what, "tcp") == 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test_session_records TERND "
		    "flow|tcp|hash|prefix|refused|off|drain\n");
		return 2;
	}
	snprintf(extra, sizeof(extra), "%srelay-ip = 127.0.0.1\n", conf_base);
	o.extra = extra;
	if (!ok(harness_init(&h, argv[1]) == 0, "temp dir"))
		return tap_done();
	if (own && !ok(harness_start(&h, &o) == 0, "ternd started"))
		goto out;
	if (strcmp(what, "flow") == 0)
		case_flow(&h);
	else if (strcmp(what, "tcp") == 0)
		case_tcp(&h);
	else if (strcmp(what, "hash") == 0)
		case_hash(&h);
	else if (strcmp(what, "prefix") == 0)
		case_prefix(&h);
	else if (strcmp(what, "refused") == 0)
		case_refused(&h);
	else if (strcmp(what, "off") == 0)
		case_off(&h);
	else if (strcmp(what, "drain") == 0)
		case_drain(&h);
	else
		ok(0, "unknown case %s", what);
	if (own)
		is_int(harness_stop(&h), 0, "ternd exits 0");
out:
	harness_fini(&h);
	return tap_done();
}
