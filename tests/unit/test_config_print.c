/* SPDX-License-Identifier: ISC */
/* test_config_print: --print-config parses back to the same config,
 * --help names every option, secrets are redacted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "config/config_int.h"

static char err[8192];

static char *
print_to_string(const struct config *c, const struct config_option *tab)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	config_print_table(c, tab, f);
	fclose(f);
	return out;
}

/* Field-by-field equality, driven by the table. */
static int
option_equal(const struct config *a, const struct config *b,
    const struct config_option *o)
{
	const char *pa = (const char *)a + o->offset;
	const char *pb = (const char *)b + o->offset;
	const char *sa, *sb;
	size_t n, i;

	switch (o->type) {
	case CONFIG_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case CONFIG_PORT:
		return *(const uint16_t *)pa == *(const uint16_t *)pb;
	case CONFIG_UINT:
	case CONFIG_DURATION:
		return *(const unsigned *)pa == *(const unsigned *)pb;
	case CONFIG_SIZE:
		return *(const size_t *)pa == *(const size_t *)pb;
	case CONFIG_LOG_LEVEL:
		return *(const int *)pa == *(const int *)pb;
	case CONFIG_STRING:
	case CONFIG_PATH:
		sa = *(char *const *)pa;
		sb = *(char *const *)pb;
		return sa == sb || (sa && sb && strcmp(sa, sb) == 0);
	case CONFIG_CHAR:
		return *pa == *pb;
	case CONFIG_STRING_LIST:
	case CONFIG_USER_LIST:
		n = *(const size_t *)((const char *)a + o->count_offset);
		if (n != *(const size_t *)((const char *)b + o->count_offset))
			return 0;
		for (i = 0; i < n; i++)
			if (strcmp((*(char **const *)pa)[i],
			    (*(char **const *)pb)[i]) != 0)
				return 0;
		return 1;
	case CONFIG_RANGE_LIST:
		n = *(const size_t *)((const char *)a + o->count_offset);
		return n == *(const size_t *)((const char *)b + o->count_offset) &&
		    (n == 0 || memcmp(*(const struct policy_range *const *)pa,
		    *(const struct policy_range *const *)pb,
		    n * sizeof(struct policy_range)) == 0);
	case CONFIG_EXTERNAL_IP_LIST:
		n = *(const size_t *)((const char *)a + o->count_offset);
		if (n != *(const size_t *)((const char *)b + o->count_offset))
			return 0;
		for (i = 0; i < n; i++) {
			const struct config_external_ip *xa, *xb;

			xa = (const struct config_external_ip *)(const void *)pa + i;
			xb = (const struct config_external_ip *)(const void *)pb + i;
			if (xa->has_private != xb->has_private ||
			    !addr_equal(&xa->public_ip, &xb->public_ip, true) ||
			    (xa->has_private && !addr_equal(&xa->private_ip,
			    &xb->private_ip, true)))
				return 0;
		}
		return 1;
	case CONFIG_ADDR_LIST:
		n = *(const size_t *)((const char *)a + o->count_offset);
		if (n != *(const size_t *)((const char *)b + o->count_offset))
			return 0;
		for (i = 0; i < n; i++)
			if (!addr_equal((const struct addr *)pa + i,
			    (const struct addr *)pb + i, true))
				return 0;
		return 1;
	}
	return 0;
}

/* The option table with every secret printed in clear (tests only). */
static const struct config_option *
clear_table(void)
{
	static struct config_option tab[128];
	size_t n;

	for (n = 0; config_options[n].name != NULL && n + 1 < 128; n++) {
		tab[n] = config_options[n];
		tab[n].secret = false;
	}
	tab[n].name = NULL;
	return tab;
}

/* Secrets are printed in clear here, so that their values round-trip
 * too; test_redaction checks the real table. */
static void
round_trip(const struct config *c, const char *name)
{
	const struct config_option *o;
	struct config *back = config_new();
	char *text = print_to_string(c, clear_table());
	int rv, same = 1;

	rv = config_parse_text(back, "print", text, strlen(text), err,
	    sizeof(err));
	if (!ok(rv == 0, "%s: printed config parses", name))
		printf("# %s# %s", err, text);
	for (o = config_options; o->name != NULL; o++) {
		if (!option_equal(c, back, o)) {
			diag("%s differs after the round trip", o->name);
			same = 0;
		}
	}
	ok(same, "%s: round trip gives the same config", name);
	free(text);
	config_free(back);
}

