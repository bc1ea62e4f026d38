/* SPDX-License-Identifier: ISC */
/*
 * Session records (README.md, Session records): one logfmt record at
 * info when an allocation starts and one when it ends, written on the
 * worker's thread from the engine's allocation events (struct
 * turn_alloc_event), which hold everything a record says: nothing here
 * looks into the engine.
 *
 *   event=session_start session=ID user= realm= transport= client=
 *       relayed= [credential_expiry=]
 *   event=session_end   (the same) reason= duration_s= packets_to_peer=
 *       bytes_to_peer= packets_to_client= bytes_to_client= peers= channels=
 *
 * What a record never holds (a password, a key, a nonce, MESSAGE-INTEGRITY,
 * the REST USERNAME whole, a peer's address) and why the client's address
 * may be cut to its prefix or replaced by a keyed hash
 * (log-client-address) is in docs/security.md, Personal data in the logs.
 *
 * The records are audit data, so their rate limit is generous: a flood of
 * them needs allocations, which need a valid credential and are capped
 * by the quotas (total-quota, 16000 by default); 20,000 records in 10 s
 * let every allocation of a full server end and start again at once, and
 * what is over is counted in a `suppressed=` record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon_int.h"
#include "policy/policy.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/siphash.h"

#define SESSION_KEY_MIN		16	/* characters of the key file's line */
#define SESSION_KEY_FILE_MAX	4096	/* read at most this much of it */

static struct log_ratelimit daemon_session_rl = LOG_RATELIMIT_INIT(20000, 10);

/* The first line of the key file: its SHA-256 keys the hash. 0 or -1. */
static int
daemon_session_key_file(struct daemon_session *s, const char *path,
    char *err, size_t errcap)
{
	uint8_t buf[SESSION_KEY_FILE_MAX], digest[CRYPTO_SHA256_LEN];
	struct crypto_seg seg;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errcap, "log-client-address-key-file: %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("session_key_readable", "file=%s reason=\"others can "
		    "read the key of the client address hash\"", path);
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	for (len = 0; n > 0 && len < (size_t)n && buf[len] != '\n'; len++)
		;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len < SESSION_KEY_MIN) {
		snprintf(err, errcap, "log-client-address-key-file: %s: the "
		    "first line must hold at least %d characters", path,
		    SESSION_KEY_MIN);
		goto out;
	}
	seg.p = buf;
	seg.len = len;
	if (crypto_sha256(&seg, 1, digest) != 0) {
		snprintf(err, errcap, "log-client-address-key-file: SHA-256 "
		    "failed");
		goto out;
	}
	memcpy(&s->k0, digest, sizeof(s->k0));
	memcpy(&s->k1, digest + sizeof(s->k0), sizeof(s->k1));
	rv = 0;
out:
	crypto_wipe(buf, sizeof(buf));
	crypto_wipe(digest, sizeof(digest));
	close(fd);
	return rv;
}

int
daemon_session_init(struct daemon *d, const struct config *c, char *err,
    size_t errcap)
{
	struct daemon_session *s = &d->session;
	const char *how = c->log_client_address != NULL ?
	    c->log_client_address : "full";
	uint64_t key[2];

	s->on = c->session_records;
	s->how = strcmp(how, "hash") == 0 ? DAEMON_ADDR_HASH :
	    strcmp(how, "prefix") == 0 ? DAEMON_ADDR_PREFIX : DAEMON_ADDR_FULL;
	if (crypto_random(&s->run, sizeof(s->run)) != 0 ||
	    crypto_random(key, sizeof(key)) != 0) {
		snprintf(err, errcap, "session records: no random bytes");
		return -1;
	}
	s->k0 = key[0];
	s->k1 = key[1];
	crypto_wipe(key, sizeof(key));
	if (c->log_client_address_key_file != NULL) {
		if (s->how != DAEMON_ADDR_HASH)
			log_warn("session_key_unused", "reason=\"log-client-"
			    "address-key-file is set but log-client-address "
			    "is %s\"", how);
		else if (daemon_session_key_file(s, c->log_client_address_key_file,
		    err, errcap) == -1)
			return -1;
	}
	if (s->on)
		log_info("session_records", "client_address=%s key=%s", how,
		    s->how != DAEMON_ADDR_HASH ? "none" :
		    c->log_client_address_key_file != NULL ? "file" :
		    "random_per_start");
	return 0;
}

/* The client as log-client-address says: "client=ip:port",
 * "client_prefix=ip/len" or "client_hash=hex". The one place that
 * decides it, for session records and net's log lines (client_str of
 * struct net_hooks) alike. */
static void
daemon_session_client(const struct daemon_session *s, const struct addr *a,
    char *out, size_t cap)
{
	char ip[ADDR_STRLEN];
	struct addr c;
	uint8_t *b;
	size_t len;
	int fam;

	if (s->how == DAEMON_ADDR_FULL) {
		snprintf(out, cap, "client=%s", addr_str(a, ip, sizeof(ip)));
		return;
	}
	policy_addr_canonical(a, &c);	/* ::ffff:a.b.c.d is a.b.c.d */
	fam = addr_family(&c);
	b = fam == AF_INET ? (uint8_t *)&c.u.sin.sin_addr :
	    (uint8_t *)&c.u.sin6.sin6_addr;
	len = fam == AF_INET ? 4 : 16;
	if (s->how == DAEMON_ADDR_HASH) {
		snprintf(out, cap, "client_hash=%016" PRIx64,
		    siphash24(s->k0, s->k1, b, len));
		return;
	}
	/* IPv4 /24, IPv6 /48 */
	memset(b + (fam == AF_INET ? 3 : 6), 0,
	    fam == AF_INET ? 1 : 10);
	snprintf(out, cap, "client_prefix=%s/%d", addr_ip_str(&c, ip,
	    sizeof(ip)), fam == AF_INET ? 24 : 48);
}

