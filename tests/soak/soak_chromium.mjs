// SPDX-License-Identifier: ISC
//
// soak: the browser half of the legitimate traffic (tests/soak/README.md).
// Started by the soak program (soak.c) inside its network namespace while
// the flooders run. It starts Debian's Chromium headless (our own child,
// attached with playwright-core over CDP, exactly as tests/e2e does), loads
// tests/e2e/page.html from an HTTP server on 127.0.0.1 and, until
// TERN_SOAK_RUN_MS have passed, makes one relay-only WebRTC call after the
// other through the running ternd, over turn UDP, turn TCP and turns in
// turn (ternRelayCase() of that page: COUNT messages each way on a
// reliable data channel, one of them 16 KiB, compared byte for byte).
//
// It prints one line per call and at the end one line
//   SOAK-CHROMIUM calls=N failed=N expected=N received=N udp=N tcp=N tls=N
//     relay_sent=N relay_received=N no_relay=N
// that soak.c parses: messages expected and received intact, calls per
// transport, the bytes both sides' selected candidate pairs sent and
// received (what went through ternd), and calls that never got a relayed
// path. A call that carries every byte through the relay but not every
// message is Chromium's own stall (seen about once in a few hundred
// calls, with or without a flood): its line shows both sides' counts. Exit status: 0 when it ran its calls, 2 when Chromium or
// the page could not be set up, 3 when playwright-core is missing.
//
// Environment (all set by soak.c):
//   TERN_SOAK_PORT, TERN_SOAK_TLS_PORT  ternd's ports on 127.0.0.1
//   TERN_SOAK_SECRET                    its static-auth-secret
//   TERN_SOAK_CERT                      its certificate (pinned by SPKI)
//   TERN_SOAK_DIR                       a directory for Chromium's profile
//   TERN_SOAK_RUN_MS                    how long to keep making calls
//   CHROMIUM                            default /usr/bin/chromium
// Chromium is killed by its PID on every way out (exit, signal, error).

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const E2E = path.join(HERE, '..', 'e2e');
const IP = '127.0.0.1';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BROWSER_MS = 60000;   // Chromium prints its DevTools endpoint (a loaded machine)
const CASE_MS = 30000;      // each wait inside one call
const COUNT = 30;           // messages each way per call
const BIG_INDEX = 10;
const BIG_SIZE = 16384;
const KINDS = ['udp', 'tcp', 'tls'];

let browserProc = null;

function say(msg) {
  for (const line of String(msg).split('\n')) process.stdout.write(`chromium: ${line}\n`);
}

