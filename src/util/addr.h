/* SPDX-License-Identifier: ISC */
/*
 * addr: transport addresses (IPv4/IPv6 + port) as used everywhere in tern.
 *
 * A struct addr is a sockaddr_storage with helpers to parse, print, compare
 * and hash. Pure: no I/O. Formatting uses the canonical textual forms
 * (RFC 5952 for IPv6) and brackets IPv6 when a port is printed.
 */
#ifndef TERN_UTIL_ADDR_H
#define TERN_UTIL_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
		struct sockaddr_storage ss;
	} u;
};

#define ADDR_STRLEN	64	/* "[ffff:...:ffff%scope]:65535" fits */

/* Parses an IP literal (no port) into a; port set to `port`. 0 or -1. */
int addr_parse_ip(struct addr *a, const char *s, uint16_t port);
/* Parses "1.2.3.4:5", "[::1]:5", or a bare IP (port = defport). 0 or -1. */
int addr_parse(struct addr *a, const char *s, uint16_t defport);
/* Copies from a sockaddr of length len. 0 or -1 (unsupported family). */
int addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len);

int addr_family(const struct addr *a);
socklen_t addr_len(const struct addr *a);
uint16_t addr_port(const struct addr *a);
void addr_set_port(struct addr *a, uint16_t port);
bool addr_is_any(const struct addr *a);
/* Whether a is on loopback: 127.0.0.0/8 or ::1. */
bool addr_is_loopback(const struct addr *a);

/* Equality of family, address and port (ports ignored if !with_port). */
bool addr_equal(const struct addr *a, const struct addr *b, bool with_port);

/* "ip" or "ip:port" / "[ip6]:port" into out (ADDR_STRLEN). Returns out. */
char *addr_str(const struct addr *a, char *out, size_t cap);
char *addr_ip_str(const struct addr *a, char *out, size_t cap);

#endif
