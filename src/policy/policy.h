/* SPDX-License-Identifier: ISC */
/*
 * policy: the peer address policy (which peers a relay may talk to).
 *
 * What it does: parses operator address ranges (CIDR and coturn's a-b
 * form), canonicalises a peer address and judges it in this order (the
 * reasons for each row: docs/security.md, Peer deny list):
 *   1. canonicalise: IPv4-mapped ::ffff:a.b.c.d becomes the IPv4 address
 *      (it *is* that host on a dual-stack socket, RFC 4291 §2.5.5.2);
 *      IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64
 *      (RFC 6052, RFC 8215), 6to4 (RFC 3056) and Teredo (RFC 4380) give a
 *      second, embedded IPv4 form; every form is judged and any denial wins;
 *   2. hard deny (no rule or flag reopens it): addresses that are never a
 *      peer (RFC 6890 "this network", reserved, broadcast; IPv4-in-IPv6
 *      wrappers, RFC 8656 §21.4), all of link-local 169.254.0.0/16
 *      (RFC 3927, where every cloud metadata service lives) and the cloud
 *      metadata endpoints elsewhere, the server's own endpoints and the
 *      allocation's own relayed transport address;
 *   3. this machine's own addresses ("host addresses"): refused on every
 *      port outside the relay port range, whatever the rules say; inside
 *      it they go on to the next steps (relay to relay);
 *   4. implicit relay-to-relay allow: a relay IP on a relay port;
 *   5. loopback, multicast and NAT64 prefixes: open only through their named
 *      flag, never through a range;
 *   6. operator rules: the smallest matching range wins, deny wins a tie;
 *   7. the built-in default deny set (private, shared, documentation and
 *      benchmarking space, RFC 6890; IPv6 outside 2000::/3);
 *   8. everything else is allowed.
 * Ports matter for the self entries, the host addresses and the
 * relay-to-relay rule only. A permission is per IP (RFC 8656 §9), so
 * CreatePermission is judged with policy_perm_check(), which ignores the
 * port; every check where the port is known (Send, ChannelBind, data
 * towards a peer) uses policy_peer_check().
 *
 * What it must not do: I/O, logging, locking, or allocating per check.
 * A struct policy_peer is immutable once built: the net layer swaps it whole
 * on reload behind an atomic pointer and any number of threads may call
 * the checks on it at once.
 *
 * Caller duty (the address judged must be the address used): send to the
 * address that policy_addr_canonical() returns, so that ::ffff:a.b.c.d goes
 * out as IPv4 (family 0x01), never through an IPv6 socket.
 *
 * Cost of a check: a fixed scan of ~40 built-in ranges, plus the self
 * entries, relay IPs and operator rules (each a linear scan; operator rules
 * are kept sorted most specific first, so the scan stops at the first
 * match) and a binary search of the host addresses, for each of the (at
 * most two) forms of the peer.
 */
#ifndef TERN_POLICY_H
#define TERN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

/* An inclusive range of addresses of one family, in network byte order.
 * IPv4 uses bytes 0-3 of lo and hi; the rest are zero. */
struct policy_range {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t lo[16];		/* first address */
	uint8_t hi[16];		/* last address, lo <= hi */
};

#define POLICY_RANGE_STRLEN	96	/* "ipv6-ipv6" fits */

/*
 * Parses "10.0.0.0/8", "2001:db8::/32", a bare IP (/32 or /128), or
 * "10.0.0.1-10.0.0.9" (same family, a <= b). Strict: no whitespace, no
 * scope id, prefix in decimal without sign or leading zero, and a CIDR with
 * host bits set is refused (10.1.2.3/8 is more likely a typo than a wish to
 * name all of 10/8; refusing makes the operator say what they mean). A range
 * wholly inside ::ffff:0:0/96 is stored as IPv4, since that is the form
 * peers are judged in. Returns 0, or -1 with *why (if why is not NULL) set
 * to a static reason for the config error message; *out is then zeroed.
 */
int policy_range_parse(const char *s, struct policy_range *out,
    const char **why);
/* CIDR form when the range is one, else "lo-hi", into out. Returns out. */
char *policy_range_str(const struct policy_range *r, char *out, size_t cap);
/* Wider than /8 (IPv4) or /16 (IPv6): the config layer warns about such
 * allow rules at start-up (an allow rule that wide is more often a slip
 * than a wish to open that much of the internal network). */
bool policy_range_is_wide(const struct policy_range *r);
/* Whether the IP of a (port ignored, no canonicalisation) is in r. */
bool policy_range_has_addr(const struct policy_range *r,
    const struct addr *a);

