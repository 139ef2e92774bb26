// PROTOCOL.md §3: subscribe/unsubscribe, channel kinds by prefix, names, private and
// encrypted auth, subscription_count. (Presence: presence.test.mjs; cache: cache.test.mjs.)
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api,
  channelAuth,
  cleanupAll,
  cleanupClients,
  connectedPusher,
  decodeString,
  errorData,
  makeApp,
  rawConnect,
  serverSdk,
  signer,
  sleep,
  startServer,
  subscribed,
  waitEvent,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const MASTER_KEY = 'nxzvbGF+f8FGhk/jOaZvgMle1tqxzF/VfUZLBLhhaH0=';

const app = makeApp();
const other = makeApp();
const counted = makeApp({ subscription_count: true });
const limited = makeApp({ max_channels_per_connection: 2, max_subscriptions_per_second: 1 });
let server;
before(async () => {
  server = await startServer({ apps: [app, other, counted, limited] });
});

/** Assert that `frame` is a non-fatal subscribe refusal for `channel`, and the socket lives on. */
async function assertRefused(c, frame, channel) {
  assert.equal(frame.event, 'pusher:error', `expected a refusal for ${channel}, got ${JSON.stringify(frame)}`);
  if (frame.channel !== undefined) assert.equal(frame.channel, channel);
  const err = errorData(frame);
  await c.ping(); // still open
  assert.equal(c.closeInfo, null);
  return err;
}

describe('public channels', () => {
  test('subscribe succeeds with the exact frame {event, channel, data:"{}"}', async () => {
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:subscribe', data: { channel: 'invoice.abc', auth: '' } });
    const m = await c.next('pusher_internal:subscription_succeeded');
    assert.deepEqual(m, { event: 'pusher_internal:subscription_succeeded', channel: 'invoice.abc', data: '{}' });
  });

  test('subscribe without an auth field also succeeds', async () => {
    const c = await rawConnect(server, app);
    const m = await c.subscribe('no-auth-field');
    assert.equal(m.event, 'pusher_internal:subscription_succeeded');
  });

  test('an HTTP API event arrives with data as the exact string sent', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('orders', { auth: '' });
    const data = '{"amount":1250,"currency":"EUR","note":"caf\\u00e9 ✅"}';
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'payment.received', channel: 'orders', data } });
    assert.equal(r.status, 200, r.text);
    const m = await c.next('payment.received');
    assert.deepEqual(m, { event: 'payment.received', channel: 'orders', data });
  });

  test('non-JSON string data is relayed untouched', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('plain', { auth: '' });
    await serverSdk(server, app).trigger('plain', 'text', 'just a "string"');
    const m = await c.next('text');
    assert.equal(m.data, 'just a "string"');
  });

  test('subscribing twice: pusher:error "Existing subscription to channel X" with code null', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('twice', { auth: '' });
    c.send({ event: 'pusher:subscribe', data: { channel: 'twice', auth: '' } });
    const m = await c.next((f) => f.event === 'pusher:error' || f.event === 'pusher_internal:subscription_succeeded');
    assert.equal(m.event, 'pusher:error', JSON.stringify(m));
    assert.equal(m.channel, 'twice');
    assert.deepEqual(errorData(m), { message: 'Existing subscription to channel twice', code: null });
    await c.ping();
    // still subscribed exactly once: one trigger, one delivery
    await serverSdk(server, app).trigger('twice', 'once', '1');
    await c.next('once');
    await c.expectNone('once', 400, 'second delivery');
  });

  test('unsubscribe: no reply, connection stays open, no more events, re-subscribe works', async () => {
    const c = await rawConnect(server, app);
    await c.mustSubscribe('leave-me', { auth: '' });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'leave-me' } });
    await c.expectNone(() => true, 400, 'reply to pusher:unsubscribe');
    await c.ping();
    await serverSdk(server, app).trigger('leave-me', 'after', '1');
    await c.expectNone('after', 500, 'event after unsubscribe');
    const again = await c.subscribe('leave-me', { auth: '' });
    assert.equal(again.event, 'pusher_internal:subscription_succeeded');
  });

  test('unsubscribing from a channel never joined: no reply, connection stays open', async () => {
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'never-joined' } });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'private-never' } });
    await c.expectNone(() => true, 500, 'reply to a stray unsubscribe');
    await c.ping();
    assert.equal(c.closeInfo, null);
  });

  test('one trigger to several channels reaches each subscriber once', async () => {
    const a = await rawConnect(server, app);
    const b = await rawConnect(server, app);
    await a.mustSubscribe('multi-a', { auth: '' });
    await b.mustSubscribe('multi-b', { auth: '' });
    await b.mustSubscribe('multi-c', { auth: '' });
    await serverSdk(server, app).trigger(['multi-a', 'multi-b', 'multi-c'], 'fan', { x: 1 });
    const ma = await a.next('fan');
    assert.equal(ma.channel, 'multi-a');
    const got = [(await b.next('fan')).channel, (await b.next('fan')).channel].sort();
    assert.deepEqual(got, ['multi-b', 'multi-c']);
    await a.expectNone('fan', 300);
  });

  test('events stay within their app', async () => {
    const mine = await rawConnect(server, app);
    const theirs = await rawConnect(server, other);
    await mine.mustSubscribe('shared-name', { auth: '' });
    await theirs.mustSubscribe('shared-name', { auth: '' });
    await serverSdk(server, app).trigger('shared-name', 'scoped', 'a');
    await mine.next('scoped');
    await theirs.expectNone('scoped', 400, 'event of another app');
  });

  test('pusher-js: public channel receives an SDK event as an object', async () => {
    const p = await connectedPusher(server, app);
    const ch = await subscribed(p, 'invoice.7f3c');
    const got = waitEvent(ch, 'payment.received');
    const payload = { title: '✅ Invoice Paid', invoiceId: '7f3c', status: 'paid' };
    const res = await serverSdk(server, app).trigger('invoice.7f3c', 'payment.received', payload);
    assert.equal(res.status, 200);
    assert.deepEqual(await got, payload);
  });
});

