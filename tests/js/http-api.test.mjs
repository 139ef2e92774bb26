// PROTOCOL.md §6 HTTP API: endpoints and exact success bodies, request signing
// (auth_version 1.0, 600 s window, body_md5), error statuses with JSON bodies.
// Also checks our own signing helpers against the §8 test vectors.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api,
  channelAuth,
  cleanupAll,
  cleanupClients,
  decodeString,
  hmacHex,
  makeApp,
  rawConnect,
  serverSdk,
  signQuery,
  startServer,
  userAuth,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
const other = makeApp();
const counted = makeApp({ subscription_count: true });
const disabled = makeApp({ enabled: false });
const numeric = makeApp({ id: '12345' });
const lonely = makeApp(); // never has channels
let server;
let sdk;
before(async () => {
  server = await startServer({ apps: [app, other, counted, disabled, numeric, lonely] });
  sdk = serverSdk(server, app);
});

function assertJsonError(r, status) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.equal(typeof r.json, 'object', `error body must be JSON, got ${JSON.stringify(r.text)}`);
  assert.notEqual(r.json, null);
  const strings = Object.values(r.json).filter((v) => typeof v === 'string' && v.length > 0);
  assert.ok(strings.length > 0, `error body should carry a message: ${r.text}`);
}

async function presenceMember(theApp, channel, userId) {
  const c = await rawConnect(server, theApp);
  const cd = JSON.stringify({ user_id: userId, user_info: {} });
  await c.mustSubscribe(channel, { auth: channelAuth(theApp, c.socketId, channel, cd), channel_data: cd });
  return c;
}

describe('§8 vectors (our signing helpers)', () => {
  const v = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
  test('private, presence, user and HTTP signatures', () => {
    assert.equal(
      channelAuth(v, '1234.1234', 'private-foobar'),
      `${v.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`,
    );
    assert.equal(
      channelAuth(v, '1234.1234', 'presence-foobar', '{"user_id":10,"user_info":{"name":"Mr. Channels"}}'),
      `${v.key}:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80`,
    );
    assert.equal(userAuth(v, '1234.1234', '{"id":"12345"}'), `${v.key}:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba`);
    const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
    const qs = signQuery({ method: 'POST', path: '/apps/3/events', body, key: v.key, secret: v.secret, timestamp: 1353088179 });
    assert.equal(
      qs,
      'auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f' +
        '&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c',
    );
    assert.equal(
      hmacHex(v.secret, '{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"my-channel"}]}'),
      'c19001ae3963ccb13bf618e5b16ba9848e7e74df0993aa0689168e341c6833cf',
    );
  });
});

