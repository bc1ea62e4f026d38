/* SPDX-License-Identifier: ISC */
/*
 * stun: the STUN/TURN message codec. Pure: no I/O, no malloc, no logging.
 *
 * Decoding (RFC 8489 §5, §6.3, §14): stun_decode() runs every receive check
 * (top two bits zero, magic cookie, length a multiple of 4 and equal to the
 * bytes received, attribute walk with padding) and indexes the attributes.
 * Parse results point into the caller's packet buffer, which must outlive the
 * struct stun_msg. Attribute rules enforced at decode time:
 *  - the first occurrence of a repeated attribute wins (§14);
 *  - after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
 *    count; after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT; everything else
 *    is ignored (§9);
 *  - FINGERPRINT must be last (§14.7), and is checked by stun_decode;
 *  - unknown comprehension-required types (< 0x8000) are collected so the
 *    caller can answer 420 with UNKNOWN-ATTRIBUTES (§6.3.1, §14.13).
 * A message without the magic cookie is decoded as RFC 3489 (flag rfc3489);
 * the caller decides whether to answer it.
 *
 * Encoding: struct stun_builder writes a message into a caller buffer,
 * zeroing padding (§14), computing MESSAGE-INTEGRITY(-SHA256) over the right
 * length (§14.5, §14.6) and FINGERPRINT last (§14.7).
 *
 * Streams (RFC 8656 §12, RFC 6062): stun_frame_len() tells how long the next
 * STUN message or ChannelData frame in a TCP/TLS byte stream is, with the
 * padding ChannelData carries on streams.
 */
#ifndef TERN_STUN_H
#define TERN_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

#define STUN_HEADER_LEN		20
#define STUN_MAGIC_COOKIE	0x2112A442u
#define STUN_TID_LEN		12
#define STUN_MAX_MSG		(STUN_HEADER_LEN + 65532)	/* length field max, multiple of 4 */
#define STUN_MAX_ATTRS		48	/* distinct attribute types indexed per message */
#define STUN_MAX_UNKNOWN	16	/* unknown comprehension-required types kept */
#define STUN_FINGERPRINT_XOR	0x5354554Eu
#define STUN_CHANNEL_HEADER_LEN	4
#define STUN_CHANNEL_MIN	0x4000
#define STUN_CHANNEL_MAX	0x4FFF	/* RFC 8656 §12 */
#define STUN_CHANNEL_MAX_RFC5766 0x7FFF	/* RFC 5766 §11 allowed up to here */
#define STUN_MAX_FRAME		STUN_MAX_MSG	/* largest stream frame (ChannelData is at most 4 + 65535 + 1) */

/* Classes (§5): bits C1 (0x0100) and C0 (0x0010) of the message type. */
enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* Methods (RFC 8489 §18.2, RFC 8656 §17, RFC 6062 §6.1). */
enum stun_method {
	STUN_BINDING = 0x001,
	STUN_ALLOCATE = 0x003,
	STUN_REFRESH = 0x004,
	STUN_SEND = 0x006,
	STUN_DATA = 0x007,
	STUN_CREATE_PERMISSION = 0x008,
	STUN_CHANNEL_BIND = 0x009,
	STUN_CONNECT = 0x00A,
	STUN_CONNECTION_BIND = 0x00B,
	STUN_CONNECTION_ATTEMPT = 0x00C,
};

/* Attribute types (RFC 8489 §18.3, RFC 8656 §18). */
enum stun_attr_type {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_RESPONSE_ADDRESS = 0x0002,	/* RFC 3489; never honoured */
	STUN_ATTR_CHANGE_REQUEST = 0x0003,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_CHANNEL_NUMBER = 0x000C,
	STUN_ATTR_LIFETIME = 0x000D,
	STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
	STUN_ATTR_DATA = 0x0013,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_ATTR_EVEN_PORT = 0x0018,
	STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
	STUN_ATTR_DONT_FRAGMENT = 0x001A,
	STUN_ATTR_ACCESS_TOKEN = 0x001B,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	STUN_ATTR_USERHASH = 0x001E,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_RESERVATION_TOKEN = 0x0022,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_PADDING = 0x0026,
	STUN_ATTR_RESPONSE_PORT = 0x0027,
	STUN_ATTR_CONNECTION_ID = 0x002A,
	STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_ICMP = 0x8004,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_TRANSACTION_TRANSMIT_COUNTER = 0x8025,
	STUN_ATTR_CACHE_TIMEOUT = 0x8027,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
	STUN_ATTR_RESPONSE_ORIGIN = 0x802B,
	STUN_ATTR_OTHER_ADDRESS = 0x802C,
	STUN_ATTR_ECN_CHECK = 0x802D,
	STUN_ATTR_THIRD_PARTY_AUTHORIZATION = 0x802E,
	STUN_ATTR_MOBILITY_TICKET = 0x8030,
};