describe('channel names', () => {
  test('all allowed characters [A-Za-z0-9_\\-=@,.;] are accepted', async () => {
    const c = await rawConnect(server, app);
    const name = 'Az09_-=@,.;xyz';
    const m = await c.subscribe(name, { auth: '' });
    assert.equal(m.event, 'pusher_internal:subscription_succeeded', JSON.stringify(m));
  });

  for (const bad of ['has space', 'bang!', 'slash/name', 'ümlaut', 'star*', '']) {
    test(`invalid channel name ${JSON.stringify(bad)} is refused, connection stays open`, async () => {
      const c = await rawConnect(server, app);
      c.send({ event: 'pusher:subscribe', data: { channel: bad, auth: '' } });
      const m = await c.next((f) => f.event === 'pusher:error' || f.event === 'pusher_internal:subscription_succeeded');
      await assertRefused(c, m, bad);
    });
  }

  test('a 200-character name is accepted, 201 is refused', async () => {
    const c = await rawConnect(server, app);
    const ok = 'n'.repeat(200);
    assert.equal((await c.subscribe(ok, { auth: '' })).event, 'pusher_internal:subscription_succeeded');
    const tooLong = 'm'.repeat(201);
    c.send({ event: 'pusher:subscribe', data: { channel: tooLong, auth: '' } });
    const m = await c.next((f) => f.event === 'pusher:error' || (f.event === 'pusher_internal:subscription_succeeded' && f.channel === tooLong));
    await assertRefused(c, m, tooLong);
  });
});

