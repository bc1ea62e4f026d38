/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: any bytes as a REST username (docs/security.md,
 * "Malformed input and fuzzing"). The bytes go through auth_rest_parse(),
 * then into a real Allocate request signed with the REST key a client
 * holding one of the fixed secrets would compute, which auth_check() must
 * accept exactly when the name parses and lies in the window (an oracle,
 * not only "no crash"). The same bytes are also decoded as a whole STUN
 * message and checked, once with the nonce forced valid and once with the
 * real nonce check, where no nonce can be ours (the key is random per
 * process): that check must do no credential work at all (no user lookup,
 * no REST HMAC, no key, no HMAC over the message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "stun/stun.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REALM	"example.org"
static const char *const secrets[] = { "turn-test-secret", "second", "3" };
static const uint64_t NOW = 1735689600 - 3600;
static const uint8_t TID[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static struct auth_ctx ctx;
static struct auth_creds *creds;
static struct addr client;
static uint8_t msgbuf[2048];

static void
setup(void)
{
	size_t i;

	if (crypto_init() != 0 || auth_ctx_init(&ctx, 0) != 0)
		abort();
	creds = auth_creds_new(REALM, 11, ':', 0, 0);
	if (creds == NULL)
		abort();
	for (i = 0; i < 3; i++)
		auth_creds_add_secret(creds, secrets[i], strlen(secrets[i]));
	auth_creds_add_user(creds, "alice:pw", 8);
	auth_creds_add_user(creds, "bob:0x8493fbc53ba582fb4c044c456bdc40eb",
	    38);
	auth_creds_seal(creds);
	auth_ctx_force_nonce(&ctx, AUTH_NONCE_VALID);
	addr_parse_ip(&client, "198.51.100.7", 40000);
}

/* A request with USERNAME = name, signed by the key from secret k. */
static void
oracle(const uint8_t *name, size_t len, size_t k)
{
	char pw[AUTH_REST_PASSWORD_LEN + 1];
	struct auth_rest_name rn;
	struct auth_result res;
	struct stun_builder b;
	struct stun_msg m;
	uint8_t key[16];
	size_t n;
	bool expect;

	if (auth_rest_password(secrets[k], strlen(secrets[k]), name, len,
	    pw) != 0 || auth_key_md5(name, len, REALM, 11, pw, 28, key) != 0)
		abort();
	stun_builder_init(&b, msgbuf, sizeof(msgbuf), STUN_ALLOCATE,
	    STUN_REQUEST, TID);
	stun_add(&b, STUN_ATTR_USERNAME, name, len);
	stun_add(&b, STUN_ATTR_REALM, REALM, 11);
	stun_add(&b, STUN_ATTR_NONCE, "obMatJos2AAAB0123456789abcdef", 29);
	stun_add_integrity(&b, key, sizeof(key));
	if ((n = stun_builder_finish(&b)) == 0)
		return;
	if (stun_decode(&m, msgbuf, n) != STUN_OK)
		abort();
	expect = auth_rest_parse(name, len, ':', &rn) == 0 &&
	    auth_rest_in_window(rn.expiry, NOW, AUTH_MAX_TTL_DEFAULT,
	    AUTH_SKEW_DEFAULT) &&
	    !(len == 5 && memcmp(name, "alice", 5) == 0) &&
	    !(len == 3 && memcmp(name, "bob", 3) == 0);
	auth_check(&ctx, creds, &m, &client, NOW, &res);
	/* with the nonce forced valid only 200 or 401 are possible */
	if (res.verdict != (expect ? AUTH_OK : AUTH_UNAUTHENTICATED))
		abort();
	if (expect && (res.user < m.raw || res.user > m.raw + m.raw_len ||
	    res.user_len != rn.user_len ||
	    memcmp(res.user, rn.user, rn.user_len) != 0 ||
	    res.expiry != rn.expiry))
		abort();
	auth_result_clear(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_rest_name rn;
	struct auth_result res;
	struct stun_msg m;

	if (creds == NULL)
		setup();
	/* the parser alone, with two separators */
	if (auth_rest_parse(data, size, ':', &rn) == 0 &&
	    (rn.user < data || rn.user + rn.user_len != data + size ||
	    rn.user_len == 0 || rn.user_len > AUTH_NAME_MAX))
		abort();
	(void)auth_rest_parse(data, size, '|', &rn);
	/* as USERNAME of a signed request */
	if (size <= 1000)
		oracle(data, size, size % 3);
	/* as a whole message, with the real nonce check too */
	if (stun_decode(&m, data, size) == STUN_OK) {
		auth_check(&ctx, creds, &m, &client, NOW, &res);
		ctx.nonce_forced = false;
		auth_check(&ctx, creds, &m, &client, NOW, &res);
		ctx.nonce_forced = true;
		if (res.verdict == AUTH_OK || res.cost.user_lookups != 0 ||
		    res.cost.hash_probes != 0 || res.cost.rest_hmacs != 0 ||
		    res.cost.key_derivations != 0 || res.cost.mi_checks != 0 ||
		    res.cost.nonce_checks > 1)
			abort();
		auth_result_clear(&res);
	}
	return 0;
}
