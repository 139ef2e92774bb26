// PROTOCOL.md §3 cache channels: last HTTP API event replayed right after
// subscription_succeeded, pusher:cache_miss otherwise, client events never cached.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  channelAuth,
  cleanupAll,
  cleanupClients,
  connectedPusher,
  makeApp,
  rawConnect,
  serverSdk,
  sleep,
  startServer,
  waitEvent,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
const other = makeApp();
let server;
let sdk;
before(async () => {
  server = await startServer({ apps: [app, other] });
  sdk = serverSdk(server, app);
});

/**
 * PROTOCOL.md §3 shows the miss frame as {"event":"pusher:cache_miss","channel":C}; a
 * `data` of "{}" (a JSON string, as §1 asks of server data) is tolerated.
 */
function assertMiss(frame, channel) {
  const { data, ...rest } = frame;
  assert.deepEqual(rest, { event: 'pusher:cache_miss', channel });
  if (data !== undefined) assert.equal(data, '{}', `cache_miss data: ${JSON.stringify(frame)}`);
}

/** Index of the first frame after subscription_succeeded for `channel`, and that frame. */
async function frameAfterSuccess(c, channel) {
  await c.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel);
  await c.next((f) => f.channel === channel && f.event !== 'pusher_internal:subscription_succeeded', {
    what: `cached event or cache_miss on ${channel}`,
  });
  const i = c.frames.findIndex((f) => f.msg.event === 'pusher_internal:subscription_succeeded' && f.msg.channel === channel);
  const rest = c.frames.slice(i + 1).filter((f) => f.msg.channel === channel);
  return rest[0].msg;
}

function subscribeAuth(c, channel) {
  if (channel.startsWith('presence-')) {
    const cd = JSON.stringify({ user_id: `u-${c.socketId}`, user_info: {} });
    return { auth: channelAuth(app, c.socketId, channel, cd), channel_data: cd };
  }
  if (channel.startsWith('private-')) return { auth: channelAuth(app, c.socketId, channel) };
  return { auth: '' };
}

describe('cache channels', () => {
  test('nothing cached: pusher:cache_miss {event, channel} right after subscription_succeeded', async () => {
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:subscribe', data: { channel: 'cache-empty', auth: '' } });
    const m = await frameAfterSuccess(c, 'cache-empty');
    assertMiss(m, 'cache-empty');
  });

  test('the last HTTP event is sent right after subscription_succeeded; live subscribers get it once', async () => {
    const live = await rawConnect(server, app);
    await live.mustSubscribe('cache-invoice.1', { auth: '' });
    await live.next('pusher:cache_miss');
    await sdk.trigger('cache-invoice.1', 'invoice.updated', { v: 1 });
    await sdk.trigger('cache-invoice.1', 'payment.received', { v: 2 });
    await live.next('invoice.updated');
    await live.next('payment.received');
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:subscribe', data: { channel: 'cache-invoice.1', auth: '' } });
    const m = await frameAfterSuccess(c, 'cache-invoice.1');
    assert.deepEqual(m, { event: 'payment.received', channel: 'cache-invoice.1', data: JSON.stringify({ v: 2 }) });
    await c.expectNone((f) => f.event === 'invoice.updated' || f.event === 'pusher:cache_miss', 300, 'older event or cache_miss');
    await live.expectNone('payment.received', 300, 'a replay to an existing subscriber');
  });

  test('batch_events also fill the cache', async () => {
    await sdk.triggerBatch([{ channel: 'cache-batch', name: 'b.event', data: { batch: true } }]);
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:subscribe', data: { channel: 'cache-batch', auth: '' } });
    const m = await frameAfterSuccess(c, 'cache-batch');
    assert.equal(m.event, 'b.event');
    assert.equal(m.data, '{"batch":true}');
  });

  for (const name of ['private-cache-p', 'presence-cache-q', 'private-encrypted-cache-r']) {
    test(`${name}: cached event replayed after an authorised subscribe`, async () => {
      const c0 = await rawConnect(server, app);
      c0.send({ event: 'pusher:subscribe', data: { channel: name, ...subscribeAuth(c0, name) } });
      assertMiss(await frameAfterSuccess(c0, name), name);
      const data = JSON.stringify({ nonce: 'n', ciphertext: 'c' });
      const r = await sdk.post({ path: '/events', body: { name: 'kept', channels: [name], data } });
      assert.equal(r.status, 200);
      const c = await rawConnect(server, app);
      c.send({ event: 'pusher:subscribe', data: { channel: name, ...subscribeAuth(c, name) } });
      const m = await frameAfterSuccess(c, name);
      assert.deepEqual(m, { event: 'kept', channel: name, data });
    });
  }

  test('client events are not cached', async () => {
    const name = 'private-cache-client';
    const a = await rawConnect(server, app);
    const b = await rawConnect(server, app);
    await a.mustSubscribe(name, subscribeAuth(a, name));
    await b.mustSubscribe(name, subscribeAuth(b, name));
    a.send({ event: 'client-draft', channel: name, data: { typing: true } });
    await b.next('client-draft');
    const c = await rawConnect(server, app);
    c.send({ event: 'pusher:subscribe', data: { channel: name, ...subscribeAuth(c, name) } });
    assertMiss(await frameAfterSuccess(c, name), name);
  });

  test('the cache is per app', async () => {
    await sdk.trigger('cache-per-app', 'mine', 'x');
    const c = await rawConnect(server, other);
    c.send({ event: 'pusher:subscribe', data: { channel: 'cache-per-app', auth: '' } });
    assertMiss(await frameAfterSuccess(c, 'cache-per-app'), 'cache-per-app');
  });

  test('non-cache channels never get cache_miss or a replay', async () => {
    await sdk.trigger('plain-channel', 'old', 'x');
    const c = await rawConnect(server, app);
    await c.mustSubscribe('plain-channel', { auth: '' });
    await c.expectNone((f) => f.channel === 'plain-channel', 500, 'cache behaviour on a plain channel');
  });

  test('pusher-js: pusher:cache_miss, then a cached event on the next subscribe', async () => {
    const p = await connectedPusher(server, app);
    const ch = p.subscribe('cache-js');
    await waitEvent(ch, 'pusher:cache_miss');
    await sdk.trigger('cache-js', 'invoice.status.changed', { status: 'paid' });
    const p2 = await connectedPusher(server, app);
    const ch2 = p2.subscribe('cache-js');
    const got = await waitEvent(ch2, 'invoice.status.changed');
    assert.deepEqual(got, { status: 'paid' });
    await sleep(100);
    assert.equal(ch2.subscribed, true);
  });
});