describe('private channels', () => {
  test('our signature equals the SDK authorizeChannel and is accepted', async () => {
    const c = await rawConnect(server, app);
    const auth = channelAuth(app, c.socketId, 'private-invoice.1');
    assert.deepEqual(signer(app).authorizeChannel(c.socketId, 'private-invoice.1'), { auth });
    const m = await c.subscribe('private-invoice.1', { auth });
    assert.deepEqual(m, { event: 'pusher_internal:subscription_succeeded', channel: 'private-invoice.1', data: '{}' });
  });

  test('a wrong signature: "Invalid signature: Expected HMAC SHA256 hex digest of ..." with code null', async () => {
    const c = await rawConnect(server, app);
    const forged = `${app.key}:${'0'.repeat(64)}`;
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-x', auth: forged } });
    const m = await c.next((f) => f.event === 'pusher:error' || f.event === 'pusher_internal:subscription_succeeded');
    const err = await assertRefused(c, m, 'private-x');
    assert.equal(err.code, null);
    assert.ok(err.message.startsWith('Invalid signature'), err.message);
    assert.ok(err.message.includes(`${c.socketId}:private-x`), `message names the signed string: ${err.message}`);
    assert.ok(err.message.includes('0'.repeat(64)), `message names the received signature: ${err.message}`);
  });

  test('missing auth on a private channel is refused', async () => {
    const c = await rawConnect(server, app);
    const m = await c.subscribe('private-noauth');
    await assertRefused(c, m, 'private-noauth');
    const m2 = await c.subscribe('private-emptyauth', { auth: '' });
    await assertRefused(c, m2, 'private-emptyauth');
  });

  test('a signature made with another app secret is refused', async () => {
    const c = await rawConnect(server, app);
    const auth = `${app.key}:${channelAuth(other, c.socketId, 'private-y').split(':')[1]}`;
    await assertRefused(c, await c.subscribe('private-y', { auth }), 'private-y');
  });

  test('a correct HMAC with another key prefix is refused', async () => {
    const c = await rawConnect(server, app);
    const hmac = channelAuth(app, c.socketId, 'private-z').split(':')[1];
    await assertRefused(c, await c.subscribe('private-z', { auth: `${other.key}:${hmac}` }), 'private-z');
  });

  test('a signature for another socket id or another channel is refused', async () => {
    const c = await rawConnect(server, app);
    const wrongSocket = channelAuth(app, '1234.5678', 'private-w');
    await assertRefused(c, await c.subscribe('private-w', { auth: wrongSocket }), 'private-w');
    const wrongChannel = channelAuth(app, c.socketId, 'private-other');
    await assertRefused(c, await c.subscribe('private-w', { auth: wrongChannel }), 'private-w');
  });

  test('pusher-js private channel with SDK-signed auth receives events', async () => {
    const p = await connectedPusher(server, app);
    const ch = await subscribed(p, 'private-user.42.invoices');
    const got = waitEvent(ch, 'invoice.created');
    await serverSdk(server, app).trigger('private-user.42.invoices', 'invoice.created', { number: 7 });
    assert.deepEqual(await got, { number: 7 });
  });

  test('pusher-js private channel with a bad signature gets a pusher:error and no subscription', async () => {
    const p = await connectedPusher(server, app, { signWith: { ...app, secret: 'wrong-secret' } });
    const err = waitEvent(p.connection, 'error', { filter: (e) => e.type === 'PusherError' });
    const ch = p.subscribe('private-refused');
    const e = await err;
    assert.equal(e.data.code, null);
    assert.match(e.data.message, /^Invalid signature/);
    await sleep(300);
    assert.equal(ch.subscribed, false);
    assert.equal(p.connection.state, 'connected');
  });
});

describe('channel kinds by prefix', () => {
  const needsAuth = ['private-encrypted-cache-k1', 'private-encrypted-k2', 'private-cache-k3', 'private-k4'];
  for (const name of needsAuth) {
    test(`${name} requires a channel signature`, async () => {
      const c = await rawConnect(server, app);
      await assertRefused(c, await c.subscribe(name, { auth: '' }), name);
      const ok = await c.subscribe(name, { auth: channelAuth(app, c.socketId, name) });
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    });
  }

  test('presence-cache- requires channel_data signed with it', async () => {
    const c = await rawConnect(server, app);
    const name = 'presence-cache-k5';
    // private-style auth without channel_data is not enough
    await assertRefused(c, await c.subscribe(name, { auth: channelAuth(app, c.socketId, name) }), name);
    const channelData = JSON.stringify({ user_id: 'u1', user_info: {} });
    const ok = await c.subscribe(name, { auth: channelAuth(app, c.socketId, name, channelData), channel_data: channelData });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    assert.equal(decodeString(ok).presence.count, 1);
  });

  for (const name of ['cache-k6', 'privatefoo', 'presencebar', 'encrypted-k7', 'server-to-user-1']) {
    test(`${name} is public`, async () => {
      const c = await rawConnect(server, app);
      const m = await c.subscribe(name, { auth: '' });
      assert.equal(m.event, 'pusher_internal:subscription_succeeded', JSON.stringify(m));
    });
  }
});

