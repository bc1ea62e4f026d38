// SPDX-License-Identifier: ISC
//
// e2e: headless Chromium makes WebRTC data channels through a TURN server
// that this test starts itself, with relay-only ICE, over
//   turn:127.0.0.1:PORT?transport=udp, ?transport=tcp and
//   turns:127.0.0.1:TLSPORT?transport=tcp.
// For each: 20 messages each way (one of 16 KiB) arrive intact; getStats()
// shows a succeeded selected pair that is relay/relay on both sides, over
// the expected relay protocol; a wrong REST credential yields no relay
// candidate once gathering is complete.
//
// Environment:
//   TERND     the server binary, run as `$TERND -c CONFIG` (required)
//   CHROMIUM  the browser (default /usr/bin/chromium)
//   TERN_E2E_KEEP=1  keep the temp directory (config, logs) for inspection
// Run: node --test --test-reporter=tap chromium.test.mjs   (see README.md)
//
// Every process started here (server, Chromium) is a direct child, killed
// by its PID in after(), on a signal, and at exit.

import { test, before, after } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const IP = '127.0.0.1';
const REALM = 'tern';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TERND = process.env.TERND || '';
const READY_MS = 15000;      // server answers a Binding, TCP and TLS accept
const BROWSER_MS = 30000;    // Chromium prints its DevTools endpoint
const CASE_MS = 30000;       // per wait inside a WebRTC case
const STOP_MS = 10000;       // a process exits after SIGTERM
const COUNT = 20;            // messages each way
const BIG_INDEX = 10;        // which message is the big one
const BIG_SIZE = 16384;      // its size

