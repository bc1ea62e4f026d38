/* SPDX-License-Identifier: ISC */
/*
 * buf: a bounds-checked cursor over bytes that came from the wire.
 *
 * Every read of remote input goes through these functions. A read past the
 * end does not touch memory: it sets the sticky `err` flag and yields zero, so
 * a parser can read a whole structure and check `err` once at the end
 * (docs/security.md, Attack catalogue: malformed input). The cursor never
 * owns the bytes it points into.
 */
#ifndef TERN_UTIL_BUF_H
#define TERN_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	const uint8_t *p;	/* borrowed; not owned */
	size_t len;		/* bytes readable from p */
	size_t off;		/* bytes consumed so far */
	bool err;		/* a read ran past the end */
};

static inline void
buf_init(struct buf *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
	b->err = false;
}

static inline size_t
buf_left(const struct buf *b)
{
	return b->err ? 0 : b->len - b->off;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and sets err). */
static inline const uint8_t *
buf_take(struct buf *b, size_t n)
{
	const uint8_t *r;

	if (b->err || n > b->len - b->off) {
		b->err = true;
		return NULL;
	}
	r = b->p + b->off;
	b->off += n;
	return r;
}

static inline uint8_t
buf_u8(struct buf *b)
{
	const uint8_t *q = buf_take(b, 1);
	return q ? q[0] : 0;
}

static inline uint16_t
buf_u16(struct buf *b)
{
	const uint8_t *q = buf_take(b, 2);
	return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint32_t
buf_u32(struct buf *b)
{
	const uint8_t *q = buf_take(b, 4);
	return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | q[3] : 0;
}

static inline void
buf_skip(struct buf *b, size_t n)
{
	(void)buf_take(b, n);
}

/* Big-endian stores into caller-checked space. */
static inline void
buf_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
buf_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
buf_get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
buf_get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

#endif
