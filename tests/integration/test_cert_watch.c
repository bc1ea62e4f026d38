/* SPDX-License-Identifier: ISC */
/*
 * The TLS certificate reloads by itself when its files change, without a
 * signal (src/net/net_certwatch.c, docs/security.md, TLS). A real ternd
 * with TLS and its metrics endpoint; the certificate served is told by
 * its SHA-256 fingerprint, compared with openssl's of the file.
 *  rename: cert A, then cert B and its key written elsewhere and renamed
 *    over the files in force (what certbot and cert-manager do): B is
 *    served within a deadline, tern_tls_reloads_total{result="ok"} counts
 *    it and the expiry gauge is B's notAfter; then a certificate C is
 *    renamed over the cert file without its key (a mismatched pair): B is
 *    still served, {result="error"} counts it, the expiry stays B's; then
 *    a matching pair whose certificate is valid only from tomorrow (made
 *    here with OpenSSL): refused too, B still served;
 *  k8s: the files are links through a `..data` link to a timestamped
 *    directory, as Kubernetes mounts a secret; a new directory and the
 *    `..data` link swapped by rename: the new certificate is served.
 * No SIGHUP is sent anywhere.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "metrics_common.h"
#include "tap.h"

#define RELOAD_MS	10000	/* the watch settles in 0.5 s; room for load */

static int
make_cert(const char *cert, const char *key, const char *cn, const char *days)
{
	char subj[128];
	const char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey",
	    "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", days,
	    "-subj", subj, "-keyout", key, "-out", cert, NULL };
	char out[4096];

	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	if (harness_run(argv, out, sizeof(out), 20000) != 0) {
		diag("openssl req failed: %s", out);
		return -1;
	}
	return 0;
}

static int
write_pem(const char *path, EVP_PKEY *k, X509 *x)
{
	FILE *f = fopen(path, "w");
	int okk;

	if (f == NULL)
		return -1;
	okk = x != NULL ? PEM_write_X509(f, x) :
	    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && okk == 1 ? 0 : -1;
}

/* A self-signed P-256 certificate valid from tomorrow, and its key. */
static int
make_future_cert(const char *cert, const char *key)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	int rv = -1;

	if (k == NULL || x == NULL || (n = X509_get_subject_name(x)) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"tern-future", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1 ||
	    X509_sign(x, k, EVP_sha256()) == 0)
		goto out;
	rv = write_pem(key, k, NULL) == 0 && write_pem(cert, NULL, x) == 0 ?
	    0 : -1;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rv;
}

/* openssl x509 -noout with one option; its output in out. */
static int
x509_print(const char *cert, const char *opt, const char *opt2, char *out,
    size_t cap)
{
	const char *argv[] = { "/usr/bin/openssl", "x509", "-in", cert, "-noout",
	    opt, opt2, NULL };

	return harness_run(argv, out, cap, 20000) == 0 ? 0 : -1;
}

/* The file's SHA-256 fingerprint ("sha256 Fingerprint=AB:CD:..."). */
static int
file_fingerprint(const char *cert, uint8_t fp[32])
{
	char out[512];
	const char *p;
	unsigned v;
	int i;

	if (x509_print(cert, "-fingerprint", "-sha256", out, sizeof(out)) == -1 ||
	    (p = strchr(out, '=')) == NULL)
		return -1;
	for (i = 0, p++; i < 32; i++, p += 3) {
		if (sscanf(p, "%2x", &v) != 1)
			return -1;
		fp[i] = (uint8_t)v;
	}
	return 0;
}