enum policy_verdict {
	POLICY_ALLOW = 0,	/* nothing denies it (step 8) */
	POLICY_ALLOW_RULE,	/* an operator allow rule (step 6) */
	POLICY_ALLOW_RELAY,	/* another relayed address here (step 4) */
	POLICY_DENY_HARD,	/* never a peer, metadata endpoints (step 2) */
	POLICY_DENY_SELF,	/* own endpoint or own relayed address */
	POLICY_DENY_LOOPBACK,	/* 127/8, ::1 without allow_loopback */
	POLICY_DENY_MULTICAST,	/* 224/4, ff00::/8 without allow_multicast */
	POLICY_DENY_NAT64,	/* 64:ff9b::/96, 64:ff9b:1::/48 without flag */
	POLICY_DENY_RULE,	/* an operator deny rule (step 6) */
	POLICY_DENY_DEFAULT,	/* built-in default deny set (step 7) */
	POLICY_DENY_FAMILY,	/* neither IPv4 nor IPv6 */
	POLICY_DENY_HOST,	/* a host address off the relay ports (step 3) */
	POLICY_VERDICT_COUNT
};

/* Inputs of policy_peer_new(). Everything is borrowed for the call only:
 * policy_peer_new() copies what it keeps. */
struct policy_peer_opts {
	const struct policy_range *allow;	/* allowed-peer-ip */
	size_t nallow;
	const struct policy_range *deny;	/* denied-peer-ip */
	size_t ndeny;
	bool allow_loopback;	/* allow-loopback-peers (testing only) */
	bool allow_multicast;	/* allow-multicast-peers */
	bool allow_nat64;	/* NAT64 prefixes; embedded IPv4 still judged */
	/* The server's own endpoints (listeners, metrics, redis, external
	 * IPs on those ports), ip:port; port 0 means every port (e.g. a
	 * subnet-directed broadcast). Wildcard addresses are refused: the
	 * net layer expands them into its interface addresses. */
	const struct addr *self;
	size_t nself;
	/* The relay IPs (interfaces and external IPs; ports ignored) and the
	 * relay port range, for relay-to-relay pairs (step 4). min = max = 0
	 * disables the implicit allow, and makes every host address refused
	 * on every port. */
	const struct addr *relay;
	size_t nrelay;
	uint16_t relay_port_min;
	uint16_t relay_port_max;
	/* Every address of this machine (step 3; ports ignored): all the
	 * interface addresses, listening-ip, relay-ip and both sides of every
	 * external-ip. The relay IPs above are NOT added implicitly: list them
	 * here too. A packet relayed to one of these leaves with the host
	 * itself as its source and reaches whatever listens there (DNS, SNMP,
	 * memcached, anything bound to the wildcard address); the only peers
	 * a client may have there are other relayed transport addresses, all
	 * in the relay port range. Duplicates are fine; the IPv4-mapped form
	 * is stored as IPv4; a wildcard (0.0.0.0, ::) is skipped (the net
	 * layer lists the interface addresses instead, and the wildcard
	 * itself is hard-denied). nhost = 0 turns step 3 off. */
	const struct addr *host;
	size_t nhost;
};

struct policy_peer;

/* Builds a policy. NULL on bad input (*why, if not NULL, says what: a
 * static string) or out of memory (*why = "out of memory"). The result is
 * owned by the caller, read-only, and freed with policy_peer_free(). */
struct policy_peer *policy_peer_new(const struct policy_peer_opts *o,
    const char **why);
void policy_peer_free(struct policy_peer *p);	/* NULL is a no-op */

/*
 * Judges peer (IP and port): for every check where the port is known (a
 * Send indication, ChannelBind, data towards a peer). own_relay is the
 * allocation's own relayed transport address (may be NULL), always
 * refused: relaying to itself would loop (RFC 8656 §21). Does not
 * allocate, lock or log; safe from any thread.
 */
enum policy_verdict policy_peer_check(const struct policy_peer *p,
    const struct addr *peer, const struct addr *own_relay);
/*
 * Judges the IP of peer for a permission (CreatePermission, and the
 * re-check of permissions on reload): RFC 8656 §9, a permission is per IP
 * and the port is ignored. Same steps as policy_peer_check(), except that
 * a self entry refuses only when it stands for every port (port 0), a host
 * address passes step 3 when a relay port range exists (relay to relay
 * must stay possible; its other ports are refused where the port is known),
 * a relay IP is allowed by step 4, and there is no own_relay (other
 * allocations share its IP). Same cost and thread safety.
 */
enum policy_verdict policy_perm_check(const struct policy_peer *p,
    const struct addr *peer);
