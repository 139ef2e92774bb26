// The `paybell trigger` and `paybell listen` commands against the real server
// (a signed §6 HTTP API call, and a §1/§3 WebSocket client).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api,
  cleanupAll,
  cleanupClients,
  decodeString,
  makeApp,
  rawConnect,
  runCli,
  serverSdk,
  spawnCli,
  startServer,
  waitFor,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
let server;
before(async () => {
  server = await startServer({ apps: [app] });
});

const conn = () => ['--host', server.host, '--port', String(server.port)];
const creds = (a = app) => ['--app-id', a.id, '--key', a.key, '--secret', a.secret];

/** Parsed JSON lines printed so far by a CLI process. */
function jsonLines(proc) {
  return proc.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

const asValue = (d) => (typeof d === 'string' ? JSON.parse(d) : d);

/** Fail fast with its output if a long-running CLI process has exited. */
function assertRunning(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    throw new Error(
      `paybell ${proc.child.spawnargs.slice(1).join(' ')} exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode})\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`,
    );
  }
}

/** Wait until `paybell listen` has subscribed to `channel` (seen through GET /channels/{channel}). */
function listening(proc, channel) {
  return waitFor(
    async () => {
      assertRunning(proc);
      return (await api(server, app, { path: `/channels/${channel}` })).json?.occupied === true;
    },
    5000,
    () => `paybell listen to subscribe to ${channel}; stdout: ${proc.stdout}; stderr: ${proc.stderr}`,
  );
}

/** Wait until `paybell listen` printed at least `n` JSON lines. */
function printed(proc, n) {
  return waitFor(
    () => {
      const l = jsonLines(proc);
      return l.length >= n ? l : null;
    },
    5000,
    () => `${n} JSON line(s) from paybell listen; stdout: ${proc.stdout}; stderr: ${proc.stderr}`,
  );
}

describe('paybell trigger', () => {
  test('publishes to one channel, exits 0 and prints the response body {}', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('invoice.cli1', { auth: '' });
    const data = '{"title":"✅ Invoice Paid","status":"paid"}';
    const r = await runCli(['trigger', ...conn(), ...creds(), '--channel', 'invoice.cli1', '--event', 'payment.received', '--data', data]);
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout.trim()), {});
    const m = await c.next('payment.received');
    assert.equal(m.channel, 'invoice.cli1');
    assert.deepEqual(decodeString(m), JSON.parse(data));
  });

  test('publishes to several channels', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('cli-multi-1', { auth: '' });
    await c.mustSubscribe('cli-multi-2', { auth: '' });
    const r = await runCli([
      'trigger', ...conn(), ...creds(),
      '--channel', 'cli-multi-1', '--channel', 'cli-multi-2',
      '--event', 'invoice.updated', '--data', '{"v":1}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = [(await c.next('invoice.updated')).channel, (await c.next('invoice.updated')).channel].sort();
    assert.deepEqual(got, ['cli-multi-1', 'cli-multi-2']);
  });

  test('a wrong secret makes it exit non-zero', async () => {
    const r = await runCli([
      'trigger', ...conn(), '--app-id', app.id, '--key', app.key, '--secret', 'wrong-secret',
      '--channel', 'x', '--event', 'e', '--data', '{}',
    ]);
    assert.notEqual(r.code, 0, `stdout: ${r.stdout}`);
  });

  test('without --secret or PUSHER_SECRET it refuses to run (there is no default secret)', async () => {
    const r = await runCli([
      'trigger', ...conn(), '--app-id', app.id, '--key', app.key, '--channel', 'x', '--event', 'e', '--data', '{}',
    ]);
    assert.notEqual(r.code, 0, `stdout: ${r.stdout}`);
    assert.match(r.stderr, /--secret \(PUSHER_SECRET\) is needed/);
  });

  test('an unreachable server makes it exit non-zero', async () => {
    const r = await runCli([
      'trigger', '--host', '127.0.0.1', '--port', '1', ...creds(),
      '--channel', 'x', '--event', 'e', '--data', '{}',
    ]);
    assert.notEqual(r.code, 0);
  });
});

describe('paybell listen', () => {
  test('prints each event on public channels as one JSON line {channel, event, data}', async () => {
    const proc = spawnCli(['listen', ...conn(), '--key', app.key, 'invoice.L1', 'user.L2.invoices']);
    await listening(proc, 'invoice.L1');
    await listening(proc, 'user.L2.invoices');
    const sdk = serverSdk(server, app);
    await sdk.trigger('invoice.L1', 'payment.received', { amount: 100 });
    await sdk.trigger('user.L2.invoices', 'invoice.created', { number: 2 });
    const lines = await printed(proc, 2);
    assert.equal(lines[0].channel, 'invoice.L1');
    assert.equal(lines[0].event, 'payment.received');
    assert.deepEqual(asValue(lines[0].data), { amount: 100 });
    assert.equal(lines[1].channel, 'user.L2.invoices');
    assert.equal(lines[1].event, 'invoice.created');
    assert.deepEqual(asValue(lines[1].data), { number: 2 });
  });

  test('with --secret it can listen on a private channel', async () => {
    const proc = spawnCli(['listen', ...conn(), '--key', app.key, '--secret', app.secret, 'private-invoice.L3']);
    await listening(proc, 'private-invoice.L3');
    await serverSdk(server, app).trigger('private-invoice.L3', 'invoice.status.changed', { status: 'void' });
    const lines = await printed(proc, 1);
    assert.equal(lines[0].channel, 'private-invoice.L3');
    assert.equal(lines[0].event, 'invoice.status.changed');
    assert.deepEqual(asValue(lines[0].data), { status: 'void' });
  });

  test('trigger → listen round trip with both commands', async () => {
    const proc = spawnCli(['listen', ...conn(), '--key', app.key, 'roundtrip']);
    await listening(proc, 'roundtrip');
    const r = await runCli(['trigger', ...conn(), ...creds(), '--channel', 'roundtrip', '--event', 'ping', '--data', '{"n":42}']);
    assert.equal(r.code, 0, r.stderr);
    const [line] = await printed(proc, 1);
    assert.deepEqual({ ...line, data: asValue(line.data) }, { channel: 'roundtrip', event: 'ping', data: { n: 42 } });
  });
});
