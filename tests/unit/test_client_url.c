/* SPDX-License-Identifier: ISC */
/* client_url.c: RFC 7064/7065 URL parsing, strict. */
#include <stdio.h>

#include "client/client.h"
#include "tap.h"

struct good {
	const char *url;
	enum client_scheme scheme;
	enum client_transport transport;
	const char *host;
	unsigned port;
	const char *canon;
};

static const struct good goods[] = {
	{ "stun:example.org", CLIENT_STUN, CLIENT_UDP, "example.org", 3478,
	    "stun:example.org:3478" },
	{ "stun:127.0.0.1:1", CLIENT_STUN, CLIENT_UDP, "127.0.0.1", 1, "stun:127.0.0.1:1" },
	{ "STUN:Example.ORG:65535", CLIENT_STUN, CLIENT_UDP, "Example.ORG", 65535,
	    "stun:Example.ORG:65535" },
	{ "stuns:example.org", CLIENT_STUNS, CLIENT_TLS, "example.org", 5349,
	    "stuns:example.org:5349" },
	{ "stun:[::1]", CLIENT_STUN, CLIENT_UDP, "::1", 3478, "stun:[::1]:3478" },
	{ "stun:[2001:db8::1]:9", CLIENT_STUN, CLIENT_UDP, "2001:db8::1", 9,
	    "stun:[2001:db8::1]:9" },
	{ "turn:h", CLIENT_TURN, CLIENT_UDP, "h", 3478, "turn:h:3478?transport=udp" },
	{ "turn:h?transport=udp", CLIENT_TURN, CLIENT_UDP, "h", 3478,
	    "turn:h:3478?transport=udp" },
	{ "turn:h:80?transport=tcp", CLIENT_TURN, CLIENT_TCP, "h", 80,
	    "turn:h:80?transport=tcp" },
	{ "turns:h", CLIENT_TURNS, CLIENT_TLS, "h", 5349, "turns:h:5349?transport=tcp" },
	{ "turns:[::1]:443?transport=tcp", CLIENT_TURNS, CLIENT_TLS, "::1", 443,
	    "turns:[::1]:443?transport=tcp" },
};

static const char *const bads[] = {
	"", "stun", "stun:", "http://example.org", "stunx:h", "stun://h", "stun:h:",
	"stun:h:0", "stun:h:65536", "stun:h:123456", "stun:h:+1", "stun:h:-1",
	"stun:h:1x", "stun:h: 1", "stun:user@h", "stun:h/path", "stun:h#frag",
	"stun:h?transport=udp", "stuns:h?transport=tcp", "turn:h?transport=sctp",
	"turn:h?transport=UDP", "turn:h?transport=", "turn:h?foo=bar",
	"turn:h?transport=udp&x=1", "turns:h?transport=udp", "turn:h?",
	"stun:[::1", "stun:[]", "stun:[::1]x", "stun:[not-ip]", "stun:[fe80::1%eth0]",
	"stun:[1.2.3.4]", "stun:::1", "stun:h..x", "stun:.h", "stun:-h", "stun:h_x",
	"stun:h%41", "stun: h", "stun:h:3478:1", "turn:h:1?transport=tcp?transport=tcp",
};

int
main(void)
{
	struct client_url u;
	char err[128], canon[300], big[2100];
	size_t i;
	int r;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		err[0] = '\0';
		r = client_url_parse(&u, g->url, err, sizeof(err));
		if (!ok(r == 0, "accepts %s", g->url)) {
			diag("error: %s", err);
			continue;
		}
		ok(u.scheme == g->scheme && u.transport == g->transport,
		    "%s: scheme and transport", g->url);
		is_str(u.host, g->host, "%s: host", g->url);
		is_int(u.port, g->port, "%s: port", g->url);
		ok(client_url_format(&u, canon, sizeof(canon)) > 0, "%s: formats", g->url);
		is_str(canon, g->canon, "%s: canonical form", g->url);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		err[0] = '\0';
		r = client_url_parse(&u, bads[i], err, sizeof(err));
		ok(r == -1 && err[0] != '\0', "rejects \"%s\" (%s)", bads[i], err);
	}
	/* A 254-character host name is one too long (RFC 1035 §2.3.4). */
	memcpy(big, "stun:", 5);
	memset(big + 5, 'a', 254);
	big[5 + 254] = '\0';
	ok(client_url_parse(&u, big, err, sizeof(err)) == -1, "rejects a 254-byte host");
	big[5 + 253] = '\0';
	ok(client_url_parse(&u, big, err, sizeof(err)) == 0, "accepts a 253-byte host");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(client_url_parse(&u, big, err, sizeof(err)) == -1, "rejects a 2 KiB string");
	ok(client_url_format(&u, canon, 4) == -1, "format reports truncation");
	return tap_done();
}