static void
test_round_trip(void)
{
	static const char *const args[] = {
		"listening-ip=192.0.2.1", "listening-ip=2001:db8::1",
		"listening-ip=::", "listening-port=3479",
		"tls-listening-port=443", "no-udp", "no-tcp=yes", "no-tls=off",
		"workers=7", "cert=/etc/tern/cert #1.pem", "pkey=/k\\ey\".pem",
		"cipher-list=ECDHE-RSA-AES128-GCM-SHA256",
		"software-attribute=  tern \"1.0\" # caf\xc3\xa9  ",
		"stream-idle-timeout=5m", "tls-handshake-timeout=1",
		"max-connections=5", "max-connections-per-ip=5",
		"stream-buffer-limit=64m", "log-file=/var/log/tern.log",
		"syslog=true", "log-level=warn", "proc-user=tern",
		"proc-group=tern", "pidfile=/run/ternd.pid",
		"realm=example.org \"x\"", "user=alice:pa ss#\"w\\d",
		"user=bob:0x00112233445566778899AABBCCDDEEFF",
		"static-auth-secret=s1 # \"x\"", "static-auth-secret=s2",
		"use-auth-secret", "rest-api-separator=#",
		"max-credential-ttl=2h", "stale-nonce=30s",
		"max-allocate-lifetime=10m", "channel-lifetime=60",
		"permission-lifetime=1m", "relay-ip=198.51.100.1",
		"relay-ip=2001:db8::2", "external-ip=203.0.113.1/198.51.100.1",
		"external-ip=2001:db8:1::1", "min-port=1024", "max-port=2048",
		"allowed-peer-ip=10.20.0.0/16",
		"allowed-peer-ip=192.168.1.10-192.168.1.20",
		"allowed-peer-ip=fd00::/64", "denied-peer-ip=198.51.100.0/24",
		"denied-peer-ip=2001:db8::1", "allow-loopback-peers",
		"allow-multicast-peers=yes", "user-quota=0",
		"max-allocations-per-ip=1", "total-quota=1000",
	};
	struct config *c = config_new();
	char *text;
	size_t i;
	int fails = 0;

	round_trip(c, "defaults");
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		if (config_set_arg(c, args[i], err, sizeof(err)) == -1) {
			diag("%s", err);
			fails++;
		}
	is_int(fails, 0, "every option set to a non-default value");
	round_trip(c, "non-defaults");

	text = print_to_string(c, config_options);
	ok(strstr(text, "listening-ip = 2001:db8::1\n") != NULL,
	    "one line per listening-ip");
	ok(strstr(text, "stream-idle-timeout = 300\n") != NULL,
	    "durations printed in seconds");
	ok(strstr(text, "software-attribute = \"  tern \\\"1.0\\\" # caf\xc3\xa9  \"\n")
	    != NULL, "text quoted with escapes");
	ok(strstr(text, "no-udp = true\n") != NULL, "bools as true/false");
	ok(strstr(text, "rest-api-separator = \"#\"\n") != NULL,
	    "a character quoted, so that # survives");
	ok(strstr(text, "allowed-peer-ip = 10.20.0.0/16\n") != NULL &&
	    strstr(text, "allowed-peer-ip = 192.168.1.10-192.168.1.20\n") !=
	    NULL && strstr(text, "allowed-peer-ip = fd00::/64\n") != NULL,
	    "ranges one per line, CIDR or a-b");
	ok(strstr(text, "denied-peer-ip = 2001:db8::1/128\n") != NULL,
	    "a bare address is a /128");
	ok(strstr(text, "external-ip = 203.0.113.1/198.51.100.1\n") != NULL &&
	    strstr(text, "external-ip = 2001:db8:1::1\n") != NULL,
	    "external-ip as PUBLIC/PRIVATE or PUBLIC");
	ok(strstr(text, "user = <redacted>\nuser = <redacted>\n") != NULL &&
	    strstr(text, "static-auth-secret = <redacted>\n"
	    "static-auth-secret = <redacted>\n") != NULL,
	    "secret lists: one redacted line per entry");
	ok(strstr(text, "pa ss") == NULL && strstr(text, "s1 #") == NULL &&
	    strstr(text, "AABBCC") == NULL, "no user or secret value printed");
	free(text);
	config_free(c);

	c = config_new();
	text = print_to_string(c, config_options);
	ok(strstr(text, "# cert (unset)\n") != NULL, "unset options commented");
	ok(strstr(text, "log-level = info\n") != NULL, "log level by name");
	ok(strstr(text, "# user (unset)\n") != NULL &&
	    strstr(text, "# allowed-peer-ip (unset)\n") != NULL &&
	    strstr(text, "# external-ip (unset)\n") != NULL, "empty lists "
	    "commented");
	ok(strstr(text, "realm = \"tern\"\n") != NULL &&
	    strstr(text, "rest-api-separator = \":\"\n") != NULL &&
	    strstr(text, "min-port = 49152\n") != NULL, "TURN defaults");
	free(text);
	config_free(c);
}

