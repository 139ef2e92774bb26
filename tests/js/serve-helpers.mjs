// Helpers for tests of `paybell serve` (web API + built-in realtime server).
//
// `startServe` spawns `paybell serve --http-addr 127.0.0.1:0 --realtime-addr 127.0.0.1:0
// --data-dir <tmp>` (binary from PAYBELL_BIN, see helpers.mjs) and waits for both
// "listening" lines; `ApiClient` is a tiny cookie-keeping JSON client for the REST API.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { BIN, WAIT_MS } from './helpers.mjs';

const running = new Set();

process.on('exit', () => {
  for (const s of running) {
    try {
      s.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** The parent environment without PAYBELL_*, PUSHER_*, DATABASE_URL, plus `extra`. */
function cleanEnv(extra = {}) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PAYBELL_') || k.startsWith('PUSHER_') || k === 'DATABASE_URL') continue;
    out[k] = v;
  }
  return { ...out, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...extra };
}

/**
 * Start `paybell serve`. Resolves with {webUrl, realtimePort, demo: {email, password}|null,
 * stop(), output()}.
 */
export async function startServe({ demo = true, env = {}, extraArgs = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paybell-serve-'));
  const args = ['serve', '--http-addr', '127.0.0.1:0', '--realtime-addr', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')];
  if (demo) args.push('--demo');
  args.push(...extraArgs);
  const child = spawn(BIN, args, { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const server = {
    child,
    output: () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-4000)}`,
    async stop() {
      if (!running.has(server)) return exited;
      running.delete(server);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
  running.add(server);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`paybell serve did not start within 15 s\n${server.output()}`)), 15000);
    const check = () => {
      const web = stdout.match(/^paybell web listening on (http:\/\/\S+)$/m);
      const rt = stdout.match(/^paybell realtime listening on (\S+):(\d+)$/m);
      const login = stdout.match(/^demo login: (\S+) \/ (\S+)$/m);
      if (web && rt && (!demo || login)) {
        clearTimeout(timer);
        resolve({ webUrl: web[1], realtimePort: Number(rt[2]), demo: login ? { email: login[1], password: login[2] } : null });
      }
    };
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`paybell serve exited early (code ${code}, signal ${signal})\n${server.output()}`));
    });
  });
  try {
    Object.assign(server, await ready);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** A JSON client of the REST API that keeps the session cookie. */
export class ApiClient {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.cookie = '';
  }

  async request(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  /** A form POST, as pusher-js's authoriser sends to `/pusher/auth`. */
  async form(path, fields) {
    const headers = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  async ok(method, path, body) {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.json)}`);
    }
    return res.json;
  }
}