// Checks that fail with one line (got/want) and no multi-line diff, so the
// TAP YAML block stays simple for meson's parser.
const assert = {
  ok(cond, what) {
    if (!cond) throw new Error(`${what}: not true`);
  },
  equal(got, want, what) {
    if (!Object.is(got, want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  },
  deepEqual(got, want, what) {
    if (!isDeepStrictEqual(got, want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  },
};

const children = new Set();  // live child processes, killed by PID
let dir = null;              // temp dir
let server = null;           // { proc, port, tlsPort, secret, log }
let browserProc = null;
let browser = null;          // playwright Browser (over CDP)
let page = null;
let httpServer = null;
let httpPort = 0;
let setupError = null;       // why nothing could run (shown in each test)
let skipReason = null;       // a prerequisite is missing

// Under `node --test` the file runs in a child whose non-TAP stdout the
// runner prints as comments itself; run directly, we write TAP comments.
const DIAG_PREFIX = process.env.NODE_TEST_CONTEXT ? '' : '# ';
function diag(msg) {
  for (const line of String(msg).split('\n')) process.stdout.write(DIAG_PREFIX + line + '\n');
}

function killChild(p, sig) {
  if (p && p.exitCode === null && p.signalCode === null) {
    try { process.kill(p.pid, sig); } catch { /* already gone */ }
  }
}

// SIGTERM, wait with a deadline, then SIGKILL. Resolves to the exit code or null.
function stopChild(p) {
  return new Promise((resolve) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) {
      resolve(p ? p.exitCode : null);
      return;
    }
    const timer = setTimeout(() => { diag(`pid ${p.pid} did not exit within ${STOP_MS} ms of SIGTERM: SIGKILL`); killChild(p, 'SIGKILL'); }, STOP_MS);
    p.once('exit', (code) => { clearTimeout(timer); resolve(code); });
    killChild(p, 'SIGTERM');
  });
}

function track(p) {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
}

// Last resort: a signal or an exit without after() still kills every child by PID.
process.once('exit', () => { for (const p of children) killChild(p, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    for (const p of children) killChild(p, 'SIGKILL');
    if (dir && process.env.TERN_E2E_KEEP !== '1') {
      try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
    }
    process.exit(128 + os.constants.signals[sig]);
  });
}

function pause(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// A random port in [20000, 32000) free on IP for both UDP and TCP (below
// Linux's ephemeral range, so Chromium's own sockets do not take it).
async function portFree(port) {
  const tcpOk = await new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: IP, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
  if (!tcpOk) return false;
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind({ address: IP, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function freePort(avoid) {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + crypto.randomInt(12000);
    if (avoid.some(([lo, hi]) => port >= lo && port <= hi)) continue;
    if (await portFree(port)) return port;
  }
  throw new Error('no free port found');
}

// TURN REST API credential (draft-uberti-behave-turn-rest): the username
// is "<expiry unix time>:<user id>", the password base64(HMAC-SHA1(secret, username)).
function restCredential(secret, user, ttl = 3600) {
  const username = `${Math.floor(Date.now() / 1000) + ttl}:${user}`;
  const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

// base64(SHA-256(SubjectPublicKeyInfo DER)), for --ignore-certificate-errors-spki-list.
function spkiHash(certPem) {
  const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

// One STUN Binding over UDP; resolves true when a success response with
// our transaction ID arrives within ms.
function stunBinding(port, ms) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const tid = crypto.randomBytes(12);
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);        // Binding request
    req.writeUInt16BE(0, 2);             // no attributes
    req.writeUInt32BE(0x2112a442, 4);    // magic cookie
    tid.copy(req, 8);
    const done = (v) => { clearTimeout(timer); try { s.close(); } catch { /* closed */ } resolve(v); };
    const timer = setTimeout(() => done(false), ms);
    s.on('error', () => done(false));
    s.on('message', (m) => {
      if (m.length >= 20 && m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(tid)) done(true);
    });
    s.send(req, port, IP, (err) => { if (err) done(false); });
  });
}

function streamAccepts(port, useTls, ms) {
  return new Promise((resolve) => {
    const opts = { host: IP, port, timeout: ms };
    const s = useTls ? tls.connect({ ...opts, rejectUnauthorized: false, servername: undefined })
      : net.connect(opts);
    const done = (v) => { s.destroy(); resolve(v); };
    s.once(useTls ? 'secureConnect' : 'connect', () => done(true));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
  });
}

function serverLog() {
  try { return fs.readFileSync(path.join(dir, 'server.log'), 'utf8'); } catch { return ''; }
}

function dumpServerLog(max = 120) {
  const lines = serverLog().split('\n').filter(Boolean);
  diag(`server log (last ${Math.min(max, lines.length)} of ${lines.length} lines, ${path.join(dir, 'server.log')}):`);
  for (const l of lines.slice(-max)) diag('  ' + l);
}

// Writes the ternd config and starts `$TERND -c conf`; waits until it
// answers a Binding over UDP and accepts TCP and TLS. Retries with other
// ports if the server exits at start (a port taken after all).
async function startServer() {
  const cert = path.join(dir, 'cert.pem');
  const pkey = path.join(dir, 'pkey.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-keyout', pkey, '-out', cert], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20000 });
  const secret = crypto.randomBytes(18).toString('base64');
  for (let attempt = 1; attempt <= 4; attempt++) {
    const relayLo = 20000 + crypto.randomInt(11800);
    const relayHi = relayLo + 199;
    const port = await freePort([[relayLo, relayHi]]);
    const tlsPort = await freePort([[relayLo, relayHi], [port, port]]);
    const conf = path.join(dir, 'ternd.conf');
    fs.writeFileSync(conf, [
      '# written by tests/e2e/chromium.test.mjs',
      `listening-ip = ${IP}`,
      `listening-port = ${port}`,
      `tls-listening-port = ${tlsPort}`,
      `cert = ${cert}`,
      `pkey = ${pkey}`,
      `realm = ${REALM}`,
      `static-auth-secret = ${secret}`,
      'allow-loopback-peers',
      `relay-ip = ${IP}`,
      `min-port = ${relayLo}`,
      `max-port = ${relayHi}`,
      'workers = 2',
      `pidfile = ${path.join(dir, 'ternd.pid')}`,
      'log-level = debug',
      '',
    ].join('\n'));
    const logFd = fs.openSync(path.join(dir, 'server.log'), 'w');
    const proc = track(spawn(TERND, ['-c', conf], { stdio: ['ignore', logFd, logFd] }));
    fs.closeSync(logFd);
    let exited = false;
    proc.once('exit', () => { exited = true; });
    proc.once('error', (e) => { exited = true; diag(`spawn ${TERND}: ${e.message}`); });
    diag(`server pid ${proc.pid}: ${TERND} -c ${conf} (port ${port}, tls ${tlsPort}, relay ${relayLo}-${relayHi})`);
    const deadline = Date.now() + READY_MS;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await stunBinding(port, 200)) { up = true; break; }
      await pause(50);
    }
    while (up && !exited && Date.now() < deadline && !(await streamAccepts(port, false, 1000))) await pause(50);
    while (up && !exited && Date.now() < deadline && !(await streamAccepts(tlsPort, true, 2000))) await pause(50);
    if (up && !exited && Date.now() < deadline) {
      return { proc, port, tlsPort, secret, cert };
    }
    dumpServerLog(40);
    if (!exited) {
      await stopChild(proc);
      throw new Error(`server running but not ready (Binding/TCP/TLS) within ${READY_MS} ms`);
    }
    diag(`server exited at start (code ${proc.exitCode}, attempt ${attempt}); retrying with other ports`);
  }
  throw new Error('server did not start in 4 attempts');
}

