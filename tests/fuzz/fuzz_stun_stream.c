/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: the TCP/TLS de-framer (RFC 8656 §12.5). The first two
 * bytes seed the chunk sizes; the rest is the stream. Feeding it whole and
 * feeding it in chunks must give the same frames, byte for byte, and end
 * the same way. Every frame is then decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT	(1u << 18)
#define MAX_FRAMES	(MAX_INPUT / 4 + 1)

static struct stun_stream st;
static uint32_t lens_whole[MAX_FRAMES], lens_split[MAX_FRAMES];

struct run {
	uint32_t *lens;
	size_t nframes;
	int error;
};

/* xorshift32: deterministic chunk sizes from the seed */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
run_stream(const uint8_t *p, size_t n, uint32_t seed, uint32_t maxchunk,
    struct run *r)
{
	const uint8_t *f;
	size_t off = 0, pos = 0, c, taken;
	long l;

	memset(&st, 0, sizeof(st));
	r->nframes = 0;
	r->error = 0;
	while (off < n) {
		c = seed == 0 ? n - off : 1 + next_rand(&seed) % maxchunk;
		if (c > n - off)
			c = n - off;
		taken = stun_stream_feed(&st, p + off, c);
		off += taken;
		while ((l = stun_stream_next(&st, &f)) > 0) {
			/* frames are the input, in order, unchanged */
			if (pos + (size_t)l > n ||
			    memcmp(f, p + pos, (size_t)l) != 0 ||
			    stun_frame_len(p + pos, n - pos) != l)
				abort();
			pos += (size_t)l;
			r->lens[r->nframes++] = (uint32_t)l;
		}
		if (l < 0) {
			r->error = 1;
			return;
		}
		if (taken == 0)
			abort();	/* a full buffer always holds a frame */
	}
}

static void
decode_frames(const uint8_t *p, const struct run *r)
{
	struct stun_channel_data cd;
	struct stun_msg m;
	size_t i, pos = 0;

	for (i = 0; i < r->nframes; i++) {
		if (stun_is_channel_byte(p[pos])) {
			if (stun_channel_decode(&cd, p + pos, r->lens[i]) != 0)
				abort();	/* a stream frame holds its data */
		} else
			(void)stun_decode(&m, p + pos, r->lens[i]);
		pos += r->lens[i];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = { lens_whole, 0, 0 }, split = { lens_split, 0, 0 };
	uint32_t seed, maxchunk;

	if (size < 2 || size > MAX_INPUT)
		return 0;
	seed = (uint32_t)data[0] << 8 | data[1] | 0x10000u;
	maxchunk = 1 + data[0] % 64 * (data[1] & 1 ? 1 : 64);
	data += 2;
	size -= 2;
	run_stream(data, size, 0, 0, &whole);
	run_stream(data, size, seed, maxchunk, &split);
	if (whole.nframes != split.nframes || whole.error != split.error ||
	    memcmp(whole.lens, split.lens, whole.nframes * sizeof(uint32_t)) != 0)
		abort();
	decode_frames(data, &whole);
	return 0;
}
