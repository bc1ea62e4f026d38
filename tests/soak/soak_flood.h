/* SPDX-License-Identifier: ISC */
/*
 * soak_flood: the hostile half of the soak test (tests/soak/README.md).
 * One thread per kind of attack, each sending as fast as it can until a
 * stop flag or its deadline, whichever comes first:
 *
 *   stun4    UDP STUN requests from random spoofed IPv4 sources in
 *            198.18.0.0/15 (RFC 2544 benchmarking) through a raw socket:
 *            Binding, Allocate without credentials, Allocate with USERNAME,
 *            REALM, a garbage NONCE and a garbage MESSAGE-INTEGRITY
 *   stun6    the same from random sources in 2001:2::/48 (RFC 5180
 *            benchmarking)
 *   garbage  random datagrams (some with a STUN or ChannelData header in
 *            front, RFC 7983) from spoofed sources of both families
 *   tcp      half-open TCP connections to the TCP port from many local
 *            source addresses in 198.19.0.0/24: sending nothing, one byte
 *            or a STUN header whose body never comes; half of them are
 *            held until ternd closes them, half are reset and reopened
 *   tls      the same towards the TLS port: nothing, or a partial
 *            ClientHello, so that every handshake stalls
 *
 * Raw sockets need root; the test runs in a network namespace of its own,
 * where those prefixes are local routes on lo (so replies go nowhere but
 * back into the namespace). Nothing here leaves the namespace.
 * Every loop is bounded by the deadline and by a count; no process is
 * started here (threads only).
 */
#ifndef TERN_TESTS_SOAK_FLOOD_H
#define TERN_TESTS_SOAK_FLOOD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/addr.h"

enum soak_flood_kind {
	SOAK_FLOOD_STUN4,
	SOAK_FLOOD_STUN6,
	SOAK_FLOOD_GARBAGE,
	SOAK_FLOOD_TCP,
	SOAK_FLOOD_TLS,
	SOAK_FLOOD_KINDS,
};

/* The prefixes the flooders use as sources, local routes on lo in the
 * namespace (soak.c adds them): spoofed IPv4 sources in 198.18.0.0/16,
 * the stream kinds' sources in 198.19.0.0/24 and 198.19.1.0/24, spoofed
 * IPv6 sources in 2001:2::/48. */
#define SOAK_SOURCES4_NET	"198.18.0.0/15"
#define SOAK_SOURCES6_NET	"2001:2::/48"
#define SOAK_STREAM_SOURCES	32	/* source addresses per stream kind */

struct soak_flood_target {
	struct addr udp4, udp6;		/* ternd's UDP port on 127.0.0.1, ::1 */
	struct addr tcp4, tls4;		/* its TCP and TLS ports on 127.0.0.1 */
	int64_t deadline_ms;		/* client_now_ms() when every thread stops */
};

struct soak_flood_stats {
	atomic_ullong sent;		/* datagrams, or connections attempted */
	atomic_ullong errors;		/* a send or connect that failed */
	atomic_ullong established;	/* streams: connect completed */
	atomic_ullong closed;		/* streams: closed by ternd (EOF, reset) */
	atomic_uint held;		/* streams: open now */
	atomic_uint held_max;		/* streams: most open at once */
	int64_t start_ms, end_ms;	/* when the thread ran */
};

struct soak_flood {
	struct soak_flood_target tgt;
	struct soak_flood_stats st[SOAK_FLOOD_KINDS];
	pthread_t th[SOAK_FLOOD_KINDS];
	bool running[SOAK_FLOOD_KINDS];
	atomic_bool stop;
	/* Datagrams a second the three UDP kinds send together, shared
	 * equally; 0: as fast as they can. soak.c steers it (see there). */
	atomic_uint rate;
};

/* Starts every thread, the UDP kinds at rate datagrams a second together
 * (0: unpaced). 0, or -1 (what did start is stopped again). */
int soak_flood_start(struct soak_flood *f, const struct soak_flood_target *t,
    unsigned rate);
/* Sets the stop flag and joins every thread; safe to call twice. */
void soak_flood_stop(struct soak_flood *f);
const char *soak_flood_name(enum soak_flood_kind k);
/* Units per second over the time the thread ran. */
double soak_flood_rate(const struct soak_flood_stats *s);

/* soak_stream.c: the body of the tcp and tls threads. */
void soak_stream_run(struct soak_flood *f, enum soak_flood_kind k);
/* A fast generator for the flooders (xorshift64*), seeded from
 * crypto_random(); not for anything but noise. */
uint64_t soak_rand(uint64_t *state);
void soak_rand_seed(uint64_t *state);

#endif