describe('POST /events', () => {
  test('success is exactly 200 {}', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'e', channels: ['nobody'], data: '{}' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {});
  });

  test('SDK trigger: 200 {} and the subscriber gets the event', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('invoice.sdk', { auth: '' });
    const res = await sdk.trigger('invoice.sdk', 'invoice.updated', { id: 'sdk' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    const m = await c.next('invoice.updated');
    assert.deepEqual(decodeString(m), { id: 'sdk' });
  });

  test('the singular "channel" field works', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('single', { auth: '' });
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'one', channel: 'single', data: 'x' } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await c.next('one')).data, 'x');
  });

  test('socket_id excludes that connection only', async () => {
    const a = await rawConnect(server, app);
    const b = await rawConnect(server, app);
    await a.mustSubscribe('excl', { auth: '' });
    await b.mustSubscribe('excl', { auth: '' });
    const res = await sdk.trigger('excl', 'not-for-a', 'x', { socket_id: a.socketId });
    assert.equal(res.status, 200);
    await b.next('not-for-a');
    await a.expectNone('not-for-a', 400, 'event to the excluded socket');
  });

  test('info=user_count on a presence channel', async () => {
    await presenceMember(app, 'presence-info', 'u1');
    await presenceMember(app, 'presence-info', 'u2');
    const r = await api(server, app, {
      method: 'POST',
      path: '/events',
      body: { name: 'i', channels: ['presence-info'], data: '{}', info: 'user_count' },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { channels: { 'presence-info': { user_count: 2 } } });
  });

  test('info=subscription_count on a public channel', async () => {
    const c1 = await rawConnect(server, counted);
    const c2 = await rawConnect(server, counted);
    await c1.mustSubscribe('pub-info', { auth: '' });
    await c2.mustSubscribe('pub-info', { auth: '' });
    const r = await api(server, counted, {
      method: 'POST',
      path: '/events',
      body: { name: 'i', channels: ['pub-info'], data: '{}', info: 'subscription_count' },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { channels: { 'pub-info': { subscription_count: 2 } } });
  });

  test('numeric app id (12345) works with the SDK', async () => {
    const c = await rawConnect(server, numeric);
    await c.mustSubscribe('numeric', { auth: '' });
    const res = await serverSdk(server, { ...numeric, id: 12345 }).trigger('numeric', 'n', { ok: true });
    assert.equal(res.status, 200);
    assert.deepEqual(decodeString(await c.next('n')), { ok: true });
  });

  test('data over 10 KB: 413 (SDK gets a RequestError with status 413)', async () => {
    const big = 'x'.repeat(10 * 1024 + 100);
    await assert.rejects(sdk.trigger('big', 'e', big), (e) => {
      assert.equal(e.status, 413, `${e.message} ${e.body}`);
      return true;
    });
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'e', channels: ['big'], data: big } });
    assertJsonError(r, 413);
  });

  test('data just under 10 KB is accepted', async () => {
    const r = await api(server, app, {
      method: 'POST',
      path: '/events',
      body: { name: 'e', channels: ['fits'], data: 'y'.repeat(10000) },
    });
    assert.equal(r.status, 200, r.text);
  });

  test('more than 100 channels is refused (400/413); 100 is accepted', async () => {
    const channels = Array.from({ length: 101 }, (_, i) => `ch-${i}`);
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'e', channels, data: '{}' } });
    assert.ok([400, 413].includes(r.status), `status ${r.status}: ${r.text}`);
    assertJsonError(r, r.status);
    const ok = await api(server, app, { method: 'POST', path: '/events', body: { name: 'e', channels: channels.slice(0, 100), data: '{}' } });
    assert.equal(ok.status, 200, ok.text);
  });

  test('bad requests: 400 with a JSON body', async () => {
    const cases = [
      { name: 'e', channels: ['bad channel!'], data: '{}' },
      { name: 'n'.repeat(201), channels: ['c'], data: '{}' },
      { channels: ['c'], data: '{}' },
      { name: 'e', data: '{}' },
      { name: 'e', channels: ['c'.repeat(201)], data: '{}' },
    ];
    for (const body of cases) {
      const r = await api(server, app, { method: 'POST', path: '/events', body });
      assertJsonError(r, 400);
    }
    const notJson = await api(server, app, { method: 'POST', path: '/events', body: '{"name":' });
    assertJsonError(notJson, 400);
  });
});

