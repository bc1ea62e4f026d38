/* SPDX-License-Identifier: ISC */
/*
 * metrics_common: what the metrics, health and drain integration tests
 * share: a ternd with its metrics endpoint on a free loopback
 * port, a small blocking HTTP/1.1 client with deadlines, a reader for the
 * Prometheus text format that finds one series' value, and waits on a
 * series with a deadline (the engine's gauges are copied once a second).
 */
#ifndef TERN_TESTS_METRICS_COMMON_H
#define TERN_TESTS_METRICS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define MC_WAIT_MS	5000		/* a counter shows within this */
#define MC_BODY_MAX	(1024 * 1024)	/* the largest page read */
#define MC_USER		"alice"
#define MC_PASS		"secret"

struct mc {
	struct harness h;
	uint16_t mport;		/* the metrics endpoint's port */
	bool tls;		/* set before mc_start: a TLS listener too */
	bool started;
};

/* Temp dir (m->h.dir) and a free metrics port. 0 or -1. */
int mc_init(struct mc *m, const char *ternd);
/*
 * ternd with HARNESS_TURN_CONF, user alice:secret, allow-loopback-peers,
 * relay-ip 127.0.0.1, prometheus on 127.0.0.1:mport and extra (may be
 * NULL). 0 or -1.
 */
int mc_start(struct mc *m, const char *extra);
void mc_fini(struct mc *m);

/* One HTTP response. body is NUL-terminated (heap, MC_BODY_MAX). */
struct mc_resp {
	int status;		/* 0: no status line came */
	char ctype[128];	/* Content-Type, or "" */
	char *body;
	size_t len;
	bool closed;		/* the server closed the connection */
};

/*
 * Sends raw (a whole request as bytes) to 127.0.0.1:port and reads the
 * answer until the server closes or the deadline. 0 when a status line
 * was read, -1 otherwise (connect failure, timeout before any status).
 */
int mc_http_raw(uint16_t port, const void *raw, size_t len, struct mc_resp *r,
    int timeout_ms);
/* "METHOD path HTTP/1.1" with Host, Connection: close and the optional
 * header line hdr (without CRLF, or NULL). Same contract. */
int mc_http(uint16_t port, const char *method, const char *path,
    const char *hdr, struct mc_resp *r, int timeout_ms);
void mc_resp_free(struct mc_resp *r);

/*
 * The value of the series named exactly `series` (a metric name with its
 * labels as exposed, e.g. `tern_relayed_packets_total{direction="x"}`)
 * in a text-format page. 0 or -1 (absent or not a number).
 */
int mc_value(const char *page, const char *series, double *out);
/* The sum of every series of a family (`name` or `name{...}`); 0 or -1
 * when none is present. */
int mc_sum(const char *page, const char *name, double *out);
/*
 * Scrapes /metrics (with hdr, may be NULL) until series (or, if sum, the
 * family) equals want, or timeout_ms passes. The last value seen in
 * *last (NaN if never present). true when it matched.
 */
bool mc_wait(uint16_t port, const char *hdr, const char *series, bool sum,
    double want, int timeout_ms, double *last);

/* GETs path until its status is want or timeout_ms pass; the last body
 * in body (if not NULL). The status last seen (0: no answer). */
int mc_status_until(uint16_t port, const char *path, int want, int timeout_ms,
    char *body, size_t cap);

/*
 * Scrapes /metrics once: the value of series (or, if sum, the family's
 * sum) in *out. 0, or -1 when the page could not be read or the series
 * is absent.
 */
int mc_read(uint16_t port, const char *hdr, const char *series, bool sum,
    double *out);

/* Runs `promtool check metrics` on page (written to a file in dir); its
 * output in out. The exit code, or -1. */
int mc_promtool(const char *dir, const char *page, char *out, size_t cap);

/* A UDP TURN allocation (long-term alice:secret) with a permission for
 * peer. 0, or the server's answer / a client error. */
int mc_alloc(struct mc *m, const struct addr *peer, struct client **c,
    struct client_turn *t);
/* One Send indication of len bytes to peer and its echo as a Data
 * indication. 0 or -1. */
int mc_echo(struct client_turn *t, const struct addr *peer, const void *p,
    size_t len, int timeout_ms);

#endif
