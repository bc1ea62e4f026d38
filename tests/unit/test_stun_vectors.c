/* SPDX-License-Identifier: ISC */
/*
 * The RFC 5769 §2.1-§2.4 samples, the RFC 8489 Appendix B.1 sample (as
 * published, and corrected: PASSWORD-ALGORITHM SHA-256 added, header length
 * 0x0090), and an authenticated Allocate with a TURN REST credential
 * computed for this project (secret "turn-test-secret", username
 * "1735689600:alice", realm "example.org"); positive and mutated.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const char b1_hex[] =
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420"
    "636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a"
    "3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a28028"
    "0004e57a3bcf";
static const char b2_hex[] =
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f"
    "7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53"
    "f06be7d780280004c07d4c96";
static const char b3_hex[] =
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f"
    "7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e"
    "4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c";
static const char b4_hex[] =
    "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae3"
    "8383e382afe382b900000015001c662f2f3439396b39353464364f4c33346f4c3946"
    "53547679363473410014000b6578616d706c652e6f72670000080014f67024656dd6"
    "4a3e02b8e0712e85c9a28ca89666";
static const char b5_hex[] =
    "000100902112a44278ad3433c6ad72c029da412e001e00204a3cf38fef6992bda952"
    "c6780417da0f24819415569e60b205c46e41407f1704001500296f624d61744a6f73"
    "32414141436 62f2f3439396b39353464364f4c33346f4c39465354767936347341"
    "0000000014000b6578616d706c652e6f726700001d000400020000001c0020b5c7bf"
    "005b6c52a21c51c5e892f819241362 96cb927c43149309278cc6518e65";
static const char b6_alloc_hex[] =
    "000300702112a4420102030405060708090a0b0c0019000411000000000600103137"
    "33353638393630303a616c6963650014000b6578616d706c652e6f7267000015001d"
    "6f624d61744a6f7332414141423031323334353637383961626364656600000000"
    "080014487bd405535455e4731ccdfdeadba93539116106802800042 2efa67d";

static const char b1_pass[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const char user_jp[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83"
    "\xe3\x82\xaf\xe3\x82\xb9";

/* tap_unhex skips single spaces only between bytes; strip all spaces. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	char clean[1024];
	size_t i, n = 0;
	long r;

	for (i = 0; hex[i] && n + 1 < sizeof(clean); i++)
		if (hex[i] != ' ')
			clean[n++] = hex[i];
	clean[n] = '\0';
	r = tap_unhex(clean, out, cap);
	return r < 0 ? 0 : (size_t)r;
}

static void
key_long_term(const char *user, const char *realm, const char *pass,
    bool sha256, uint8_t *key)
{
	struct crypto_seg s[5] = {
		{ user, strlen(user) }, { ":", 1 }, { realm, strlen(realm) },
		{ ":", 1 }, { pass, strlen(pass) },
	};

	if (sha256)
		(void)crypto_sha256(s, 5, key);
	else
		(void)crypto_md5(s, 5, key);
}

/* Rewrites FINGERPRINT (assumed last) so a mutation reaches integrity. */
static void
refresh_fingerprint(uint8_t *p, size_t len)
{
	buf_put_u32(p + len - 4,
	    crypto_crc32(0, p, len - 8) ^ STUN_FINGERPRINT_XOR);
}

