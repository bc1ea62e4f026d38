/* SPDX-License-Identifier: ISC */
/*
 * TLS for stream connections: the one file of tern that includes libssl
 * (scripts/lint, LIB_HEADERS), plus libevent's OpenSSL bufferevent.
 *
 * The server context follows BCP 195 (RFC 9325; docs/security.md, TLS),
 * which RFC 8656 references for TURN over TLS: TLS 1.2 minimum, TLS 1.3
 * allowed, security level 2, ECDHE with AEAD suites for TLS 1.2, no
 * renegotiation, no compression, server cipher preference, released idle
 * buffers, no session resumption state (no tickets, no cache: forward
 * secrecy and a fixed per-connection cost).
 *
 * ALPN (RFC 7443): "stun.turn" is selected when offered; a client that
 * offers ALPN without it gets a fatal no_application_protocol alert
 * (RFC 7301 §3.2); a client without ALPN (browsers) proceeds.
 *
 * Reload (SIGHUP, or the certificate watch of net_certwatch.c) builds a
 * whole new context and checks the key against the certificate before
 * swapping it in under a mutex; every worker takes the context in force at
 * its next accept (net_tls_bev_new), connections keep the context they
 * started with through OpenSSL's reference count, and on any failure the
 * old context stays. The watch is stricter than SIGHUP: it also refuses a
 * certificate that is not yet valid or already expired, since nobody is
 * there to notice (docs/security.md, TLS).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/bufferevent_ssl.h>

#include "net/net_int.h"

/* Mozilla "intermediate" TLS 1.2 suites without DHE (docs/security.md, TLS). */
#define NET_TLS_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define NET_TLS_GROUPS	"X25519:P-256:P-384"
#define NET_TLS_ALPN	"stun.turn"

/* ctx is taken by the workers under mu; the rest is the main thread's. */
struct net_tls {
	pthread_mutex_t mu;
	SSL_CTX *ctx;
	char *cert, *pkey, *ciphers;	/* what ctx was loaded from */
	int64_t not_after;		/* the leaf certificate's, Unix s */
};

static void
net_tls_describe(unsigned long e, char *out, size_t cap)
{
	if (cap == 0)
		return;
	if (e == 0)
		snprintf(out, cap, "unknown");
	else
		ERR_error_string_n(e, out, cap);
}

/* libevent moves the thread's OpenSSL errors into the bufferevent. */
void
net_tls_bev_error(struct bufferevent *bev, char *out, size_t cap)
{
	unsigned long e, last = 0;

	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		last = last == 0 ? e : last;
	net_tls_describe(last, out, cap);
}

/* RFC 7301 §3.2: the server picks from the client's list, or fails the
 * handshake with no_application_protocol (OpenSSL sends that alert for
 * SSL_TLSEXT_ERR_ALERT_FATAL). The list is walked by hand so that a
 * malformed one fails too. */
