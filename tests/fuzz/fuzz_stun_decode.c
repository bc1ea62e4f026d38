/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: any bytes as a STUN message (and as ChannelData).
 * Walks every typed decoder over every attribute, runs the integrity checks
 * with the fixed keys of the RFC 5769 and RFC 8489 Appendix B.1 samples (so
 * the seeds made from them reach the post-verification paths), and
 * re-encodes accepted messages: decode -> encode -> decode must give the
 * same method, class, attributes, unknown list, and verifying MACs
 * (docs/security.md, Attack catalogue: malformed input). The same
 * bytes go through the Binding engine, whose replies must decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"
#include "turn/turn.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 5769 §2.1 short-term password, §2.4 MD5 key, RFC 8489 B.1 SHA-256
 * key */
static const char key_short[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t key_md5[16] = { 0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e,
    0xb0, 0x51, 0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9 };
static const uint8_t key_sha256[32] = { 0xdd, 0x29, 0x5a, 0x61, 0x3b, 0x90,
    0x58, 0xc3, 0xc2, 0x3d, 0x6d, 0xc7, 0x16, 0x5b, 0xda, 0x07, 0x23, 0x04,
    0xd9, 0x89, 0xc9, 0xd0, 0xaf, 0x3a, 0x8c, 0x7e, 0x18, 0x4b, 0x4f, 0x9b,
    0xb4, 0xa1 };

static uint8_t reenc[STUN_MAX_MSG];

static void
walk(const struct stun_msg *m)
{
	struct stun_pw_alg algs[8];
	uint16_t list[16], ch;
	const uint8_t *reason;
	struct addr a;
	size_t rl;
	uint32_t u;
	uint8_t u8;
	bool r;
	int code;
	unsigned i;

	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *at = &m->attrs[i];

		(void)stun_attr_xor_addr(at, m->tid, &a);
		(void)stun_attr_addr(at, &a);
		(void)stun_attr_u32(at, &u);
		if (stun_attr_error(at, &code, &reason, &rl) == 0 &&
		    (code < 300 || code > 699 || rl > 763))
			abort();
		if (stun_attr_channel(at, &ch) == 0 &&
		    (ch < 0x4000 || ch > 0x4FFF))
			abort();
		(void)stun_attr_requested_transport(at, &u8);
		(void)stun_attr_family(at, &u8);
		(void)stun_attr_even_port(at, &r);
		if (stun_attr_unknown_list(at, list, 16) > 16)
			abort();
		if (stun_attr_pw_algs(at, algs, 8) > 8)
			abort();
		(void)stun_attr_name(at->type);
		(void)stun_attr_is_known(at->type);
		if (stun_msg_attr(m, at->type) != at)
			abort();	/* first occurrence is what is indexed */
	}
	(void)stun_method_name(m->method);
}

static int
check_mi(const struct stun_msg *m)
{
	int a = stun_check_integrity(m, key_short, strlen(key_short));
	int b = stun_check_integrity(m, key_md5, sizeof(key_md5));

	return a == 1 || b == 1;
}

/* Re-encodes the indexed attributes; MACs are recomputed with the key
 * that verified (or the MD5 key), so they must verify afterwards. */
static void
roundtrip(const struct stun_msg *m)
{
	struct stun_builder b;
	struct stun_msg m2;
	size_t n;
	unsigned i;

	stun_builder_init(&b, reenc, sizeof(reenc), m->method, m->cls, m->tid);
	memcpy(reenc + 4, m->raw + 4, 4);	/* keep an RFC 3489 "cookie" */
	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *at = &m->attrs[i];

		if (at->type == STUN_ATTR_MESSAGE_INTEGRITY ||
		    at->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
			continue;
		stun_add(&b, at->type, at->val, at->len);
	}
	if (m->mi_off)
		stun_add_integrity(&b, key_md5, sizeof(key_md5));
	if (m->mi256_off)
		stun_add_integrity_sha256(&b, key_sha256, sizeof(key_sha256));
	if (m->fp_off)
		stun_add_fingerprint(&b);
	if ((n = stun_builder_finish(&b)) == 0)
		return;		/* a grown MAC no longer fits: fine */
	if (stun_decode(&m2, reenc, n) != STUN_OK)
		abort();
	if (m2.method != m->method || m2.cls != m->cls ||
	    m2.rfc3489 != m->rfc3489 || m2.nattrs != m->nattrs ||
	    m2.nunknown != m->nunknown ||
	    memcmp(m2.tid, m->tid, STUN_TID_LEN) != 0 ||
	    memcmp(m2.unknown, m->unknown, m->nunknown * sizeof(uint16_t)) != 0)
		abort();
	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *x = &m->attrs[i], *y = &m2.attrs[i];

		if (y->type != x->type)
			abort();
		if (x->type == STUN_ATTR_MESSAGE_INTEGRITY ||
		    x->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
			continue;	/* recomputed, maybe at full length */
		if (y->len != x->len || memcmp(y->val, x->val, x->len) != 0)
			abort();
	}
	if (m->mi_off && stun_check_integrity(&m2, key_md5,
	    sizeof(key_md5)) != 1)
		abort();
	if (m->mi256_off && stun_check_integrity_sha256(&m2, key_sha256,
	    sizeof(key_sha256)) != 1)
		abort();
	if ((m2.fp_off != 0) != (m->fp_off != 0))
		abort();
}

static uint8_t reply[1500];

static void
engine(const uint8_t *data, size_t size)
{
	static struct turn_engine *e;
	struct turn_opts o = { .software = "tern fuzz" };
	struct turn_tuple t;
	struct turn_out out = { .buf = reply, .cap = sizeof(reply) };
	struct stun_msg m;

	if (e == NULL && (e = turn_engine_new(&o)) == NULL)
		abort();
	memset(&t, 0, sizeof(t));
	(void)addr_parse(&t.client, "[2001:db8::1]:40000", 0);
	(void)addr_parse(&t.local, "[2001:db8::2]:3478", 0);
	turn_engine_input(e, &t, data, size, 0, &out);
	if (out.len == 0)
		return;
	/* a reply goes only to a request, is well formed, echoes the TID */
	if (out.len > sizeof(reply) || stun_decode(&m, reply, out.len) != STUN_OK ||
	    size < STUN_HEADER_LEN || memcmp(m.tid, data + 8, STUN_TID_LEN) != 0 ||
	    (m.cls != STUN_SUCCESS && m.cls != STUN_ERROR))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_channel_data cd;
	struct stun_msg m;

	if (stun_channel_decode(&cd, data, size) == 0 &&
	    (size_t)cd.len + 4 > size)
		abort();
	engine(data, size);
	if (stun_decode(&m, data, size) != STUN_OK)
		return 0;
	walk(&m);
	(void)check_mi(&m);
	(void)stun_check_integrity_sha256(&m, key_sha256, sizeof(key_sha256));
	roundtrip(&m);
	return 0;
}
