/* SPDX-License-Identifier: ISC */
/* malformed: broken STUN messages for the black-box tests. See malformed.h. */
#include <string.h>

#include "malformed.h"
#include "stun/stun.h"
#include "util/buf.h"

static const uint8_t malformed_tid[STUN_TID_LEN] = "tern-malform";

/* Binding request with SOFTWARE "tern", with or without FINGERPRINT. */
static size_t
malformed_build(uint8_t *buf, size_t cap, uint16_t method, enum stun_class cls, bool fp)
{
	struct stun_builder b;

	stun_builder_init(&b, buf, cap, method, cls, malformed_tid);
	stun_add(&b, STUN_ATTR_SOFTWARE, "tern", 4);
	if (fp)
		stun_add_fingerprint(&b);
	return stun_builder_finish(&b);
}

size_t
malformed_valid(uint8_t *buf, size_t cap)
{
	return malformed_build(buf, cap, STUN_BINDING, STUN_REQUEST, true);
}

static struct malformed *
malformed_add(struct malformed *out, size_t *n, const char *name, bool fp)
{
	struct malformed *m = &out[(*n)++];

	memset(m, 0, sizeof(*m));
	m->name = name;
	m->len = malformed_build(m->buf, sizeof(m->buf), STUN_BINDING, STUN_REQUEST, fp);
	return m;
}

static void
malformed_fill(struct malformed *m, const char *name, const void *p, size_t len, uint8_t byte)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	if (p != NULL)
		memcpy(m->buf, p, len);
	else
		memset(m->buf, byte, len);
	m->len = len;
}

size_t
malformed_cases(struct malformed *out)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x00, 0x50, 0x01, 0x00, 0x00 };
	static const uint8_t cd[] = { 0x40, 0x00, 0x00, 0x04, 't', 'e', 'r', 'n' };
	struct malformed *m;
	size_t n = 0;

	m = malformed_add(out, &n, "empty datagram", false);
	m->len = 0;
	m->udp_only = true;
	m = malformed_add(out, &n, "truncated to 10 bytes", true);
	m->len = 10;
	m->incomplete = true;
	m = malformed_add(out, &n, "truncated to 19 bytes", true);
	m->len = 19;
	m->incomplete = true;
	m = malformed_add(out, &n, "truncated inside an attribute", true);
	m->len -= 4;
	m->incomplete = true;
	m = malformed_add(out, &n, "wrong magic cookie", false);
	m->buf[7] ^= 0x01;
	m->may_stay_open = m->in_sync = true;	/* an RFC 3489 message */
	m = malformed_add(out, &n, "length field too long", true);
	buf_put_u16(m->buf + 2, (uint16_t)(m->len - STUN_HEADER_LEN + 4));
	m->incomplete = true;
	m = malformed_add(out, &n, "length field too short", true);
	buf_put_u16(m->buf + 2, (uint16_t)(m->len - STUN_HEADER_LEN - 4));
	m->may_stay_open = true;	/* a 32-byte frame, then 4 stray bytes */
	m = malformed_add(out, &n, "length not a multiple of 4", true);
	buf_put_u16(m->buf + 2, 14);
	m = malformed_add(out, &n, "bad FINGERPRINT", true);
	m->buf[m->len - 1] ^= 0xFF;
	m->may_stay_open = m->in_sync = true;
	m = malformed_add(out, &n, "top two bits set", true);
	m->buf[0] |= 0xC0;
	m = malformed_add(out, &n, "attribute longer than the message", false);
	buf_put_u16(m->buf + 22, 100);
	m->may_stay_open = m->in_sync = true;
	m = &out[n++];
	malformed_fill(m, "a success response sent to the server", NULL, 0, 0);
	m->len = malformed_build(m->buf, sizeof(m->buf), STUN_BINDING, STUN_SUCCESS, false);
	m->may_stay_open = m->in_sync = true;
	/* "GE" is 0x4745, a ChannelData header (RFC 7983 64..79) whose length
	 * 0x5420 is not there yet: a stream rightly waits for it. */
	m = &out[n++];
	malformed_fill(m, "garbage: HTTP request", http, sizeof(http) - 1, 0);
	m->incomplete = true;
	malformed_fill(&out[n++], "garbage: TLS record header", tls, sizeof(tls), 0);
	malformed_fill(&out[n++], "garbage: 0xFF bytes", NULL, 40, 0xFF);
	malformed_fill(&out[n++], "garbage: zero bytes", NULL, 40, 0x00);
	m = &out[n++];
	malformed_fill(m, "ChannelData without an allocation", cd, sizeof(cd), 0);
	m->may_stay_open = m->in_sync = true;
	return n;
}
