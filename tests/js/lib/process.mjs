// The `paybell` binary as a process: `startServer` spawns `paybell realtime` on an
// ephemeral port with a generated config, `runCli`/`spawnCli` run its other commands. The
// environment is cleaned so a developer's settings never leak in.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderConfig } from './config.mjs';
import { trackClient, trackServer, untrackServer } from './tracking.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const BIN = process.env.PAYBELL_BIN
  ? path.resolve(process.env.PAYBELL_BIN)
  : path.resolve(HERE, '../../../target/debug/paybell');

export const HOST = '127.0.0.1';

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
 * @param {string|null} [opts.addr='127.0.0.1:0'] the --addr flag; null passes none (the
 *   environment then decides, e.g. SOKETI_PORT), and a 0.0.0.0 answer is reached on 127.0.0.1
 * @returns {Promise<{host:string, port:number, dir:string, stop():Promise<{code:number|null, signal:string|null}>, child, output():string}>}
 */
export async function startServer({ apps, realtime, config = true, env = {}, extraArgs = [], addr = `${HOST}:0` } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paybell-e2e-'));
  const args = ['realtime'];
  if (addr !== null) args.push('--addr', addr);
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
    /** The working directory: `./paybell-data` (the generated app without a config) is in it. */
    dir,
    child,
    output: () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-4000)}`,
    async stop() {
      if (!untrackServer(server)) return exited;
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
  trackServer(server);

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
    server.host = host === '0.0.0.0' ? HOST : host;
    server.port = port;
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
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