// Chromium as our own child (not playwright's launch), so that its PID is
// ours to kill; playwright-core attaches over CDP on loopback.
async function startBrowser(spki) {
  const profile = path.join(dir, 'chromium-profile');
  fs.mkdirSync(profile);
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
    '--metrics-recording-only', '--mute-audio', '--password-store=basic', '--use-mock-keychain',
    `--user-data-dir=${profile}`,
    // No DNS at all: every host name fails, only our IP literal is used.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${IP}`,
    // The TURN server's self-signed certificate, pinned by its key.
    `--ignore-certificate-errors-spki-list=${spki}`,
    // Let WebRTC use the loopback interface too (ignored by default).
    '--allow-loopback-in-peer-connection',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    'about:blank',
  ];
  const errPath = path.join(dir, 'chromium.log');
  const proc = track(spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const errOut = fs.createWriteStream(errPath);
  diag(`chromium pid ${proc.pid}, profile ${profile}`);
  const ws = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no DevTools endpoint from Chromium within ${BROWSER_MS} ms; see ${errPath}`)), BROWSER_MS);
    proc.stderr.on('data', (d) => {
      errOut.write(d);
      buf += d.toString();
      const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`Chromium exited at start (${code ?? sig}); see ${errPath}`)); });
    proc.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  return { proc, ws };
}

function startHttp() {
  const html = fs.readFileSync(path.join(HERE, 'page.html'));
  return new Promise((resolve, reject) => {
    const s = http.createServer((req, res) => {
      if (req.url === '/' || req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
      } else if (req.url === '/favicon.ico') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    s.once('error', reject);
    s.listen({ host: IP, port: 0 }, () => resolve(s));
  });
}

before(async () => {
  if (!TERND) {
    setupError = new Error('TERND is not set: the server binary, run as `$TERND -c CONFIG`');
    return;
  }
  if (!fs.existsSync(CHROMIUM)) {
    skipReason = `${CHROMIUM} is not installed (Debian package chromium)`;
    return;
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    skipReason = `playwright-core is not installed: run \`npm ci\` in tests/e2e (${e.message})`;
    return;
  }
  try {
    dir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'tern-e2e-'));
    server = await startServer();
    const spki = spkiHash(fs.readFileSync(server.cert));
    diag(`certificate SPKI sha256 ${spki}`);
    httpServer = await startHttp();
    httpPort = httpServer.address().port;
    const b = await startBrowser(spki);
    browserProc = b.proc;
    browser = await chromium.connectOverCDP(b.ws, { timeout: BROWSER_MS });
    const context = browser.contexts()[0] || await browser.newContext();
    page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => diag(`page console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => diag(`page error: ${e.message}`));
    await page.goto(`http://${IP}:${httpPort}/`, { timeout: BROWSER_MS });
    await page.waitForFunction(() => typeof window.ternRelayCase === 'function', null, { timeout: BROWSER_MS });
    diag(`page http://${IP}:${httpPort}/ loaded; ${await browser.version()}`);
  } catch (e) {
    setupError = e;
    diag(`setup failed: ${e.stack || e}`);
    if (dir) dumpServerLog();
  }
});

after(async () => {
  try { if (browser) await Promise.race([browser.close(), pause(5000)]); } catch { /* the process is killed below */ }
  await stopChild(browserProc);
  if (httpServer) await new Promise((r) => httpServer.close(r));
  if (server) await stopChild(server.proc);
  for (const p of children) await stopChild(p);
  // Chromium's helper processes may still be writing to the profile for a
  // moment after the browser has exited: retry, then say what was left.
  if (dir && process.env.TERN_E2E_KEEP !== '1') {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch (e) {
      diag(`could not remove ${dir}: ${e.message}`);
    }
  } else if (dir) diag(`kept ${dir}`);
});

function prerequisites(t) {
  // scripts/test installs both prerequisites and sets TERN_E2E_REQUIRED=1,
  // so that a missing browser fails CI instead of passing as a skip.
  if (skipReason && process.env.TERN_E2E_REQUIRED === '1') throw new Error(skipReason);
  if (skipReason) { t.skip(skipReason); return false; }
  if (setupError) throw new Error(`setup failed: ${setupError.message}`);
  return true;
}

function iceServer(kind, cred) {
  const urls = kind === 'udp' ? `turn:${IP}:${server.port}?transport=udp`
    : kind === 'tcp' ? `turn:${IP}:${server.port}?transport=tcp`
      : `turns:${IP}:${server.tlsPort}?transport=tcp`;
  return [{ urls, username: cred.username, credential: cred.credential }];
}

function explain(res) {
  return JSON.stringify(res, null, 1);
}

// relayProtocol of a relay candidate: the client-to-server transport.
const RELAY_PROTOCOL = { udp: 'udp', tcp: 'tcp', tls: 'tls' };
const results = {};

