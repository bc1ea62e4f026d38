/* SPDX-License-Identifier: ISC */
/*
 * stun_stream: framing of STUN messages and ChannelData on TCP/TLS
 * (RFC 8656 §12.5, RFC 6062). ternd's TCP code calls stun_frame_len()
 * directly over its evbuffers; struct stun_stream is a bounded reassembly
 * buffer for the client library and the fuzz targets.
 *
 * A stream is never resynchronised by guessing (docs/security.md, Attack
 * catalogue: TCP/TLS exhaustion): a bad first byte, a STUN length that is
 * not a multiple of 4, a missing magic cookie or a reserved channel number
 * ends it (-1).
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/stun_int.h"
#include "util/buf.h"

static long
stun_frame_len_stun(const uint8_t *p, size_t avail)
{
	size_t total;

	if (avail < 4)
		return 0;
	/* §5: length is a multiple of 4; its maximum fits the buffer */
	if (buf_get_u16(p + 2) % 4 != 0)
		return -1;
	total = STUN_HEADER_LEN + buf_get_u16(p + 2);
	/* RFC 3489 predates TURN's stream transports: a stream message
	 * without the magic cookie is not STUN we serve (§5, §11). */
	if (avail >= 8 && buf_get_u32(p + 4) != STUN_MAGIC_COOKIE)
		return -1;
	return avail >= total ? (long)total : 0;
}

static long
stun_frame_len_channel(const uint8_t *p, size_t avail, uint16_t max)
{
	size_t total;

	if (avail < STUN_CHANNEL_HEADER_LEN)
		return avail >= 2 && !stun_channel_in(buf_get_u16(p), max) ?
		    -1 : 0;
	/* RFC 8656 §12: 0x5000-0xFFFF are reserved; the first byte alone
	 * (RFC 7983's 64..79) lets 0x4xxx through, so check the number. */
	if (!stun_channel_in(buf_get_u16(p), max))
		return -1;
	/* §12.5: over streams the data is padded to a multiple of 4, and
	 * the padding is not counted in the length field. */
	total = STUN_CHANNEL_HEADER_LEN + stun_pad4(buf_get_u16(p + 2));
	return avail >= total ? (long)total : 0;
}

long
stun_frame_len_max(const uint8_t *p, size_t avail, uint16_t max)
{
	if (p == NULL || avail == 0)
		return 0;
	if (stun_is_stun_byte(p[0]))
		return stun_frame_len_stun(p, avail);
	if (stun_is_channel_byte_max(p[0], max))
		return stun_frame_len_channel(p, avail, max);
	return -1;
}

long
stun_frame_len(const uint8_t *p, size_t avail)
{
	return stun_frame_len_max(p, avail, STUN_CHANNEL_MAX);
}

size_t
stun_stream_feed(struct stun_stream *s, const uint8_t *p, size_t n)
{
	size_t room;

	/* frames handed out by next() die here: compact the buffer */
	if (s->off > 0) {
		if (s->off < s->len)
			memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off < s->len ? s->off : s->len;
		s->off = 0;
	}
	room = sizeof(s->buf) - s->len;
	if (n > room)
		n = room;
	if (n > 0)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	return n;
}

long
stun_stream_next(struct stun_stream *s, const uint8_t **frame)
{
	long r;

	*frame = NULL;
	if (s->off > s->len)
		return -1;	/* corrupted state */
	r = stun_frame_len(s->buf + s->off, s->len - s->off);
	if (r <= 0)
		return r;
	*frame = s->buf + s->off;
	s->off += (size_t)r;
	return r;
}