static void
test_positive(void)
{
	uint8_t p[256], key[32];
	struct stun_msg m;
	struct addr a, want;
	size_t n;

	n = unhex(b1_hex, p, sizeof(p));
	is_int(n, 108, "RFC 5769 §2.1 is 108 bytes");
	is_int(stun_decode(&m, p, n), STUN_OK, "RFC 5769 §2.1 decodes");
	ok(m.method == STUN_BINDING && m.cls == STUN_REQUEST && !m.rfc3489,
	    "RFC 5769 §2.1 Binding request");
	ok(m.fp_off == 100 && m.mi_off == 76,
	    "RFC 5769 §2.1 MI at 76, FP at 100");
	is_int(stun_check_integrity(&m, b1_pass, strlen(b1_pass)), 1,
	    "RFC 5769 §2.1 MESSAGE-INTEGRITY verifies");
	is_int(stun_check_integrity(&m, "x", 1), 0,
	    "RFC 5769 §2.1 MI fails, wrong key");
	ok(m.nunknown == 0, "RFC 5769 §2.1: PRIORITY is known");
	ok(stun_msg_attr(&m, STUN_ATTR_USERNAME) != NULL &&
	    stun_msg_attr(&m, STUN_ATTR_USERNAME)->len == 9 &&
	    memcmp(stun_msg_attr(&m, STUN_ATTR_USERNAME)->val, "evtj:h6vY", 9) == 0,
	    "RFC 5769 §2.1 USERNAME evtj:h6vY");

	n = unhex(b2_hex, p, sizeof(p));
	is_int(stun_decode(&m, p, n), STUN_OK, "RFC 5769 §2.2 decodes");
	is_int(stun_check_integrity(&m, b1_pass, strlen(b1_pass)), 1,
	    "RFC 5769 §2.2 MESSAGE-INTEGRITY verifies");
	is_int(stun_attr_xor_addr(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
	    m.tid, &a), 0, "RFC 5769 §2.2 XOR-MAPPED-ADDRESS decodes");
	addr_parse(&want, "192.0.2.1:32853", 0);
	ok(addr_equal(&a, &want, true),
	    "RFC 5769 §2.2 address is 192.0.2.1:32853");

	n = unhex(b3_hex, p, sizeof(p));
	is_int(stun_decode(&m, p, n), STUN_OK, "RFC 5769 §2.3 decodes");
	is_int(stun_check_integrity(&m, b1_pass, strlen(b1_pass)), 1,
	    "RFC 5769 §2.3 MESSAGE-INTEGRITY verifies");
	is_int(stun_attr_xor_addr(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
	    m.tid, &a), 0, "RFC 5769 §2.3 XOR-MAPPED-ADDRESS decodes");
	addr_parse(&want, "[2001:db8:1234:5678:11:2233:4455:6677]:32853", 0);
	ok(addr_equal(&a, &want, true),
	    "RFC 5769 §2.3 address is 2001:db8:...:6677");

	n = unhex(b4_hex, p, sizeof(p));
	is_int(n, 116, "RFC 5769 §2.4 is 116 bytes");
	is_int(stun_decode(&m, p, n), STUN_OK, "RFC 5769 §2.4 decodes");
	key_long_term(user_jp, "example.org", "TheMatrIX", false, key);
	is_int(stun_check_integrity(&m, key, 16), 1,
	    "RFC 5769 §2.4 MI verifies (MD5 key)");
	ok(m.fp_off == 0, "RFC 5769 §2.4 has no FINGERPRINT");

	n = unhex(b5_hex, p, sizeof(p));
	is_int(n, 164, "corrected RFC 8489 B.1 is 164 bytes");
	is_int(stun_decode(&m, p, n), STUN_OK,
	    "corrected RFC 8489 B.1 decodes");
	key_long_term(user_jp, "example.org", "TheMatrIX", true, key);
	is_int(stun_check_integrity_sha256(&m, key, 32), 1,
	    "RFC 8489 B.1 MESSAGE-INTEGRITY-SHA256 verifies (SHA-256 key)");
	is_int(stun_check_integrity(&m, key, 32), -1, "RFC 8489 B.1 has no MI");
}

static void
test_flip_each(const char *name, const char *hex, const void *key,
    size_t keylen, bool sha256)
{
	uint8_t orig[256], p[256];
	struct stun_msg m;
	size_t n, i, end, bad = 0;
	int rc;

	n = unhex(hex, orig, sizeof(orig));
	(void)stun_decode(&m, orig, n);
	end = sha256 ? m.mi256_off : m.mi_off;
	for (i = 0; i < end; i++) {
		memcpy(p, orig, n);
		p[i] ^= 0x01;
		if (m.fp_off != 0)
			refresh_fingerprint(p, n);
		if (stun_decode(&m, p, n) != STUN_OK)
			continue;	/* structurally refused: fine */
		rc = sha256 ? stun_check_integrity_sha256(&m, key, keylen) :
		    stun_check_integrity(&m, key, keylen);
		if (rc == 1) {
			bad++;
			diag("%s: flip of byte %zu still verifies", name, i);
		}
	}
	ok(end > 20 && bad == 0, "%s: flipping any of the %zu bytes before "
	    "the MAC fails integrity", name, end);
}

