/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "redis_common.h"

enum client_transport rt_transport = CLIENT_UDP;

int
rt_init(struct rt *t, const char *ternd)
{
	memset(t, 0, sizeof(*t));
	if (!harness_redis_available()) {
		printf("# redis-server or redis-cli missing (apt-get install "
		    "redis-server redis-tools)\n");
		return -1;
	}
	if (harness_init(&t->h, ternd) == -1)
		return -1;
	t->h_ready = true;
	return harness_redis_start(&t->r, t->h.dir, 0);
}

int
rt_start_ternd(struct rt *t, struct harness *h, const char *extra)
{
	char conf[8192], line[256];
	struct harness_opts o = { .extra = conf };

	if (harness_redis_conf(&t->r, line, sizeof(line)) == -1)
		return -1;
	/* The cases poll with a credential Redis has not delivered yet (each
	 * try a failed credential check): a high auth-failure-limit keeps
	 * the polling source from being locked out for a minute. The limit
	 * itself is tested in test_defence_budget.c. */
	snprintf(conf, sizeof(conf), "%sallow-loopback-peers\n"
	    "auth-failure-limit = 8000\n%s%s",
	    HARNESS_TURN_CONF, line, extra != NULL ? extra : "");
	return harness_start(h, &o);
}

void
rt_fini(struct rt *t)
{
	harness_redis_kill(&t->r);
	if (t->h_ready)
		harness_fini(&t->h);
}

int
rt_rest_alloc(struct harness *h, const char *secret, const char *id,
    struct client **c, struct client_turn *turn)
{
	char user[512], pass[29];

	if (harness_rest_cred(secret, (int64_t)time(NULL) + 600, id, user,
	    sizeof(user), pass) == -1)
		return CLIENT_E_ARG;
	return rt_user_alloc(h, user, pass, c, turn);
}

int
rt_user_alloc(struct harness *h, const char *user, const char *pass,
    struct client **c, struct client_turn *turn)
{
	int r;

	memset(turn, 0, sizeof(*turn));
	*c = NULL;
	if (harness_turn_open(h, rt_transport, user, pass, c, turn) == -1)
		return CLIENT_E_IO;
	r = client_turn_allocate(turn, NULL, RT_WAIT_MS);
	if (r != 0)
		harness_turn_close(c, turn);
	return r;
}

long
rt_rest_until(struct harness *h, const char *secret, const char *id,
    int want, int ms)
{
	int64_t start = client_now_ms(), now;
	struct client_turn turn;
	struct client *c;
	int r;

	do {
		r = rt_rest_alloc(h, secret, id, &c, &turn);
		if (r == 0)
			(void)client_turn_refresh(&turn, 0, RT_WAIT_MS);
		harness_turn_close(&c, &turn);
		now = client_now_ms();
		if (r == want)
			return (long)(now - start);
		/* bounded by the deadline; each try is a full exchange */
	} while (now - start < ms);
	printf("# last answer %d, wanted %d\n", r, want);
	return -1;
}

long
rt_echo(struct client_turn *turn, struct harness_peer *p, bool permit,
    int timeout_ms)
{
	static const uint8_t msg[] = "redis test payload";
	struct client_turn_data d;
	uint8_t buf[2048];
	int64_t t0;
	int r;

	if (permit && client_turn_permit(turn, &p->addr, 1, timeout_ms) != 0)
		return -1;
	t0 = client_now_ms();
	if (client_turn_send(turn, &p->addr, msg, sizeof(msg)) != 0)
		return -1;
	r = client_turn_recv(turn, buf, sizeof(buf), &d, timeout_ms);
	if (r != 0 || d.len != sizeof(msg) || memcmp(d.data, msg, d.len) != 0)
		return -1;
	return (long)(client_now_ms() - t0);
}

void
rt_md5_hex(const char *user, size_t ulen, const char *pass, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t k[16];
	size_t i;

	memset(k, 0, sizeof(k));
	(void)auth_key_md5(user, ulen, RT_REALM, strlen(RT_REALM), pass,
	    strlen(pass), k);
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[k[i] >> 4];
		out[2 * i + 1] = hex[k[i] & 0xf];
	}
	out[32] = '\0';
}
