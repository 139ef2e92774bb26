// `RawClient`: a thin `ws` wrapper for exact-frame assertions, and frame decoding helpers.

import WebSocket from 'ws';

import { trackClient } from './tracking.mjs';
import { WAIT_MS, sleep } from './wait.mjs';

export const SOCKET_ID_RE = /^\d+\.\d+$/;

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
