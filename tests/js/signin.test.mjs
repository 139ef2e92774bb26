// PROTOCOL.md §5 user authentication: pusher:signin, #server-to-user-{id}, sendToUser,
// terminate_connections, watchlist (and §2 codes 4009, 4302).
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
  userAuth,
  waitEvent,
  waitState,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
let server;
let sdk;
before(async () => {
  server = await startServer({ apps: [app] });
  sdk = serverSdk(server, app);
});

/** A raw connection signed in as `id` (user_data may carry more fields). */
async function signedIn(id, extra = {}) {
  const c = await rawConnect(server, app);
  const userData = JSON.stringify({ id, ...extra });
  c.send({ event: 'pusher:signin', data: { auth: userAuth(app, c.socketId, userData), user_data: userData } });
  const m = await c.next((f) => f.event === 'pusher:signin_success' || f.event === 'pusher:error', { what: `signin reply for ${id}` });
  assert.equal(m.event, 'pusher:signin_success', JSON.stringify(m));
  return c;
}

const isWatch = (f) => f.event === 'pusher_internal:watchlist_events';

describe('pusher:signin', () => {
  test('success: {"event":"pusher:signin_success","data":"{\\"user_data\\":...}"}', async () => {
    const c = await rawConnect(server, app);
    const userData = JSON.stringify({ id: 'user-1', name: 'Owner', user_info: { plan: 'pro' } });
    c.send({ event: 'pusher:signin', data: { auth: userAuth(app, c.socketId, userData), user_data: userData } });
    const m = await c.next('pusher:signin_success');
    assert.deepEqual(Object.keys(m).sort(), ['data', 'event']);
    assert.deepEqual(decodeString(m), { user_data: userData });
    await c.ping();
  });

  test('the SDK authenticateUser response is accepted verbatim and matches our signature', async () => {
    const c = await rawConnect(server, app);
    const resp = signer(app).authenticateUser(c.socketId, { id: 'sdk-user', name: 'S' });
    assert.equal(resp.auth, userAuth(app, c.socketId, resp.user_data));
    c.send({ event: 'pusher:signin', data: resp });
    const m = await c.next('pusher:signin_success');
    assert.equal(decodeString(m).user_data, resp.user_data);
  });

  test('bad signature: pusher:error 4009, then close 4009', async () => {
    const c = await rawConnect(server, app);
    const userData = JSON.stringify({ id: 'mallory' });
    c.send({ event: 'pusher:signin', data: { auth: `${app.key}:${'f'.repeat(64)}`, user_data: userData } });
    const err = await c.next('pusher:error');
    assert.equal(errorData(err).code, 4009, JSON.stringify(err));
    const closed = await c.waitClose();
    assert.equal(closed.code, 4009);
    assert.equal(c.frames.some((f) => f.msg.event === 'pusher:signin_success'), false);
  });

  test('user_data different from what was signed: 4009', async () => {
    const c = await rawConnect(server, app);
    const signed = JSON.stringify({ id: 'honest' });
    c.send({ event: 'pusher:signin', data: { auth: userAuth(app, c.socketId, signed), user_data: JSON.stringify({ id: 'admin' }) } });
    assert.equal(errorData(await c.next('pusher:error')).code, 4009);
    assert.equal((await c.waitClose()).code, 4009);
  });

  test('pusher-js signin with a bad signature is disconnected (no retry loop)', async () => {
    const p = await connectedPusher(server, app, { userData: { id: 'js-bad' }, signWith: { ...app, secret: 'wrong' } });
    const err = waitEvent(p.connection, 'error', { filter: (e) => (e?.data?.code ?? e?.error?.data?.code) === 4009 });
    p.signin();
    await err;
    await waitState(p, 'disconnected');
    await sleep(1200);
    assert.equal(p.connection.state, 'disconnected', 'pusher-js must not reconnect after 4009');
  });
});

