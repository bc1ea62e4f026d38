#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks tern's Prometheus alerting rules and Grafana dashboard; prints TAP.

  monitoring.py --source-root DIR --ternd BIN [--promtool PATH]

- etc/prometheus/tern-alerts.yml passes `promtool check rules`, and
  tests/docker/alerts_test.yml (`promtool test rules`) passes: alerts fire
  on trouble and stay quiet without the feature (NaN, no Redis). Every
  alert has a severity, a summary and a description.
- etc/grafana/tern-dashboard.json parses, has a uid and a title, and each
  panel a unique id, a place on the 24-column grid and queries through the
  dashboard's data source variable.
- Every metric name the rules, their tests and the dashboard use is one a
  real ternd serves: ternd is started on loopback (TLS, prometheus on)
  and its /metrics page scraped; `up` is Prometheus' own.
- docker/compose.yml loads both: Prometheus mounts the rules where
  docker/prometheus.yml's rule_files points, Grafana mounts its
  provisioning (a Prometheus data source at the compose service) and the
  dashboard in the directory its dashboard provider reads.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402 (its Tap)

RULES = "etc/prometheus/tern-alerts.yml"
RULES_TEST = "tests/docker/alerts_test.yml"
DASHBOARD = "etc/grafana/tern-dashboard.json"
SEVERITIES = ("critical", "warning", "info")
# Names a query may use that ternd does not serve.
PROMETHEUS_OWN = {"up"}
METRIC_RE = re.compile(r"\b((?:tern|process)_[a-z0-9_]+|up)\b")
WAIT_S = 10


class Tap(check.Tap):
    """check.py's TAP producer, with skips."""

    def skip(self, what, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, why))


def promtool_run(t, promtool, args, what, cwd):
    if not promtool:
        t.skip(what, "promtool absent (Debian package prometheus)")
        return
    r = subprocess.run([promtool] + args, cwd=cwd, capture_output=True,
                       text=True, timeout=120)
    t.ok(r.returncode == 0, what, (r.stdout + r.stderr).splitlines()[-20:])


