/* SPDX-License-Identifier: ISC */
/*
 * malformed: the fixed set of broken STUN messages thrown at ternd over
 * UDP and TCP (RFC 8489 §5, §6.3; docs/security.md, Attack catalogue:
 * malformed input). None may get an answer.
 */
#ifndef TERN_TESTS_MALFORMED_H
#define TERN_TESTS_MALFORMED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MALFORMED_MAX	32

struct malformed {
	const char *name;
	uint8_t buf[128];
	size_t len;
	bool incomplete;	/* a stream would wait for more bytes */
	bool may_stay_open;	/* well framed: a stream may drop it and go on */
	bool in_sync;		/* and the next frame on the stream is read well */
	bool udp_only;
};

/* Fills out[] (MALFORMED_MAX entries); returns the count. */
size_t malformed_cases(struct malformed *out);
/* A valid Binding request with SOFTWARE and FINGERPRINT (36 bytes). */
size_t malformed_valid(uint8_t *buf, size_t cap);

#endif
