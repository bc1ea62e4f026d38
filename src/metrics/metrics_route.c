/* SPDX-License-Identifier: ISC */
/*
 * metrics_route: which page an HTTP request gets (docs/security.md, Attack
 * catalogue: metrics endpoint).
 *
 * Pure, so that it is fuzzed apart from libmicrohttpd. Paths match
 * exactly, byte for byte: no percent-decoding, no dot segments, no double
 * slashes, no trailing slash, so that "/metrics/../x", "//metrics" and
 * "/%6detrics" are all unknown (404). Methods are case-sensitive (RFC 9110
 * §9.1). The bearer token is compared through SHA-256 digests with
 * crypto_equal(), so neither its bytes nor its length leak through timing.
 */
#include <string.h>
#include <strings.h>

#include "metrics/metrics.h"
#include "util/crypto.h"

static const struct {
	const char *path;
	enum metrics_page page;
	bool needs_token;
} metrics_paths[] = {
	{ "/metrics", METRICS_PAGE_METRICS, true },
	/* Probes (kubelet, load balancers) carry no token; they reveal only
	 * whether the process is alive and ready. */
	{ "/healthz", METRICS_PAGE_HEALTHZ, false },
	{ "/readyz", METRICS_PAGE_READYZ, false },
};

/* "Bearer <token>": scheme case-insensitive (RFC 9110 §11.1), one space. */
static bool
metrics_token_is_valid(const char *authz, const uint8_t *token, size_t toklen)
{
	static const char scheme[] = "Bearer ";
	uint8_t want[CRYPTO_SHA256_LEN], got[CRYPTO_SHA256_LEN];
	struct crypto_seg seg;
	const char *cred;
	bool good;

	if (authz == NULL ||
	    strncasecmp(authz, scheme, sizeof(scheme) - 1) != 0)
		return false;
	cred = authz + sizeof(scheme) - 1;
	seg.p = token;
	seg.len = toklen;
	if (crypto_sha256(&seg, 1, want) == -1)
		return false;
	seg.p = cred;
	seg.len = strlen(cred);
	if (crypto_sha256(&seg, 1, got) == -1)
		return false;
	good = crypto_equal(want, got, sizeof(want));
	crypto_wipe(want, sizeof(want));
	return good;
}

struct metrics_route
metrics_route(const char *method, const char *url, const char *authz,
    const uint8_t *token, size_t toklen)
{
	struct metrics_route r = { 404, METRICS_PAGE_NONE };
	size_t i;

	if (method == NULL || url == NULL)
		return r;
	for (i = 0; i < sizeof(metrics_paths) / sizeof(metrics_paths[0]); i++)
		if (strcmp(url, metrics_paths[i].path) == 0)
			break;
	if (i == sizeof(metrics_paths) / sizeof(metrics_paths[0]))
		return r;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r.status = 405;
		return r;
	}
	if (metrics_paths[i].needs_token && toklen > 0 &&
	    !metrics_token_is_valid(authz, token, toklen)) {
		r.status = 401;
		return r;
	}
	r.status = 200;
	r.page = metrics_paths[i].page;
	return r;
}