describe('POST /batch_events', () => {
  test('SDK triggerBatch: 200 {} and events delivered', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('batch-a', { auth: '' });
    await c.mustSubscribe('batch-b', { auth: '' });
    const res = await sdk.triggerBatch([
      { channel: 'batch-a', name: 'first', data: { n: 1 } },
      { channel: 'batch-b', name: 'second', data: { n: 2 } },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    assert.deepEqual(decodeString(await c.next('first')), { n: 1 });
    assert.deepEqual(decodeString(await c.next('second')), { n: 2 });
  });

  test('with info: {"batch":[...]} index-aligned', async () => {
    await presenceMember(app, 'presence-batch', 'b1');
    const r = await api(server, app, {
      method: 'POST',
      path: '/batch_events',
      body: {
        batch: [
          { name: 'x', channel: 'presence-batch', data: '{}', info: 'user_count' },
          { name: 'y', channel: 'plain-batch', data: '{}' },
        ],
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { batch: [{ user_count: 1 }, {}] });
  });

  test('socket_id in a batch item excludes that socket', async () => {
    const a = await rawConnect(server, app);
    const b = await rawConnect(server, app);
    await a.mustSubscribe('batch-excl', { auth: '' });
    await b.mustSubscribe('batch-excl', { auth: '' });
    await sdk.triggerBatch([{ channel: 'batch-excl', name: 'ex', data: 'x', socket_id: a.socketId }]);
    await b.next('ex');
    await a.expectNone('ex', 400);
  });

  test('more than 10 events is refused (400/413)', async () => {
    const batch = Array.from({ length: 11 }, (_, i) => ({ channel: 'many', name: `e${i}`, data: '{}' }));
    const r = await api(server, app, { method: 'POST', path: '/batch_events', body: { batch } });
    assert.ok([400, 413].includes(r.status), `status ${r.status}: ${r.text}`);
    assertJsonError(r, r.status);
    await assert.rejects(sdk.triggerBatch(batch.map((e) => ({ ...e }))), (e) => [400, 413].includes(e.status));
  });

  test('an item over 10 KB: 413', async () => {
    const r = await api(server, app, {
      method: 'POST',
      path: '/batch_events',
      body: { batch: [{ channel: 'c', name: 'e', data: 'z'.repeat(11000) }] },
    });
    assertJsonError(r, 413);
  });
});

describe('GET /channels', () => {
  test('no channels: exactly {"channels":{}}', async () => {
    const r = await api(server, lonely, { path: '/channels' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { channels: {} });
  });

  test('lists occupied channels, filter_by_prefix, info=user_count for presence', async () => {
    const c = await rawConnect(server, other);
    await c.mustSubscribe('list-a', { auth: '' });
    await c.mustSubscribe('list-b', { auth: '' });
    await presenceMember(other, 'presence-list', 'p1');
    await presenceMember(other, 'presence-list', 'p2');
    const all = await api(server, other, { path: '/channels' });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.json, { channels: { 'list-a': {}, 'list-b': {}, 'presence-list': {} } });
    const viaSdk = await serverSdk(server, other).get({ path: '/channels', params: { filter_by_prefix: 'list-' } });
    assert.equal(viaSdk.status, 200);
    assert.deepEqual(await viaSdk.json(), { channels: { 'list-a': {}, 'list-b': {} } });
    const pres = await api(server, other, { path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } });
    assert.equal(pres.status, 200, pres.text);
    assert.deepEqual(pres.json, { channels: { 'presence-list': { user_count: 2 } } });
  });

  test('info=user_count without the presence- prefix filter: 400', async () => {
    const r = await api(server, app, { path: '/channels', params: { info: 'user_count' } });
    assertJsonError(r, 400);
  });

  test('unsubscribed channels disappear', async () => {
    const c = await rawConnect(server, lonely);
    await c.mustSubscribe('fleeting', { auth: '' });
    assert.deepEqual((await api(server, lonely, { path: '/channels' })).json, { channels: { fleeting: {} } });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'fleeting' } });
    await c.ping();
    assert.deepEqual((await api(server, lonely, { path: '/channels' })).json, { channels: {} });
  });
});