def check_rules(t, root, promtool):
    """The rules' expressions, or [] when they do not parse."""
    path = os.path.join(root, RULES)
    promtool_run(t, promtool, ["check", "rules", path],
                 "promtool check rules " + RULES, root)
    promtool_run(t, promtool, ["test", "rules", os.path.basename(RULES_TEST)],
                 "promtool test rules " + RULES_TEST,
                 os.path.join(root, os.path.dirname(RULES_TEST)))
    try:
        doc = yaml.safe_load(open(path))
        rules = [r for g in doc["groups"] for r in g["rules"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        t.ok(False, RULES + " parses", [e])
        return []
    bad = [r.get("alert", r.get("record")) for r in rules
           if "alert" not in r
           or (r.get("labels") or {}).get("severity") not in SEVERITIES
           or not (r.get("annotations") or {}).get("summary")
           or not (r.get("annotations") or {}).get("description")]
    t.ok(rules and not bad, "%d alerts, each with a severity, a summary and a "
         "description" % len(rules), bad)
    names = [r.get("alert") for r in rules]
    t.ok(len(set(names)) == len(names), "alert names are unique")
    exprs = [str(r.get("expr", "")) for r in rules]
    try:
        test = yaml.safe_load(open(os.path.join(root, RULES_TEST)))
        exprs += [s["series"] for c in test["tests"] for s in c["input_series"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        t.ok(False, RULES_TEST + " parses", [e])
    return exprs


def panels_of(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []):
            yield q


def check_dashboard(t, root):
    """The dashboard's queries, or [] when it does not parse."""
    try:
        dash = json.load(open(os.path.join(root, DASHBOARD)))
    except (OSError, ValueError) as e:
        t.ok(False, DASHBOARD + " parses as JSON", [e])
        return []
    t.ok(isinstance(dash, dict), DASHBOARD + " parses as JSON")
    t.ok(dash.get("uid") and dash.get("title"), "the dashboard has a uid and a title")
    panels = list(panels_of(dash))
    ids = [p.get("id") for p in panels]
    t.ok(panels and len(set(ids)) == len(ids), "%d panels with unique ids" % len(panels))
    off = [p.get("title") for p in panels
           if not (0 <= p.get("gridPos", {}).get("x", -1)
                   and p["gridPos"]["x"] + p["gridPos"].get("w", 99) <= 24
                   and p["gridPos"].get("h", 0) > 0)]
    t.ok(not off, "every panel sits on the 24-column grid", off)
    queries = [(p.get("title"), tg) for p in panels if p.get("type") != "row"
               for tg in p.get("targets", [])]
    empty = [p.get("title") for p in panels
             if p.get("type") != "row" and not p.get("targets")]
    t.ok(not empty, "every panel has a query", empty)
    var = {v.get("name") for v in dash.get("templating", {}).get("list", [])
           if v.get("type") == "datasource"}
    wrong = [title for title, tg in queries
             if (tg.get("datasource") or {}).get("uid", "").strip("${}") not in var]
    t.ok(var and not wrong, "every query goes through the data source variable", wrong)
    exprs = [tg.get("expr", "") for _, tg in queries]
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else str(q or ""))
    return exprs


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    url = "http://127.0.0.1:%d/metrics" % port
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def served_names(page):
    """Every metric name the page holds, histograms' series included."""
    names = set()
    for line in page.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


def start_ternd(t, ternd, tmp):
    """(process, metrics port) of a ternd with TLS and metrics, or None."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=60)
    if not t.ok(r.returncode == 0, "a certificate for ternd's TLS listener",
                r.stderr.splitlines()[-5:]):
        return None
    mport = free_port(socket.SOCK_STREAM)
    conf = os.path.join(tmp, "ternd.conf")
    with open(conf, "w") as f:
        f.write("listening-ip = 127.0.0.1\nlistening-port = %d\n"
                "tls-listening-port = %d\ncert = %s\npkey = %s\n"
                "realm = tern.test\nuser = alice:secret\n"
                "min-port = 61000\nmax-port = 61999\nmax-connections = 1000\n"
                "prometheus = true\nprometheus-port = %d\n"
                % (free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM),
                   cert, key, mport))
    os.chmod(conf, 0o600)
    log = open(os.path.join(tmp, "ternd.log"), "w")
    p = subprocess.Popen([ternd, "-c", conf], stdout=log, stderr=log)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and p.poll() is None:
        try:
            scrape(mport)
            return p, mport
        except OSError:
            time.sleep(0.05)	# polling the endpoint, with a deadline
    p.kill()
    p.wait()
    t.ok(False, "ternd serves /metrics", open(os.path.join(tmp, "ternd.log")).read().splitlines()[-10:])
    return None


def check_names(t, ternd, exprs):
    used = set()
    for e in exprs:
        used |= set(METRIC_RE.findall(e))
    tmp = tempfile.mkdtemp(prefix="tern-monitoring-")
    try:
        started = start_ternd(t, ternd, tmp)
        if started is None:
            return
        p, mport = started
        page = scrape(mport)
        p.send_signal(signal.SIGTERM)
        t.ok(p.wait(timeout=WAIT_S) == 0, "ternd exits 0 on SIGTERM")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    served = served_names(page)
    t.note("%d metric names used, %d served" % (len(used), len(served)))
    missing = sorted(used - served - PROMETHEUS_OWN)
    t.ok(used and not missing, "every metric the rules and the dashboard use is "
         "one ternd serves", missing)
    m = re.search(r"^tern_tls_certificate_expiry_timestamp_seconds (\S+)$", page, re.M)
    left = float(m.group(1)) - time.time() if m else float("nan")
    t.ok(29 * 86400 < left <= 30 * 86400 + 60, "the certificate's expiry is "
         "served (%.1f days left)" % (left / 86400))


def volumes(svc, root):
    """[(absolute source, target)] of a compose service's bind mounts."""
    out = []
    for v in svc.get("volumes", []):
        v = v if isinstance(v, str) else "%s:%s" % (v.get("source"), v.get("target"))
        src, _, rest = v.partition(":")
        if src.startswith("."):
            out.append((os.path.normpath(os.path.join(root, "docker", src)),
                        rest.split(":")[0]))
    return out


def check_compose(t, root):
    try:
        sv = yaml.safe_load(open(os.path.join(root, "docker", "compose.yml")))["services"]
        prom_cfg = yaml.safe_load(open(os.path.join(root, "docker", "prometheus.yml")))
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        t.ok(False, "docker/compose.yml and docker/prometheus.yml parse", [e])
        return
    pv = volumes(sv.get("prometheus") or {}, root)
    rules_at = [dst for src, dst in pv if src == os.path.join(root, RULES)]
    t.ok(rules_at and rules_at[0] in (prom_cfg.get("rule_files") or []),
         "Prometheus mounts %s where rule_files reads it" % RULES,
         [rules_at, prom_cfg.get("rule_files")])
    jobs = [j.get("job_name") for j in prom_cfg.get("scrape_configs", [])]
    t.ok("tern" in jobs, "the scrape job is called tern (TernDown selects it)", [jobs])
    gv = volumes(sv.get("grafana") or {}, root)
    if not t.ok(gv, "compose has a grafana service with bind mounts"):
        return
    prov = [(src, dst) for src, dst in gv if dst == "/etc/grafana/provisioning"]
    if not t.ok(prov and os.path.isdir(prov[0][0]),
                "Grafana mounts its provisioning directory", [gv]):
        return
    pdir = prov[0][0]
    try:
        ds = yaml.safe_load(open(os.path.join(pdir, "datasources", "prometheus.yml")))
        dp = yaml.safe_load(open(os.path.join(pdir, "dashboards", "tern.yml")))
    except (OSError, yaml.YAMLError) as e:
        t.ok(False, "the provisioning files parse", [e])
        return
    urls = [d.get("url") for d in ds.get("datasources", []) if d.get("type") == "prometheus"]
    t.ok(urls == ["http://prometheus:9090"] and "prometheus" in sv,
         "the data source is the compose project's Prometheus", [urls])
    paths = [p.get("options", {}).get("path") for p in dp.get("providers", [])]
    dash_at = [dst for src, dst in gv if src == os.path.join(root, DASHBOARD)]
    t.ok(dash_at and os.path.dirname(dash_at[0]) in paths,
         "Grafana mounts %s where its dashboard provider reads" % DASHBOARD,
         [dash_at, paths])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--ternd", required=True)
    ap.add_argument("--promtool", default=shutil.which("promtool"))
    a = ap.parse_args()
    root = os.path.abspath(a.source_root)
    t = Tap()
    exprs = check_rules(t, root, a.promtool)
    exprs += check_dashboard(t, root)
    check_names(t, a.ternd, exprs)
    check_compose(t, root)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
