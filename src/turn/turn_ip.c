/* SPDX-License-Identifier: ISC */
/*
 * turn_ip: the compact peer address of permissions and channels (struct
 * turn_ip, RFC 8656 §9: a permission is an IP address, no port) and the
 * relay family index. A leaf of the module: it calls no other file of it.
 */
#include <netinet/in.h>
#include <string.h>

#include "turn/turn_int.h"

int
turn_fam_index(int family)
{
	if (family == AF_INET)
		return TURN_FAM_V4;
	if (family == AF_INET6)
		return TURN_FAM_V6;
	return -1;
}

void
turn_ip_from_addr(const struct addr *a, struct turn_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (addr_family(a) == AF_INET) {
		ip->fam = TURN_FAM_V4;
		memcpy(ip->b, &a->u.sin.sin_addr, 4);
	} else {
		ip->fam = TURN_FAM_V6;
		memcpy(ip->b, &a->u.sin6.sin6_addr, 16);
	}
}

void
turn_ip_to_addr(const struct turn_ip *ip, uint16_t port, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ip->fam == TURN_FAM_V4) {
		a->u.sin.sin_family = AF_INET;
		memcpy(&a->u.sin.sin_addr, ip->b, 4);
		a->u.sin.sin_port = htons(port);
	} else {
		a->u.sin6.sin6_family = AF_INET6;
		memcpy(&a->u.sin6.sin6_addr, ip->b, 16);
		a->u.sin6.sin6_port = htons(port);
	}
}

bool
turn_ip_equal(const struct turn_ip *a, const struct turn_ip *b)
{
	return a->fam == b->fam && memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