describe('#server-to-user-{id}', () => {
  test('the signed-in user may subscribe to its own channel', async () => {
    const c = await signedIn('owner-1');
    const m = await c.subscribe('#server-to-user-owner-1');
    assert.equal(m.event, 'pusher_internal:subscription_succeeded', JSON.stringify(m));
  });

  test('another signed-in user is refused', async () => {
    await signedIn('victim');
    const c = await signedIn('intruder');
    const m = await c.subscribe('#server-to-user-victim', { auth: '' });
    assert.equal(m.event, 'pusher:error', JSON.stringify(m));
    errorData(m);
    await c.ping();
  });

  test('a connection that has not signed in is refused, whatever auth it sends', async () => {
    const c = await rawConnect(server, app);
    const m = await c.subscribe('#server-to-user-victim', { auth: channelAuth(app, c.socketId, '#server-to-user-victim') });
    assert.equal(m.event, 'pusher:error', JSON.stringify(m));
    await c.ping();
  });

  test('sendToUser reaches every connection of that user and nobody else', async () => {
    const a1 = await signedIn('multi');
    const a2 = await signedIn('multi');
    const b = await signedIn('someone-else');
    await a1.mustSubscribe('#server-to-user-multi');
    await a2.mustSubscribe('#server-to-user-multi');
    await b.mustSubscribe('#server-to-user-someone-else');
    const res = await sdk.sendToUser('multi', 'invoice.created', { number: 3 });
    assert.equal(res.status, 200);
    for (const c of [a1, a2]) {
      const m = await c.next('invoice.created');
      assert.equal(m.channel, '#server-to-user-multi');
      assert.deepEqual(decodeString(m), { number: 3 });
    }
    await b.expectNone('invoice.created', 400);
  });

  test('pusher-js: signin then pusher.user.bind receives sendToUser events', async () => {
    const p = await connectedPusher(server, app, { userData: { id: 'js-user', name: 'J' } });
    const signedInDone = waitEvent(p.connection, 'message', { filter: (m) => m.event === 'pusher:signin_success' });
    // pusher-js subscribes to #server-to-user-js-user by itself after the signin
    const ownChannel = waitEvent(p.connection, 'message', {
      filter: (m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === '#server-to-user-js-user',
    });
    p.signin();
    await signedInDone;
    await ownChannel;
    assert.equal(p.user.user_data.id, 'js-user');
    const got = waitEvent(p.user, 'payment.received');
    await sdk.sendToUser('js-user', 'payment.received', { amount: 10 });
    assert.deepEqual(await got, { amount: 10 });
  });
});

describe('terminate_connections', () => {
  test('closes every signed-in socket of the user with 4009; others untouched; body {}', async () => {
    const a1 = await signedIn('term-me');
    const a2 = await signedIn('term-me');
    const b = await signedIn('keep-me');
    const plain = await rawConnect(server, app);
    const r = await api(server, app, { method: 'POST', path: '/users/term-me/terminate_connections', body: {} });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {});
    for (const c of [a1, a2]) assert.equal((await c.waitClose()).code, 4009, c.describe());
    await b.ping();
    await plain.ping();
  });

  test('SDK terminateUserConnections', async () => {
    const c = await signedIn('sdk-term');
    const res = await sdk.terminateUserConnections('sdk-term');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    assert.equal((await c.waitClose()).code, 4009);
  });

  test('terminating a user with no connection still answers {}', async () => {
    const res = await sdk.terminateUserConnections('nobody-here');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
  });
});

describe('watchlist', () => {
  test('online/offline events for watched users', async () => {
    const watcher = await signedIn('watcher-1', { watchlist: ['friend-1', 'friend-2'] });
    const friend = await signedIn('friend-1');
    const online = await watcher.next(isWatch);
    assert.deepEqual(decodeString(online), { events: [{ name: 'online', user_ids: ['friend-1'] }] });
    friend.ws.close(1000);
    const offline = await watcher.next(isWatch);
    assert.deepEqual(decodeString(offline), { events: [{ name: 'offline', user_ids: ['friend-1'] }] });
    // a user not watched produces nothing
    await signedIn('stranger');
    await watcher.expectNone(isWatch, 400, 'watchlist event for an unwatched user');
  });

  test('watched users already online are reported after signin', async () => {
    await signedIn('early-bird');
    const watcher = await signedIn('watcher-2', { watchlist: ['early-bird', 'absent'] });
    const online = await watcher.next(isWatch);
    assert.deepEqual(decodeString(online), { events: [{ name: 'online', user_ids: ['early-bird'] }] });
  });

  test('a second connection of a watched user is not a new online; offline after the last one', async () => {
    const watcher = await signedIn('watcher-3', { watchlist: ['twice'] });
    const t1 = await signedIn('twice');
    await watcher.next(isWatch);
    const t2 = await signedIn('twice');
    await watcher.expectNone(isWatch, 400, 'a second online');
    t1.ws.close(1000);
    await watcher.expectNone(isWatch, 400, 'offline while a connection remains');
    t2.ws.close(1000);
    assert.deepEqual(decodeString(await watcher.next(isWatch)), { events: [{ name: 'offline', user_ids: ['twice'] }] });
  });

  test('more than 100 watched ids: non-closing pusher:error 4302, signin still succeeds', async () => {
    const c = await rawConnect(server, app);
    const watchlist = Array.from({ length: 120 }, (_, i) => `w${i}`);
    const userData = JSON.stringify({ id: 'big-watcher', watchlist });
    c.send({ event: 'pusher:signin', data: { auth: userAuth(app, c.socketId, userData), user_data: userData } });
    await c.next('pusher:signin_success');
    const err = await c.next('pusher:error');
    assert.equal(errorData(err).code, 4302);
    await c.ping();
    assert.equal(c.closeInfo, null);
    // the first 100 ids are kept: w99 is watched, w100 is not
    await signedIn('w100');
    await sleep(300);
    assert.equal(c.frames.some((f) => isWatch(f.msg)), false, 'w100 must not be watched');
    await signedIn('w99');
    assert.deepEqual(decodeString(await c.next(isWatch)), { events: [{ name: 'online', user_ids: ['w99'] }] });
  });

  test('pusher-js: pusher.user.watchlist online event', async () => {
    const p = await connectedPusher(server, app, { userData: { id: 'js-watcher', watchlist: ['js-friend'] } });
    const online = waitEvent(p.user.watchlist, 'online');
    p.signin();
    await waitEvent(p.connection, 'message', { filter: (m) => m.event === 'pusher:signin_success' });
    await signedIn('js-friend');
    const ev = await online;
    assert.deepEqual(ev, { name: 'online', user_ids: ['js-friend'] });
  });
});
