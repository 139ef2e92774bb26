// PROTOCOL.md §7: webhooks from the real binary, received by a local HTTP endpoint and
// verified with the official `pusher` SDK's webhook verifier.

import { after, afterEach, describe, test } from 'node:test';
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
  waitFor,
} from './helpers.mjs';

/** A local endpoint that records requests and answers with `statuses` in turn, then 200. */
async function startSink(statuses = []) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString() });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${server.address().port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const sinks = [];
afterEach(cleanupClients);
after(async () => {
  await cleanupAll();
  await Promise.all(sinks.map((s) => s.close()));
});

async function setup({ statuses, hook = {}, appOptions = {} } = {}) {
  const sink = await startSink(statuses);
  sinks.push(sink);
  const app = makeApp({ ...appOptions, webhooks: [{ url: sink.url, ...hook }] });
  const server = await startServer({ apps: [app] });
  return { sink, app, server, sdk: serverSdk(server, app) };
}

/** Verifies a received request with the SDK and returns its events. */
function verified(sdk, request) {
  const webhook = sdk.webhook({ headers: request.headers, rawBody: request.rawBody });
  assert.ok(webhook.isValid(), `SDK rejected the webhook ${JSON.stringify(request)}`);
  return webhook.getEvents();
}

describe('webhooks', () => {
  test('channel_occupied then, 3 s after the last one leaves, channel_vacated; both verify', async () => {
    const { sink, app, server, sdk } = await setup();
    const client = await connectedPusher(server, app);
    await subscribed(client, 'invoice.42');
    await waitFor(() => sink.received.length >= 1, 5000, 'channel_occupied');
    assert.deepEqual(verified(sdk, sink.received[0]), [{ name: 'channel_occupied', channel: 'invoice.42' }]);
    assert.equal(sink.received[0].headers['x-pusher-key'], app.key);

    const left = Date.now();
    client.unsubscribe('invoice.42');
    await waitFor(() => sink.received.length >= 2, 5000, 'channel_vacated');
    assert.ok(Date.now() - left >= 2900, `vacated after ${Date.now() - left} ms`);
    assert.deepEqual(verified(sdk, sink.received[1]), [{ name: 'channel_vacated', channel: 'invoice.42' }]);
  });

  test('a reconnect within 3 s causes no vacated/occupied pair', async () => {
    const { sink, app, server } = await setup();
    const client = await connectedPusher(server, app);
    await subscribed(client, 'flappy');
    await waitFor(() => sink.received.length >= 1, 5000, 'channel_occupied');
    client.unsubscribe('flappy');
    await sleep(300);
    await subscribed(client, 'flappy');
    await sleep(3800);
    assert.equal(sink.received.length, 1, JSON.stringify(sink.received.map((r) => r.rawBody)));
  });

  test('a delivery answered 500 is retried and then verifies', async () => {
    const { sink, app, server, sdk } = await setup({ statuses: [500] });
    const client = await connectedPusher(server, app);
    await subscribed(client, 'retry');
    await waitFor(() => sink.received.length >= 2, 5000, 'the retry');
    assert.equal(sink.received[1].rawBody, sink.received[0].rawBody);
    assert.deepEqual(verified(sdk, sink.received[1]), [{ name: 'channel_occupied', channel: 'retry' }]);
  });

  test('batching collects events; filters really filter; custom headers arrive', async () => {
    const { sink, app, server, sdk } = await setup({
      hook: {
        batch_ms: 300,
        channel_prefix: 'invoice.',
        event_types: ['channel_occupied'],
        headers: { 'X-Team': 'billing' },
      },
    });
    const client = await connectedPusher(server, app);
    await Promise.all(['invoice.1', 'invoice.2', 'user.1.invoices'].map((c) => subscribed(client, c)));
    await waitFor(() => sink.received.length >= 1, 5000, 'the batch');
    await sleep(500);
    assert.equal(sink.received.length, 1);
    const channels = verified(sdk, sink.received[0]).map((e) => e.channel).sort();
    assert.deepEqual(channels, ['invoice.1', 'invoice.2']);
    assert.equal(sink.received[0].headers['x-team'], 'billing');
  });

  test('member and client events carry user ids', async () => {
    const { sink, app, server, sdk } = await setup({
      hook: { event_types: ['member_added', 'client_event'] },
      appOptions: { client_events: true },
    });
    const alice = await connectedPusher(server, app, { presence: { user_id: 'alice', user_info: {} } });
    const channel = await subscribed(alice, 'presence-room');
    channel.trigger('client-wave', { hi: 1 });
    await waitFor(() => sink.received.flatMap((r) => verified(sdk, r)).length >= 2, 5000, 'member_added and client_event');
    // Separate webhook requests: the sink may see them in either order.
    const events = sink.received.flatMap((r) => verified(sdk, r));
    const member = events.find((e) => e.name === 'member_added');
    const client = events.find((e) => e.name === 'client_event');
    assert.deepEqual(member, { name: 'member_added', channel: 'presence-room', user_id: 'alice' });
    assert.ok(client, JSON.stringify(events));
    assert.equal(client.event, 'client-wave');
    assert.equal(client.user_id, 'alice');
    assert.deepEqual(JSON.parse(client.data), { hi: 1 });
    assert.equal(client.socket_id, alice.connection.socket_id);
  });
});