static void
test_negative(void)
{
	uint8_t p[256], key[32], mac[32];
	struct stun_msg m;
	struct crypto_seg seg;
	size_t n;
	uint16_t l;

	test_flip_each("RFC 5769 §2.1", b1_hex, b1_pass, strlen(b1_pass),
	    false);
	test_flip_each("RFC 5769 §2.2", b2_hex, b1_pass, strlen(b1_pass),
	    false);
	test_flip_each("RFC 5769 §2.3", b3_hex, b1_pass, strlen(b1_pass),
	    false);
	key_long_term(user_jp, "example.org", "TheMatrIX", false, key);
	test_flip_each("RFC 5769 §2.4", b4_hex, key, 16, false);
	key_long_term(user_jp, "example.org", "TheMatrIX", true, key);
	test_flip_each("RFC 8489 B.1", b5_hex, key, 32, true);

	/* padding byte 75 of RFC 5769 §2.1: ignored by the parser, covered by
	 * MI */
	n = unhex(b1_hex, p, sizeof(p));
	ok(p[75] == 0x20, "RFC 5769 §2.1 byte 75 is USERNAME padding");
	p[75] = 0x00;
	refresh_fingerprint(p, n);
	is_int(stun_decode(&m, p, n), STUN_OK,
	    "RFC 5769 §2.1 with zeroed pad decodes");
	is_int(stun_check_integrity(&m, b1_pass, strlen(b1_pass)), 0,
	    "RFC 5769 §2.1 with flipped padding byte 75 fails MI");
	/* and without refreshing FINGERPRINT the decoder refuses it */
	n = unhex(b1_hex, p, sizeof(p));
	p[75] ^= 0xFF;
	is_int(stun_decode(&m, p, n), STUN_E_FINGERPRINT,
	    "RFC 5769 §2.1 with flipped pad and stale FINGERPRINT refused");

	/* header length +-4 */
	n = unhex(b4_hex, p, sizeof(p));
	l = buf_get_u16(p + 2);
	buf_put_u16(p + 2, (uint16_t)(l + 4));
	is_int(stun_decode(&m, p, n), STUN_E_LENGTH,
	    "RFC 5769 §2.4 length +4 refused");
	buf_put_u16(p + 2, (uint16_t)(l - 4));
	is_int(stun_decode(&m, p, n), STUN_E_LENGTH,
	    "RFC 5769 §2.4 length -4 refused");
	n = unhex(b1_hex, p, sizeof(p));
	buf_put_u16(p + 2, 0x0058 + 4);
	is_int(stun_decode(&m, p, n), STUN_E_LENGTH,
	    "RFC 5769 §2.1 length +4 refused");

	/* MI-SHA256 truncated to 16 bytes, even with a correct prefix */
	n = unhex(b5_hex, p, sizeof(p));
	(void)stun_decode(&m, p, n);
	n -= 16;
	buf_put_u16(p + 2, (uint16_t)(n - 20));
	buf_put_u16(p + m.mi256_off + 2, 16);
	seg.p = p;
	seg.len = m.mi256_off;
	buf_put_u16(p + 2, (uint16_t)(m.mi256_off - 20 + 4 + 16));
	(void)crypto_hmac(CRYPTO_MD_SHA256, key, 32, &seg, 1, mac);
	memcpy(p + m.mi256_off + 4, mac, 16);
	is_int(stun_decode(&m, p, n), STUN_OK,
	    "RFC 8489 B.1 with 16-byte MI-SHA256 decodes");
	is_int(stun_check_integrity_sha256(&m, key, 32), 0,
	    "truncated MI-SHA256 is refused (RFC 8489 §14.6)");

	/* the published RFC 8489 B.1: length 0x9c, no PASSWORD-ALGORITHM */
	n = unhex(b5_hex, p, sizeof(p));
	memmove(p + 120, p + 128, n - 128);
	n -= 8;
	buf_put_u16(p + 2, 0x009c);
	is_int(n, 156, "published RFC 8489 B.1 is 156 bytes");
	is_int(stun_decode(&m, p, n), STUN_E_LENGTH,
	    "published RFC 8489 B.1 refused for its length");
}