/* Error codes used on the wire (RFC 8489 §14.8, RFC 8656 §19, RFC 6062). */
enum stun_error {
	STUN_ERR_TRY_ALTERNATE = 300,
	STUN_ERR_BAD_REQUEST = 400,
	STUN_ERR_UNAUTHENTICATED = 401,
	STUN_ERR_FORBIDDEN = 403,
	STUN_ERR_MOBILITY_FORBIDDEN = 405,
	STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
	STUN_ERR_ALLOCATION_MISMATCH = 437,
	STUN_ERR_STALE_NONCE = 438,
	STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
	STUN_ERR_WRONG_CREDENTIALS = 441,
	STUN_ERR_UNSUPPORTED_TRANSPORT = 442,
	STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH = 443,
	STUN_ERR_CONNECTION_ALREADY_EXISTS = 446,
	STUN_ERR_CONNECTION_TIMEOUT = 447,
	STUN_ERR_ALLOCATION_QUOTA = 486,
	STUN_ERR_ROLE_CONFLICT = 487,
	STUN_ERR_SERVER_ERROR = 500,
	STUN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/* Why stun_decode() refused a message (for drop counters). */
enum stun_decode_err {
	STUN_OK = 0,
	STUN_E_SHORT = -1,		/* fewer than 20 bytes */
	STUN_E_TOP_BITS = -2,		/* first two bits not zero */
	STUN_E_LENGTH = -3,		/* length not a multiple of 4, or != bytes received */
	STUN_E_ATTR_OVERRUN = -4,	/* an attribute runs past the message */
	STUN_E_FINGERPRINT = -5,	/* FINGERPRINT bad, misplaced or wrong size */
	STUN_E_TOO_MANY_ATTRS = -6,	/* more distinct attributes than we index */
	STUN_E_CLASS = -7,		/* class not allowed for the method */
};

/* One attribute: a view into the packet. */
struct stun_attr {
	uint16_t type;
	uint16_t len;		/* value length without padding */
	const uint8_t *val;	/* points into the packet */
};

struct stun_msg {
	const uint8_t *raw;	/* the whole message; borrowed */
	size_t raw_len;
	uint16_t type;		/* raw 14-bit message type */
	uint16_t method;	/* enum stun_method value (12 bits) */
	enum stun_class cls;
	bool rfc3489;		/* no magic cookie: bytes 4..19 form the TID */
	uint8_t tid[STUN_TID_LEN];
	/* Offsets (from raw) of the attribute header, or 0 when absent. */
	size_t mi_off;		/* MESSAGE-INTEGRITY */
	size_t mi256_off;	/* MESSAGE-INTEGRITY-SHA256 */
	size_t fp_off;		/* FINGERPRINT */
	unsigned nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];	/* first occurrence of each type, in order */
	unsigned nunknown;
	uint16_t unknown[STUN_MAX_UNKNOWN];	/* unknown comprehension-required types */
};

/* Message type <-> method/class (§5). */
uint16_t stun_type(uint16_t method, enum stun_class cls);
uint16_t stun_type_method(uint16_t type);
enum stun_class stun_type_class(uint16_t type);

/* First byte demultiplexing (RFC 7983, RFC 8656 §12): */
static inline bool stun_is_stun_byte(uint8_t b) { return b < 4; }
static inline bool stun_is_channel_byte(uint8_t b) { return b >= 0x40 && b <= 0x4F; }

/*
 * Decodes and checks one STUN message of exactly len bytes (a UDP datagram
 * or a frame cut by stun_frame_len). Returns STUN_OK or a stun_decode_err.
 * On success m points into p. A message whose FINGERPRINT is present but
 * wrong is refused (§14.7): FINGERPRINT is verified here.
 */
int stun_decode(struct stun_msg *m, const uint8_t *p, size_t len);

/* The first attribute of a type, or NULL. */
const struct stun_attr *stun_msg_attr(const struct stun_msg *m, uint16_t type);
/* True if the type is one tern understands (for the unknown list). */
bool stun_attr_is_known(uint16_t type);

/* Typed attribute decoders: 0 or -1 (malformed). */
int stun_attr_xor_addr(const struct stun_attr *a, const uint8_t tid[STUN_TID_LEN],
    struct addr *out);
int stun_attr_addr(const struct stun_attr *a, struct addr *out);	/* MAPPED-ADDRESS style */
int stun_attr_u32(const struct stun_attr *a, uint32_t *out);
int stun_attr_error(const struct stun_attr *a, int *code, const uint8_t **reason,
    size_t *reason_len);
int stun_attr_channel(const struct stun_attr *a, uint16_t *channel);
/* The same with the upper bound given: STUN_CHANNEL_MAX_RFC5766 accepts the
 * older RFC 5766 range that coturn 4.6 and older clients still pick from. */
int stun_attr_channel_max(const struct stun_attr *a, uint16_t max,
    uint16_t *channel);
