/* SPDX-License-Identifier: ISC */
/*
 * daemon: ternd's wiring between the pure core and net/. It builds what
 * the workers share (the nonce key, the relay port pool, the quotas, the
 * snapshot of credentials and peer policy from the configuration and
 * Redis), gives each worker a TURN engine (RFC 8656) and answers net's
 * hooks with it, keeps the user-key cache in front of Redis, counts what
 * the engine reports (struct turn_outcome, struct turn_alloc_event) into
 * metrics, serves /metrics /healthz /readyz, and carries out the drain's
 * signal and timer (the drain's answers are the engine's). On the main
 * thread it also counts the TLS certificate's reloads and keeps its expiry
 * (daemon_tls.c; net/ watches the files) and runs the self-test canary
 * (daemon_selftest.c: RFC 8656 §7-§10 as a client of its own listener,
 * for /readyz). See ARCHITECTURE.md.
 *
 * What it must not do: touch sockets (net/ does), decode STUN (stun/ and
 * the engine do; the self-test decodes only the answers to its own
 * requests), judge credentials or peers itself (auth/, policy/ and the
 * engine do), block a worker on Redis.
 *
 * Life cycle, main thread:
 *   daemon_new()    binds every listener (net_new), builds the shared
 *                   environment, binds the metrics endpoint, creates the
 *                   engines; before privileges are dropped. c must stay
 *                   alive until the next successful daemon_reload() or
 *                   daemon_free(), and is never changed;
 *   daemon_start()  starts the workers;
 *   daemon_run()    the main loop (signals, Redis, timers) until SIGTERM,
 *                   SIGINT or the end of a drain; SIGHUP calls on_hup;
 *   daemon_reload() applies a new configuration, all or nothing;
 *   daemon_free()   stops and frees everything.
 */
#ifndef TERN_DAEMON_H
#define TERN_DAEMON_H

#include <stddef.h>

#include "config/config.h"

struct daemon;

struct daemon *daemon_new(const struct config *c, char *err, size_t errcap);
int daemon_start(struct daemon *d, char *err, size_t errcap);
typedef void (*daemon_hup_fn)(void *arg);
/* 0, or -1 when the loop could not be set up. */
int daemon_run(struct daemon *d, daemon_hup_fn on_hup, void *arg);
/* 0, or -1 with the old state kept and the reason in err. */
int daemon_reload(struct daemon *d, const struct config *c, char *err,
    size_t errcap);
/* NULL is a no-op. */
void daemon_free(struct daemon *d);
/* Logs one `event=listening` record per listener. */
void daemon_log_listeners(const struct daemon *d);
size_t daemon_listener_count(const struct daemon *d);
unsigned daemon_worker_count(const struct daemon *d);
/* Releases libraries' global state; last, after daemon_free(). */
void daemon_shutdown(void);

#endif
