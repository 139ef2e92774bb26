// PROTOCOL.md §1 (connection, handshake frame, liveness, proper close) and §2 (close codes).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SOCKET_ID_RE,
  cleanupAll,
  cleanupClients,
  collect,
  connectedPusher,
  decode,
  decodeString,
  errorData,
  makeApp,
  pusherClient,
  rawConnect,
  rawSocket,
  serverSdk,
  sleep,
  startServer,
  waitEvent,
  waitState,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

/** Expect the fatal-error sequence of §2: a pusher:error frame with `code`, then close `code`. */
async function expectFatal(client, code) {
  const frame = await client.next('pusher:error', { what: `pusher:error ${code} before the close` });
  const err = errorData(frame);
  assert.equal(err.code, code, `pusher:error code; ${client.describe()}`);
  assert.ok(err.message.length > 0, 'pusher:error message is not empty');
  const closed = await client.waitClose();
  assert.equal(closed.code, code, `close code; ${client.describe()}`);
  assert.equal(
    client.frames.some((f) => f.msg.event === 'pusher:connection_established'),
    false,
    'no connection_established on a refused connection',
  );
}

describe('connection handshake (§1)', () => {
  const app = makeApp();
  let server;
  before(async () => {
    server = await startServer({ apps: [app] });
  });

  test('first frame is pusher:connection_established with string data {socket_id, activity_timeout:120}', async () => {
    const c = rawSocket(server, app.key);
    const first = await c.next(() => true, { what: 'first frame' });
    assert.deepEqual(Object.keys(first).sort(), ['data', 'event']);
    assert.equal(first.event, 'pusher:connection_established');
    const data = decodeString(first);
    assert.deepEqual(Object.keys(data).sort(), ['activity_timeout', 'socket_id']);
    assert.match(data.socket_id, SOCKET_ID_RE);
    assert.equal(data.activity_timeout, 120);
    assert.equal(c.frames[0].binary, false, 'frames are text frames');
  });

  test('socket ids are unique across connections', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const c = await rawConnect(server, app);
      ids.push(c.socketId);
    }
    for (const id of ids) assert.match(id, SOCKET_ID_RE);
    assert.equal(new Set(ids).size, ids.length, `duplicate socket ids: ${ids}`);
  });

  test('pusher:ping is answered with pusher:pong', async () => {
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:ping', data: {} });
    const pong = await c.next('pusher:pong');
    assert.equal(pong.event, 'pusher:pong');
    assert.deepEqual(decode(pong.data ?? {}), {});
    assert.equal(pong.channel, undefined);
  });

  test('WebSocket PING control frames are answered with PONG', async () => {
    const c = await rawConnect(server, app);
    c.ws.ping('paybell-ping');
    await sleep(0);
    const deadline = Date.now() + 5000;
    while (c.pongs.length === 0 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(c.pongs, ['paybell-ping']);
  });

  test('pusher-js connects and gets a socket id of the right shape', async () => {
    const p = await connectedPusher(server, app);
    assert.match(p.connection.socket_id, SOCKET_ID_RE);
    // pusher-js keeps the activity timeout from the handshake (ms)
    assert.equal(p.connection.activityTimeout, 120000);
  });

  test('a malformed JSON frame gets a proper reaction and the server keeps serving', async () => {
    const c = await rawConnect(server, app);
    c.sendText('{"event":"pusher:subscribe","data":');
    await sleep(700);
    if (c.closeInfo) {
      assert.notEqual(c.closeInfo.code, 1006, `closed without a close frame; ${c.describe()}`);
    } else {
      const errs = c.frames.filter((f) => f.msg.event === 'pusher:error');
      for (const e of errs) errorData(e.msg);
      await c.ping();
    }
    const other = await rawConnect(server, app);
    await other.ping();
  });

  test('an unknown event does not break the connection', async () => {
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:does-not-exist', data: {} });
    c.send({ event: 'totally-unknown', data: '{}' });
    const pong = await c.ping();
    assert.equal(pong.event, 'pusher:pong');
    assert.equal(c.closeInfo, null);
    for (const f of c.frames.filter((fr) => fr.msg.event === 'pusher:error')) errorData(f.msg);
  });

  test('a frame without "event" does not break the server', async () => {
    const c = await rawConnect(server, app);
    c.sendText('[1,2,3]');
    c.sendText('{"data":{}}');
    await sleep(300);
    if (c.closeInfo) assert.notEqual(c.closeInfo.code, 1006, c.describe());
    else await c.ping();
    await (await rawConnect(server, app)).ping();
  });
});

