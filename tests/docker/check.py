#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Checks docker/ without a Docker engine (none runs in CI); prints TAP.

  check.py --source-root DIR [--build-root DIR] [--ternd BIN] [--ternctl BIN]

- docker/Dockerfile: every COPY/ADD source (other than --from=stage) exists
  in the repository and is not dropped by docker/Dockerfile.dockerignore;
  Debian bookworm stages, multi-stage, the build stage runs scripts/build;
  the files copied from the build stage are ones scripts/build installs;
  the runtime stage is bookworm-slim, installs the packages of every shared
  library ternd and ternctl link, has a non-root USER, a HEALTHCHECK, and
  runs ternd in the foreground (exec-form ENTRYPOINT/CMD) with the config
  at /etc/tern/ternd.conf.
- docker/compose.yml parses (YAML) and has ternd, redis and prometheus; the
  relay range is published 1:1 and equals docker/ternd.conf's
  min-port..max-port; the metrics port is not published; no secret-looking
  environment variable; prometheus.yml scrapes ternd:<prometheus-port>.
- docker/ternd.conf passes `ternd --check-config` (options of later stages
  that this ternd does not know yet are reported, not failed).

  check.py --source-root DIR --stage DEST

copies what the Dockerfile's build stage COPYs into DEST (its WORKDIR), so
that scripts/test can run scripts/build there, exactly as `docker build`
would: a file the build needs but the Dockerfile forgets fails CI.
"""
import argparse
import fnmatch
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

# Options docker/ternd.conf uses that belong to stages being built now;
# `--check-config` calling them unknown is noted, not failed. Redis and
# the metrics endpoint have landed: none left.
# --check-config warnings the image's own setting accounts for (see
# check_conf): root (the test's user, not the image's) and the metrics
# endpoint on the compose network.
EXPECTED_WARNINGS = ("proc-user", "prometheus-address")
# Packages every debian:bookworm-slim has.
BASE_PKGS = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
CONFIG_PATH = "/etc/tern/ternd.conf"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=()):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, what))
        if not cond:
            self.failed += 1
            for d in diag:
                print("#   " + str(d))
        return cond

    def note(self, text):
        print("# " + text)

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- Dockerfile

def dockerfile_instructions(text):
    """[(lineno, INSTRUCTION, rest)], continuations joined, comments dropped."""
    out, buf, start = [], "", 0
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and s.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not buf:
            start = no
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


def split_flags(rest):
    """(flags dict, remaining text) for --name=value flags up front."""
    flags = {}
    while rest.startswith("--"):
        tok, _, rest = rest.partition(" ")
        name, _, val = tok[2:].partition("=")
        flags[name] = val
        rest = rest.strip()
    return flags, rest


def exec_form(rest):
    """The JSON (exec) form as a list, or None for the shell form."""
    if rest.startswith("["):
        try:
            v = json.loads(rest)
        except ValueError:
            return None
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return v
    return None


def stages(instrs):
    """[{name, image, instrs}] for each FROM."""
    out = []
    for no, ins, rest in instrs:
        if ins == "FROM":
            _, rest2 = split_flags(rest)
            parts = rest2.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            out.append({"name": name, "image": parts[0], "line": no, "instrs": []})
        elif out:
            out[-1]["instrs"].append((no, ins, rest))
    return out


def ignore_patterns(path):
    pats = []
    if os.path.exists(path):
        for line in open(path):
            s = line.strip()
            if s and not s.startswith("#"):
                pats.append(s)
    return pats


def ignored(rel, pats):
    """Whether rel (a context path) matches a .dockerignore pattern."""
    rel = rel.strip("/")
    hit = False
    for p in pats:
        neg = p.startswith("!")
        p = p.lstrip("!").strip("/")
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatchcase(prefix, p) or (
                    p.startswith("**/") and fnmatch.fnmatchcase(parts[i - 1], p[3:])):
                hit = not neg
                break
    return hit


def check_dockerfile(t, root, build_root, binaries):
    path = os.path.join(root, "docker", "Dockerfile")
    if not t.ok(os.path.isfile(path), "docker/Dockerfile exists"):
        return None
    instrs = dockerfile_instructions(open(path).read())
    st = stages(instrs)
    t.ok(len(st) >= 2, "Dockerfile is multi-stage", ["%d FROM" % len(st)])
    t.ok(all(s["image"].startswith("debian:bookworm") for s in st),
         "every stage is Debian bookworm", [s["image"] for s in st])
    final = st[-1] if st else {"image": "", "instrs": []}
    t.ok(final["image"] == "debian:bookworm-slim", "runtime stage is debian:bookworm-slim",
         [final["image"]])
    names = {s["name"] for s in st if s["name"]}

    # COPY/ADD sources from the build context.
    pats = ignore_patterns(os.path.join(root, "docker", "Dockerfile.dockerignore"))
    bad, drop, count = [], [], 0
    for s in st:
        for no, ins, rest in s["instrs"]:
            if ins not in ("COPY", "ADD"):
                continue
            flags, rest = split_flags(rest)
            if "from" in flags:
                continue
            args = exec_form(rest) or shlex.split(rest)
            for src in args[:-1]:
                count += 1
                if re.match(r"^[a-z]+://", src):
                    bad.append("line %d: %s: a URL, not a repository file" % (no, src))
                    continue
                rel = src.lstrip("/")
                hits = glob.glob(os.path.join(root, rel)) if rel not in ("", ".") else [root]
                if not hits:
                    bad.append("line %d: %s %s: no such file in the repository" % (no, ins, src))
                elif ignored(rel, pats):
                    drop.append("line %d: %s is excluded by Dockerfile.dockerignore" % (no, src))
    t.ok(count > 0 and not bad, "every COPY/ADD source exists (%d)" % count, bad)
    t.ok(not drop, "no COPY/ADD source is in Dockerfile.dockerignore", drop)

    # The build stage runs exactly scripts/build.
    build_runs = []
    for s in st[:-1]:
        for no, ins, rest in s["instrs"]:
            if ins == "RUN":
                words = exec_form(rest) or shlex.split(rest)
                if words and words[0].lstrip("./") == "scripts/build":
                    build_runs.append((s["name"], words))
    t.ok(len(build_runs) == 1, "a build stage runs scripts/build", [build_runs])
    destdir, prefix = "/out", "/usr"
    if build_runs:
        w = build_runs[0][1]
        destdir = w[1] if len(w) > 1 else destdir
        prefix = w[2] if len(w) > 2 else prefix

    # Files taken from the build stage are ones scripts/build installs.
    installed = installed_paths(build_root)
    from_bad, copied = [], []
    for no, ins, rest in final["instrs"]:
        if ins != "COPY":
            continue
        flags, rest = split_flags(rest)
        args = exec_form(rest) or shlex.split(rest)
        if "from" in flags:
            if flags["from"] not in names:
                from_bad.append("line %d: --from=%s is no stage" % (no, flags["from"]))
            for src in args[:-1]:
                if not src.startswith(destdir.rstrip("/") + "/"):
                    from_bad.append("line %d: %s is outside DESTDIR %s" % (no, src, destdir))
                    continue
                inside = src[len(destdir.rstrip("/")):]
                copied.append((inside, args[-1]))
                if installed is not None and not any(
                        under(p, inside) for p in relocate(installed, prefix)):
                    from_bad.append("line %d: scripts/build installs nothing at %s" % (no, inside))
        else:
            copied.extend((None, args[-1]) for _ in args[:-1])
    if installed is None:
        t.note("no build root given: COPY --from sources not compared with the install")
    t.ok(not from_bad, "COPY --from=build takes files scripts/build installs", from_bad)
    dests = [d for _, d in copied]
    t.ok(CONFIG_PATH in dests, "the config is copied to " + CONFIG_PATH, [dests])

    # Non-root user.
    users = [rest for _, ins, rest in final["instrs"] if ins == "USER"]
    user = users[-1].split(":")[0] if users else ""
    t.ok(bool(users) and user not in ("root", "0"), "runtime stage has a non-root USER",
         ["USER %s" % (users[-1] if users else "(none)")])

    # Health check.
    hc = [rest for _, ins, rest in final["instrs"] if ins == "HEALTHCHECK"]
    hc_cmd = None
    if hc:
        _, rest = split_flags(hc[-1])
        if rest.upper().startswith("CMD"):
            rest = rest[3:].strip()
            hc_cmd = exec_form(rest) or shlex.split(rest)
    t.ok(bool(hc_cmd), "runtime stage has a HEALTHCHECK CMD", hc)

    # ternd in the foreground.
    ep = [rest for _, ins, rest in final["instrs"] if ins == "ENTRYPOINT"]
    cmd = [rest for _, ins, rest in final["instrs"] if ins == "CMD"]
    epv = exec_form(ep[-1]) if ep else []
    cmdv = exec_form(cmd[-1]) if cmd else []
    argv = (epv or []) + (cmdv or [])
    fg = (epv is not None and cmdv is not None and argv and
          os.path.basename(argv[0]) == "ternd" and
          not any(a in ("&", "-d", "--daemon", "--daemonize") for a in argv))
    t.ok(bool(fg), "ENTRYPOINT/CMD run ternd in the foreground (exec form)", [argv or (ep, cmd)])
    t.ok(argv[1:3] == ["-c", CONFIG_PATH], "ternd reads " + CONFIG_PATH, [argv])
    for prog in [argv[0] if argv else None, hc_cmd[0] if hc_cmd else None]:
        if prog and prog.startswith("/"):
            t.ok(prog in dests, "%s is copied into the runtime stage" % prog, [dests])

    # Runtime packages cover the binaries' shared libraries.
    pkgs = set()
    for _, ins, rest in final["instrs"]:
        if ins == "RUN":
            for m in re.finditer(r"apt-get\s+install\s+((?:\S+\s*)+?)(?:&&|;|$)", rest):
                pkgs.update(w for w in m.group(1).split() if not w.startswith("-"))
    t.ok(bool(pkgs), "runtime stage installs packages with apt-get", [])
    check_runtime_pkgs(t, pkgs, binaries, build_root)
    exposed = " ".join(rest for _, ins, rest in final["instrs"] if ins == "EXPOSE").split()
    return {"exposed": exposed}


def installed_paths(build_root):
    if not build_root:
        return None
    try:
        inst = json.load(open(os.path.join(build_root, "meson-info", "intro-installed.json")))
        opts = json.load(open(os.path.join(build_root, "meson-info", "intro-buildoptions.json")))
    except (OSError, ValueError):
        return None
    prefix = {o["name"]: o["value"] for o in opts}["prefix"]
    return [(p, prefix) for p in inst.values()]


def relocate(installed, prefix):
    """The build tree's install paths as scripts/build PREFIX would lay them."""
    out = []
    for p, pre in installed:
        if p.startswith(pre.rstrip("/") + "/"):
            out.append(prefix.rstrip("/") + p[len(pre.rstrip("/")):])
        else:
            out.append(p)
    return out