describe('GET /channels/{channel}', () => {
  test('unoccupied: {"occupied":false}', async () => {
    const r = await api(server, app, { path: '/channels/empty-one' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { occupied: false });
  });

  test('occupied public channel with subscription_count (SDK)', async () => {
    const a = await rawConnect(server, counted);
    const b = await rawConnect(server, counted);
    await a.mustSubscribe('info-pub', { auth: '' });
    await b.mustSubscribe('info-pub', { auth: '' });
    const res = await serverSdk(server, counted).get({ path: '/channels/info-pub', params: { info: 'subscription_count' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { occupied: true, subscription_count: 2 });
    const plain = await api(server, counted, { path: '/channels/info-pub' });
    assert.deepEqual(plain.json, { occupied: true });
  });

  test('presence channel with user_count', async () => {
    await presenceMember(app, 'presence-ci', 'x1');
    await presenceMember(app, 'presence-ci', 'x2');
    await presenceMember(app, 'presence-ci', 'x2');
    const r = await api(server, app, { path: '/channels/presence-ci', params: { info: 'user_count' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { occupied: true, user_count: 2 });
  });

  test('user_count on a non-presence channel: 400', async () => {
    const r = await api(server, app, { path: '/channels/not-presence', params: { info: 'user_count' } });
    assertJsonError(r, 400);
  });

  test('info=cache is valid for cache channels only', async () => {
    await serverSdk(server, app).trigger('cache-info', 'kept', { v: 1 });
    const ok = await api(server, app, { path: '/channels/cache-info', params: { info: 'cache' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.occupied, false);
    const bad = await api(server, app, { path: '/channels/not-a-cache', params: { info: 'cache' } });
    assertJsonError(bad, 400);
  });

  test('an invalid channel name: 400', async () => {
    const r = await api(server, app, { path: `/channels/${encodeURIComponent('bad name!')}` });
    assert.ok([400, 404].includes(r.status), `status ${r.status}`);
  });
});

describe('GET /channels/{channel}/users', () => {
  test('SDK get users on a presence channel', async () => {
    await presenceMember(app, 'presence-users', 'id-1');
    await presenceMember(app, 'presence-users', 'id-2');
    const res = await sdk.get({ path: '/channels/presence-users/users' });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ['users']);
    assert.deepEqual(body.users.sort((a, b) => a.id.localeCompare(b.id)), [{ id: 'id-1' }, { id: 'id-2' }]);
  });

  test('empty presence channel: {"users":[]}', async () => {
    const r = await api(server, app, { path: '/channels/presence-nobody/users' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { users: [] });
  });

  test('not a presence channel: 400', async () => {
    const r = await api(server, app, { path: '/channels/public-one/users' });
    assertJsonError(r, 400);
  });
});

describe('authentication and app errors', () => {
  const body = { name: 'e', channels: ['auth-test'], data: '{}' };
  const now = () => Math.floor(Date.now() / 1000);

  test('a wrong signature: 401', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body, signature: 'a'.repeat(64) });
    assertJsonError(r, 401);
  });

  test('signed with another secret: 401', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body, secret: other.secret });
    assertJsonError(r, 401);
  });

  test('timestamp 601 s old or ahead: 401; 500 s old: 200', async () => {
    assertJsonError(await api(server, app, { method: 'POST', path: '/events', body, timestamp: now() - 601 }), 401);
    assertJsonError(await api(server, app, { method: 'POST', path: '/events', body, timestamp: now() + 601 }), 401);
    const ok = await api(server, app, { method: 'POST', path: '/events', body, timestamp: now() - 500 });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, {});
  });

  test('a wrong body_md5 (signed consistently): 401', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body, bodyMd5: 'd41d8cd98f00b204e9800998ecf8427e' });
    assertJsonError(r, 401);
  });

  test('a body without body_md5: 401', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body, omitBodyMd5: true });
    assertJsonError(r, 401);
  });

  test('a body changed after signing: 401', async () => {
    const raw = JSON.stringify(body);
    const p = `/apps/${app.id}/events`;
    const qs = signQuery({ method: 'POST', path: p, body: raw, key: app.key, secret: app.secret });
    const res = await fetch(`http://${server.host}:${server.port}${p}?${qs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw.replace('auth-test', 'auth-tesx'),
    });
    assert.equal(res.status, 401, await res.text());
  });

  test('a query parameter added after signing: 401', async () => {
    const p = `/apps/${app.id}/channels`;
    const qs = signQuery({ method: 'GET', path: p, key: app.key, secret: app.secret });
    const res = await fetch(`http://${server.host}:${server.port}${p}?${qs}&filter_by_prefix=x`);
    assert.equal(res.status, 401, await res.text());
  });

  test('no auth parameters at all: 401', async () => {
    const res = await fetch(`http://${server.host}:${server.port}/apps/${app.id}/channels`);
    assert.equal(res.status, 401);
    assert.equal(typeof JSON.parse(await res.text()), 'object');
  });

  test('the key of another app: 401', async () => {
    const r = await api(server, app, { method: 'POST', path: '/events', body, key: other.key, secret: other.secret });
    assertJsonError(r, 401);
  });

  test('an unknown app id: 404', async () => {
    const r = await api(server, app, { method: 'POST', path: '/apps/no-such-app/events', body });
    assertJsonError(r, 404);
  });

  test('a disabled app: 403', async () => {
    const r = await api(server, disabled, { method: 'POST', path: '/events', body });
    assertJsonError(r, 403);
    const g = await api(server, disabled, { path: '/channels' });
    assertJsonError(g, 403);
  });

  test('the SDK surfaces 401 for a wrong secret', async () => {
    const bad = serverSdk(server, { ...app, secret: 'not-the-secret' });
    await assert.rejects(bad.trigger('c', 'e', {}), (e) => e.status === 401);
  });

  test('query keys are lower-cased and sorted before signing', async () => {
    const p = `/apps/${app.id}/channels`;
    const ts = now();
    const signed = `auth_key=${app.key}&auth_timestamp=${ts}&auth_version=1.0&filter_by_prefix=zzz-&foobar=baz`;
    const sig = hmacHex(app.secret, `GET\n${p}\n${signed}`);
    const url = `http://${server.host}:${server.port}${p}?FooBar=baz&filter_by_prefix=zzz-&auth_version=1.0&auth_key=${app.key}&auth_timestamp=${ts}&auth_signature=${sig}`;
    const res = await fetch(url);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), { channels: {} });
  });
});
