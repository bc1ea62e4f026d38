/* SPDX-License-Identifier: ISC */
/*
 * fuzz_metrics_request: the metrics endpoint's router (metrics_route.c)
 * against a plain model.
 *
 * Input: method, url, Authorization value and token, separated by NUL
 * bytes (missing fields are NULL or empty). Invariants: the status is 200,
 * 401, 404 or 405; a page is given exactly with 200; anything but the
 * three exact paths is 404; a known path with a method other than GET or
 * HEAD is 405; /metrics with a token answers 200 only when the header is
 * "Bearer " (any case) followed by exactly the token's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/metrics.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
model_token_ok(const char *authz, const char *token, size_t toklen)
{
	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
		return false;
	return strlen(authz + 7) == toklen && memcmp(authz + 7, token,
	    toklen) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *copy, *field[4] = { NULL, NULL, NULL, NULL };
	struct metrics_route r;
	size_t i, n = 0, toklen;
	bool known, get;

	if (!ready) {
		if (crypto_init() != 0)
			abort();
		ready = 1;
	}
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	field[n++] = copy;
	for (i = 0; i < size && n < 4; i++)
		if (copy[i] == '\0')
			field[n++] = &copy[i + 1];
	toklen = field[3] != NULL ? strlen(field[3]) : 0;
	r = metrics_route(field[0], field[1], field[2],
	    (const uint8_t *)field[3], toklen);

	known = field[1] != NULL && (strcmp(field[1], "/metrics") == 0 ||
	    strcmp(field[1], "/healthz") == 0 || strcmp(field[1], "/readyz") == 0);
	get = field[0] != NULL && (strcmp(field[0], "GET") == 0 ||
	    strcmp(field[0], "HEAD") == 0);
	if (r.status != 200 && r.status != 401 && r.status != 404 &&
	    r.status != 405)
		abort();
	if ((r.status == 200) != (r.page != METRICS_PAGE_NONE))
		abort();
	if (field[0] != NULL && !known && r.status != 404)
		abort();
	if (known && field[0] != NULL && !get && r.status != 405)
		abort();
	if (known && get && strcmp(field[1], "/metrics") == 0 && toklen > 0 &&
	    (r.status == 200) != model_token_ok(field[2], field[3], toklen))
		abort();
	if (known && get && strcmp(field[1], "/metrics") != 0 && r.status != 200)
		abort();
	free(copy);
	return 0;
}