/* net's hook (struct net_hooks, client_str), on a worker's thread: the
 * settings are read-only once the workers run. */
void
daemon_session_client_str(void *data, const struct addr *a, char *out,
    size_t cap)
{
	const struct daemon_worker *w = data;

	daemon_session_client(&w->d->session, a, out, cap);
}

/* "relayed=a[,b]" from the open relays, or "relayed=none". */
static void
daemon_session_relayed(const struct turn_alloc_event *ev, char *out,
    size_t cap)
{
	char s0[ADDR_STRLEN], s1[ADDR_STRLEN];

	s0[0] = s1[0] = '\0';
	if (ev->relayed[0] != NULL)
		addr_str(ev->relayed[0], s0, sizeof(s0));
	if (ev->relayed[1] != NULL)
		addr_str(ev->relayed[1], s1, sizeof(s1));
	snprintf(out, cap, "relayed=%s%s%s", s0, s0[0] != '\0' &&
	    s1[0] != '\0' ? "," : "", s0[0] == '\0' && s1[0] == '\0' ?
	    "none" : s1);
}

static const char *
daemon_session_transport(enum turn_transport t)
{
	return t == TURN_TLS ? "tls" : t == TURN_TCP ? "tcp" : "udp";
}

/* Why it ended: the label of tern_allocations_ended_total{reason}
 * (enum turn_end follows it, metrics_table.c), except a shutdown while
 * draining (drain-timeout, or SIGTERM during a drain). */
static const char *
daemon_session_reason(const struct daemon *d, enum turn_end end)
{
	const struct metrics_label *l =
	    metrics_tern_defs[METRICS_ALLOCATIONS_ENDED].labels[0];

	if (end == TURN_END_SHUTDOWN && atomic_load_explicit(&d->draining,
	    memory_order_relaxed))
		return "drain";
	return (unsigned)end < l->count ? l->values[end] : "unknown";
}

/* What the start and the end record share: "session=... relayed=...". */
static void
daemon_session_common(struct daemon_worker *w,
    const struct turn_alloc_event *ev, char *out, size_t cap)
{
	const struct daemon_session *s = &w->d->session;
	char user[LOG_ESCAPE_CAP], realm[LOG_ESCAPE_CAP];
	char client[ADDR_STRLEN + 16], relayed[2 * ADDR_STRLEN + 16];
	const char *r = w->env != NULL ? w->env->realm : "";

	log_escape(user, sizeof(user), ev->user, ev->user_len);
	log_escape(realm, sizeof(realm), r, strlen(r));
	daemon_session_client(s, &ev->tuple->client, client, sizeof(client));
	daemon_session_relayed(ev, relayed, sizeof(relayed));
	snprintf(out, cap, "session=%08" PRIx32 "-%u-%" PRIu64 " user=%s "
	    "realm=%s transport=%s %s %s", s->run, w->id, ev->id, user, realm,
	    daemon_session_transport(ev->tuple->transport), client, relayed);
}

/* From daemon_count_alloc_event: a record for a start or an end. */
void
daemon_session_record(struct daemon_worker *w,
    const struct turn_alloc_event *ev)
{
	const struct turn_alloc_usage *u = ev->use;
	char common[3 * LOG_ESCAPE_CAP + 4 * ADDR_STRLEN];
	uint64_t ms;

	if (!w->d->session.on || log_get_level() < LOG_LVL_INFO ||
	    (ev->kind != TURN_EV_CREATED && ev->kind != TURN_EV_ENDED))
		return;
	daemon_session_common(w, ev, common, sizeof(common));
	if (ev->kind == TURN_EV_CREATED) {
		if (ev->cred_expiry != 0)
			log_rl(&daemon_session_rl, LOG_LVL_INFO,
			    "session_start", "%s credential_expiry=%" PRIu64,
			    common, ev->cred_expiry);
		else
			log_rl(&daemon_session_rl, LOG_LVL_INFO,
			    "session_start", "%s", common);
		return;
	}
	ms = ev->now_ms > ev->created_ms ? ev->now_ms - ev->created_ms : 0;
	log_rl(&daemon_session_rl, LOG_LVL_INFO, "session_end", "%s reason=%s "
	    "duration_s=%" PRIu64 ".%03" PRIu64 " packets_to_peer=%" PRIu64
	    " bytes_to_peer=%" PRIu64 " packets_to_client=%" PRIu64
	    " bytes_to_client=%" PRIu64 " peers=%" PRIu32 " channels=%" PRIu32,
	    common, daemon_session_reason(w->d, ev->end), ms / 1000, ms % 1000,
	    u->peer_packets, u->peer_bytes, u->client_packets,
	    u->client_bytes, u->permissions, u->channels);
}
