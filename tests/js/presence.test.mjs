// PROTOCOL.md §3 presence: signature over the raw channel_data, success data shape,
// member_added / member_removed to the others, uniqueness by user_id, limits.
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
  signer,
  sleep,
  startServer,
  subscribed,
  waitEvent,
  waitFor,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
const small = makeApp({ max_presence_members: 2, max_presence_user_info_bytes: 64 });
let server;
before(async () => {
  server = await startServer({ apps: [app, small] });
});

/** Join `channel` as `userId` on a new raw connection; returns {c, ok} (ok = success frame). */
async function join(theApp, channel, userId, userInfo = {}, { channelData } = {}) {
  const c = await rawConnect(server, theApp);
  const cd = channelData ?? JSON.stringify({ user_id: userId, user_info: userInfo });
  const ok = await c.subscribe(channel, { auth: channelAuth(theApp, c.socketId, channel, cd), channel_data: cd });
  return { c, ok };
}

const memberEvent = (name, channel) => (f) => f.event === name && f.channel === channel;

async function assertRefused(c, frame, channel) {
  assert.equal(frame.event, 'pusher:error', `expected a refusal for ${channel}, got ${JSON.stringify(frame)}`);
  if (frame.channel !== undefined) assert.equal(frame.channel, channel);
  const err = errorData(frame);
  await c.ping();
  return err;
}

