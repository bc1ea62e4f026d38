/* SPDX-License-Identifier: ISC */
/*
 * Long-term users whose keys live in Redis (turn/realm/<realm>/user/<user>
 * /key, hex MD5(user:realm:password), coturn's schema), looked up on first
 * use through turn_io.user_key and cached. One case per run,
 * named by argv[2]:
 *  user     a user stored in Redis allocates and relays; a wrong password
 *           gets 401; a user Redis does not know gets 401; after DEL +
 *           PUBLISH "user <realm>" the user is refused (user-tcp: the
 *           same over TCP, where the waiting request is a stream frame);
 *  names    user names full of Redis, format-string and log
 *           metacharacters (spaces, quotes, backslashes, '*', '%s', '%n',
 *           key separators, 512 bytes) get the right answer and appear
 *           escaped in the log; a name with CR/LF is never looked up
 *           (the engine refuses control bytes: 401), while the same bytes
 *           as a REST user-id with a Redis secret allocate;
 *  down     Redis down: a user not cached gets 500 (fail fast), not a
 *           hang; a user cached before keeps working.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "redis_common.h"
#include "tap.h"

#define SECRET	"rest-secret-for-the-names-case"

static int
set_user(struct rt *t, const char *user, const char *pass)
{
	char key[1024], hex[33], out[256];

	snprintf(key, sizeof(key), "turn/realm/" RT_REALM "/user/%s/key", user);
	rt_md5_hex(user, strlen(user), pass, hex);
	return harness_redis_cmd(&t->r, out, sizeof(out), "SET", key, hex,
	    NULL);
}

static int
try_user(struct rt *t, const char *user, const char *pass)
{
	struct client_turn turn;
	struct client *c = NULL;
	int r;

	r = rt_user_alloc(&t->h, user, pass, &c, &turn);
	if (r == 0)
		(void)client_turn_refresh(&turn, 0, RT_WAIT_MS);
	harness_turn_close(&c, &turn);
	return r;
}

static void
case_user(struct rt *t, struct harness_peer *p)
{
	struct client_turn turn;
	struct client *c = NULL;
	char out[128];

	set_user(t, "alice", "wonderland");
	if (ok(rt_user_alloc(&t->h, "alice", "wonderland", &c, &turn) == 0,
	    "a user stored in Redis allocates")) {
		ok(rt_echo(&turn, p, true, RT_WAIT_MS) >= 0, "and relays");
		harness_turn_close(&c, &turn);
	}
	is_int(try_user(t, "alice", "looking-glass"), 401,
	    "a wrong password gets 401");
	is_int(try_user(t, "mad-hatter", "tea"), 401,
	    "a user Redis does not know gets 401");
	is_int(try_user(t, "alice", "wonderland"), 0, "alice again (cached)");
	harness_redis_cmd(&t->r, out, sizeof(out), "DEL",
	    "turn/realm/" RT_REALM "/user/alice/key", NULL);
	harness_redis_cmd(&t->r, out, sizeof(out), "PUBLISH", "tern/events",
	    "user " RT_REALM, NULL);
	is_int(try_user(t, "alice", "wonderland"), 401,
	    "after DEL + PUBLISH user: 401");
}

/* The log has the escaped form and never the raw one. */
static void
check_log(struct rt *t, const char *raw, const char *escaped)
{
	char buf[1 << 16];
	FILE *f = fopen(t->h.errlog, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	ok(strstr(buf, escaped) != NULL, "the log shows %s", escaped);
	ok(strstr(buf, raw) == NULL, "and never the raw bytes");
}

/*
 * One Allocate signed like a real client's (RFC 8489 §9.2: 401 first, then
 * USERNAME, REALM, NONCE, MESSAGE-INTEGRITY with the MD5 key) for a name of
 * any length, built by hand because the client library caps usernames at
 * 513 bytes (§14.3). Returns the error code, 0 on success, -1 on no answer.
 */
static int
signed_allocate(struct rt *t, const char *user, size_t ulen, const char *pass)
{
	static const uint8_t udp[4] = { 17, 0, 0, 0 };
	uint8_t req[1536], resp[1536], tid[STUN_TID_LEN], key[16];
	uint8_t realm[128], nonce[128];
	const struct stun_attr *ra, *na, *ea;
	const uint8_t *reason;
	size_t len, rlen, nlen, reason_len;
	struct stun_builder b;
	struct stun_msg m;
	struct client *c = NULL;
	int code = -1, ec;

	if (harness_client(&t->h, CLIENT_UDP, &c) != 0)
		return -1;
	client_tid_new(tid);
	stun_builder_init(&b, req, sizeof(req), STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if ((len = stun_builder_finish(&b)) == 0 ||
	    client_transact(c, req, len, resp, sizeof(resp), &m, 2000) != 0 ||
	    (ra = stun_msg_attr(&m, STUN_ATTR_REALM)) == NULL ||
	    (na = stun_msg_attr(&m, STUN_ATTR_NONCE)) == NULL ||
	    ra->len > sizeof(realm) || na->len > sizeof(nonce))
		goto out;
	memcpy(realm, ra->val, rlen = ra->len);
	memcpy(nonce, na->val, nlen = na->len);
	auth_key_md5(user, ulen, realm, rlen, pass, strlen(pass), key);
	client_tid_new(tid);
	stun_builder_init(&b, req, sizeof(req), STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_add(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	stun_add(&b, STUN_ATTR_USERNAME, user, ulen);
	stun_add(&b, STUN_ATTR_REALM, realm, rlen);
	stun_add(&b, STUN_ATTR_NONCE, nonce, nlen);
	stun_add_integrity(&b, key, sizeof(key));
	stun_add_fingerprint(&b);
	if ((len = stun_builder_finish(&b)) == 0 ||
	    client_transact(c, req, len, resp, sizeof(resp), &m, 2000) != 0)
		goto out;
	code = 0;
	if (stun_type_class(m.type) == STUN_ERROR) {
		ea = stun_msg_attr(&m, STUN_ATTR_ERROR_CODE);
		code = stun_attr_error(ea, &ec, &reason, &reason_len) == 0 ?
		    ec : -1;
	}
out:
	client_free(c);
	return code;
}

static void
case_names(struct rt *t)
{
	static const char *const names[] = {
		"with spaces and * and ? and [x]",
		"quote\" back\\ level=error event=fake",
		"%s%s%s%n%x",
		"tern/realm/" RT_REALM "/secret",
	};
	static const char crlf[] = "cr\r\nlf\r\n* INJECTED event=fake";
	char longname[513], name763[764];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		set_user(t, names[i], "pw");
		is_int(try_user(t, names[i], "pw"), 0, "user %zu allocates", i);
		is_int(try_user(t, names[i], "bad"), 401, "user %zu, wrong "
		    "password: 401", i);
		is_int(rt_rest_until(&t->h, SECRET, names[i], 0, 2000) >= 0, 1,
		    "as a REST user-id with the Redis secret: allocates");
	}
	set_user(t, crlf, "pw");
	is_int(try_user(t, crlf, "pw"), 401, "a name with CR/LF is not looked "
	    "up: 401");
	is_int(rt_rest_until(&t->h, SECRET, crlf, 0, 2000) >= 0, 1,
	    "as a REST user-id: allocates");
	memset(longname, 'L', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[100] = '*';
	longname[200] = ' ';
	set_user(t, longname, "pw");
	is_int(try_user(t, longname, "pw"), 0, "a 512-byte user allocates");
	/* RFC 8489 §14.3: USERNAME < 509 bytes, parsed up to 763 */
	memset(name763, 'M', sizeof(name763) - 1);
	name763[sizeof(name763) - 1] = '\0';
	memcpy(name763 + 70, "%s*", 3);
	set_user(t, name763, "pw");
	is_int(signed_allocate(t, name763, 763, "pw"), 401,
	    "a signed Allocate with a 763-byte username: 401, no crash");
	is_int(signed_allocate(t, longname, 512, "pw"), 0,
	    "the same hand-built request with the 512-byte user: 0");
	is_int(try_user(t, "%s%s%s%n%y", "pw"), 401, "a similar name Redis "
	    "does not know: 401");
	check_log(t, "quote\" back", "quote\\\" back\\\\ level=error");
	check_log(t, "cr\r\nlf", "result=");
}

static void
case_down(struct rt *t)
{
	int64_t t0;
	int r;

	set_user(t, "cached", "pw");
	is_int(try_user(t, "cached", "pw"), 0, "a user read while Redis is up");
	harness_redis_kill(&t->r);
	t0 = client_now_ms();
	r = try_user(t, "never-seen", "pw");
	is_int(r, 500, "Redis down: a user not cached gets 500");
	ok(client_now_ms() - t0 < 3000, "without waiting long (%lld ms)",
	    (long long)(client_now_ms() - t0));
	is_int(try_user(t, "cached", "pw"), 0, "the cached user still works");
}

int
main(int argc, char *argv[])
{
	struct rt t;
	struct harness_peer p = { 0 };
	const char *mode;
	char out[128];

	if (argc != 3) {
		fprintf(stderr, "usage: test_redis_user TERND user|user-tcp|names|"
		    "down\n");
		return 2;
	}
	mode = argv[2];
	if (!ok(rt_init(&t, argv[1]) == 0, "temp dir and redis-server"))
		goto out;
	harness_redis_cmd(&t.r, out, sizeof(out), "SADD",
	    "turn/realm/" RT_REALM "/secret", SECRET, NULL);
	if (!ok(rt_start_ternd(&t, &t.h, "log-level = debug\n") == 0,
	    "ternd started"))
		goto out;
	if (!ok(harness_peer_start(&p, "127.0.0.1", true) == 0, "echo peer"))
		goto out;
	if (strcmp(mode, "user-tcp") == 0)
		rt_transport = CLIENT_TCP;
	if (strcmp(mode, "user") == 0 || strcmp(mode, "user-tcp") == 0)
		case_user(&t, &p);
	else if (strcmp(mode, "names") == 0)
		case_names(&t);
	else if (strcmp(mode, "down") == 0)
		case_down(&t);
	else
		ok(0, "unknown mode %s", mode);
	harness_peer_stop(&p);
	is_int(harness_stop(&t.h), 0, "SIGTERM: ternd exits 0");
out:
	if (tap_failed)
		harness_dump_log(&t.h);
	harness_peer_stop(&p);
	rt_fini(&t);
	return tap_done();
}
