// Shared helpers for the Paybell end-to-end suite.
//
// Everything here talks to the real `paybell` binary: `startServer` spawns it on an
// ephemeral port with a generated TOML config, the client helpers build unmodified
// pusher-js / laravel-echo / pusher (server SDK) instances pointed at it, and `RawClient`
// is a thin `ws` wrapper for exact-frame assertions.
//
// Every server and client created through these helpers is tracked; test files call
// `cleanupClients()` in `afterEach` and `cleanupAll()` in `after` so the process exits.

import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import PusherClient from 'pusher-js';
import PusherServer from 'pusher';
import WebSocket from 'ws';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const BIN = process.env.PAYBELL_BIN
  ? path.resolve(process.env.PAYBELL_BIN)
  : path.resolve(HERE, '../../target/debug/paybell');

export const HOST = '127.0.0.1';
/** Default per-wait timeout (ms). Every wait in the suite stays at or below 5 s. */
export const WAIT_MS = 5000;

export const SOCKET_ID_RE = /^\d+\.\d+$/;

// ---------------------------------------------------------------------------------------
// resource tracking

const servers = new Set();
const clients = new Set(); // objects with close(): void|Promise

function trackClient(c) {
  clients.add(c);
  return c;
}

/** Close every client opened since the last call (use in afterEach). */
export async function cleanupClients() {
  const list = [...clients];
  clients.clear();
  await Promise.allSettled(list.map((c) => Promise.resolve().then(() => c.close())));
}

/** Close all clients and stop all servers (use in after). */
export async function cleanupAll() {
  await cleanupClients();
  const list = [...servers];
  await Promise.allSettled(list.map((s) => s.stop()));
}

process.on('exit', () => {
  for (const s of servers) {
    try {
      s.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

// ---------------------------------------------------------------------------------------
// apps and config

let appCounter = 0;

/** A fresh app definition with unique credentials; overrides are merged in. */
export function makeApp(overrides = {}) {
  appCounter += 1;
  const tag = `${process.pid}-${appCounter}-${randomBytes(3).toString('hex')}`;
  return {
    id: `app-${tag}`,
    key: `key-${tag}`,
    secret: `secret-${randomBytes(12).toString('hex')}`,
    ...overrides,
  };
}

function tomlValue(v) {
  if (typeof v === 'string') return JSON.stringify(v); // TOML basic strings share JSON escapes
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${tomlValue(x)}`).join(', ')} }`;
  }
  throw new Error(`cannot encode ${typeof v} as TOML`);
}

/** Render the `[realtime]` table, its `[[realtime.apps]]` and their `[[realtime.apps.webhooks]]`. */
export function renderConfig({ apps = [], realtime = {} } = {}) {
  const lines = ['[realtime]'];
  for (const [k, v] of Object.entries(realtime)) lines.push(`${k} = ${tomlValue(v)}`);
  for (const { webhooks = [], ...app } of apps) {
    lines.push('', '[[realtime.apps]]');
    for (const [k, v] of Object.entries(app)) {
      if (v === undefined) continue;
      lines.push(`${k} = ${tomlValue(v)}`);
    }
    for (const hook of webhooks) {
      lines.push('', '[[realtime.apps.webhooks]]');
      for (const [k, v] of Object.entries(hook)) lines.push(`${k} = ${tomlValue(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// server process

/**
 * The parent environment without PAYBELL_* / PUSHER_* / DATABASE_URL / REDIS_URL (so a
 * developer's settings never leak into the server or the CLI, e.g. PUSHER_CLUSTER would
 * send `paybell trigger` to Pusher Cloud), plus `extra`.
 */
function cleanEnv(extra = {}) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PAYBELL_') || k.startsWith('PUSHER_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    out[k] = v;
  }
  return { ...out, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...extra };
}

/**
 * Spawn `paybell realtime --addr 127.0.0.1:0 --config <tmp file>`.
 *
 * @param {object} opts
 * @param {object[]} [opts.apps]    entries of [[realtime.apps]]
 * @param {object}   [opts.realtime] extra keys of [realtime] (max_frame_bytes, activity_timeout)
 * @param {boolean}  [opts.config=true] false: pass no --config at all
 * @param {object}   [opts.env]     extra environment (PAYBELL_* from the parent env are removed)
 * @param {string[]} [opts.extraArgs]
 * @returns {Promise<{host:string, port:number, stop():Promise<{code:number|null, signal:string|null}>, child, output():string}>}
 */
export async function startServer({ apps, realtime, config = true, env = {}, extraArgs = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paybell-e2e-'));
  const args = ['realtime', '--addr', `${HOST}:0`];
  if (config) {
    const file = path.join(dir, 'paybell.toml');
    writeFileSync(file, renderConfig({ apps: apps ?? [], realtime: realtime ?? {} }));
    args.push('--config', file);
  }
  args.push(...extraArgs);

  const childEnv = cleanEnv(env);

  const child = spawn(BIN, args, { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err }));
  });

  const server = {
    host: HOST,
    port: 0,
    child,
    output: () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-4000)}`,
    async stop() {
      if (!servers.has(server)) return exited;
      servers.delete(server);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        const r = await exited;
        clearTimeout(t);
        rmSync(dir, { recursive: true, force: true });
        return r;
      }
      rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
  servers.add(server);

  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`paybell did not print "listening on HOST:PORT" within 15 s\n${server.output()}`)),
      15000,
    );
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
      const m = stdout.match(/listening on (\S+):(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ host: m[1], port: Number(m[2]) });
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    exited.then(({ code, signal, error }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `paybell exited before listening (code ${code}, signal ${signal}${error ? `, ${error.message}` : ''}); binary ${BIN} args ${args.join(' ')}\n${server.output()}`,
        ),
      );
    });
  });

  try {
    const { host, port } = await listening;
    server.host = host;
    server.port = port;
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

// ---------------------------------------------------------------------------------------
// waiting

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolve with the first truthy value of `predicate()` (polled every 10 ms), reject with
 * `Timed out after N ms waiting for <what>` otherwise (`what` may be a function, called
 * only on timeout, to describe the state at that moment).
 */
export async function waitFor(predicate, timeoutMs = WAIT_MS, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(10);
  }
}

