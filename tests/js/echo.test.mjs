// laravel-echo 2 on top of an unmodified pusher-js client: public `.listen`, private
// channels and whispers (§4), presence `.here/.joining/.leaving` (§3), driven by events
// from the `pusher` SDK (§6).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import Echo from 'laravel-echo';

import { cleanupAll, cleanupClients, makeApp, pusherClient, serverSdk, sleep, startServer } from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

const app = makeApp();
let server;
let sdk;
before(async () => {
  server = await startServer({ apps: [app] });
  sdk = serverSdk(server, app);
});

function echoFor(opts = {}) {
  const client = pusherClient(server, app, opts);
  return new Echo({ broadcaster: 'pusher', key: app.key, client });
}

/** A promise for the first call of a callback-style API, with a timeout. */
function once(register, what, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolve once the underlying pusher-js channel is subscribed. */
function subscribedEcho(echoChannel, what) {
  return once((cb) => echoChannel.subscribed(cb), `${what} subscribed`);
}

describe('laravel-echo', () => {
  test('public channel .listen with a leading dot (raw event name)', async () => {
    const echo = echoFor();
    const ch = echo.channel('invoice.0c9d');
    await subscribedEcho(ch, 'invoice.0c9d');
    const got = once((cb) => ch.listen('.payment.received', cb), '.payment.received');
    const payload = { title: '✅ Invoice Paid', body: 'Invoice #7 has been paid successfully', type: 'invoice_completed' };
    await sdk.trigger('invoice.0c9d', 'payment.received', payload);
    assert.deepEqual(await got, payload);
  });

  test('public channel .listen with the default App\\Events namespace', async () => {
    const echo = echoFor();
    const ch = echo.channel('user.42.invoices');
    await subscribedEcho(ch, 'user.42.invoices');
    const got = once((cb) => ch.listen('InvoiceCreated', cb), 'InvoiceCreated');
    await sdk.trigger('user.42.invoices', 'App\\Events\\InvoiceCreated', { number: 8 });
    assert.deepEqual(await got, { number: 8 });
  });

  test('private channel .listen and .whisper/.listenForWhisper between two clients', async () => {
    const owner = echoFor();
    const viewer = echoFor();
    const a = owner.private('invoice.77');
    const b = viewer.private('invoice.77');
    // Both registered before either is awaited: Echo's .subscribed() misses an earlier success.
    await Promise.all([subscribedEcho(a, 'owner private-invoice.77'), subscribedEcho(b, 'viewer private-invoice.77')]);

    const got = once((cb) => b.listen('.invoice.status.changed', cb), 'private event');
    await sdk.trigger('private-invoice.77', 'invoice.status.changed', { status: 'paid' });
    assert.deepEqual(await got, { status: 'paid' });

    const whisper = once((cb) => b.listenForWhisper('typing', cb), 'whisper');
    const selfWhispers = [];
    a.listenForWhisper('typing', (d) => selfWhispers.push(d));
    a.whisper('typing', { name: 'owner' });
    assert.deepEqual(await whisper, { name: 'owner' });
    await sleep(300);
    assert.deepEqual(selfWhispers, [], 'a whisper is not echoed to its sender');
  });

  test('private channel with a bad signature reports .error', async () => {
    const echo = echoFor({ signWith: { ...app, secret: 'wrong' } });
    echo.private('invoice.denied');
    const errored = new Promise((resolve) => {
      echo.connector.pusher.connection.bind('error', (e) => {
        if (e.type === 'PusherError') resolve(e.data);
      });
    });
    const res = await Promise.race([errored, sleep(5000).then(() => 'timeout')]);
    assert.notEqual(res, 'timeout', 'expected a pusher:error for the refused subscription');
    assert.match(res.message, /^Invalid signature/);
    assert.equal(echo.connector.pusher.channel('private-invoice.denied').subscribed, false);
  });

  test('presence channel .here, .joining and .leaving', async () => {
    const first = echoFor({ presence: { user_id: 'owner-1', user_info: { name: 'Owner' } } });
    const here1 = once((cb) => first.join('invoice.room').here(cb), 'here (first)');
    assert.deepEqual(await here1, [{ name: 'Owner' }]);
    const joining = once((cb) => first.join('invoice.room').joining(cb), 'joining');
    const leaving = once((cb) => first.join('invoice.room').leaving(cb), 'leaving');

    const second = echoFor({ presence: { user_id: 'customer-9', user_info: { name: 'Customer' } } });
    const here2 = await once((cb) => second.join('invoice.room').here(cb), 'here (second)');
    assert.deepEqual(
      here2.map((m) => m.name).sort(),
      ['Customer', 'Owner'],
    );
    assert.deepEqual(await joining, { name: 'Customer' });

    second.leave('invoice.room');
    assert.deepEqual(await leaving, { name: 'Customer' });
  });

  test('presence channel .listen receives SDK events', async () => {
    const echo = echoFor({ presence: { user_id: 'listener', user_info: {} } });
    const room = echo.join('invoice.live');
    await once((cb) => room.here(cb), 'here');
    const got = once((cb) => room.listen('.invoice.updated', cb), 'presence event');
    await sdk.trigger('presence-invoice.live', 'invoice.updated', { v: 3 });
    assert.deepEqual(await got, { v: 3 });
  });
});
