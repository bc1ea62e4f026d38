/* SPDX-License-Identifier: ISC */
/* The bounds-checked cursor of util/buf.h. */
#include "util/buf.h"
#include "tap.h"

int
main(void)
{
	static const uint8_t d[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	uint8_t w[4];
	struct buf b;

	buf_init(&b, d, sizeof(d));
	is_int(buf_left(&b), 7, "7 bytes left");
	is_int(buf_u8(&b), 0x01, "u8");
	is_int(buf_u16(&b), 0x0203, "u16 big-endian");
	is_int(buf_u32(&b), 0x04050607, "u32 big-endian");
	ok(!b.err && buf_left(&b) == 0, "exactly consumed, no error");
	is_int(buf_u8(&b), 0, "read past end yields 0");
	ok(b.err, "err set after overrun");
	is_int(buf_left(&b), 0, "nothing left after error");

	buf_init(&b, d, sizeof(d));
	ok(buf_take(&b, 8) == NULL && b.err, "take more than len fails");
	is_int(buf_u8(&b), 0, "err is sticky");
	buf_init(&b, d, sizeof(d));
	buf_skip(&b, 6);
	is_int(buf_u16(&b), 0, "u16 with one byte left fails");
	ok(b.err && b.off == 6, "offset unchanged by a failed read");
	buf_init(&b, d, sizeof(d));
	ok(buf_take(&b, SIZE_MAX) == NULL && b.err, "huge take does not wrap");
	buf_init(&b, d, sizeof(d));
	ok(buf_take(&b, 0) == d && !b.err, "zero take is fine");

	buf_put_u16(w, 0xA1B2);
	ok(w[0] == 0xA1 && w[1] == 0xB2, "put_u16");
	is_int(buf_get_u16(w), 0xA1B2, "get_u16");
	buf_put_u32(w, 0x2112A442);
	ok(w[0] == 0x21 && w[3] == 0x42, "put_u32");
	is_int(buf_get_u32(w), 0x2112A442, "get_u32");
	return tap_done();
}
