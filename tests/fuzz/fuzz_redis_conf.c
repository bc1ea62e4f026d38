/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: any bytes as a redis-userdb connection string
 * (auth_redis_conf_parse), and as a SCAN MATCH pattern source
 * (auth_redis_glob_escape) and a hex key. Oracles, not only "no crash":
 * a parsed string yields NUL-terminated fields within their bounds and a
 * port, dbname and timeout in range; the escaped pattern, with every
 * backslash pair undone, is the input again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_conf(const uint8_t *data, size_t size)
{
	struct auth_redis_conf c;
	const char *why = NULL;

	if (auth_redis_conf_parse((const char *)data, size, &c, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (memchr(c.host, 0, sizeof(c.host)) == NULL ||
	    memchr(c.unix_path, 0, sizeof(c.unix_path)) == NULL ||
	    memchr(c.password, 0, sizeof(c.password)) == NULL ||
	    memchr(c.user, 0, sizeof(c.user)) == NULL || c.port == 0 ||
	    c.dbname > 65535 || c.connect_timeout < 1 ||
	    c.connect_timeout > 3600)
		abort();
	auth_redis_conf_clear(&c);
}

static void
check_glob(const uint8_t *data, size_t size)
{
	char out[512], back[512];
	long n;
	size_t i, k = 0;

	if (size > 200)
		size = 200;
	if ((n = auth_redis_glob_escape(data, size, out, sizeof(out))) < 0)
		abort();	/* 2 * 200 + 1 always fits */
	for (i = 0; i < (size_t)n; i++) {
		if (out[i] == '\\')
			i++;
		back[k++] = out[i];
	}
	if (k != size || memcmp(back, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[16];

	check_conf(data, size);
	check_glob(data, size);
	(void)auth_redis_key_decode(data, size, key);
	return 0;
}
