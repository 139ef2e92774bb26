// Browser-test harness: starts the real `paybell serve` on ephemeral ports, launches Debian's Chromium through
// playwright-core, and gives each browser context in-page observers:
//
//   window.__pb.notifications  every `new Notification(title, options)` ({title, body, tag})
//   window.__pb.tones          every OscillatorNode.start() ({frequency, when})
//   window.__pb.dropRealtime() closes the page's WebSockets and has the server refuse new ones
//   window.__pb.restoreRealtime() lets them through again and fires `online`
//   window.__pb.cspViolations  every `securitypolicyviolation` ({directive, blocked}); see assertNoCspViolations
//
// startTcpProxy() puts a TCP proxy in front of the realtime port that can cut every connection and refuse
// new ones (the browser is told to use it through PAYBELL_PUBLIC_WS_URL): an outage as the network sees it,
// which Chromium's offline emulation does not give (it leaves open WebSockets open).
//
// Screenshots go to tests/browser/artifacts/ (gitignored).

import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB = path.resolve(HERE, '../..');

/** SIGTERM (SIGKILL after 5 s) unless `child` already ended, then removes its directory. */
async function stopProcess(child, exited, dir) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  }
  rmSync(dir, { recursive: true, force: true });
}

export const ARTIFACTS = path.join(HERE, 'artifacts');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const BIN = process.env.PAYBELL_BIN
  ? path.resolve(process.env.PAYBELL_BIN)
  : path.resolve(WEB, '../target/debug/paybell');

/** The environment without PAYBELL_* / PUSHER_* / DATABASE_URL / REDIS_URL, plus `extra`. */
function cleanEnv(extra) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PAYBELL_') || k.startsWith('PUSHER_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    out[k] = v;
  }
  return { ...out, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...extra };
}

/**
 * Starts `paybell serve --http-addr 127.0.0.1:0 --realtime-addr 127.0.0.1:0 --data-dir <tmp> --demo`
 * and waits for its three announcement lines.
 * @returns {Promise<{baseUrl: string, realtimePort: number, email: string, password: string, stop(): Promise<void>, output(): string}>}
 */
export async function startPaybell({ env = {} } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paybell-web-'));
  const serveArgs = ['serve', '--http-addr', '127.0.0.1:0', '--realtime-addr', '127.0.0.1:0', '--data-dir', dataDir, '--demo'];
  if (!existsSync(BIN)) throw new Error(`paybell binary not found at ${BIN}: build it or set PAYBELL_BIN`);

  const child = spawn(BIN, serveArgs, { cwd: dataDir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-4000)}`;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paybell serve did not announce itself in 30 s\n${output()}`)), 30000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
      const web = stdout.match(/paybell web listening on (http:\/\/\S+)/);
      const rt = stdout.match(/paybell realtime listening on \S+:(\d+)/);
      const demo = stdout.match(/demo login: (\S+) \/ (\S+)/);
      if (web && rt && demo) {
        clearTimeout(timer);
        resolve({ baseUrl: web[1].replace(/\/$/, ''), realtimePort: Number(rt[1]), email: demo[1], password: demo[2] });
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`paybell serve exited early (code ${code}, signal ${signal})\n${output()}`));
    });
  });
  const info = await ready;
  return {
    ...info,
    output,
    stop: () => stopProcess(child, exited, dataDir),
  };
}

/**
 * One `paybell serve` (started with `options`) and one Chromium for a test file: started
 * before its tests, handed to `onStart`, stopped after them.
 */
export function withServerAndBrowser(options, onStart) {
  const started = {};
  before(async () => {
    started.server = await startPaybell(options);
    started.browser = await launchBrowser();
    onStart(started);
  });
  after(async () => {
    await started.browser?.close();
    await started.server?.stop();
  });
}

/** Creates and sends a USD invoice to Grace Hopper through the API (`request`: a page's or a
 * context's, signed in); returns its id. */
