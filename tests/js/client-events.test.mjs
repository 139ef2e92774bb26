// PROTOCOL.md §4: client events (private/presence only, joined only, never echoed,
// per-app switch, 10/s per connection with a non-closing 4301, user_id on presence).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  channelAuth,
  cleanupAll,
  cleanupClients,
  collect,
  connectedPusher,
  decodeString,
  errorData,
  makeApp,
  rawConnect,
  sleep,
  startServer,
  subscribed,
  waitEvent,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp({ max_client_events_per_second: 10 });
const noClientEvents = makeApp({ client_events: false });
let server;
before(async () => {
  server = await startServer({ apps: [app, noClientEvents] });
});

async function privatePair(theApp, channel) {
  const a = await rawConnect(server, theApp);
  const b = await rawConnect(server, theApp);
  await a.mustSubscribe(channel, { auth: channelAuth(theApp, a.socketId, channel) });
  await b.mustSubscribe(channel, { auth: channelAuth(theApp, b.socketId, channel) });
  return [a, b];
}

async function presenceMember(channel, userId) {
  const c = await rawConnect(server, app);
  const cd = JSON.stringify({ user_id: userId, user_info: { name: userId } });
  await c.mustSubscribe(channel, { auth: channelAuth(app, c.socketId, channel, cd), channel_data: cd });
  return c;
}

describe('relaying', () => {
  test('private channel: relayed to the other subscriber with string data, not echoed to the sender', async () => {
    const [a, b] = await privatePair(app, 'private-chat');
    a.send({ event: 'client-typing', channel: 'private-chat', data: { who: 'a', n: 1 } });
    const m = await b.next('client-typing');
    assert.equal(m.channel, 'private-chat');
    assert.deepEqual(decodeString(m), { who: 'a', n: 1 });
    assert.equal(m.user_id, undefined, 'no user_id on a private channel');
    await a.expectNone('client-typing', 400, 'echo to the sender');
  });

  test('presence channel: relayed frame carries the sender user_id at top level', async () => {
    const a = await presenceMember('presence-chat', 'alice');
    const b = await presenceMember('presence-chat', 'bob');
    a.send({ event: 'client-wave', channel: 'presence-chat', data: { hi: true } });
    const m = await b.next('client-wave');
    assert.equal(m.user_id, 'alice');
    assert.deepEqual(decodeString(m), { hi: true });
    await a.expectNone('client-wave', 400, 'echo to the sender');
  });

  test('public channel: refused with a pusher:error, not relayed', async () => {
    const a = await rawConnect(server, app);
    const b = await rawConnect(server, app);
    await a.mustSubscribe('public-chat', { auth: '' });
    await b.mustSubscribe('public-chat', { auth: '' });
    a.send({ event: 'client-nope', channel: 'public-chat', data: {} });
    const err = await a.next('pusher:error');
    errorData(err);
    await b.expectNone('client-nope', 500, 'client event on a public channel');
    await a.ping();
  });

  test('a channel the sender has not joined: not relayed', async () => {
    const b = await rawConnect(server, app);
    await b.mustSubscribe('private-closed', { auth: channelAuth(app, b.socketId, 'private-closed') });
    const a = await rawConnect(server, app);
    a.send({ event: 'client-sneak', channel: 'private-closed', data: {} });
    await b.expectNone('client-sneak', 500, 'client event from a non-member');
    await a.ping();
  });

  test('an event without the client- prefix is not relayed', async () => {
    const [a, b] = await privatePair(app, 'private-prefix');
    a.send({ event: 'payment.received', channel: 'private-prefix', data: {} });
    a.send({ event: 'pusher:fake', channel: 'private-prefix', data: {} });
    a.send({ event: 'pusher_internal:member_added', channel: 'private-prefix', data: {} });
    await b.expectNone((f) => f.channel === 'private-prefix', 500, 'a non-client event relayed');
    await a.ping();
  });

  test('client events disabled for the app: refused, not relayed', async () => {
    const [a, b] = await privatePair(noClientEvents, 'private-off');
    a.send({ event: 'client-off', channel: 'private-off', data: {} });
    await b.expectNone('client-off', 500, 'client event with client_events=false');
    const err = await a.next('pusher:error');
    errorData(err);
    await a.ping();
  });
});

describe('rate limit', () => {
  test('over 10/s: pusher:error 4301, the connection stays open, excess dropped', async () => {
    const [a, b] = await privatePair(app, 'private-burst');
    for (let i = 0; i < 20; i++) a.send({ event: 'client-burst', channel: 'private-burst', data: { i } });
    const err = await a.next('pusher:error');
    assert.equal(errorData(err).code, 4301, JSON.stringify(err));
    await a.ping();
    assert.equal(a.closeInfo, null, 'the connection must stay open');
    await sleep(300);
    const delivered = b.frames.filter((f) => f.msg.event === 'client-burst').length;
    assert.ok(delivered >= 1 && delivered <= 10, `delivered ${delivered} of 20`);
    // a second later the sender may send again
    await sleep(1100);
    for (const f of b.frames) f.taken = true;
    a.send({ event: 'client-later', channel: 'private-burst', data: { ok: 1 } });
    const later = await b.next('client-later');
    assert.deepEqual(decodeString(later), { ok: 1 });
  });
});

describe('pusher-js', () => {
  test('channel.trigger on a private channel reaches another pusher-js client', async () => {
    const p1 = await connectedPusher(server, app);
    const p2 = await connectedPusher(server, app);
    const c1 = await subscribed(p1, 'private-js-chat');
    const c2 = await subscribed(p2, 'private-js-chat');
    const echoes = collect(c1, 'client-msg');
    const got = waitEvent(c2, 'client-msg');
    assert.equal(c1.trigger('client-msg', { text: 'hello' }), true);
    assert.deepEqual(await got, { text: 'hello' });
    await sleep(300);
    assert.equal(echoes.length, 0, 'pusher-js sender must not get its own event');
  });

  test('presence: the receiver gets metadata.user_id of the sender', async () => {
    const p1 = await connectedPusher(server, app, { presence: { user_id: 'sender-1', user_info: {} } });
    const p2 = await connectedPusher(server, app, { presence: { user_id: 'receiver-1', user_info: {} } });
    const c1 = await subscribed(p1, 'presence-js-chat');
    const c2 = await subscribed(p2, 'presence-js-chat');
    const got = new Promise((resolve) => c2.bind('client-ping', (data, meta) => resolve({ data, meta })));
    c1.trigger('client-ping', { n: 5 });
    const { data, meta } = await Promise.race([got, sleep(5000).then(() => ({ data: 'timeout' }))]);
    assert.deepEqual(data, { n: 5 });
    assert.equal(meta?.user_id, 'sender-1');
  });
});
