// docs/from-soketi.md: `paybell realtime` started with a soketi deployment's environment
// only (no config file, no --addr, no PAYBELL_*), used by unmodified pusher-js and the
// `pusher` server SDK exactly as they were pointed at soketi.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import {
  HOST,
  cleanupAll,
  cleanupClients,
  connectedPusher,
  makeApp,
  serverSdk,
  sleep,
  startServer,
  subscribed,
  waitEvent,
  waitFor,
} from './helpers.mjs';

afterEach(cleanupClients);

const app = makeApp();
const hooks = [];
let sink;
let server;
let sdk;

before(async () => {
  sink = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.end();
    });
  });
  await new Promise((resolve) => sink.listen(0, HOST, resolve));
  const webhooks = [
    {
      url: `http://${HOST}:${sink.address().port}/hook`,
      event_types: ['channel_occupied'],
      filter: { channel_name_starts_with: 'private-' },
    },
  ];
  server = await startServer({
    config: false,
    addr: null,
    env: {
      SOKETI_PORT: '0',
      SOKETI_DEFAULT_APP_ID: app.id,
      SOKETI_DEFAULT_APP_KEY: app.key,
      SOKETI_DEFAULT_APP_SECRET: app.secret,
      SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
      SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify(webhooks),
      SOKETI_DEBUG: '1',
    },
  });
  sdk = serverSdk(server, app);
});

after(async () => {
  await cleanupAll();
  await new Promise((resolve) => sink.close(resolve));
});

describe('soketi environment', () => {
  test('the start-up lines say which soketi variables were used and which ignored', () => {
    const out = server.output();
    assert.match(out, /soketi: using SOKETI_PORT as realtime\.addr/);
    assert.match(out, /soketi: using SOKETI_DEFAULT_APP_KEY as realtime\.apps\[0\]\.key/);
    assert.match(out, /soketi: ignoring SOKETI_DEBUG: no Paybell twin/);
    assert.ok(!out.includes(app.secret), 'the secret is never printed');
  });

  test('pusher-js connects with the soketi key and gets events from the SDK on a private channel', async () => {
    const client = await connectedPusher(server, app);
    const channel = await subscribed(client, 'private-orders.1');
    const got = waitEvent(channel, 'App\\Events\\OrderShipped', { what: 'OrderShipped' });
    await sdk.trigger('private-orders.1', 'App\\Events\\OrderShipped', { id: 1 });
    assert.deepEqual(await got, { id: 1 });
  });

  test('client messages are on for private channels, as SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES said', async () => {
    const a = await connectedPusher(server, app);
    const b = await connectedPusher(server, app);
    const chA = await subscribed(a, 'private-chat');
    const chB = await subscribed(b, 'private-chat');
    const got = waitEvent(chB, 'client-typing', { what: 'client-typing' });
    assert.ok(chA.trigger('client-typing', { who: 'a' }));
    assert.deepEqual(await got, { who: 'a' });
  });

  test("the webhook from SOKETI_DEFAULT_APP_WEBHOOKS fires for its filter's channels only", async () => {
    const client = await connectedPusher(server, app);
    await subscribed(client, 'public-news');
    await subscribed(client, 'private-hooked');
    await waitFor(
      () => hooks.some((h) => h.events.some((e) => e.channel === 'private-hooked')),
      undefined,
      'channel_occupied for private-hooked',
    );
    await sleep(300);
    const events = hooks.flatMap((h) => h.events);
    assert.ok(events.every((e) => e.name === 'channel_occupied' && e.channel.startsWith('private-')), JSON.stringify(events));
  });

  test('a wrong secret is refused: signatures are checked', async () => {
    const forged = serverSdk(server, { ...app, secret: 'not-the-secret' });
    await assert.rejects(forged.trigger('c', 'e', {}));
  });
});
