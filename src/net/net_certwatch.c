/* SPDX-License-Identifier: ISC */
/*
 * The certificate watch: the TLS certificate and key are loaded again when
 * their files change, without a signal (net.h, docs/security.md, TLS).
 *
 * ACME clients and cert-manager never rewrite a file in place: they write
 * a new file and rename it over the old one, or swap a symbolic link
 * (certbot's live/ links into archive/, Kubernetes' `..data` link to a
 * new timestamped directory). A watch on the file itself would follow the
 * old inode, so the watch is on directories: for cert and pkey, each
 * directory on the way that holds a symbolic link or the file itself,
 * with the name looked for in it (net_cw_follow). An event on one of those
 * names (created, moved in or out, written and closed, deleted, its mode
 * changed) or on a watched directory itself (deleted, moved) starts a
 * settling delay, pushed back by each further event for at most
 * NET_CW_SETTLE_MAX_MS, so that a certificate and its key written one
 * after the other are read together. Then the files' stamps (device,
 * inode, size, times) are compared with those of the last attempt: only
 * a change is loaded, through net_tls_refresh(), which keeps the context
 * in force when the new pair fails. The watches are then laid again (a
 * new `..data` directory). Every NET_CW_POLL_S the stamps are also
 * compared without an event, for file systems without inotify events
 * (NFS) and for a directory that could not be watched.
 *
 * The inotify descriptor and the first watches are made before privileges
 * are dropped; the files are read again by the dropped user, who must be
 * able to read them and to watch their directories (README, TLS).
 * Everything runs on the main thread's loop; a failure is logged at most
 * NET_CW_LOG_BURST times a minute, with OpenSSL's reason and never a
 * byte of the files.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "net/net_int.h"
#include "util/log.h"

#define NET_CW_SETTLE_MS	500	/* quiet time before the files are read */
#define NET_CW_SETTLE_MAX_MS	5000	/* a busy directory waits no longer */
#define NET_CW_POLL_S		60	/* stamps compared without an event */
#define NET_CW_MAX		16	/* (directory, name) pairs watched */
#define NET_CW_DEPTH		8	/* symbolic links followed per file */
#define NET_CW_LOG_BURST	3	/* failures logged a minute */
#define NET_CW_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR)
#define NET_CW_SELF	(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | \
	IN_Q_OVERFLOW)

static struct log_ratelimit net_cw_rl =
    LOG_RATELIMIT_INIT(NET_CW_LOG_BURST, 60);

/* A directory watched for one name in it. */
struct net_cw_entry {
	int wd;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
};