/*
 * Step 3 alone, for a per-packet guard on the data path: POLICY_DENY_HOST
 * when a form of peer is a host address and its port lies outside the
 * relay port range, POLICY_DENY_FAMILY for no policy, no peer or a family
 * other than IPv4/IPv6, POLICY_ALLOW otherwise. A range test and a binary
 * search of the host addresses (no scan of the other tables); does not
 * allocate, lock or log.
 */
enum policy_verdict policy_host_check(const struct policy_peer *p,
    const struct addr *peer);
bool policy_verdict_is_allowed(enum policy_verdict v);
/* A short lowercase label ("allow", "deny_hard", ...) for metrics. */
const char *policy_verdict_name(enum policy_verdict v);

/*
 * The address to judge and to use: ::ffff:a.b.c.d becomes a.b.c.d (port
 * kept), anything else is copied. out may equal in.
 */
void policy_addr_canonical(const struct addr *in, struct addr *out);

/* ==== Per-source budgets (policy_rate.c) ==================================
 *
 * What it does: bounds how often one source is answered before it has
 * authenticated (docs/security.md, Per-source budgets). A source is an
 * IPv4 /32 or an IPv6 /64; an IPv4-mapped ::ffff:a.b.c.d is the IPv4
 * source, as in policy_addr_canonical(). Every IPv6 /64 also draws from a
 * larger budget of its /48, so that the 65,536 /64s of one /48 (a site,
 * RFC 6177) cannot multiply the limit by 65,536: a take passes only if the
 * /64 and its /48 both hold a token, and then takes one from each.
 *
 * Token buckets: rate tokens per period_ms are added, in integers (a token
 * is period_ms units, a bucket gains rate units per ms: exactly rate
 * tokens per period, nothing lost to rounding), lazily from the time
 * elapsed since the bucket was last touched, capped at burst. A new source
 * starts with a full bucket. Time is the caller's monotonic clock in ms; a
 * now earlier than one already seen counts as the latest seen.
 *
 * Two uses, two tables per worker:
 *   unauthenticated answers (unauth-rate, unauth-burst): one take per
 *     answer to a request that has NOT passed MESSAGE-INTEGRITY (Binding
 *     success, 401, 420, 400, 438); refused = drop silently. Defaults
 *     POLICY_RATE_UNAUTH_RATE per second, POLICY_RATE_UNAUTH_BURST.
 *   failed credentials (auth-failure-limit): one take per failed
 *     MESSAGE-INTEGRITY check, and policy_rate_over() before checking a
 *     request's credentials (true = drop it). rate = burst = the limit per
 *     60000 ms, with lockout: a source that has spent its limit stays over
 *     until its bucket is full again, which is a minute after it ran dry
 *     ("dropped for the rest of the minute"), and other sources are
 *     unaffected (a /48 that has spent its own budget, 8 times larger, is
 *     locked the same way, for all its /64s). Without lockout a source
 *     would be let through again after 60 / limit seconds, one failure at
 *     a time. Over a long time a source gets at most limit failures a
 *     minute either way.
 *
 * The table: entries (a power of two, default 65,536: 2 MiB) in sets of
 * 8 ways; a source's set is SipHash-2-4 of its prefix under a 16-byte key
 * drawn at creation (crypto_random), so that no one can aim sources at
 * one set. A new source may take an empty way or a way whose bucket is
 * FULL at that moment, never one whose bucket is not full; a /48 is also
 * kept, full or not, until every /64 that has drawn on it is full again
 * (it records when that is). When every way of its set holds a bucket that
 * may not be evicted, the source is judged by one shared overflow bucket
 * (default: the budget of one source) and gets no entry.
 *
 * Why eviction is harmless: a full bucket has nothing to remember. If it
 * is dropped and the source comes back, its new entry starts full, which
 * is exactly what the dropped one would have held (a full bucket stays
 * full). A bucket that is not full (a source that has spent tokens, the
 * only state whose loss would hand it a fresh budget) is never evicted: it
 * stays until it has refilled to full, and a /64 that is not full keeps
 * its /48 too. So a flood of spoofed sources can never give a real client
 * back tokens it has spent, whatever the flood's size; a client whose
 * bucket is not full keeps its buckets exactly as a table with no size
 * limit would, and a source's own buckets never pass more than
 * burst + rate * elapsed (tests/unit/test_policy_rate.c and
 * tests/fuzz/fuzz_policy_rate.c check both). What a flood can do: keep a
 * set's 8 ways not full, so that a new source, or a full one that was
 * evicted and comes back, is judged by the shared overflow bucket (and
 * may be refused while the flood lasts). Holding k entries not full costs
 * the attacker k * rate answered packets per second (each bucket refills
 * at rate; an IPv6 packet holds a /64 and its /48 for as long as the /64
 * is not full, k / 2 * rate), so filling the whole default table takes
 * 1.6 to 3.3 million packets a second per worker; a smaller flood fills a
 * set only by chance, and the keyed hash stops it from choosing which.
 *
 * The /48 budget defaults to POLICY_RATE_AGG48 (8) times the /64 budget:
 * a /48 is usually one site, and a site's LANs are /64s; 8 busy LANs at
 * full rate at once, and a residential ISP's /48 (256 /56s) shares 400
 * answers a second at the default rate, far beyond what call set-ups use.
 *
 * Per worker: SO_REUSEPORT spreads a source's UDP flows (its ports) over
 * the workers, so a source may get up to (workers) times the budget; the
 * defaults are sized for one worker (docs/security.md, Per-source budgets).
 *
 * What it must not do: I/O, logging, locking or allocating after
 * policy_rate_new(). One table per worker thread: not thread-safe, and it
 * needs no atomics. Cost of a call: one or two SipHash-2-4 of 16 bytes and
 * a scan of one or two sets of 8 entries (32 bytes each).
 */
