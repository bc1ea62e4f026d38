/* SPDX-License-Identifier: ISC */
/*
 * client_int: declarations shared inside src/client only. client_tls.c
 * wraps one TLS session over a connected non-blocking socket; every call
 * takes an absolute deadline (client_now_ms() clock) and polls until then.
 */
#ifndef TERN_CLIENT_INT_H
#define TERN_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "client/client.h"

struct client_tls;

/* Handshakes over fd (not owned). host: SNI and the name or IP checked. */
struct client_tls *client_tls_new(int fd, const char *host,
    const struct client_opts *o, int64_t deadline, char *err, size_t errcap);
void client_tls_free(struct client_tls *t);
/* Writes all n bytes. 0 or an enum client_err. */
int client_tls_write(struct client_tls *t, const void *p, size_t n, int64_t deadline);
/* Reads up to n bytes: > 0 count, or an enum client_err (CLOSED on EOF). */
long client_tls_read(struct client_tls *t, void *p, size_t n, int64_t deadline);
int client_tls_peer_sha256(struct client_tls *t, uint8_t out[32]);
/* Monotonic clock in microseconds (round-trip times). */
double client_now_us(void);
/* Waits until fd is readable (events POLLIN) or writable (POLLOUT). */
int client_poll(int fd, short events, int64_t deadline);

#endif