describe('presence membership', () => {
  test('success data is the string {"presence":{"ids","hash","count"}}', async () => {
    const { ok } = await join(app, 'presence-p1', 'u1', { name: 'Ann' });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    assert.equal(ok.channel, 'presence-p1');
    assert.deepEqual(decodeString(ok), { presence: { ids: ['u1'], hash: { u1: { name: 'Ann' } }, count: 1 } });
  });

  test('member_added goes to the others only, with {user_id,user_info}; newcomer sees everyone', async () => {
    const a = await join(app, 'presence-p2', 'u1', { name: 'Ann' });
    const b = await join(app, 'presence-p2', 'u2', { name: 'Bob', role: 'owner' });
    const added = await a.c.next(memberEvent('pusher_internal:member_added', 'presence-p2'));
    assert.deepEqual(added, {
      event: 'pusher_internal:member_added',
      channel: 'presence-p2',
      data: added.data,
    });
    assert.deepEqual(decodeString(added), { user_id: 'u2', user_info: { name: 'Bob', role: 'owner' } });
    const p = decodeString(b.ok).presence;
    assert.deepEqual([...p.ids].sort(), ['u1', 'u2']);
    assert.deepEqual(p.hash, { u1: { name: 'Ann' }, u2: { name: 'Bob', role: 'owner' } });
    assert.equal(p.count, 2);
    await b.c.expectNone(memberEvent('pusher_internal:member_added', 'presence-p2'), 400, 'member_added about oneself');
  });

  test('member_removed {user_id} on unsubscribe and on disconnect', async () => {
    const a = await join(app, 'presence-p3', 'u1');
    const b = await join(app, 'presence-p3', 'u2');
    const c = await join(app, 'presence-p3', 'u3');
    b.c.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-p3' } });
    const removed = await a.c.next(memberEvent('pusher_internal:member_removed', 'presence-p3'));
    assert.deepEqual(removed, { event: 'pusher_internal:member_removed', channel: 'presence-p3', data: removed.data });
    assert.deepEqual(decodeString(removed), { user_id: 'u2' });
    c.c.ws.close(1000);
    const removed2 = await a.c.next(memberEvent('pusher_internal:member_removed', 'presence-p3'));
    assert.deepEqual(decodeString(removed2), { user_id: 'u3' });
    const late = await join(app, 'presence-p3', 'u4');
    assert.deepEqual([...decodeString(late.ok).presence.ids].sort(), ['u1', 'u4']);
  });

  test('members are unique by user_id: added on the first connection, removed with the last', async () => {
    const observer = await join(app, 'presence-p4', 'watcher');
    const first = await join(app, 'presence-p4', 'dup', { n: 1 });
    await observer.c.next(memberEvent('pusher_internal:member_added', 'presence-p4'));
    const second = await join(app, 'presence-p4', 'dup', { n: 1 });
    assert.equal(second.ok.event, 'pusher_internal:subscription_succeeded');
    const p = decodeString(second.ok).presence;
    assert.equal(p.count, 2);
    assert.deepEqual([...p.ids].sort(), ['dup', 'watcher']);
    await observer.c.expectNone(memberEvent('pusher_internal:member_added', 'presence-p4'), 400, 'a second member_added for the same user');
    first.c.ws.close(1000);
    await observer.c.expectNone(memberEvent('pusher_internal:member_removed', 'presence-p4'), 600, 'member_removed while another connection remains');
    const users = await api(server, app, { path: '/channels/presence-p4/users' });
    assert.equal(users.status, 200, users.text);
    assert.deepEqual(users.json.users.map((u) => u.id).sort(), ['dup', 'watcher']);
    second.c.ws.close(1000);
    const removed = await observer.c.next(memberEvent('pusher_internal:member_removed', 'presence-p4'));
    assert.deepEqual(decodeString(removed), { user_id: 'dup' });
  });

  test('GET /channels/{presence}/users lists the members', async () => {
    await join(app, 'presence-p5', 'alice');
    await join(app, 'presence-p5', 'bob');
    const r = await api(server, app, { path: '/channels/presence-p5/users' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ['users']);
    assert.deepEqual([...r.json.users].sort((x, y) => x.id.localeCompare(y.id)), [{ id: 'alice' }, { id: 'bob' }]);
  });
});

describe('presence signatures', () => {
  test('the signature covers channel_data exactly as sent (odd spacing is kept, not re-serialised)', async () => {
    const cd = '{ "user_info" : {"name":"Spacy"},   "user_id":"sp1" }';
    const { c, ok } = await join(app, 'presence-raw', 'sp1', {}, { channelData: cd });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    assert.deepEqual(decodeString(ok).presence.hash, { sp1: { name: 'Spacy' } });
    await c.ping();
  });

  test('the SDK authorizeChannel response is accepted verbatim', async () => {
    const c = await rawConnect(server, app);
    const resp = signer(app).authorizeChannel(c.socketId, 'presence-sdk', { user_id: 'sdk-1', user_info: { a: 1 } });
    assert.equal(typeof resp.channel_data, 'string');
    const ok = await c.subscribe('presence-sdk', resp);
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    assert.deepEqual(decodeString(ok).presence.hash, { 'sdk-1': { a: 1 } });
  });

  test('channel_data that does not match its signature: Invalid signature, code null', async () => {
    const c = await rawConnect(server, app);
    const signed = JSON.stringify({ user_id: 'honest', user_info: {} });
    const sent = JSON.stringify({ user_id: 'admin', user_info: {} });
    const m = await c.subscribe('presence-forged', { auth: channelAuth(app, c.socketId, 'presence-forged', signed), channel_data: sent });
    const err = await assertRefused(c, m, 'presence-forged');
    assert.equal(err.code, null);
    assert.match(err.message, /^Invalid signature/);
    assert.ok(err.message.includes(`${c.socketId}:presence-forged:${sent}`), err.message);
  });

  test('missing channel_data is refused', async () => {
    const c = await rawConnect(server, app);
    const m = await c.subscribe('presence-nodata', { auth: channelAuth(app, c.socketId, 'presence-nodata') });
    await assertRefused(c, m, 'presence-nodata');
  });

  test('channel_data without a user_id is refused even when correctly signed', async () => {
    const { c, ok } = await join(app, 'presence-noid', null, {}, { channelData: '{"user_info":{}}' });
    await assertRefused(c, ok, 'presence-noid');
  });

  test('channel_data that is not JSON is refused even when correctly signed', async () => {
    const { c, ok } = await join(app, 'presence-notjson', null, {}, { channelData: 'not json' });
    await assertRefused(c, ok, 'presence-notjson');
  });
});

describe('presence limits', () => {
  test('over max_presence_members a new user is refused; an existing member may add a connection', async () => {
    const a = await join(small, 'presence-full', 'm1');
    const b = await join(small, 'presence-full', 'm2');
    await a.c.next(memberEvent('pusher_internal:member_added', 'presence-full'));
    assert.equal(a.ok.event, 'pusher_internal:subscription_succeeded');
    assert.equal(b.ok.event, 'pusher_internal:subscription_succeeded');
    const c = await join(small, 'presence-full', 'm3');
    const err = await assertRefused(c.c, c.ok, 'presence-full');
    assert.ok(err.message.length > 0);
    await a.c.expectNone(memberEvent('pusher_internal:member_added', 'presence-full'), 300, 'member_added for a refused user');
    const again = await join(small, 'presence-full', 'm1');
    assert.equal(again.ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(again.ok));
    assert.equal(decodeString(again.ok).presence.count, 2);
  });

  test('user_info over max_presence_user_info_bytes is refused', async () => {
    const { c, ok } = await join(small, 'presence-bigdata', 'big', { blob: 'x'.repeat(200) });
    await assertRefused(c, ok, 'presence-bigdata');
    const fine = await join(small, 'presence-bigdata', 'ok', { n: 'short' });
    assert.equal(fine.ok.event, 'pusher_internal:subscription_succeeded');
  });

  test('default limit: user_info over 1 KB is refused', async () => {
    const { c, ok } = await join(app, 'presence-1k', 'big', { blob: 'y'.repeat(1100) });
    await assertRefused(c, ok, 'presence-1k');
  });

  test('user id over 128 characters is refused, 128 is accepted', async () => {
    const ok128 = await join(app, 'presence-longid', 'i'.repeat(128));
    assert.equal(ok128.ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok128.ok));
    const { c, ok } = await join(app, 'presence-longid', 'j'.repeat(129));
    await assertRefused(c, ok, 'presence-longid');
  });
});