#define POLICY_RATE_UNAUTH_RATE		50	/* per second per source */
#define POLICY_RATE_UNAUTH_BURST	400	/* see docs/security.md */
#define POLICY_RATE_AUTH_FAILURE_LIMIT	30	/* failures per minute */
#define POLICY_RATE_AGG48		8	/* /48 budget = 8 x /64's */
#define POLICY_RATE_ENTRIES		65536	/* per table */
#define POLICY_RATE_SEED_LEN		16

struct policy_rate_opts {
	uint32_t rate;		/* tokens per period per source, >= 1 */
	uint32_t burst;		/* bucket size per source, >= 1 */
	uint32_t period_ms;	/* 1000: rate per second; 60000: per minute */
	/* The /48 budget of IPv6 sources; 0: POLICY_RATE_AGG48 times rate,
	 * times burst. */
	uint32_t rate48, burst48;
	/* The one bucket shared by sources the table has no room for;
	 * 0: rate, burst (all of them together get one source's budget). */
	uint32_t overflow_rate, overflow_burst;
	uint32_t entries;	/* a power of two, 8 to 2^22; 0: 65,536 */
	/* Once a source bucket (not the shared one) has run dry, refuse it
	 * until it is full again (the failure limit). */
	bool lockout;
};

/* Counters (one table's, for tests and metrics). */
struct policy_rate_stats {
	uint64_t allowed;	/* takes that passed (a token was taken) */
	uint64_t refused;	/* takes refused */
	uint64_t evictions;	/* full entries replaced by a new source */
	uint64_t overflow;	/* takes judged (in part) by the overflow */
	uint64_t entries;	/* entries in use */
};

struct policy_rate;

/* opts with the defaults of each use: unauthenticated answers (rate per
 * second, burst) and failed credentials (limit per minute, lockout). */
void policy_rate_opts_unauth(struct policy_rate_opts *o, uint32_t rate,
    uint32_t burst);
void policy_rate_opts_failures(struct policy_rate_opts *o, uint32_t limit);

/* Builds a table. seed: POLICY_RATE_SEED_LEN random bytes (crypto_random).
 * NULL on bad options (*why, if not NULL, says which: a static string) or
 * out of memory (*why = "out of memory"). Freed with policy_rate_free(). */
struct policy_rate *policy_rate_new(const struct policy_rate_opts *o,
    const uint8_t seed[POLICY_RATE_SEED_LEN], const char **why);
void policy_rate_free(struct policy_rate *r);	/* NULL is a no-op */
/* Takes a token from src's buckets at now_ms: true if it passed (a token
 * taken from each), false if over a budget (nothing taken). A family other
 * than IPv4 and IPv6 is refused. */
bool policy_rate_take(struct policy_rate *r, const struct addr *src,
    uint64_t now_ms);
/* Whether a take for src at now_ms would be refused; changes nothing. */
bool policy_rate_over(const struct policy_rate *r, const struct addr *src,
    uint64_t now_ms);
/* How many takes in a row src's own buckets would pass at now_ms (the
 * smaller of the /64's and the /48's; 0 while locked out; a source with no
 * entry counts as full; the shared overflow bucket is not counted). */
uint32_t policy_rate_tokens(const struct policy_rate *r,
    const struct addr *src, uint64_t now_ms);
void policy_rate_stats(const struct policy_rate *r,
    struct policy_rate_stats *out);
/* ==== end of Per-source budgets ========================================= */

#endif