static void
test_neutral(void)
{
	uint8_t p[256], key[16];
	struct stun_msg m;
	size_t n;

	/* RFC 5769 §2.4 + 0x7FFF (comprehension-required!) after MI */
	n = unhex(b4_hex, p, sizeof(p));
	buf_put_u16(p + n, 0x7FFF);
	buf_put_u16(p + n + 2, 4);
	memcpy(p + n + 4, "junk", 4);
	n += 8;
	buf_put_u16(p + 2, (uint16_t)(n - 20));
	is_int(stun_decode(&m, p, n), STUN_OK,
	    "RFC 5769 §2.4 + attribute after MI decodes");
	key_long_term(user_jp, "example.org", "TheMatrIX", false, key);
	is_int(stun_check_integrity(&m, key, 16), 1, "MI still verifies");
	ok(m.nunknown == 0 && stun_msg_attr(&m, 0x7FFF) == NULL,
	    "the attribute after MI is ignored");

	/* RFC 5769 §2.1 + SOFTWARE inserted between MI and FINGERPRINT */
	n = unhex(b1_hex, p, sizeof(p));
	memmove(p + 108, p + 100, 8);
	buf_put_u16(p + 100, STUN_ATTR_USERNAME);
	buf_put_u16(p + 102, 4);
	memcpy(p + 104, "evil", 4);
	n += 8;
	buf_put_u16(p + 2, (uint16_t)(n - 20));
	refresh_fingerprint(p, n);
	is_int(stun_decode(&m, p, n), STUN_OK,
	    "RFC 5769 §2.1 + USERNAME after MI decodes");
	is_int(stun_check_integrity(&m, b1_pass, strlen(b1_pass)), 1,
	    "RFC 5769 §2.1 MI still verifies");
	ok(stun_msg_attr(&m, STUN_ATTR_USERNAME)->len == 9,
	    "the second USERNAME after MI has no effect");
}

static void
test_encode_b4(void)
{
	uint8_t want[256], got[256], key[16];
	static const uint8_t tid[12] = { 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	    0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e };
	static const char nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
	struct stun_builder b;
	size_t n, wn;

	wn = unhex(b4_hex, want, sizeof(want));
	memset(got, 0xAA, sizeof(got));	/* garbage must not leak */
	key_long_term(user_jp, "example.org", "TheMatrIX", false, key);
	stun_builder_init(&b, got, sizeof(got), STUN_BINDING, STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_USERNAME, user_jp, strlen(user_jp));
	stun_add(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
	stun_add(&b, STUN_ATTR_REALM, "example.org", 11);
	stun_add_integrity(&b, key, sizeof(key));
	n = stun_builder_finish(&b);
	ok(n == wn && memcmp(got, want, n) == 0,
	    "encoder reproduces RFC 5769 §2.4 byte for byte");
}

static void
test_encode_b6(void)
{
	uint8_t want[256], got[256], key[16], mac[20];
	char pass[64];
	static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const char user[] = "1735689600:alice";
	static const char nonce[] = "obMatJos2AAAB0123456789abcdef";
	struct crypto_seg s = { user, strlen(user) };
	struct stun_builder b;
	struct stun_msg m;
	size_t n, wn;

	(void)crypto_hmac(CRYPTO_MD_SHA1, "turn-test-secret", 16, &s, 1, mac);
	(void)crypto_base64_encode(mac, 20, pass, sizeof(pass));
	is_str(pass, "yPlE/dEM42nx7DAbLdBChBwv7Iw=", "REST password");
	key_long_term(user, "example.org", pass, false, key);

	wn = unhex(b6_alloc_hex, want, sizeof(want));
	is_int(wn, 132, "REST Allocate is 132 bytes");
	memset(got, 0x55, sizeof(got));
	stun_builder_init(&b, got, sizeof(got), STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_add_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 0x11000000);
	stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
	stun_add(&b, STUN_ATTR_REALM, "example.org", 11);
	stun_add(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
	stun_add_integrity(&b, key, sizeof(key));
	stun_add_fingerprint(&b);
	n = stun_builder_finish(&b);
	ok(n == wn && memcmp(got, want, n) == 0,
	    "encoder reproduces the REST Allocate byte for byte");
	is_int(stun_decode(&m, want, wn), STUN_OK, "REST Allocate decodes");
	is_int(stun_check_integrity(&m, key, 16), 1,
	    "REST Allocate MI verifies");
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_positive();
	test_negative();
	test_neutral();
	test_encode_b4();
	test_encode_b6();
	return tap_done();
}