/* The file's notAfter as Unix time, or -1. */
static int64_t
file_not_after(const char *cert)
{
	char out[256];
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (x509_print(cert, "-enddate", NULL, out, sizeof(out)) == -1 ||
	    (p = strchr(out, '=')) == NULL ||
	    strptime(p + 1, "%b %d %H:%M:%S %Y GMT", &tm) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

/* The fingerprint of the certificate a new handshake gets, or -1. */
static int
served(struct mc *m, uint8_t fp[32], char *err, size_t errcap)
{
	struct client_opts o = { .insecure = true };
	struct client *c;
	int rv;

	if (client_open(&c, CLIENT_TLS, &m->h.srv_tls, m->h.ip, &o, 2000, err,
	    errcap) != 0)
		return -1;
	rv = client_peer_cert_sha256(c, fp);
	client_free(c);
	return rv == 0 ? 0 : -1;
}

/* Polls new handshakes until one presents want, or the deadline. */
static bool
wait_served(struct mc *m, const uint8_t want[32])
{
	int64_t deadline = client_now_ms() + RELOAD_MS;
	struct timespec nap = { 0, 100 * 1000000L };
	char err[256] = "";
	uint8_t fp[32];

	while (client_now_ms() < deadline) {
		if (served(m, fp, err, sizeof(err)) == 0 &&
		    memcmp(fp, want, 32) == 0)
			return true;
		nanosleep(&nap, NULL);
	}
	diag("last handshake: %s", err);
	return false;
}

/* Whether ternd's log has a line with both a and b. */
static bool
log_has(const struct harness *h, const char *a, const char *b)
{
	FILE *f = fopen(h->errlog, "r");
	char line[2048];
	bool got = false;

	if (f == NULL)
		return false;
	while (!got && fgets(line, sizeof(line), f) != NULL)
		got = strstr(line, a) != NULL && strstr(line, b) != NULL;
	fclose(f);
	return got;
}

static bool
metric_is(struct mc *m, const char *series, double want)
{
	double last = 0;
	bool got = mc_wait(m->mport, NULL, series, false, want, RELOAD_MS, &last);

	if (!got)
		diag("%s: last %f, want %f", series, last, want);
	return got;
}

static void
rename_case(struct mc *m)
{
	char cb[HARNESS_PATH], kb[HARNESS_PATH], cc[HARNESS_PATH];
	char kc[HARNESS_PATH], copy[HARNESS_PATH], exp[64];
	const char *cp[] = { "/bin/cp", cb, copy, NULL };
	uint8_t fa[32], fb[32], fp[32];
	char out[256], err[256];
	int64_t nb = -1;

	harness_path(&m->h, "new-b.pem", cb, sizeof(cb));
	harness_path(&m->h, "new-b.key", kb, sizeof(kb));
	harness_path(&m->h, "copy-b.pem", copy, sizeof(copy));
	harness_path(&m->h, "new-c.pem", cc, sizeof(cc));
	harness_path(&m->h, "new-c.key", kc, sizeof(kc));
	ok(file_fingerprint(m->h.cert, fa) == 0 && served(m, fp, err,
	    sizeof(err)) == 0 && memcmp(fa, fp, 32) == 0,
	    "cert A is served at start");
	ok(make_cert(cb, kb, "tern-cert-b", "30") == 0 &&
	    harness_run(cp, out, sizeof(out), 5000) == 0 &&
	    file_fingerprint(cb, fb) == 0 && (nb = file_not_after(cb)) > 0,
	    "cert B made elsewhere");
	ok(memcmp(fa, fb, 32) != 0, "A and B differ");
	ok(rename(kb, m->h.pkey) == 0 && rename(cb, m->h.cert) == 0,
	    "key and cert renamed over the files in force, no signal");
	ok(wait_served(m, fb), "a new handshake presents B within %d ms",
	    RELOAD_MS);
	ok(metric_is(m, "tern_tls_reloads_total{result=\"ok\"}", 1),
	    "tern_tls_reloads_total{result=\"ok\"} is 1");
	snprintf(exp, sizeof(exp), "%lld", (long long)nb);
	ok(metric_is(m, "tern_tls_certificate_expiry_timestamp_seconds",
	    (double)nb), "the expiry gauge is B's notAfter (%s)", exp);

	ok(make_cert(cc, kc, "tern-cert-c", "40") == 0 &&
	    rename(cc, m->h.cert) == 0,
	    "cert C renamed over the cert file, its key not");
	ok(metric_is(m, "tern_tls_reloads_total{result=\"error\"}", 1),
	    "the mismatched pair is counted as an error");
	ok(log_has(&m->h, "event=tls_reload_failed", "key values mismatch"),
	    "and logged with OpenSSL's reason");
	ok(served(m, fp, err, sizeof(err)) == 0 && memcmp(fp, fb, 32) == 0,
	    "B is still served");
	ok(metric_is(m, "tern_tls_certificate_expiry_timestamp_seconds",
	    (double)nb), "the expiry gauge is still B's");
	ok(make_future_cert(cc, kc) == 0 && rename(kc, m->h.pkey) == 0 &&
	    rename(cc, m->h.cert) == 0,
	    "a matching pair valid only from tomorrow renamed in place");
	ok(metric_is(m, "tern_tls_reloads_total{result=\"error\"}", 2),
	    "the pair not yet valid is counted as an error");
	ok(log_has(&m->h, "event=tls_reload_failed", "not yet valid"),
	    "and logged as not yet valid");
	ok(served(m, fp, err, sizeof(err)) == 0 && memcmp(fp, fb, 32) == 0,
	    "B is still served");
	ok(metric_is(m, "tern_tls_reloads_total{result=\"ok\"}", 1),
	    "no other load succeeded");
}

/* dir/..v<n>/tls.{crt,key} with CN cn; its fingerprint in fp. */
static int
k8s_version(const char *dir, int n, uint8_t fp[32])
{
	char d[HARNESS_PATH], c[HARNESS_PATH + 16], k[HARNESS_PATH + 16];
	char cn[32];

	snprintf(d, sizeof(d), "%s/..v%d", dir, n);
	snprintf(c, sizeof(c), "%s/tls.crt", d);
	snprintf(k, sizeof(k), "%s/tls.key", d);
	snprintf(cn, sizeof(cn), "tern-k8s-%d", n);
	if (mkdir(d, 0700) == -1 || make_cert(c, k, cn, "10") == -1)
		return -1;
	return file_fingerprint(c, fp);
}

/* Points dir/..data at ..v<n> by a rename, as the kubelet does. */
static int
k8s_swap(const char *dir, int n)
{
	char tmp[HARNESS_PATH], data[HARNESS_PATH], target[32];

	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	snprintf(data, sizeof(data), "%s/..data", dir);
	snprintf(target, sizeof(target), "..v%d", n);
	if (symlink(target, tmp) == -1)
		return -1;
	return rename(tmp, data);
}

static int
k8s_setup(struct harness *h, char *dir, size_t cap, uint8_t fp[32])
{
	char l[HARNESS_PATH + 16];

	harness_path(h, "secret", dir, cap);
	if (mkdir(dir, 0700) == -1 || k8s_version(dir, 1, fp) == -1 ||
	    k8s_swap(dir, 1) == -1)
		return -1;
	snprintf(l, sizeof(l), "%s/tls.crt", dir);
	if (symlink("..data/tls.crt", l) == -1)
		return -1;
	snprintf(l, sizeof(l), "%s/tls.key", dir);
	return symlink("..data/tls.key", l);
}

static void
k8s_case(struct mc *m, const char *dir, const uint8_t f1[32])
{
	uint8_t f2[32], fp[32];
	char err[256];

	ok(served(m, fp, err, sizeof(err)) == 0 && memcmp(fp, f1, 32) == 0,
	    "the secret's first version is served");
	ok(k8s_version(dir, 2, f2) == 0, "a second version written beside it");
	ok(k8s_swap(dir, 2) == 0, "..data swapped to it by rename, no signal");
	ok(wait_served(m, f2), "a new handshake presents it within %d ms",
	    RELOAD_MS);
	ok(metric_is(m, "tern_tls_reloads_total{result=\"ok\"}", 1),
	    "counted once");
}

int
main(int argc, char *argv[])
{
	char extra[2 * HARNESS_PATH + 64], dir[HARNESS_PATH];
	struct mc m;
	bool k8s;
	uint8_t f1[32];

	if (argc != 3)
		return 2;
	k8s = strcmp(argv[2], "k8s") == 0;
	if (!ok(mc_init(&m, argv[1]) == 0, "temp dir"))
		goto out;
	m.tls = true;		/* mc_init() zeroes m */
	extra[0] = '\0';
	if (k8s) {
		if (!ok(k8s_setup(&m.h, dir, sizeof(dir), f1) == 0,
		    "a secret mounted as Kubernetes does"))
			goto out;
		snprintf(extra, sizeof(extra), "cert = %s/tls.crt\n"
		    "pkey = %s/tls.key\n", dir, dir);
	}
	if (!ok(mc_start(&m, extra) == 0, "ternd started with TLS")) {
		harness_dump_log(&m.h);
		goto out;
	}
	if (k8s)
		k8s_case(&m, dir, f1);
	else
		rename_case(&m);
	is_int(harness_stop(&m.h), 0, "SIGTERM: ternd exits 0");
out:
	mc_fini(&m);
	return tap_done();
}