export async function createSentInvoice(request, { amount = 10000, description = 'Support plan' } = {}) {
  const created = await request.post('/api/invoices', {
    data: {
      customer: { name: 'Grace Hopper', email: 'grace@example.com' },
      currency: 'USD',
      dueDate: new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10),
      items: [{ description, quantity: 1, unitPrice: amount }],
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const { id } = await created.json();
  const sent = await request.post(`/api/invoices/${id}/send`);
  assert.equal(sent.status(), 200, await sent.text());
  return id;
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Runs in every page before the app: observers for notifications, tones and sockets. */
function observers(forcedPermission) {
  const pb = {
    notifications: [],
    tones: [],
    audioContexts: 0,
    sockets: new Set(),
    wsBlocked: false,
    cspViolations: [],
  };
  window.__pb = pb;
  document.addEventListener('securitypolicyviolation', (event) => {
    pb.cspViolations.push({ directive: event.effectiveDirective, blocked: event.blockedURI });
  });

  const NativeNotification = window.Notification;
  class ObservedNotification {
    constructor(title, options = {}) {
      pb.notifications.push({ title, body: options.body ?? '', tag: options.tag ?? '', at: Date.now() });
      this.onclick = null;
      try {
        this.inner = NativeNotification ? new NativeNotification(title, options) : null;
      } catch {
        this.inner = null;
      }
    }
    close() {
      this.inner?.close();
    }
    static get permission() {
      return forcedPermission ?? (NativeNotification ? NativeNotification.permission : 'denied');
    }
    static requestPermission(callback) {
      const answer = forcedPermission
        ? Promise.resolve(forcedPermission)
        : NativeNotification.requestPermission();
      return answer.then((result) => {
        callback?.(result);
        return result;
      });
    }
  }
  window.Notification = ObservedNotification;

  if (window.OscillatorNode) {
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function observedStart(when = 0, ...rest) {
      pb.tones.push({ frequency: this.frequency.value, when, at: Date.now() });
      return start.call(this, when, ...rest);
    };
  }
  if (window.AudioContext) {
    const NativeAudioContext = window.AudioContext;
    window.AudioContext = class ObservedAudioContext extends NativeAudioContext {
      constructor(...args) {
        super(...args);
        pb.audioContexts += 1;
      }
    };
  }

  const NativeWebSocket = window.WebSocket;
  // A blocked socket asks the realtime server for `/health`, which answers 200 instead of
  // upgrading: a failed handshake pusher-js retries, as after an outage. (The page's CSP
  // allows that server only, so a closed port elsewhere would be a CSP violation.)
  const refused = (url) => {
    const target = new URL(url);
    target.pathname = '/health';
    target.search = '';
    return target.href;
  };
  function ControlledWebSocket(url, protocols) {
    const target = pb.wsBlocked ? refused(url) : url;
    const ws = protocols === undefined ? new NativeWebSocket(target) : new NativeWebSocket(target, protocols);
    pb.sockets.add(ws);
    ws.addEventListener('close', () => pb.sockets.delete(ws));
    return ws;
  }
  ControlledWebSocket.prototype = NativeWebSocket.prototype;
  for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) ControlledWebSocket[name] = NativeWebSocket[name];
  window.WebSocket = ControlledWebSocket;
  pb.dropRealtime = () => {
    pb.wsBlocked = true;
    for (const ws of pb.sockets) ws.close();
  };
  pb.restoreRealtime = () => {
    pb.wsBlocked = false;
    window.dispatchEvent(new Event('online'));
  };
}

/**
 * A fresh browser context (its own cookies and storage) with the observers installed.
 * @param {import('playwright-core').Browser} browser
 * @param {{baseUrl: string, notifications?: 'granted'|'denied'|'default', viewport?: {width: number, height: number}}} opts
 */
export async function newObservedContext(browser, { baseUrl, notifications = 'default', viewport = { width: 1200, height: 860 } }) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport, locale: 'en-US' });
  if (notifications === 'granted') await context.grantPermissions(['notifications'], { origin: baseUrl });
  await context.addInitScript(observers, notifications === 'denied' ? 'denied' : null);
  return context;
}

/** Fails when a page of the contexts reported a Content-Security-Policy violation. */
export async function assertNoCspViolations(contexts) {
  for (const context of contexts) {
    for (const page of context.pages()) {
      const seen = await page.evaluate(() => window.__pb?.cspViolations ?? []).catch(() => []);
      if (seen.length > 0) throw new Error(`CSP violations on ${page.url()}: ${JSON.stringify(seen)}`);
    }
  }
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Screenshots every open page of the contexts, for a failed test. */
/**
 * Runs a test body over `contexts`, then checks no page broke the CSP; on failure saves a
 * screenshot of every open page and adds the tail of `server`'s log. Closes the contexts.
 */
export async function runChecked(server, name, contexts, body) {
  try {
    await body();
    await assertNoCspViolations(contexts);
  } catch (error) {
    await screenshotAll(contexts, `failed-${name}`);
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await Promise.allSettled(contexts.map((c) => c.close()));
  }
}

export async function screenshotAll(contexts, prefix) {
  let n = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      n += 1;
      await screenshot(page, `${prefix}-${n}`).catch(() => undefined);
    }
  }
}