static void
test_help(void)
{
	const struct config_option *o;
	char *out = NULL, needle[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int missing = 0;

	config_print_help(f);
	fclose(f);
	for (o = config_options; o->name != NULL; o++) {
		snprintf(needle, sizeof(needle), "  --%s", o->name);
		if (strstr(out, needle) == NULL || strstr(out, o->help) == NULL) {
			diag("help lacks %s", o->name);
			missing++;
		}
		snprintf(needle, sizeof(needle), "default: %s",
		    o->def != NULL ? o->def : "unset");
		if (strstr(out, needle) == NULL) {
			diag("help lacks the default of %s", o->name);
			missing++;
		}
	}
	is_int(missing, 0, "help names every option, its help and default");
	ok(strstr(out, "  --listening-port=PORT\n") != NULL, "metavar shown");
	ok(strstr(out, "reloaded on SIGHUP") != NULL, "reload flag shown");
	free(out);
}

static void
test_redaction(void)
{
	struct config_option tab[128];
	struct config *c = config_new();
	char *text;
	size_t n;

	for (n = 0; config_options[n].name != NULL && n + 1 < 128; n++) {
		tab[n] = config_options[n];
		if (strcmp(tab[n].name, "software-attribute") == 0 ||
		    strcmp(tab[n].name, "listening-ip") == 0 ||
		    strcmp(tab[n].name, "listening-port") == 0)
			tab[n].secret = true;
	}
	tab[n].name = NULL;
	config_set_arg(c, "software-attribute=topsecret", err, sizeof(err));
	config_set_arg(c, "listening-ip=198.51.100.7", err, sizeof(err));
	config_set_arg(c, "listening-port=4321", err, sizeof(err));

	text = print_to_string(c, tab);
	ok(strstr(text, "software-attribute = <redacted>\n") != NULL,
	    "secret text redacted");
	ok(strstr(text, "listening-ip = <redacted>\n") != NULL,
	    "secret list redacted");
	ok(strstr(text, "listening-port = <redacted>\n") != NULL,
	    "secret number redacted");
	ok(strstr(text, "topsecret") == NULL && strstr(text, "198.51.100.7") ==
	    NULL && strstr(text, "4321") == NULL, "no secret value printed");
	free(text);

	text = print_to_string(c, config_options);
	ok(strstr(text, "topsecret") != NULL, "non-secret values printed");
	free(text);

	/* the free path of a secret string (wiped, then freed) under ASan */
	config_free_strings(c, tab);
	ok(c->software_attribute == NULL, "secret string freed");
	config_free(c);
}

/* A printed config fed back must not set a secret to "<redacted>". */
static void
test_placeholder(void)
{
	static const char text[] = "user = <redacted>\n"
	    "static-auth-secret = <redacted>\nrealm = <redacted>\n";
	struct config *c = config_new();
	int rv;

	rv = config_parse_text(c, "p", text, strlen(text), err, sizeof(err));
	is_int(rv, -1, "redacted secrets do not parse back");
	is_str(err, "p:1: user: value is the placeholder --print-config "
	    "writes; put the real value here\n"
	    "p:2: static-auth-secret: value is the placeholder --print-config "
	    "writes; put the real value here\n", "placeholder refused, by line");
	ok(c->n_user == 0 && c->n_static_auth_secret == 0,
	    "no secret set to the placeholder");
	is_str(c->realm, "<redacted>", "a non-secret may hold that text");
	config_free(c);
}

/* config_fixed_changed names exactly the non-reloadable options that
 * differ, from the table's reloadable flags (SIGHUP's warning). */
static void
test_fixed_changed(void)
{
	struct config *a = config_new(), *b = config_new();
	char ebuf[256], names[256];

	is_int(config_fixed_changed(a, b, names, sizeof(names)), 0,
	    "defaults: nothing differs");
	is_str(names, "", "no names");
	config_set_arg(b, "log-level=debug", ebuf, sizeof(ebuf));
	config_set_arg(b, "static-auth-secret=s3cret", ebuf, sizeof(ebuf));
	config_set_arg(b, "user-quota=3", ebuf, sizeof(ebuf));
	is_int(config_fixed_changed(a, b, names, sizeof(names)), 0,
	    "reloadable options do not count");
	config_set_arg(b, "listening-port=4478", ebuf, sizeof(ebuf));
	config_set_arg(b, "rfc5766-channels", ebuf, sizeof(ebuf));
	config_set_arg(b, "relay-ip=192.0.2.1", ebuf, sizeof(ebuf));
	is_int(config_fixed_changed(a, b, names, sizeof(names)), 3,
	    "three fixed options differ");
	is_str(names, "listening-port,rfc5766-channels,relay-ip",
	    "named in table order");
	is_int(config_fixed_changed(a, b, names, 8), 3, "count with a short buffer");
	ok(strlen(names) < 8, "truncated, NUL-terminated");
	config_free(a);
	config_free(b);
}

int
main(void)
{
	test_fixed_changed();
	test_round_trip();
	test_help();
	test_redaction();
	test_placeholder();
	return tap_done();
}