def under(path, src):
    src = src.rstrip("/")
    return path == src or path.startswith(src + "/")


def check_runtime_pkgs(t, pkgs, binaries, build_root):
    if not binaries or not shutil.which("ldd") or not shutil.which("dpkg-query"):
        t.note("skip: runtime libraries (no binaries, ldd or dpkg)")
        return
    if build_root:
        try:
            opts = {o["name"]: o["value"] for o in json.load(open(
                os.path.join(build_root, "meson-info", "intro-buildoptions.json")))}
            if opts.get("b_sanitize", "none") != "none" or opts.get("fuzz"):
                t.note("skip: runtime libraries (sanitizer build)")
                return
        except (OSError, ValueError):
            pass
    need, unknown = {}, []
    for b in binaries:
        # The libraries the binary names itself (DT_NEEDED): apt installs
        # what those packages depend on (libmicrohttpd12 brings GnuTLS).
        direct = None
        if shutil.which("readelf"):
            dyn = subprocess.run(["readelf", "-d", b], capture_output=True,
                                 text=True).stdout
            direct = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn))
        out = subprocess.run(["ldd", b], capture_output=True, text=True).stdout
        for m in re.finditer(r"^\s*(\S+)\s+=>\s+(/\S+)", out, re.M):
            if direct is not None and m.group(1) not in direct:
                continue
            lib = os.path.realpath(m.group(2))
            r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", m.group(2)], capture_output=True, text=True)
            if r.returncode != 0:
                unknown.append(lib)
                continue
            pkg = r.stdout.split(":")[0]
            need.setdefault(pkg, set()).add(os.path.basename(b))
    missing = ["%s (for %s)" % (p, ", ".join(sorted(need[p]))) for p in sorted(need)
               if p not in pkgs and p not in BASE_PKGS]
    t.ok(not missing and not unknown,
         "runtime stage installs every library package (%s)" % " ".join(sorted(need)),
         missing + ["no package owns " + u for u in unknown])
    extra = sorted(pkgs - set(need) - {"ca-certificates"})
    if extra:
        t.note("installed but not linked (yet): " + " ".join(extra))
    if shutil.which("apt-cache") and subprocess.run(
            ["apt-cache", "show", "libc6"], capture_output=True).returncode == 0:
        nopkg = [p for p in sorted(pkgs) if subprocess.run(
            ["apt-cache", "show", p], capture_output=True).returncode != 0]
        t.ok(not nopkg, "every runtime package exists in the archive", nopkg)
    else:
        t.note("skip: apt-cache has no package lists")


