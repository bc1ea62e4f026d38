/* SPDX-License-Identifier: ISC */
/* Stream framing (RFC 8656 §12.5): split feeding, padding, bad streams. */
#include <string.h>

#include "stun/stun.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "tap.h"

static const uint8_t T[12] = { 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144 };

static struct stun_stream st;
static uint8_t stream[512];
static size_t stream_len;
static size_t frame_len[8];
static size_t nframes;

static void
append(const uint8_t *p, size_t n)
{
	memcpy(stream + stream_len, p, n);
	frame_len[nframes++] = n;
	stream_len += n;
}

/* STUN request, ChannelData (3 bytes + 1 pad), empty ChannelData,
 * STUN with FINGERPRINT, ChannelData of 4 bytes (no pad). */
static void
make_stream(void)
{
	uint8_t msg[128];
	struct stun_builder b;

	stun_builder_init(&b, msg, sizeof(msg), STUN_BINDING, STUN_REQUEST, T);
	stun_add(&b, STUN_ATTR_SOFTWARE, "abc", 3);
	append(msg, stun_builder_finish(&b));
	append((const uint8_t *)"\x40\x01\x00\x03" "xyz\x00", 8);
	append((const uint8_t *)"\x4f\xff\x00\x00", 4);
	stun_builder_init(&b, msg, sizeof(msg), STUN_ALLOCATE, STUN_REQUEST, T);
	stun_add_fingerprint(&b);
	append(msg, stun_builder_finish(&b));
	append((const uint8_t *)"\x40\x00\x00\x04" "abcd", 8);
}

/* Feeds stream in chunks of `chunk` bytes (0 = split at `at`); checks the
 * frames come out whole and in order. Returns the number of frames. */
static size_t
feed_split(size_t at, size_t chunk, bool *same)
{
	const uint8_t *f;
	size_t off = 0, got = 0, pos = 0, n;
	long r;

	memset(&st, 0, sizeof(st));
	*same = true;
	while (off < stream_len) {
		n = chunk ? chunk : (off < at ? at - off : stream_len - off);
		if (n > stream_len - off)
			n = stream_len - off;
		off += stun_stream_feed(&st, stream + off, n);
		while ((r = stun_stream_next(&st, &f)) > 0) {
			if (got >= nframes || (size_t)r != frame_len[got] ||
			    memcmp(f, stream + pos, (size_t)r) != 0)
				*same = false;
			pos += (size_t)r;
			got++;
		}
		if (r < 0)
			*same = false;
	}
	return got;
}

static void
test_split(void)
{
	size_t at, bad = 0, chunk;
	bool same;

	make_stream();
	for (at = 0; at <= stream_len; at++)
		if (feed_split(at, 0, &same) != nframes || !same)
			bad++;
	is_int(bad, 0, "split at every offset yields the same %zu frames", nframes);
	for (chunk = 1, bad = 0; chunk <= 9; chunk++)
		if (feed_split(0, chunk, &same) != nframes || !same)
			bad++;
	is_int(bad, 0, "byte-by-byte and small chunks");
}

static void
test_frame_len(void)
{
	static uint8_t big[STUN_MAX_FRAME];
	uint8_t p[32] = { 0 };
	const uint8_t *f;

	is_int(stun_frame_len(p, 0), 0, "empty: need more");
	memcpy(p, "\x40\x00\x00\x05", 4);
	is_int(stun_frame_len(p, 4), 0, "ChannelData header only");
	is_int(stun_frame_len(p, 9), 0, "unpadded ChannelData needs its padding");
	is_int(stun_frame_len(p, 12), 12, "padded to 12");
	memcpy(p, "\x50\x00\x00\x00", 4);
	is_int(stun_frame_len(p, 1), -1, "first byte 0x50");
	memcpy(p, "\x4f\xff\x00\x00", 4);
	is_int(stun_frame_len(p, 4), 4, "0x4FFF ok");
	/* the RFC 5766 range only when asked for (stun_frame_len_max) */
	memcpy(p, "\x7f\xff\x00\x01", 4);
	is_int(stun_frame_len(p, 8), -1, "0x7FFF refused by default");
	is_int(stun_frame_len_max(p, 8, STUN_CHANNEL_MAX_RFC5766), 8,
	    "0x7FFF framed with the RFC 5766 range");
	memcpy(p, "\x80\x00\x00\x00", 4);
	is_int(stun_frame_len_max(p, 4, STUN_CHANNEL_MAX_RFC5766), -1,
	    "0x8000 refused even then");
	memcpy(p, "\x16\x03\x01\x00", 4);
	is_int(stun_frame_len(p, 4), -1, "TLS record is not STUN");
	memcpy(p, "\x00\x01\x00\x03", 4);
	is_int(stun_frame_len(p, 4), -1, "STUN length not a multiple of 4");
	memcpy(p, "\x00\x01\x00\x00\x21\x12\xa4\x43", 8);
	is_int(stun_frame_len(p, 7), 0, "cookie not yet complete");
	is_int(stun_frame_len(p, 8), -1, "no magic cookie on a stream");
	memcpy(p, "\x00\x01\xff\xfc\x21\x12\xa4\x42", 8);
	is_int(stun_frame_len(p, 8), 0, "largest STUN: need more");
	memset(big, 0, sizeof(big));
	memcpy(big, p, 8);
	is_int(stun_frame_len(big, sizeof(big)), STUN_MAX_MSG, "largest STUN fits");
	memcpy(big, "\x40\x00\xff\xff", 4);
	is_int(stun_frame_len(big, sizeof(big)), 4 + 65536, "largest ChannelData");

	/* the stream buffer takes what it can and refuses garbage */
	memset(&st, 0, sizeof(st));
	memcpy(big + 4 + 65536, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	is_int(stun_stream_feed(&st, big, sizeof(big)), sizeof(big), "fills up");
	is_int(stun_stream_feed(&st, big, 1), 0, "then takes nothing");
	is_int(stun_stream_next(&st, &f), 4 + 65536, "largest ChannelData frame");
	ok(f == st.buf, "frame points into the buffer");
	is_int(stun_stream_next(&st, &f), 0, "rest needs more");
	memset(&st, 0, sizeof(st));
	stun_stream_feed(&st, (const uint8_t *)"\x40\x00\x00\x00\x51\x00\x00\x00", 8);
	is_int(stun_stream_next(&st, &f), 4, "one good frame");
	is_int(stun_stream_next(&st, &f), -1, "then reserved channel 0x5100: error");
	ok(f == NULL, "no frame on error");
	is_int(stun_stream_next(&st, &f), -1, "error stays");
	memset(&st, 0, sizeof(st));
	stun_stream_feed(&st, (const uint8_t *)"\xff", 1);
	is_int(stun_stream_next(&st, &f), -1, "garbage byte");
}

int
main(void)
{
	if (crypto_init() != 0)
		return 1;
	test_split();
	test_frame_len();
	return tap_done();
}