/** Polls `fn` until it returns a truthy value; returns that value. */
export async function eventually(fn, { timeout = 15000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Signs in through the login page and lands on the invoice list. */
export async function login(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/app/invoices');
}

/** Waits for the connection indicator to say Live. */
export async function waitLive(page, timeout = 15000) {
  await page.locator('.connection[data-state="connected"]').first().waitFor({ timeout });
}

/**
 * A TCP proxy on 127.0.0.1: listens at once (so its port can go into PAYBELL_PUBLIC_WS_URL), forwards to
 * `proxy.target` once set. `cut()` closes every connection and resets new ones until `restore()`.
 */
export async function startTcpProxy() {
  const sockets = new Set();
  const proxy = { target: 0, refusing: false, port: 0, connections: 0 };
  const server = net.createServer((client) => {
    if (proxy.refusing || !proxy.target) {
      client.resetAndDestroy();
      return;
    }
    proxy.connections += 1;
    const upstream = net.connect(proxy.target, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = server.address().port;
  proxy.cut = () => {
    proxy.refusing = true;
    for (const socket of sockets) socket.resetAndDestroy();
  };
  proxy.restore = () => {
    proxy.refusing = false;
  };
  proxy.close = () =>
    new Promise((resolve) => {
      proxy.cut();
      server.close(() => resolve());
    });
  return proxy;
}

/**
 * localstripe (PyPI, in `.venv-test`, started by `tests/stripe/server.py`) as the Stripe API on a free port:
 * `base`, `call(method, path, form)` with the test secret key, `registerWebhook(name, url, secret)`, `stop()`.
 */
export async function startLocalStripe() {
  const python = process.env.PAYBELL_TEST_PYTHON ?? path.resolve(WEB, '../.venv-test/bin/python');
  if (!existsSync(python)) throw new Error(`${python} is missing: run scripts/install-test-deps.sh`);
  const child = spawn(python, [path.resolve(WEB, '../tests/stripe/server.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`localstripe did not start: ${out}`)), 20000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const ready = out.match(/ready (\d+)/);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      }
    });
    exited.then(() => reject(new Error(`localstripe exited: ${out}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from('sk_test_paybell:').toString('base64')}`;
  return {
    base,
    async call(method, pathname, form = {}) {
      const body = method === 'GET' ? undefined : new URLSearchParams(form);
      const response = await fetch(`${base}${pathname}`, { method, body, headers: { Authorization: auth } });
      return response.json();
    },
    async registerWebhook(name, url, secret) {
      const response = await fetch(`${base}/_config/webhooks/${name}`, { method: 'POST', body: new URLSearchParams({ url, secret }) });
      if (!response.ok) throw new Error(`webhook registration: ${response.status}`);
    },
    async stop() {
      child.stdin.end();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
}

/**
 * Starts `paybell realtime --addr 127.0.0.1:0 --config <config>` with `env` (e.g. REDIS_URL and
 * PAYBELL_REDIS_PREFIX for a node of a cluster) and waits for its announcement.
 * @returns {Promise<{port: number, stop(): Promise<void>, output(): string}>}
 */
export async function startRealtime({ config, env = {} }) {
  if (!existsSync(BIN)) throw new Error(`paybell binary not found at ${BIN}: build it or set PAYBELL_BIN`);
  const dir = mkdtempSync(path.join(tmpdir(), 'paybell-rt-'));
  const child = spawn(BIN, ['realtime', '--addr', '127.0.0.1:0', '--config', config], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-4000)}`;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.on('data', (chunk) => {
    stderr += chunk.toString();
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paybell realtime did not announce itself in 20 s\n${output()}`)), 20000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
      const found = stdout.match(/paybell realtime listening on \S+:(\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`paybell realtime exited early (code ${code}, signal ${signal})\n${output()}`));
    });
  });
  return {
    port,
    output,
    stop: () => stopProcess(child, exited, dir),
  };
}