# ------------------------------------------------------ ternd.conf, compose

def conf_values(path):
    vals = {}
    for line in open(path):
        s = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not s:
            continue
        m = re.match(r'^([a-z0-9-]+)\s*(?:=\s*|\s+)?(.*)$', s)
        if m:
            vals.setdefault(m.group(1), []).append(m.group(2).strip().strip('"'))
    return vals


def port_range(spec):
    """'49160-49259' -> (49160, 49259); '3478' -> (3478, 3478)."""
    a, _, b = spec.partition("-")
    return int(a), int(b or a)


def parse_port(p):
    """A compose short-syntax port -> (host range or None, container range, proto)."""
    if isinstance(p, dict):
        tgt = str(p.get("target"))
        pub = p.get("published")
        return (port_range(str(pub)) if pub else None, port_range(tgt), p.get("protocol", "tcp"))
    s = str(p)
    s, _, proto = s.partition("/")
    parts = s.rsplit(":", 2) if not s.startswith("[") else s.split("]:")[-1].rsplit(":", 1)
    if len(parts) == 1:
        return None, port_range(parts[0]), proto or "tcp"
    return port_range(parts[-2]), port_range(parts[-1]), proto or "tcp"


def check_conf(t, root, ternd):
    path = os.path.join(root, "docker", "ternd.conf")
    if not t.ok(os.path.isfile(path), "docker/ternd.conf exists"):
        return {}
    vals = conf_values(path)
    t.ok("listening-ip" not in vals, "docker/ternd.conf listens on every address")
    t.ok("min-port" in vals and "max-port" in vals, "docker/ternd.conf sets the relay range")
    t.ok(any("host=redis" in v or "ip=redis" in v for v in vals.get("redis-userdb", [])),
         "redis-userdb points at the compose service redis", [vals.get("redis-userdb")])
    secrets = [k for k in vals if k in ("static-auth-secret", "user")] + [
        "redis-userdb password" for v in vals.get("redis-userdb", []) if "password=" in v]
    t.ok(not secrets, "docker/ternd.conf (baked into the image) holds no secret", secrets)
    if ternd:
        r = subprocess.run([ternd, "-c", path, "--external-ip=203.0.113.10", "--check-config"],
                           capture_output=True, text=True, timeout=30)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        # Warnings that the image's setting explains: the image runs as
        # uid 10001 (the test may run as root), and the metrics endpoint
        # listens on the compose network, which publishes it nowhere.
        expected = [l for l in lines if l.startswith("warning: ") and any(
            l.startswith("warning: " + o + ":") for o in EXPECTED_WARNINGS)]
        for l in expected:
            t.note("expected in this setting: " + l)
        others = [l for l in lines if l not in expected]
        t.ok(r.returncode == 0 and not others,
             "ternd --check-config accepts docker/ternd.conf", others or [r.returncode])
    return vals