describe('presence with pusher-js', () => {
  test('members.count/me/each and pusher:member_added / pusher:member_removed', async () => {
    const p1 = await connectedPusher(server, app, { presence: { user_id: 'js-1', user_info: { name: 'One' } } });
    const ch1 = await subscribed(p1, 'presence-js');
    assert.equal(ch1.members.count, 1);
    assert.deepEqual(ch1.members.me, { id: 'js-1', info: { name: 'One' } });

    const added = waitEvent(ch1, 'pusher:member_added');
    const p2 = await connectedPusher(server, app, { presence: { user_id: 'js-2', user_info: { name: 'Two' } } });
    const ch2 = await subscribed(p2, 'presence-js');
    assert.deepEqual(await added, { id: 'js-2', info: { name: 'Two' } });
    assert.equal(ch1.members.count, 2);
    const seen = [];
    ch2.members.each((m) => seen.push(m.id));
    assert.deepEqual(seen.sort(), ['js-1', 'js-2']);

    const removed = waitEvent(ch1, 'pusher:member_removed');
    p2.disconnect();
    assert.deepEqual(await removed, { id: 'js-2', info: { name: 'Two' } });
    await waitFor(() => ch1.members.count === 1, 2000, 'members.count back to 1');
  });

  test('pusher-js presence with a bad signature is not joined', async () => {
    const p = await connectedPusher(server, app, {
      presence: { user_id: 'bad', user_info: {} },
      signWith: { ...app, secret: 'nope' },
    });
    const err = waitEvent(p.connection, 'error', { filter: (e) => e.type === 'PusherError' });
    const ch = p.subscribe('presence-js-bad');
    assert.match((await err).data.message, /^Invalid signature/);
    await sleep(200);
    assert.equal(ch.subscribed, false);
  });
});