/* What tells a file's content changed, without reading it. */
struct net_cw_stamp {
	bool ok;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct net_certwatch {
	struct net *n;
	int fd;				/* inotify */
	struct event *ev, *settle, *poll;
	net_certwatch_fn fn;
	void *arg;
	uint64_t first_ms;		/* first event of the burst; 0: none */
	struct net_cw_stamp stamp[2];	/* cert, pkey at the last attempt */
	struct net_cw_entry e[NET_CW_MAX];
	size_t ne;
	bool full_warned;
};

static void
net_cw_stamp_take(const char *path, struct net_cw_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (path == NULL || stat(path, &st) == -1)
		return;
	s->ok = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
}

static bool
net_cw_stamp_eq(const struct net_cw_stamp *a, const struct net_cw_stamp *b)
{
	if (!a->ok || !b->ok)
		return a->ok == b->ok;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The stamps of the files in force; true when one differs from before. */
static bool
net_cw_stamps(struct net_certwatch *w)
{
	struct net_cw_stamp now[2];
	bool changed;

	net_cw_stamp_take(net_tls_cert_path(w->n->tls), &now[0]);
	net_cw_stamp_take(net_tls_pkey_path(w->n->tls), &now[1]);
	changed = !net_cw_stamp_eq(&now[0], &w->stamp[0]) ||
	    !net_cw_stamp_eq(&now[1], &w->stamp[1]);
	memcpy(w->stamp, now, sizeof(now));
	return changed;
}

/* Watches dir for name (a directory already watched gets the same wd). */
static void
net_cw_add(struct net_certwatch *w, const char *dir, size_t dlen,
    const char *name)
{
	char esc[LOG_ESCAPE_CAP];
	struct net_cw_entry *e;
	int wd;

	if (w->ne == NET_CW_MAX || dlen >= sizeof(e->dir) ||
	    strlen(name) >= sizeof(e->name)) {
		if (!w->full_warned)
			log_warn("tls_watch_partial", "reason=\"too many "
			    "links or names too long\"");
		w->full_warned = true;
		return;
	}
	e = &w->e[w->ne];
	memcpy(e->dir, dir, dlen);
	e->dir[dlen] = '\0';
	if ((wd = inotify_add_watch(w->fd, e->dir, NET_CW_MASK)) == -1) {
		log_rl(&net_cw_rl, LOG_LVL_WARN, "tls_watch_failed",
		    "dir=%s error=\"%s\" fallback=\"checked every %d s\"",
		    log_escape(esc, sizeof(esc), e->dir, strlen(e->dir)),
		    strerror(errno), NET_CW_POLL_S);
		return;
	}
	e->wd = wd;
	snprintf(e->name, sizeof(e->name), "%s", name);
	w->ne++;
}

/* Watches the directory of path for its last name. */
static void
net_cw_add_path(struct net_certwatch *w, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		net_cw_add(w, ".", 1, path);
	else if (slash == path)
		net_cw_add(w, "/", 1, slash + 1);
	else
		net_cw_add(w, path, (size_t)(slash - path), slash + 1);
}

/*
 * Walks path from its first name: the first symbolic link on the way is
 * watched in its directory and followed (its target, then the rest of
 * path), up to NET_CW_DEPTH links; with none left, the file itself is
 * watched in its directory.
 */
static void
net_cw_follow(struct net_certwatch *w, const char *path, int depth)
{
	char cur[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
	const char *rest;
	struct stat st;
	size_t i, len = strlen(path);
	ssize_t tl;

	if (len == 0 || len >= sizeof(cur))
		return;
	memcpy(cur, path, len + 1);
	for (i = 1; i <= len && depth < NET_CW_DEPTH; i++) {
		if (i < len && cur[i] != '/')
			continue;
		cur[i] = '\0';
		if (lstat(cur, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (tl = readlink(cur, target, sizeof(target) - 1)) > 0) {
			target[tl] = '\0';
			net_cw_add_path(w, cur);
			rest = i < len ? path + i : "";
			/* a relative target is relative to the link's directory */
			if (target[0] != '/' && strrchr(cur, '/') != NULL) {
				*strrchr(cur, '/') = '\0';
				if (snprintf(next, sizeof(next), "%s/%s%s",
				    cur[0] != '\0' ? cur : "", target, rest) >=
				    (int)sizeof(next))
					return;
			} else if (snprintf(next, sizeof(next), "%s%s", target,
			    rest) >= (int)sizeof(next))
				return;
			net_cw_follow(w, next, depth + 1);
			return;
		}
		if (i < len)
			cur[i] = '/';
	}
	net_cw_add_path(w, path);
}

/* Lays the watches for the files in force again, and removes those no
 * longer needed (a directory gone, or files renamed by SIGHUP). */
static void
net_cw_watch(struct net_certwatch *w)
{
	int old[NET_CW_MAX];
	size_t i, j, nold = w->ne;
	bool kept;

	if (w->fd == -1)
		return;
	for (i = 0; i < nold; i++)
		old[i] = w->e[i].wd;
	w->ne = 0;
	net_cw_follow(w, net_tls_cert_path(w->n->tls), 0);
	net_cw_follow(w, net_tls_pkey_path(w->n->tls), 0);
	for (i = 0; i < nold; i++) {
		for (kept = false, j = 0; j < w->ne && !kept; j++)
			kept = w->e[j].wd == old[i];
		if (!kept)
			(void)inotify_rm_watch(w->fd, old[i]);
	}
}

/* Loads the files again if they changed; tells the layer above. */
static void
net_cw_check(struct net_certwatch *w)
{
	char err[512], esc[LOG_ESCAPE_CAP];
	bool ok;

	if (!net_cw_stamps(w)) {
		net_cw_watch(w);
		return;
	}
	ok = net_tls_refresh(w->n->tls, err, sizeof(err)) == 0;
	if (ok)
		log_info("tls_reloaded", "source=watch not_after=%lld",
		    (long long)net_tls_not_after(w->n));
	else
		log_rl(&net_cw_rl, LOG_LVL_WARN, "tls_reload_failed",
		    "source=watch reason=%s kept=\"the certificate in force\"",
		    log_escape(esc, sizeof(esc), err, strlen(err)));
	net_cw_watch(w);
	if (w->fn != NULL)
		w->fn(w->arg, ok);
}

static void
net_cw_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_certwatch *w = arg;

	(void)fd, (void)what;
	w->first_ms = 0;
	net_cw_check(w);
}

static void
net_cw_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_certwatch *w = arg;

	(void)fd, (void)what;
	if (w->first_ms == 0)	/* else the settling timer will look */
		net_cw_check(w);
}

/* Whether an event concerns a watched name or a watched directory. */
static bool
net_cw_relevant(const struct net_certwatch *w, const struct inotify_event *ev)
{
	size_t i;

	if (ev->mask & NET_CW_SELF)
		return true;
	for (i = 0; i < w->ne; i++)
		if (w->e[i].wd == ev->wd && ev->len > 0 &&
		    strncmp(w->e[i].name, ev->name, ev->len) == 0 &&
		    strlen(w->e[i].name) == strnlen(ev->name, ev->len))
			return true;
	return false;
}

/* (Re)arms the settling delay: NET_CW_SETTLE_MS after the last event, at
 * most NET_CW_SETTLE_MAX_MS after the first. */
static void
net_cw_arm(struct net_certwatch *w)
{
	uint64_t now = net_mono_ms(), left, ms = NET_CW_SETTLE_MS;
	struct timeval tv;

	if (w->first_ms == 0)
		w->first_ms = now;
	left = now - w->first_ms >= NET_CW_SETTLE_MAX_MS ? 0 :
	    NET_CW_SETTLE_MAX_MS - (now - w->first_ms);
	if (ms > left)
		ms = left;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	(void)evtimer_add(w->settle, &tv);
}

static void
net_cw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_certwatch *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool hit = false;
	ssize_t r, off;

	(void)what;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off + (ssize_t)sizeof(*ev) <= r;
		    off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(buf + off);
			if (off + (ssize_t)(sizeof(*ev) + ev->len) > r)
				break;
			hit = hit || net_cw_relevant(w, ev);
		}
	}
	if (hit)
		net_cw_arm(w);
}