def check_compose(t, root, conf, df):
    path = os.path.join(root, "docker", "compose.yml")
    try:
        doc = yaml.safe_load(open(path))
        parsed = isinstance(doc, dict)
    except (OSError, yaml.YAMLError) as e:
        t.ok(False, "docker/compose.yml parses", [e])
        return
    if not t.ok(parsed and isinstance(doc.get("services"), dict), "docker/compose.yml parses"):
        return
    sv = doc["services"]
    t.ok(all(s in sv for s in ("ternd", "redis", "prometheus")),
         "compose has the services ternd, redis and prometheus", [list(sv)])
    ternd = sv.get("ternd") or {}
    b = ternd.get("build") or {}
    ctx = os.path.normpath(os.path.join(root, "docker", b.get("context", ".")))
    dfile = os.path.join(ctx, b.get("dockerfile", "Dockerfile"))
    t.ok(ctx == os.path.normpath(root) and os.path.realpath(dfile) == os.path.realpath(
        os.path.join(root, "docker", "Dockerfile")),
        "ternd builds docker/Dockerfile with the repository as context", [ctx, dfile])

    ports = [parse_port(p) for p in ternd.get("ports", [])]
    lo, hi = int(conf.get("min-port", ["0"])[-1]), int(conf.get("max-port", ["0"])[-1])
    relay = [p for p in ports if p[2] == "udp" and p[1] == (lo, hi)]
    t.ok(len(relay) == 1 and relay[0][0] == (lo, hi),
         "the relay range %d-%d/udp is published 1:1" % (lo, hi), [ports])
    t.ok(any(p[1] == (3478, 3478) and p[2] == "udp" for p in ports),
         "3478/udp is published", [ports])
    t.ok("%d-%d/udp" % (lo, hi) in df.get("exposed", []),
         "the Dockerfile EXPOSEs the relay range %d-%d/udp" % (lo, hi), [df.get("exposed")])
    mport = int(conf.get("prometheus-port", ["9641"])[-1])
    t.ok(not any(p[1][0] <= mport <= p[1][1] and p[0] for p in ports),
         "the metrics port %d is not published on the host" % mport, [ports])
    t.ok(not any(p.get("ports") for n, p in sv.items() if n == "redis"),
         "redis is not published on the host")
    secretish = []
    for n, s in sv.items():
        env = (s or {}).get("environment") or {}
        keys = env.keys() if isinstance(env, dict) else [e.split("=")[0] for e in env]
        secretish += ["%s: %s" % (n, k) for k in keys
                      if re.search(r"PASS|SECRET|TOKEN|KEY", k, re.I) and not k.endswith("_FILE")]
    t.ok(not secretish, "no secret in compose environment variables", secretish)

    # Prometheus scrapes ternd's metrics port.
    prom = sv.get("prometheus") or {}
    cfg = None
    for v in prom.get("volumes", []):
        v = v if isinstance(v, str) else "%s:%s" % (v.get("source"), v.get("target"))
        src, _, rest = v.partition(":")
        if rest.split(":")[0] == "/etc/prometheus/prometheus.yml":
            cfg = os.path.normpath(os.path.join(root, "docker", src))
    if not t.ok(cfg is not None and os.path.isfile(cfg),
                "prometheus mounts an existing prometheus.yml", [cfg]):
        return
    pdoc = yaml.safe_load(open(cfg)) or {}
    want = "ternd:%d" % mport
    jobs = [j for j in pdoc.get("scrape_configs", [])
            if any(want in (sc.get("targets") or []) for sc in j.get("static_configs", []))
            and j.get("metrics_path", "/metrics") == "/metrics"]
    t.ok(bool(jobs), "prometheus scrapes %s/metrics" % want, [pdoc.get("scrape_configs")])
    t.ok(conf.get("prometheus", ["false"])[-1] in ("", "true", "yes", "on", "1"),
         "docker/ternd.conf turns prometheus on", [conf.get("prometheus")])
    addr = conf.get("prometheus-address", [""])[-1]
    t.ok(addr in ("0.0.0.0", "::"), "metrics listen on the container network (%s)" % addr)


