/* SPDX-License-Identifier: ISC */
/*
 * stun_names: reason phrases (RFC 8489 §14.8, RFC 8656 §19, RFC 6062 §6.3,
 * RFC 8445 §7.3.1.1 for 487), method and attribute names, by table.
 * The reason phrases are the RFCs' own and nothing else goes on the wire
 * (docs/security.md, Attack catalogue: secret leakage).
 */
#include <stddef.h>

#include "stun/stun.h"

struct stun_name {
	int code;
	const char *name;
};

static const struct stun_name stun_reasons[] = {
	{ 300, "Try Alternate" },
	{ 400, "Bad Request" },
	{ 401, "Unauthenticated" },
	{ 403, "Forbidden" },
	{ 405, "Mobility Forbidden" },
	{ 420, "Unknown Attribute" },
	{ 437, "Allocation Mismatch" },
	{ 438, "Stale Nonce" },
	{ 440, "Address Family not Supported" },
	{ 441, "Wrong Credentials" },
	{ 442, "Unsupported Transport Protocol" },
	{ 443, "Peer Address Family Mismatch" },
	{ 446, "Connection Already Exists" },
	{ 447, "Connection Timeout or Failure" },
	{ 486, "Allocation Quota Reached" },
	{ 487, "Role Conflict" },
	{ 500, "Server Error" },
	{ 508, "Insufficient Capacity" },
};

static const struct stun_name stun_methods[] = {
	{ STUN_BINDING, "Binding" },
	{ STUN_ALLOCATE, "Allocate" },
	{ STUN_REFRESH, "Refresh" },
	{ STUN_SEND, "Send" },
	{ STUN_DATA, "Data" },
	{ STUN_CREATE_PERMISSION, "CreatePermission" },
	{ STUN_CHANNEL_BIND, "ChannelBind" },
	{ STUN_CONNECT, "Connect" },
	{ STUN_CONNECTION_BIND, "ConnectionBind" },
	{ STUN_CONNECTION_ATTEMPT, "ConnectionAttempt" },
};

static const struct stun_name stun_attrs[] = {
	{ STUN_ATTR_MAPPED_ADDRESS, "MAPPED-ADDRESS" },
	{ STUN_ATTR_RESPONSE_ADDRESS, "RESPONSE-ADDRESS" },
	{ STUN_ATTR_CHANGE_REQUEST, "CHANGE-REQUEST" },
	{ STUN_ATTR_USERNAME, "USERNAME" },
	{ STUN_ATTR_MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY" },
	{ STUN_ATTR_ERROR_CODE, "ERROR-CODE" },
	{ STUN_ATTR_UNKNOWN_ATTRIBUTES, "UNKNOWN-ATTRIBUTES" },
	{ STUN_ATTR_CHANNEL_NUMBER, "CHANNEL-NUMBER" },
	{ STUN_ATTR_LIFETIME, "LIFETIME" },
	{ STUN_ATTR_XOR_PEER_ADDRESS, "XOR-PEER-ADDRESS" },
	{ STUN_ATTR_DATA, "DATA" },
	{ STUN_ATTR_REALM, "REALM" },
	{ STUN_ATTR_NONCE, "NONCE" },
	{ STUN_ATTR_XOR_RELAYED_ADDRESS, "XOR-RELAYED-ADDRESS" },
	{ STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "REQUESTED-ADDRESS-FAMILY" },
	{ STUN_ATTR_EVEN_PORT, "EVEN-PORT" },
	{ STUN_ATTR_REQUESTED_TRANSPORT, "REQUESTED-TRANSPORT" },
	{ STUN_ATTR_DONT_FRAGMENT, "DONT-FRAGMENT" },
	{ STUN_ATTR_ACCESS_TOKEN, "ACCESS-TOKEN" },
	{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "MESSAGE-INTEGRITY-SHA256" },
	{ STUN_ATTR_PASSWORD_ALGORITHM, "PASSWORD-ALGORITHM" },
	{ STUN_ATTR_USERHASH, "USERHASH" },
	{ STUN_ATTR_XOR_MAPPED_ADDRESS, "XOR-MAPPED-ADDRESS" },
	{ STUN_ATTR_RESERVATION_TOKEN, "RESERVATION-TOKEN" },
	{ STUN_ATTR_PRIORITY, "PRIORITY" },
	{ STUN_ATTR_USE_CANDIDATE, "USE-CANDIDATE" },
	{ STUN_ATTR_PADDING, "PADDING" },
	{ STUN_ATTR_RESPONSE_PORT, "RESPONSE-PORT" },
	{ STUN_ATTR_CONNECTION_ID, "CONNECTION-ID" },
	{ STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "ADDITIONAL-ADDRESS-FAMILY" },
	{ STUN_ATTR_ADDRESS_ERROR_CODE, "ADDRESS-ERROR-CODE" },
	{ STUN_ATTR_PASSWORD_ALGORITHMS, "PASSWORD-ALGORITHMS" },
	{ STUN_ATTR_ALTERNATE_DOMAIN, "ALTERNATE-DOMAIN" },
	{ STUN_ATTR_ICMP, "ICMP" },
	{ STUN_ATTR_SOFTWARE, "SOFTWARE" },
	{ STUN_ATTR_ALTERNATE_SERVER, "ALTERNATE-SERVER" },
	{ STUN_ATTR_TRANSACTION_TRANSMIT_COUNTER, "TRANSACTION-TRANSMIT-COUNTER" },
	{ STUN_ATTR_CACHE_TIMEOUT, "CACHE-TIMEOUT" },
	{ STUN_ATTR_FINGERPRINT, "FINGERPRINT" },
	{ STUN_ATTR_ICE_CONTROLLED, "ICE-CONTROLLED" },
	{ STUN_ATTR_ICE_CONTROLLING, "ICE-CONTROLLING" },
	{ STUN_ATTR_RESPONSE_ORIGIN, "RESPONSE-ORIGIN" },
	{ STUN_ATTR_OTHER_ADDRESS, "OTHER-ADDRESS" },
	{ STUN_ATTR_ECN_CHECK, "ECN-CHECK" },
	{ STUN_ATTR_THIRD_PARTY_AUTHORIZATION, "THIRD-PARTY-AUTHORIZATION" },
	{ STUN_ATTR_MOBILITY_TICKET, "MOBILITY-TICKET" },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
stun_name_find(const struct stun_name *t, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return "";
}

const char *
stun_error_reason(int code)
{
	return stun_name_find(stun_reasons, NITEMS(stun_reasons), code);
}

const char *
stun_method_name(uint16_t method)
{
	return stun_name_find(stun_methods, NITEMS(stun_methods), method);
}

const char *
stun_attr_name(uint16_t type)
{
	return stun_name_find(stun_attrs, NITEMS(stun_attrs), type);
}