describe('connection configuration (§1)', () => {
  test('activity_timeout from [realtime] is announced in the handshake', async () => {
    const app = makeApp();
    const server = await startServer({ apps: [app], realtime: { activity_timeout: 45 } });
    const c = rawSocket(server, app.key);
    const data = await c.established();
    assert.equal(data.activity_timeout, 45);
    await server.stop();
  });

  test('the server pings a connection idle for activity_timeout and keeps it after a pong', async () => {
    const app = makeApp();
    const server = await startServer({ apps: [app], realtime: { activity_timeout: 1 } });
    const c = rawSocket(server, app.key);
    assert.equal((await c.established()).activity_timeout, 1);
    const ping = await c.next('pusher:ping', { timeoutMs: 4000, what: 'a server pusher:ping after 1 s of silence' });
    assert.deepEqual(decode(ping.data ?? {}), {});
    c.send({ event: 'pusher:pong', data: {} });
    await sleep(500);
    assert.equal(c.closeInfo, null, c.describe());
    await c.ping();
    await server.stop();
  });

  test('a frame larger than max_frame_bytes is refused with a proper error or close, never a TCP drop', async () => {
    const app = makeApp();
    const server = await startServer({ apps: [app], realtime: { max_frame_bytes: 4096 } });
    const c = await rawConnect(server, app);
    const big = 'x'.repeat(20000);
    c.send({ event: 'pusher:subscribe', data: { channel: 'big', auth: big } });
    await Promise.race([c.closed, c.next('pusher:error').catch(() => null), sleep(3000)]);
    assert.equal(
      c.frames.some((f) => f.msg.event === 'pusher_internal:subscription_succeeded'),
      false,
      'oversized subscribe must not succeed',
    );
    if (c.closeInfo) {
      assert.ok(
        c.closeInfo.code === 1009 || (c.closeInfo.code >= 4000 && c.closeInfo.code < 5000),
        `close code should be 1009 or a 4xxx Pusher code, got ${c.closeInfo.code}; ${c.describe()}`,
      );
    } else {
      const err = c.frames.find((f) => f.msg.event === 'pusher:error');
      assert.ok(err, `expected a pusher:error or a close; ${c.describe()}`);
      errorData(err.msg);
    }
    const other = await rawConnect(server, app);
    await other.ping();
    await server.stop();
  });

  test('without any configured app the data directory generates one, never the dev app', async () => {
    const server = await startServer({ apps: [] });
    const file = path.join(server.dir, 'paybell-data', 'app.toml');
    const text = readFileSync(file, 'utf8');
    const field = (name) => text.match(new RegExp(`^${name} = "([^"]+)"$`, 'm'))[1];
    const generated = { id: field('id'), key: field('key'), secret: field('secret') };
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(generated.secret, /^[0-9a-f]{64}$/);
    assert.ok(!server.output().includes(generated.secret), 'the secret is never printed');
    assert.match(server.output(), new RegExp(`paybell realtime app: key ${generated.key} \\(id ${generated.id}\\), generated in`));
    const c = await rawConnect(server, generated);
    await c.mustSubscribe('gen-channel', { auth: '' });
    const res = await serverSdk(server, generated).trigger('gen-channel', 'hello', { n: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(decodeString(await c.next('hello')), { n: 1 });
    await assert.rejects(
      serverSdk(server, { id: 'app-id', key: 'app-key', secret: 'app-secret' }).trigger('gen-channel', 'x', {}),
      'the development secret signs nothing',
    );
    const dev = rawSocket(server, 'app-key');
    assert.equal((await dev.waitClose()).code, 4001, 'the development key is unknown');
    await server.stop();
  });

  test('--dev-credentials gives the development app, on loopback', async () => {
    const server = await startServer({ config: false, extraArgs: ['--dev-credentials'] });
    const dev = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
    const c = await rawConnect(server, dev);
    await c.mustSubscribe('dev-channel', { auth: '' });
    const res = await serverSdk(server, dev).trigger('dev-channel', 'hello', { n: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(decodeString(await c.next('hello')), { n: 1 });
    await server.stop();
  });

  test('PAYBELL_APP_ID/KEY/SECRET define an app', async () => {
    const app = { id: '424242', key: 'env-key-1', secret: 'env-secret-1' };
    const server = await startServer({
      config: false,
      env: { PAYBELL_APP_ID: app.id, PAYBELL_APP_KEY: app.key, PAYBELL_APP_SECRET: app.secret },
    });
    const c = await rawConnect(server, app);
    await c.mustSubscribe('env-channel', { auth: '' });
    await serverSdk(server, app).trigger('env-channel', 'ping', 'x');
    const ev = await c.next('ping');
    assert.equal(ev.data, 'x');
    await server.stop();
  });

  test('on SIGTERM clients receive a close frame 4200 (reconnect), not a TCP drop', async () => {
    const app = makeApp();
    const server = await startServer({ apps: [app] });
    const c = await rawConnect(server, app);
    const stopping = server.stop();
    const closed = await c.waitClose();
    assert.equal(closed.code, 4200, c.describe());
    const exit = await stopping;
    assert.equal(exit.signal === 'SIGKILL', false, 'server exited on SIGTERM without needing SIGKILL');
  });
});

describe('close codes (§2)', () => {
  const app = makeApp();
  const disabled = makeApp({ enabled: false });
  const limited = makeApp({ max_connections: 2 });
  let server;
  before(async () => {
    server = await startServer({ apps: [app, disabled, limited] });
  });

  test('unknown app key: pusher:error 4001 then close 4001', async () => {
    const c = rawSocket(server, 'no-such-key');
    await expectFatal(c, 4001);
  });

  test('disabled app: pusher:error 4003 then close 4003', async () => {
    const c = rawSocket(server, disabled.key);
    await expectFatal(c, 4003);
  });

  test('over the connection quota: pusher:error 4004 then close 4004; a freed slot is reusable', async () => {
    const a = await rawConnect(server, limited);
    const b = await rawConnect(server, limited);
    const c = rawSocket(server, limited.key);
    await expectFatal(c, 4004);
    // other apps are unaffected
    await (await rawConnect(server, app)).ping();
    a.ws.close(1000);
    await a.waitClose();
    await sleep(200);
    const d = await rawConnect(server, limited);
    await d.ping();
    await b.ping();
  });

  test('missing protocol parameter: pusher:error 4008 then close 4008', async () => {
    const c = rawSocket(server, app.key, { query: 'client=js&version=8.6.0&flash=false' });
    await expectFatal(c, 4008);
  });

  test('no query string at all: 4008', async () => {
    const c = rawSocket(server, app.key, { query: '' });
    await expectFatal(c, 4008);
  });

  test('unsupported protocol version: pusher:error 4007 then close 4007', async () => {
    const c = rawSocket(server, app.key, { query: 'protocol=99&client=js&version=8.6.0' });
    await expectFatal(c, 4007);
  });

  test('pusher-js stops (no retry) on 4001 and reports the error code', async () => {
    const p = pusherClient(server, { ...app, key: 'unknown-key-for-pusher-js' });
    const states = collect(p.connection, 'state_change');
    const err = await waitEvent(p.connection, 'error', {
      filter: (e) => e?.error?.data?.code !== undefined || e?.data?.code !== undefined,
    });
    const code = err.error?.data?.code ?? err.data?.code;
    assert.equal(code, 4001);
    await waitState(p, 'disconnected');
    await sleep(1500);
    assert.equal(p.connection.state, 'disconnected', `states: ${states.map((s) => s.data.current)}`);
    const names = states.map((s) => s.data.current);
    const after = names.slice(names.indexOf('disconnected') + 1);
    assert.deepEqual(after, [], `pusher-js must not retry after the refusal: ${names}`);
  });

  test('pusher-js stops on a disabled app (4003)', async () => {
    const p = pusherClient(server, disabled);
    const err = await waitEvent(p.connection, 'error', {
      filter: (e) => (e?.error?.data?.code ?? e?.data?.code) !== undefined,
    });
    assert.equal(err.error?.data?.code ?? err.data?.code, 4003);
    await waitState(p, 'disconnected');
  });
});
