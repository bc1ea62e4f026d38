/* SPDX-License-Identifier: ISC */
/*
 * auth_int: declarations shared by the auth module's files only.
 */
#ifndef TERN_AUTH_INT_H
#define TERN_AUTH_INT_H

#include "auth/auth.h"

/* A static user: the password itself is never stored (RFC 8656 §6). */
struct auth_user {
	uint8_t *name;			/* owned, name_len bytes, not NUL-terminated */
	size_t name_len;
	uint8_t md5[16];		/* MD5(name:realm:password) */
	uint8_t sha256[32];		/* SHA-256 variant, if has_sha256 */
	uint8_t userhash[32];		/* SHA-256(name:realm), §14.4 */
	bool has_sha256;		/* false for users given as 0x<key> */
};

struct auth_secret {
	uint8_t p[AUTH_SECRET_MAX];
	size_t len;
};

/* A revoked user (the REST user-id or a long-term username). */
struct auth_revoked {
	uint8_t *name;			/* owned, len bytes */
	size_t len;
	uint64_t until;			/* Unix seconds, exclusive */
};

struct auth_creds {
	uint8_t realm[AUTH_REALM_MAX];	/* not NUL-terminated */
	size_t realm_len;
	char sep;
	uint32_t max_ttl;
	uint32_t skew;
	bool sealed;
	struct auth_user *users;	/* sorted by name once sealed */
	size_t nusers, capusers;
	/*
	 * The users by USERHASH (RFC 8489 §14.4): open addressing with linear
	 * probing, slot = the hash's first 8 bytes mod nslots; a slot holds a
	 * user's index + 1, 0 when empty. nslots is a power of two at least
	 * twice capusers, so the table is at most half full. Kept up to date
	 * by auth_creds_add_user() (which finds duplicate names through it)
	 * and rebuilt by auth_creds_seal() once the users are sorted.
	 */
	uint32_t *byhash;
	size_t nslots;
	struct auth_secret secrets[AUTH_MAX_SECRETS];
	size_t nsecrets;
	enum crypto_md rest_md;		/* rest-api-hmac, SHA-1 by default */
	struct auth_revoked *revoked;	/* sorted and unique once sealed */
	size_t nrevoked, caprevoked;
};

/* The static user with this name (binary search, sealed sets) or NULL. */
const struct auth_user *auth_creds_user_find(const struct auth_creds *c,
    const uint8_t *name, size_t len);
/* The static user with this USERHASH (the index) or NULL. */
const struct auth_user *auth_creds_userhash_find(const struct auth_creds *c,
    const uint8_t *hash, size_t len);
/* The same, adding the slots it visited to *probes. */
const struct auth_user *auth_creds_userhash_probe(const struct auth_creds *c,
    const uint8_t *hash, size_t len, unsigned *probes);

#endif