int
net_certwatch_new(struct net *n, struct net_certwatch **out, char *err,
    size_t errcap)
{
	struct net_certwatch *w;

	*out = NULL;
	if (n->tls == NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	w->n = n;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_warn("tls_watch_failed", "error=\"%s\" fallback=\"checked "
		    "every %d s\"", strerror(errno), NET_CW_POLL_S);
	net_cw_watch(w);
	(void)net_cw_stamps(w);
	*out = w;
	return 0;
}

int
net_certwatch_start(struct net_certwatch *w, struct event_base *base,
    net_certwatch_fn fn, void *arg)
{
	const struct timeval poll = { NET_CW_POLL_S, 0 };

	if (w == NULL)
		return 0;
	w->fn = fn;
	w->arg = arg;
	w->settle = evtimer_new(base, net_cw_settle_cb, w);
	w->poll = event_new(base, -1, EV_PERSIST, net_cw_poll_cb, w);
	if (w->settle == NULL || w->poll == NULL ||
	    event_add(w->poll, &poll) == -1)
		return -1;
	if (w->fd == -1)
		return 0;
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, net_cw_read_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1)
		return -1;
	return 0;
}

/* After a SIGHUP reload: the files in force are taken as read. */
void
net_certwatch_sync(struct net_certwatch *w)
{
	if (w == NULL)
		return;
	(void)net_cw_stamps(w);
	net_cw_watch(w);
}

void
net_certwatch_stop(struct net_certwatch *w)
{
	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->settle != NULL)
		event_free(w->settle);
	if (w->poll != NULL)
		event_free(w->poll);
	w->ev = w->settle = w->poll = NULL;
	w->first_ms = 0;
}

void
net_certwatch_free(struct net_certwatch *w)
{
	if (w == NULL)
		return;
	net_certwatch_stop(w);
	if (w->fd != -1)
		close(w->fd);
	free(w);
}
