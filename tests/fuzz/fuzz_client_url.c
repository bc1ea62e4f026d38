/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for client_url_parse(): any input must be refused or
 * parse into a URL whose canonical form parses back to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_url u, v;
	char s[2048], canon[512], err[128];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (client_url_parse(&u, s, err, sizeof(err)) == -1)
		return 0;
	if (u.port == 0 || u.host[0] == '\0')
		abort();
	if (client_url_format(&u, canon, sizeof(canon)) < 0)
		abort();
	if (client_url_parse(&v, canon, err, sizeof(err)) == -1)
		abort();
	if (v.scheme != u.scheme || v.transport != u.transport || v.port != u.port ||
	    strcmp(v.host, u.host) != 0 || v.host_is_ip6 != u.host_is_ip6)
		abort();
	return 0;
}