def stage_context(root, dest):
    """Copies the build stage's COPY sources into dest, as its WORKDIR."""
    st = stages(dockerfile_instructions(open(os.path.join(root, "docker", "Dockerfile")).read()))
    runs = [s for s in st[:-1] if any(
        ins == "RUN" and "scripts/build" in rest for _, ins, rest in s["instrs"])]
    if len(runs) != 1:
        print("check.py: no single build stage running scripts/build", file=sys.stderr)
        return 1
    workdir = "/"
    os.makedirs(dest, exist_ok=True)
    for no, ins, rest in runs[0]["instrs"]:
        if ins == "WORKDIR":
            workdir = os.path.join(workdir, rest)
        if ins not in ("COPY", "ADD"):
            continue
        flags, rest = split_flags(rest)
        args = exec_form(rest) or shlex.split(rest)
        if "from" in flags:
            continue
        target = os.path.normpath(os.path.join(workdir, args[-1]))
        rel = os.path.relpath(target, os.path.normpath(workdir))
        if rel.startswith(".."):
            print("check.py: line %d: %s is outside WORKDIR %s" % (no, args[-1], workdir),
                  file=sys.stderr)
            return 1
        out = os.path.normpath(os.path.join(dest, rel))
        srcs = [h for a in args[:-1] for h in sorted(glob.glob(os.path.join(root, a.lstrip("/"))))]
        if not srcs:
            print("check.py: line %d: nothing matches %s" % (no, args[:-1]), file=sys.stderr)
            return 1
        for src in srcs:
            if os.path.isdir(src):
                # Docker copies a directory's contents, not the directory.
                shutil.copytree(src, out, symlinks=True, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("node_modules"))
            else:
                to_dir = args[-1].endswith("/") or len(args) > 2
                os.makedirs(out if to_dir else os.path.dirname(out), exist_ok=True)
                shutil.copy2(src, os.path.join(out, os.path.basename(src)) if to_dir else out)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root")
    ap.add_argument("--ternd")
    ap.add_argument("--ternctl")
    ap.add_argument("--stage")
    a = ap.parse_args()
    if a.stage:
        return stage_context(a.source_root, a.stage)
    t = Tap()
    bins = [b for b in (a.ternd, a.ternctl) if b]
    df = check_dockerfile(t, a.source_root, a.build_root, bins) or {}
    conf = check_conf(t, a.source_root, a.ternd)
    check_compose(t, a.source_root, conf, df)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