static int
net_tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	const size_t want = sizeof(NET_TLS_ALPN) - 1;
	unsigned int i = 0, l;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		l = in[i];
		if (l == 0 || l > inlen - i - 1)
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		if (l == want && memcmp(in + i + 1, NET_TLS_ALPN, want) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += l + 1;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int
net_tls_ctx_setup(SSL_CTX *ctx, const char *ciphers)
{
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return -1;
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
		return -1;
	if (SSL_CTX_set_cipher_list(ctx, ciphers != NULL && *ciphers != '\0' ?
	    ciphers : NET_TLS_CIPHERS) != 1)
		return -1;
	if (SSL_CTX_set1_groups_list(ctx, NET_TLS_GROUPS) != 1)
		return -1;
	SSL_CTX_set_alpn_select_cb(ctx, net_tls_alpn_cb, NULL);
	return 0;
}

/* The leaf certificate's notAfter as Unix time; 0 (long expired, so that
 * an alert fires) when unreadable. */
static int64_t
net_tls_not_after_of(SSL_CTX *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (x == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Whether the leaf certificate is valid now: NULL, or what is wrong. */
static const char *
net_tls_window(SSL_CTX *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);

	if (x == NULL)
		return "no certificate";
	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
		return "certificate not yet valid";
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		return "certificate expired";
	return NULL;
}

/* A checked context for cert/pkey, or NULL with the reason in err; strict
 * also refuses a certificate outside its validity period. */
static SSL_CTX *
net_tls_ctx_new(const char *cert, const char *pkey, const char *ciphers,
    bool strict, char *err, size_t errcap)
{
	char e[256];
	const char *what;
	SSL_CTX *ctx;

	ERR_clear_error();
	what = "context";
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	what = "cipher-list";
	if (net_tls_ctx_setup(ctx, ciphers) == -1)
		goto fail;
	what = "cert";
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = "pkey";
	if (SSL_CTX_use_PrivateKey_file(ctx, pkey, SSL_FILETYPE_PEM) != 1)
		goto fail;
	what = "pkey does not match cert";
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (strict && (what = net_tls_window(ctx)) != NULL) {
		snprintf(err, errcap, "tls: %s", what);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
fail:
	net_tls_describe(ERR_peek_last_error(), e, sizeof(e));
	ERR_clear_error();
	snprintf(err, errcap, "tls: %s: %s", what, e);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Takes copies of the names the context comes from: 0 or -1. */
static int
net_tls_names(struct net_tls *t, const char *cert, const char *pkey,
    const char *ciphers)
{
	char *c = strdup(cert), *k = strdup(pkey);
	char *s = ciphers != NULL ? strdup(ciphers) : NULL;

	if (c == NULL || k == NULL || (ciphers != NULL && s == NULL)) {
		free(c);
		free(k);
		free(s);
		return -1;
	}
	free(t->cert);
	free(t->pkey);
	free(t->ciphers);
	t->cert = c;
	t->pkey = k;
	t->ciphers = s;
	return 0;
}

/* Puts ctx in force; connections made with the old one keep their own
 * reference. */
static void
net_tls_swap(struct net_tls *t, SSL_CTX *ctx)
{
	SSL_CTX *old;

	t->not_after = net_tls_not_after_of(ctx);
	pthread_mutex_lock(&t->mu);
	old = t->ctx;
	t->ctx = ctx;
	pthread_mutex_unlock(&t->mu);
	SSL_CTX_free(old);
}

struct net_tls *
net_tls_new(const char *cert, const char *pkey, const char *ciphers,
    char *err, size_t errcap)
{
	struct net_tls *t;
	SSL_CTX *ctx;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		snprintf(err, errcap, "tls: mutex");
		free(t);
		return NULL;
	}
	if (net_tls_names(t, cert, pkey, ciphers) == -1) {
		snprintf(err, errcap, "out of memory");
		net_tls_free(t);
		return NULL;
	}
	if ((ctx = net_tls_ctx_new(cert, pkey, ciphers, false, err,
	    errcap)) == NULL) {
		net_tls_free(t);
		return NULL;
	}
	net_tls_swap(t, ctx);
	return t;
}

/* SIGHUP: the files the new configuration names. */
int
net_tls_reload(struct net_tls *t, const char *cert, const char *pkey,
    const char *ciphers, char *err, size_t errcap)
{
	SSL_CTX *ctx;

	if ((ctx = net_tls_ctx_new(cert, pkey, ciphers, false, err,
	    errcap)) == NULL)
		return -1;
	if (net_tls_names(t, cert, pkey, ciphers) == -1) {
		snprintf(err, errcap, "out of memory");
		SSL_CTX_free(ctx);
		return -1;
	}
	net_tls_swap(t, ctx);
	return 0;
}

/* The certificate watch: the same files again, strictly. */
int
net_tls_refresh(struct net_tls *t, char *err, size_t errcap)
{
	SSL_CTX *ctx;

	if ((ctx = net_tls_ctx_new(t->cert, t->pkey, t->ciphers, true, err,
	    errcap)) == NULL)
		return -1;
	net_tls_swap(t, ctx);
	return 0;
}

const char *
net_tls_cert_path(const struct net_tls *t)
{
	return t->cert;
}

const char *
net_tls_pkey_path(const struct net_tls *t)
{
	return t->pkey;
}

int64_t
net_tls_not_after(const struct net *n)
{
	return n->tls != NULL ? n->tls->not_after : -1;
}

void
net_tls_free(struct net_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	pthread_mutex_destroy(&t->mu);
	free(t->cert);
	free(t->pkey);
	free(t->ciphers);
	free(t);
}

struct bufferevent *
net_tls_bev_new(struct net_tls *t, struct event_base *base, evutil_socket_t fd)
{
	struct bufferevent *bev;
	SSL *ssl;

	pthread_mutex_lock(&t->mu);
	ssl = SSL_new(t->ctx);		/* takes a reference on the context */
	pthread_mutex_unlock(&t->mu);
	if (ssl == NULL)
		return NULL;
	/* On failure libevent frees ssl (BEV_OPT_CLOSE_ON_FREE), not fd. */
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	/* A client that drops the connection without close_notify is
	 * ordinary; treat it as EOF, not as an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}