for (const kind of ['udp', 'tcp', 'tls']) {
  const label = kind === 'tls' ? 'turns (TLS)' : `turn ${kind.toUpperCase()}`;

  test(`${label}: a relay-only data channel carries ${COUNT} messages each way intact (one of ${BIG_SIZE} bytes)`, { timeout: 4 * CASE_MS }, async (t) => {
    if (!prerequisites(t)) return;
    const cred = restCredential(server.secret, `e2e-${kind}`);
    const res = await page.evaluate((o) => window.ternRelayCase(o),
      { iceServers: iceServer(kind, cred), count: COUNT, bigIndex: BIG_INDEX, bigSize: BIG_SIZE, deadlineMs: CASE_MS });
    results[kind] = res;
    try {
      assert.equal(res.error, undefined, `the case failed: ${res.error}`);
      assert.deepEqual(res.sent, { a2b: COUNT, b2a: COUNT }, 'all messages sent');
      assert.deepEqual(res.received, { a2b: COUNT, b2a: COUNT }, 'all messages received, no more, no less');
      assert.deepEqual(res.mismatches, [], 'every message identical to what was sent');
      assert.deepEqual(res.bigReceived, { a2b: BIG_SIZE, b2a: BIG_SIZE }, 'the big message arrived whole');
      diag(`${kind}: ${res.trace.filter((l) => /open|received/.test(l)).join(', ')}`);
    } catch (e) {
      diag(explain(res));
      dumpServerLog();
      throw e;
    }
  });

  test(`${label}: getStats shows a succeeded selected pair, relay/relay on both sides, relayProtocol ${RELAY_PROTOCOL[kind]}`, async (t) => {
    if (!prerequisites(t)) return;
    const res = results[kind];
    assert.ok(res, 'the data channel case ran');
    try {
      for (const side of ['a', 'b']) {
        const sel = res.stats[side] && res.stats[side].selected;
        assert.ok(sel, `side ${side}: a selected candidate pair`);
        assert.equal(sel.state, 'succeeded', `side ${side}: pair state`);
        assert.equal(sel.local.candidateType, 'relay', `side ${side}: local candidate type`);
        assert.equal(sel.remote.candidateType, 'relay', `side ${side}: remote candidate type`);
        assert.equal(sel.local.relayProtocol, RELAY_PROTOCOL[kind], `side ${side}: local relayProtocol`);
        assert.equal(sel.local.address, IP, `side ${side}: relayed address is ${IP}`);
        assert.equal(sel.remote.address, IP, `side ${side}: remote relayed address is ${IP}`);
      }
      for (const side of ['a', 'b']) {
        for (const c of res.candidates[side]) assert.equal(c.type, 'relay', `side ${side}: only relay candidates (${c.candidate})`);
      }
      const sel = res.stats.a.selected;
      diag(`${kind}: selected pair a: relay ${sel.local.address}:${sel.local.port} (${sel.local.relayProtocol}) <-> relay ${sel.remote.address}:${sel.remote.port}`);
    } catch (e) {
      diag(explain(res));
      throw e;
    }
  });

  test(`${label}: a wrong credential gathers no relay candidate (401)`, { timeout: 2 * CASE_MS }, async (t) => {
    if (!prerequisites(t)) return;
    const good = restCredential(server.secret, `e2e-bad-${kind}`);
    const bad = { username: good.username, credential: restCredential('not-the-secret', 'x').credential };
    const res = await page.evaluate((o) => window.ternGatherCase(o), { iceServers: iceServer(kind, bad), deadlineMs: CASE_MS });
    try {
      assert.equal(res.error, undefined, `gathering: ${res.error}`);
      assert.equal(res.gatheringState, 'complete', 'ICE gathering completes');
      assert.deepEqual(res.candidates.filter((c) => c.type === 'relay'), [], 'no relay candidate');
      // The server was reached and refused the credential (not, say, a
      // failed TLS handshake): Chromium reports the final 401.
      assert.ok(res.candidateErrors.some((e) => e.errorCode === 401),
        'an icecandidateerror with errorCode 401 (Unauthorized)');
      diag(`${kind}: icecandidateerror events: ${JSON.stringify(res.candidateErrors.map((e) => [e.errorCode, e.errorText]))}`);
    } catch (e) {
      diag(explain(res));
      throw e;
    }
  });
}

test('the server exits 0 on SIGTERM after the relaying', async (t) => {
  if (!prerequisites(t)) return;
  const proc = server.proc;
  assert.ok(proc.exitCode === null && proc.signalCode === null,
    `the server is still running (it exited with ${proc.exitCode ?? proc.signalCode})`);
  const code = await stopChild(proc);
  if (code !== 0) dumpServerLog();
  assert.equal(proc.signalCode, null, 'not ended by a signal');
  assert.equal(code, 0, 'exit code');
});