function killBrowser() {
  if (browserProc && browserProc.exitCode === null && browserProc.signalCode === null) {
    try { process.kill(browserProc.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
process.once('exit', killBrowser);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killBrowser(); process.exit(128 + os.constants.signals[sig]); });
}

function envInt(name) {
  const v = Number.parseInt(process.env[name] || '', 10);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} is not set`);
  return v;
}

function restCredential(secret, user, ttl = 3600) {
  const username = `${Math.floor(Date.now() / 1000) + ttl}:${user}`;
  const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

function spkiHash(certPem) {
  const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

// The same flags as tests/e2e/chromium.test.mjs (its README says why).
async function startBrowser(dir, spki) {
  const profile = path.join(dir, 'chromium-profile');
  fs.mkdirSync(profile, { recursive: true });
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
    '--metrics-recording-only', '--mute-audio', '--password-store=basic', '--use-mock-keychain',
    `--user-data-dir=${profile}`,
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${IP}`,
    `--ignore-certificate-errors-spki-list=${spki}`,
    '--allow-loopback-in-peer-connection',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    'about:blank',
  ];
  const errOut = fs.createWriteStream(path.join(dir, 'chromium.log'));
  browserProc = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  say(`pid ${browserProc.pid}`);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no DevTools endpoint within ${BROWSER_MS} ms`)), BROWSER_MS);
    browserProc.stderr.on('data', (d) => {
      errOut.write(d);
      buf += d.toString();
      const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    browserProc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`Chromium exited at start (${code ?? sig})`)); });
    browserProc.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

function startHttp() {
  const html = fs.readFileSync(path.join(E2E, 'page.html'));
  return new Promise((resolve, reject) => {
    const s = http.createServer((req, res) => {
      if (req.url === '/' || req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    s.once('error', reject);
    s.listen({ host: IP, port: 0 }, () => resolve(s));
  });
}

function iceServer(kind, port, tlsPort, cred) {
  const urls = kind === 'udp' ? `turn:${IP}:${port}?transport=udp`
    : kind === 'tcp' ? `turn:${IP}:${port}?transport=tcp`
      : `turns:${IP}:${tlsPort}?transport=tcp`;
  return [{ urls, username: cred.username, credential: cred.credential }];
}

// Messages of one call that arrived intact (both ways).
function intact(res) {
  if (res.error) return 0;
  let n = res.received.a2b + res.received.b2a;
  n -= res.mismatches.length;
  return Math.max(0, n);
}

// What the relay carried in one call: bytes each side's selected
// candidate pair sent and received (getStats, read once the messages are
// in or the call gave up). Null when a side has no selected pair: the call
// never got a relayed path.
function relayed(res) {
  const a = res.stats && res.stats.a && res.stats.a.selected;
  const b = res.stats && res.stats.b && res.stats.b.selected;
  if (!a || !b) return null;
  return { sent: (a.bytesSent || 0) + (b.bytesSent || 0), received: (a.bytesReceived || 0) + (b.bytesReceived || 0) };
}

async function calls(page, o) {
  const tally = { calls: 0, failed: 0, expected: 0, received: 0, udp: 0, tcp: 0, tls: 0,
    relaySent: 0, relayReceived: 0, noRelay: 0 };
  const end = Date.now() + o.runMs;
  for (let i = 0; Date.now() < end && i < 100000; i++) {
    const kind = KINDS[i % KINDS.length];
    const cred = restCredential(o.secret, `soak-${kind}-${i}`);
    const t0 = Date.now();
    const res = await page.evaluate((a) => window.ternRelayCase(a), {
      iceServers: iceServer(kind, o.port, o.tlsPort, cred), count: COUNT,
      bigIndex: BIG_INDEX, bigSize: BIG_SIZE, deadlineMs: CASE_MS,
    });
    const got = intact(res);
    tally.calls++;
    tally[kind]++;
    tally.expected += 2 * COUNT;
    tally.received += got;
    if (got !== 2 * COUNT) tally.failed++;
    const r = relayed(res);
    if (r) {
      tally.relaySent += r.sent;
      tally.relayReceived += r.received;
    } else {
      tally.noRelay++;
    }
    say(`call ${i + 1} ${kind}: ${got}/${2 * COUNT} messages intact in ${Date.now() - t0} ms` +
      (res.error ? ` (error: ${res.error}; trace: ${res.trace.join(', ')}; ` +
        `selected pairs: ${JSON.stringify({ a: res.stats.a && res.stats.a.selected, b: res.stats.b && res.stats.b.selected })})` : ''));
  }
  return tally;
}

async function main() {
  let chromium;
  try {
    const require = createRequire(path.join(E2E, 'package.json'));
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    say(`playwright-core is not installed: run \`npm ci\` in tests/e2e (${e.message})`);
    return 3;
  }
  const o = {
    port: envInt('TERN_SOAK_PORT'), tlsPort: envInt('TERN_SOAK_TLS_PORT'),
    runMs: envInt('TERN_SOAK_RUN_MS'), secret: process.env.TERN_SOAK_SECRET || '',
  };
  const dir = process.env.TERN_SOAK_DIR || '';
  let httpServer = null;
  let browser = null;
  let page;
  try {
    const spki = spkiHash(fs.readFileSync(process.env.TERN_SOAK_CERT || ''));
    httpServer = await startHttp();
    const ws = await startBrowser(dir, spki);
    browser = await chromium.connectOverCDP(ws, { timeout: BROWSER_MS });
    const context = browser.contexts()[0] || await browser.newContext();
    page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => say(`page error: ${e.message}`));
    await page.goto(`http://${IP}:${httpServer.address().port}/`, { timeout: BROWSER_MS });
    await page.waitForFunction(() => typeof window.ternRelayCase === 'function', null, { timeout: BROWSER_MS });
    say(`ready: ${await browser.version()}`);
  } catch (e) {
    say(`setup failed: ${e.stack || e}`);
    killBrowser();
    if (httpServer) httpServer.close();
    return 2;
  }
  const t = await calls(page, o);
  process.stdout.write(`SOAK-CHROMIUM calls=${t.calls} failed=${t.failed} expected=${t.expected} ` +
    `received=${t.received} udp=${t.udp} tcp=${t.tcp} tls=${t.tls} relay_sent=${t.relaySent} ` +
    `relay_received=${t.relayReceived} no_relay=${t.noRelay}\n`);
  try { await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]); } catch { /* killed below */ }
  killBrowser();
  httpServer.close();
  return 0;
}

main().then((code) => process.exit(code), (e) => { say(`failed: ${e.stack || e}`); killBrowser(); process.exit(2); });