describe('per-connection limits (README: max_channels_per_connection, max_subscriptions_per_second)', () => {
  test('pusher-js over the channel limit: a pusher:error with code null on the connection and the channel', async () => {
    const p = await connectedPusher(server, limited);
    await subscribed(p, 'limit-a');
    await subscribed(p, 'limit-b');
    const err = waitEvent(p.connection, 'error', { filter: (e) => e.type === 'PusherError' });
    const ch = p.subscribe('limit-c');
    const onChannel = waitEvent(ch, 'pusher:error');
    const e = await err;
    assert.deepEqual(e.data, {
      code: null,
      message: 'Subscription to limit-c refused - this connection is over its limit of 2 channels',
    });
    assert.deepEqual(await onChannel, e.data);
    await sleep(300);
    assert.equal(ch.subscribed, false);
    assert.equal(p.connection.state, 'connected');
    const { channels } = (await api(server, limited, { method: 'GET', path: '/channels' })).json;
    assert.deepEqual(Object.keys(channels).sort(), ['limit-a', 'limit-b']);
  });

  test('raw frames over the subscription rate: pusher:error 4301 naming the channel, the socket lives on', async () => {
    const c = await rawConnect(server, limited);
    await c.mustSubscribe('rate-a', { auth: '' });
    await c.mustSubscribe('rate-b', { auth: '' });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'rate-b' } });
    const frame = await c.subscribe('rate-b', { auth: '' });
    assert.deepEqual(frame, {
      event: 'pusher:error',
      channel: 'rate-b',
      data: { code: 4301, message: 'Subscription to rate-b refused - no more than 1 subscriptions per second' },
    });
    await assertRefused(c, frame, 'rate-b');
    await sleep(1100);
    await c.mustSubscribe('rate-b', { auth: '' });
  });
});

describe('encrypted channels', () => {
  test('the server relays the ciphertext untouched', async () => {
    const c = await rawConnect(server, app);
    const name = 'private-encrypted-relay';
    await c.mustSubscribe(name, { auth: channelAuth(app, c.socketId, name) });
    const data = JSON.stringify({ nonce: 'bm9uY2Vub25jZW5vbmNlbm9uY2Vub25j', ciphertext: 'Y2lwaGVydGV4dA==' });
    const r = await api(server, app, { method: 'POST', path: '/events', body: { name: 'secret', channels: [name], data } });
    assert.equal(r.status, 200, r.text);
    const m = await c.next('secret');
    assert.equal(m.data, data);
  });

  test('pusher-js decrypts an event the SDK encrypted (shared_secret from the auth response)', async () => {
    const p = await connectedPusher(server, app, { sdkOptions: { encryptionMasterKeyBase64: MASTER_KEY } });
    const ch = await subscribed(p, 'private-encrypted-invoice.9');
    const got = waitEvent(ch, 'payment.received');
    const sdk = serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY });
    await sdk.trigger('private-encrypted-invoice.9', 'payment.received', { paid: true, amount: 42 });
    assert.deepEqual(await got, { paid: true, amount: 42 });
  });
});

describe('subscription_count (§3)', () => {
  const frame = (channel, n) => ({
    event: 'pusher_internal:subscription_count',
    channel,
    data: JSON.stringify({ subscription_count: n }),
  });
  const isCount = (channel) => (f) => f.event === 'pusher_internal:subscription_count' && f.channel === channel;

  test('enabled: subscribers get {"subscription_count":N} as members come and go', async () => {
    const a = await rawConnect(server, counted);
    await a.mustSubscribe('counted-room', { auth: '' });
    assert.deepEqual(await a.next(isCount('counted-room')), frame('counted-room', 1));
    const b = await rawConnect(server, counted);
    await b.mustSubscribe('counted-room', { auth: '' });
    assert.deepEqual(await a.next(isCount('counted-room')), frame('counted-room', 2));
    assert.deepEqual(await b.next(isCount('counted-room')), frame('counted-room', 2));
    b.send({ event: 'pusher:unsubscribe', data: { channel: 'counted-room' } });
    assert.deepEqual(await a.next(isCount('counted-room')), frame('counted-room', 1));
  });

  test('enabled: pusher-js exposes pusher:subscription_count and channel.subscriptionCount', async () => {
    const p1 = await connectedPusher(server, counted);
    const ch1 = p1.subscribe('counted-js');
    await waitEvent(ch1, 'pusher:subscription_count', { filter: (d) => d.subscription_count === 1 });
    const p2 = await connectedPusher(server, counted);
    p2.subscribe('counted-js');
    const d = await waitEvent(ch1, 'pusher:subscription_count', { filter: (x) => x.subscription_count === 2 });
    assert.deepEqual(d, { subscription_count: 2 });
    assert.equal(ch1.subscriptionCount, 2);
  });

  test('disabled by default: no subscription_count frames', async () => {
    const a = await rawConnect(server, app);
    await a.mustSubscribe('uncounted', { auth: '' });
    const b = await rawConnect(server, app);
    await b.mustSubscribe('uncounted', { auth: '' });
    await a.expectNone('pusher_internal:subscription_count', 700);
  });
});