/**
 * Wait for `event` on anything with pusher-js style `bind`/`unbind` (a channel, the
 * connection, `pusher.user`, a watchlist). Resolves with the event data; `filter` may
 * reject some payloads.
 */
export function waitEvent(target, event, { timeoutMs = WAIT_MS, what, filter } = {}) {
  return new Promise((resolve, reject) => {
    const handler = (data, meta) => {
      if (filter && !filter(data, meta)) return;
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for event "${event}"${what ? ` (${what})` : ''}`));
    }, timeoutMs);
    target.bind(event, handler);
  });
}

/** Collect every payload of `event` on a pusher-js bindable into an array. */
export function collect(target, event) {
  const seen = [];
  target.bind(event, (data, meta) => seen.push({ data, meta }));
  return seen;
}

/** Wait for a pusher-js connection to reach `state`. */
export function waitState(pusher, state, timeoutMs = WAIT_MS) {
  if (pusher.connection.state === state) return Promise.resolve();
  return waitEvent(pusher.connection, 'state_change', {
    timeoutMs,
    what: `connection state "${state}" (now "${pusher.connection.state}")`,
    filter: (s) => s.current === state,
  });
}

// ---------------------------------------------------------------------------------------
// pusher server SDK and signing

/** The official `pusher` server SDK pointed at a running server. */
export function serverSdk(server, app, extra = {}) {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: server.host,
    port: String(server.port),
    useTLS: false,
    timeout: WAIT_MS,
    ...extra,
  });
}

/** An SDK instance used only for signing (no server needed). */
export function signer(app, extra = {}) {
  return new PusherServer({ appId: app.id, key: app.key, secret: app.secret, useTLS: false, ...extra });
}

export function hmacHex(secret, text) {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export function md5Hex(text) {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Our own auth signature for a private/presence subscription (not the SDK's). */
export function channelAuth(app, socketId, channel, channelData) {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${hmacHex(app.secret, text)}`;
}

/** Our own auth signature for pusher:signin. */
export function userAuth(app, socketId, userData) {
  return `${app.key}:${hmacHex(app.secret, `${socketId}::user::${userData}`)}`;
}

/**
 * Build the signed query string of an HTTP API request by hand (auth_version 1.0).
 * Every knob can be overridden to produce bad requests.
 */
export function signQuery({
  method,
  path: reqPath,
  params = {},
  body,
  key,
  secret,
  timestamp = Math.floor(Date.now() / 1000),
  bodyMd5,
  signature,
  omitBodyMd5 = false,
}) {
  const q = { auth_key: key, auth_timestamp: String(timestamp), auth_version: '1.0', ...params };
  if (body !== undefined && body !== '' && !omitBodyMd5) q.body_md5 = bodyMd5 ?? md5Hex(body);
  const pairs = Object.keys(q)
    .map((k) => [k.toLowerCase(), q[k]])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const qs = pairs.join('&');
  const sig = signature ?? hmacHex(secret, `${method.toUpperCase()}\n${reqPath}\n${qs}`);
  return `${qs}&auth_signature=${sig}`;
}

/**
 * A signed HTTP API request made with fetch. `body` may be an object (JSON-encoded) or a
 * raw string. Returns `{status, text, json, headers}`; `json` is undefined if not JSON.
 */
export async function api(server, app, { method = 'GET', path: p, params, body, ...sign } = {}) {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const fullPath = p.startsWith('/apps/') ? p : `/apps/${app.id}${p}`;
  const qs = signQuery({ method, path: fullPath, params, body: raw, key: app.key, secret: app.secret, ...sign });
  const res = await fetch(`http://${server.host}:${server.port}${fullPath}?${qs}`, {
    method,
    body: raw,
    headers: raw === undefined ? {} : { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

// ---------------------------------------------------------------------------------------
// pusher-js client

/**
 * An unmodified pusher-js 8 client. Channel authorisation and user authentication use
 * custom handlers that sign with the `pusher` SDK (`authorizeChannel`/`authenticateUser`).
 *
 * @param {object} server
 * @param {object} app
 * @param {object} [opts]
 * @param {object} [opts.presence]  presence data {user_id, user_info} for presence channels
 * @param {object} [opts.userData]  user data for signin ({id, ...})
 * @param {object} [opts.signWith]  an app whose secret signs auth (to forge bad signatures)
 * @param {object} [opts.sdkOptions] extra SDK options (encryptionMasterKeyBase64)
 * @param {object} [opts.pusherOptions] extra pusher-js options
 */
export function pusherClient(server, app, opts = {}) {
  const sdk = signer(opts.signWith ?? app, opts.sdkOptions ?? {});
  const client = new PusherClient(app.key, {
    wsHost: server.host,
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    cluster: 'mt1',
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          const presence = channelName.startsWith('presence-') ? opts.presence : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, presence));
        } catch (e) {
          callback(e, null);
        }
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        try {
          callback(null, sdk.authenticateUser(socketId, opts.userData));
        } catch (e) {
          callback(e, null);
        }
      },
    },
    ...(opts.pusherOptions ?? {}),
  });
  trackClient({ close: () => client.disconnect() });
  return client;
}

/** A pusher-js client that is connected (state "connected"). */
export async function connectedPusher(server, app, opts = {}) {
  const client = pusherClient(server, app, opts);
  await waitState(client, 'connected');
  return client;
}

/** Subscribe with pusher-js and wait for `pusher:subscription_succeeded`. */
export async function subscribed(client, channelName) {
  const channel = client.subscribe(channelName);
  if (channel.subscribed) return channel;
  await waitEvent(channel, 'pusher:subscription_succeeded', { what: `subscription to ${channelName}` });
  return channel;
}

// ---------------------------------------------------------------------------------------
// raw WebSocket client

export const DEFAULT_QUERY = 'protocol=7&client=js&version=8.6.0&flash=false';

export class RawClient {
  constructor(ws) {
    this.ws = ws;
    /** every frame received: {raw, msg, taken} */
    this.frames = [];
    this.waiters = [];
    this.pongs = [];
    this.closeInfo = null;
    this.error = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this._notify();
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (err) => {
      this.error = err;
    });
    ws.on('pong', (data) => this.pongs.push(data.toString()));
    ws.on('message', (data, isBinary) => {
      const raw = data.toString();
      let msg;
      try {
        msg = JSON.parse(raw);
      } catch {
        msg = { unparseable: raw };
      }
      this.frames.push({ raw, msg, taken: false, binary: isBinary });
      this._notify();
    });
    this.opened = new Promise((resolve) => {
      if (ws.readyState === WebSocket.OPEN) resolve(true);
      ws.on('open', () => resolve(true));
      ws.on('close', () => resolve(false));
    });
  }

  _notify() {
    for (const w of [...this.waiters]) w();
  }

  /** All received messages (parsed), in order. */
  get messages() {
    return this.frames.map((f) => f.msg);
  }

  /** Describe what was received, for failure messages. */
  describe() {
    const got = this.frames.map((f) => f.raw).join('\n  ');
    const close = this.closeInfo ? `closed ${this.closeInfo.code} "${this.closeInfo.reason}"` : 'open';
    return `received:\n  ${got || '(nothing)'}\nsocket: ${close}${this.error ? `; error: ${this.error.message}` : ''}`;
  }

  /**
   * Wait for the first not-yet-taken frame matching `pred` (an event name or a function of
   * the parsed message), mark it taken and return it parsed.
   */
  next(pred, { timeoutMs = WAIT_MS, what } = {}) {
    const match = typeof pred === 'string' ? (m) => m.event === pred : pred;
    const label = what ?? (typeof pred === 'string' ? `frame "${pred}"` : 'matching frame');
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = this.frames.find((fr) => !fr.taken && match(fr.msg));
        if (f) {
          f.taken = true;
          done();
          resolve(f.msg);
          return true;
        }
        return false;
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${label}; ${this.describe()}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  /** Assert no (untaken) frame matching `pred` arrives within `ms`. */
  async expectNone(pred, ms = 500, what) {
    const match = typeof pred === 'string' ? (m) => m.event === pred : pred;
    await sleep(ms);
    const f = this.frames.find((fr) => !fr.taken && match(fr.msg));
    if (f) throw new Error(`Expected no ${what ?? 'such frame'} but got ${f.raw}`);
  }

  /** Wait for the close of the socket; rejects on timeout. */
  async waitClose(timeoutMs = WAIT_MS) {
    const r = await Promise.race([this.closed, sleep(timeoutMs).then(() => null)]);
    if (!r) throw new Error(`Socket was not closed within ${timeoutMs} ms; ${this.describe()}`);
    return r;
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  sendText(text) {
    this.ws.send(text);
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Wait for connection_established and return its decoded data ({socket_id, activity_timeout}). */
  async established() {
    if (this.socketId) return { socket_id: this.socketId };
    const m = await this.next('pusher:connection_established');
    const data = typeof m.data === 'string' ? JSON.parse(m.data) : m.data;
    this.socketId = data.socket_id;
    return data;
  }

  /** Send pusher:ping and wait for pusher:pong; proves the connection is alive. */
  async ping() {
    this.send({ event: 'pusher:ping', data: {} });
    return this.next('pusher:pong', { what: 'pusher:pong (connection alive)' });
  }

  /**
   * Send pusher:subscribe and wait for either subscription_succeeded or a pusher:error.
   * Returns the frame (parsed).
   */
  async subscribe(channel, extra = {}) {
    this.send({ event: 'pusher:subscribe', data: { channel, ...extra } });
    return this.next(
      (m) =>
        (m.event === 'pusher_internal:subscription_succeeded' && m.channel === channel) ||
        (m.event === 'pusher:error' && (m.channel === channel || m.channel === undefined)),
      { what: `subscription reply for ${channel}` },
    );
  }

  /** Subscribe and require success. */
  async mustSubscribe(channel, extra = {}) {
    const m = await this.subscribe(channel, extra);
    if (m.event !== 'pusher_internal:subscription_succeeded') {
      throw new Error(`subscription to ${channel} failed: ${JSON.stringify(m)}`);
    }
    return m;
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}

/**
 * Open a raw WebSocket to `/app/{key}`. Does not wait for anything.
 * `query` replaces the default query string, `url` replaces everything.
 */
export function rawSocket(server, key, { query = DEFAULT_QUERY, url } = {}) {
  const target = url ?? `ws://${server.host}:${server.port}/app/${key}${query === '' ? '' : `?${query}`}`;
  const ws = new WebSocket(target, { handshakeTimeout: WAIT_MS });
  return trackClient(new RawClient(ws));
}

/** A raw client that received connection_established (socketId set). */
export async function rawConnect(server, app, opts) {
  const c = rawSocket(server, app.key, opts);
  await c.established();
  return c;
}

/** Decode a frame's data: JSON string → value; object stays. */
export function decode(data) {
  return typeof data === 'string' ? JSON.parse(data) : data;
}

/**
 * Decode a server→client `data` that PROTOCOL.md §1 requires to be a JSON-encoded string.
 * Throws a clear assertion-style error if it is not a string.
 */
export function decodeString(frame) {
  if (typeof frame.data !== 'string') {
    throw new Error(`expected "data" of ${frame.event} to be a JSON string (PROTOCOL §1), got ${JSON.stringify(frame)}`);
  }
  return JSON.parse(frame.data);
}

/** The decoded {message, code} of a pusher:error frame (object or string data). */
export function errorData(frame) {
  const d = decode(frame.data);
  if (typeof d !== 'object' || d === null || typeof d.message !== 'string') {
    throw new Error(`malformed pusher:error frame ${JSON.stringify(frame)}`);
  }
  return d;
}

/** Run the CLI binary to completion. */
export function runCli(args, { timeoutMs = 10000, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${err.message}` });
    });
  });
}

/** Spawn a long-running CLI process (e.g. `paybell listen`), tracked for cleanup. */
export function spawnCli(args, { env = {} } = {}) {
  const child = spawn(BIN, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, stdout: '', stderr: '', exited: null };
  proc.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err }));
  });
  child.stdout.on('data', (c) => (proc.stdout += c));
  child.stderr.on('data', (c) => (proc.stderr += c));
  trackClient({
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await proc.exited;
        clearTimeout(t);
      }
    },
  });
  return proc;
}