int stun_attr_requested_transport(const struct stun_attr *a, uint8_t *proto);
int stun_attr_family(const struct stun_attr *a, uint8_t *family);	/* 0x01 / 0x02 */
int stun_attr_even_port(const struct stun_attr *a, bool *reserve);
/* UNKNOWN-ATTRIBUTES / PASSWORD-ALGORITHMS as lists. Return count or -1. */
int stun_attr_unknown_list(const struct stun_attr *a, uint16_t *out, size_t cap);
struct stun_pw_alg { uint16_t alg; uint16_t plen; const uint8_t *params; };
int stun_attr_pw_algs(const struct stun_attr *a, struct stun_pw_alg *out, size_t cap);

/*
 * Integrity checks over a decoded message (§14.5, §14.6). key is the
 * long-term key (MD5 16 bytes / SHA-256 32 bytes) or the short-term password.
 * MI-SHA256 must be the full 32 bytes (§14.6: TURN allows no truncation).
 * Return 1 if valid, 0 if invalid, -1 if the attribute is absent.
 */
int stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen);
int stun_check_integrity_sha256(const struct stun_msg *m, const void *key, size_t keylen);

/* Builder. The buffer is zeroed as it is written; err is sticky. */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool err;	/* ran out of room or a value was too long */
};

void stun_builder_init(struct stun_builder *b, uint8_t *buf, size_t cap,
    uint16_t method, enum stun_class cls, const uint8_t tid[STUN_TID_LEN]);
void stun_add(struct stun_builder *b, uint16_t type, const void *val, size_t len);
void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_add_xor_addr(struct stun_builder *b, uint16_t type, const struct addr *a);
void stun_add_addr(struct stun_builder *b, uint16_t type, const struct addr *a);
/* ERROR-CODE with the standard reason phrase of stun_error_reason(). */
void stun_add_error(struct stun_builder *b, int code);
void stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n);
/* Integrity and fingerprint close the message: add them last, in this order. */
void stun_add_integrity(struct stun_builder *b, const void *key, size_t keylen);
void stun_add_integrity_sha256(struct stun_builder *b, const void *key, size_t keylen);
void stun_add_fingerprint(struct stun_builder *b);
/* Final length, or 0 if anything failed. */
size_t stun_builder_finish(struct stun_builder *b);

/* A response skeleton for a request: same method, same TID, given class. */
void stun_builder_reply(struct stun_builder *b, uint8_t *buf, size_t cap,
    const struct stun_msg *req, enum stun_class cls);

/* Names and reason phrases ("Bad Request", ...); "" if unknown. */
const char *stun_error_reason(int code);
const char *stun_method_name(uint16_t method);
const char *stun_attr_name(uint16_t type);

/* ChannelData (RFC 8656 §12.4). */
struct stun_channel_data {
	uint16_t channel;
	uint16_t len;
	const uint8_t *data;
};
/* Decodes a ChannelData message of len bytes (UDP: padding allowed; the
 * datagram must hold at least 4 + length bytes, §12.6). 0 or -1. */
int stun_channel_decode(struct stun_channel_data *cd, const uint8_t *p, size_t len);
int stun_channel_decode_max(struct stun_channel_data *cd, const uint8_t *p,
    size_t len, uint16_t max);
/* A first byte that can start ChannelData with numbers up to max. */
static inline bool
stun_is_channel_byte_max(uint8_t b, uint16_t max)
{
	return b >= 0x40 && b <= (uint8_t)(max >> 8);
}

/*
 * Stream framing (RFC 8656 §12.5 for ChannelData padding on TCP/TLS).
 * Given the first avail bytes of a stream, returns:
 *   >0  the length of the complete next frame (STUN message, or ChannelData
 *       header + data + padding to 4 bytes);
 *    0  more bytes are needed;
 *   -1  the stream is not STUN/ChannelData (bad first byte, bad length,
 *       no magic cookie, reserved channel number 0x5000-0x7FFF):
 *       the caller closes the connection.
 */
long stun_frame_len(const uint8_t *p, size_t avail);
/* The same with ChannelData numbers up to max (see stun_attr_channel_max). */
long stun_frame_len_max(const uint8_t *p, size_t avail, uint16_t max);

/* A bounded reassembly buffer for one stream connection. */
struct stun_stream {
	uint8_t buf[STUN_MAX_FRAME];
	size_t len;
	size_t off;	/* start of the bytes not yet returned; zero-initialise */
};
/*
 * Appends up to n bytes from p (returns how many were taken: the caller
 * feeds the rest later) and yields complete frames through next().
 */
size_t stun_stream_feed(struct stun_stream *s, const uint8_t *p, size_t n);
/* Next complete frame: >0 its length (at *frame, valid until the next call
 * to feed or next), 0 need more, -1 protocol error. */
long stun_stream_next(struct stun_stream *s, const uint8_t **frame);

#endif
