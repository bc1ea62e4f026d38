/* SPDX-License-Identifier: ISC */
/*
 * TLS for the client (RFC 8489 §6.2.3): the client's only libssl user.
 *
 * The server certificate is verified by default against the system store
 * (or a CA file), and its name or IP address is checked against the host
 * the user asked for (RFC 6125 rules via X509_VERIFY_PARAM), as RFC 8489
 * §6.2.3 requires. `insecure` turns verification off, for tests and probes
 * of servers with self-signed certificates. TLS 1.2 is the floor
 * (docs/security.md, TLS). The socket is non-blocking: each call polls
 * until its deadline.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/client_int.h"
#include "util/crypto.h"

struct client_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static void
tls_errmsg(struct client_tls *t, char *err, size_t errcap)
{
	unsigned long e = ERR_get_error();
	long vr = t->ssl ? SSL_get_verify_result(t->ssl) : X509_V_OK;
	char buf[256];

	if (vr != X509_V_OK) {
		snprintf(err, errcap, "TLS handshake failed: certificate verify failed (%s)",
		    X509_verify_cert_error_string(vr));
	} else if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errcap, "TLS handshake failed: %s", buf);
	} else
		snprintf(err, errcap, "TLS handshake failed: connection closed");
	ERR_clear_error();
}

/* Trust anchors and the host check. */
static int
tls_setup_verify(struct client_tls *t, const char *host, const struct client_opts *o)
{
	X509_VERIFY_PARAM *vp;
	struct in6_addr a6;
	struct in_addr a4;
	bool is_ip;

	if (o != NULL && o->insecure) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (o != NULL && o->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, o->ca_file, NULL) != 1)
			return -1;
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
		return -1;
	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		return -1;
	if (host == NULL || *host == '\0')
		return -1;	/* verification without a name to check is no verification */
	is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	vp = SSL_get0_param(t->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(vp, host) == 1 ? 0 : -1;
	return X509_VERIFY_PARAM_set1_host(vp, host, 0) == 1 ? 0 : -1;
}

/* Runs SSL_connect until done or the deadline. */
static int
tls_handshake(struct client_tls *t, int64_t deadline)
{
	int r, e;

	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(t->ssl)) == 1)
			return 0;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = client_poll(t->fd, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = client_poll(t->fd, POLLOUT, deadline);
		else
			return CLIENT_E_TLS;
		if (r != 0)
			return r;
	}
}

struct client_tls *
client_tls_new(int fd, const char *host, const struct client_opts *o,
    int64_t deadline, char *err, size_t errcap)
{
	struct client_tls *t;
	struct in6_addr a6;
	struct in_addr a4;
	char sni[CLIENT_HOST_MAX + 1];
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	t->fd = fd;
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (tls_setup_verify(t, host, o) == -1)
		goto fail;
	if (t->ssl == NULL && (t->ssl = SSL_new(t->ctx)) == NULL)
		goto fail;
	/* SNI carries names only, never IP literals (RFC 6066 §3). The
	 * macro takes a non-const pointer: hand it a copy. */
	if (host != NULL && inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1) {
		snprintf(sni, sizeof(sni), "%s", host);
		if (SSL_set_tlsext_host_name(t->ssl, sni) != 1)
			goto fail;
	}
	if (SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	if ((r = tls_handshake(t, deadline)) != 0) {
		if (r == CLIENT_E_TIMEOUT)
			snprintf(err, errcap, "TLS handshake timed out");
		else
			tls_errmsg(t, err, errcap);
		client_tls_free(t);
		return NULL;
	}
	return t;
fail:
	tls_errmsg(t, err, errcap);
	client_tls_free(t);
	return NULL;
}

void
client_tls_free(struct client_tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* Best effort close_notify; the socket is non-blocking. */
		if (SSL_is_init_finished(t->ssl))
			(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

int
client_tls_write(struct client_tls *t, const void *p, size_t n, int64_t deadline)
{
	size_t done = 0, w;
	int r, e;

	while (done < n) {
		ERR_clear_error();
		if ((r = SSL_write_ex(t->ssl, (const uint8_t *)p + done, n - done, &w)) == 1) {
			done += w;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			r = client_poll(t->fd, POLLOUT, deadline);
		else if (e == SSL_ERROR_WANT_READ)
			r = client_poll(t->fd, POLLIN, deadline);
		else
			return e == SSL_ERROR_SSL ? CLIENT_E_TLS : CLIENT_E_CLOSED;
		if (r != 0)
			return r;
	}
	return 0;
}

long
client_tls_read(struct client_tls *t, void *p, size_t n, int64_t deadline)
{
	size_t got;
	int r, e;

	for (;;) {
		ERR_clear_error();
		if ((r = SSL_read_ex(t->ssl, p, n, &got)) == 1)
			return (long)got;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = client_poll(t->fd, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = client_poll(t->fd, POLLOUT, deadline);
		else if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
			return CLIENT_E_CLOSED;
		else
			return CLIENT_E_TLS;
		if (r != 0)
			return r;
	}
}

int
client_tls_peer_sha256(struct client_tls *t, uint8_t out[32])
{
	struct crypto_seg seg;
	unsigned char *der = NULL;
	X509 *cert;
	int len, rv = -1;

	if ((cert = SSL_get1_peer_certificate(t->ssl)) == NULL)
		return -1;
	if ((len = i2d_X509(cert, &der)) <= 0)
		goto out;
	seg.p = der;
	seg.len = (size_t)len;
	rv = crypto_sha256(&seg, 1, out);
out:
	OPENSSL_free(der);
	X509_free(cert);
	return rv;
}
