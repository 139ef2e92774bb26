// Graceful shutdown: every client is told 4200 and pusher-js reconnects to another node
// (behind a tiny TCP forwarder standing in for a load balancer).

import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import {
  HOST,
  cleanupAll,
  cleanupClients,
  connectedPusher,
  makeApp,
  rawConnect,
  serverSdk,
  startServer,
  subscribed,
  waitEvent,
  waitFor,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

/** Forwards each TCP connection to the first backend that accepts it. */
async function startBalancer(backends) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const tryNext = (i) => {
      if (i >= backends.length) return client.destroy();
      const upstream = net.connect(backends[i].port, HOST);
      upstream.once('connect', () => {
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
      });
      upstream.once('error', () => tryNext(i + 1));
    };
    tryNext(0);
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    host: HOST,
    port: server.address().port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

test('SIGTERM closes every client with 4200 and pusher-js reconnects to the other node', async () => {
  const app = makeApp();
  const first = await startServer({ apps: [app], realtime: { shutdown_jitter_ms: 500 } });
  const second = await startServer({ apps: [app] });
  const balancer = await startBalancer([first, second]);
  try {
    const raw = await Promise.all(Array.from({ length: 10 }, () => rawConnect(first, app)));
    const client = await connectedPusher(balancer, app);
    const channel = await subscribed(client, 'invoice.7');
    const firstSocket = client.connection.socket_id;

    const errors = [];
    client.connection.bind('error', (e) => errors.push(e));
    const stopped = first.stop();
    const codes = await Promise.all(raw.map((c) => c.closed.then((info) => info.code)));
    assert.deepEqual(codes, Array(10).fill(4200));
    const result = await stopped;
    assert.equal(result.code, 0, 'the server exits cleanly');

    await waitFor(() => client.connection.state === 'connected' && client.connection.socket_id !== firstSocket, 5000, 'reconnect to the second node');
    assert.ok(errors.some((e) => e?.data?.code === 4200), JSON.stringify(errors));
    const sdk = serverSdk(second, app);
    await waitFor(async () => {
      const res = await sdk.get({ path: '/channels/invoice.7' });
      return (await res.json()).occupied;
    }, 5000, 'resubscription on the second node');
    const received = waitEvent(channel, 'payment.received');
    await sdk.trigger('invoice.7', 'payment.received', { amount: 5 });
    assert.deepEqual(await received, { amount: 5 });
  } finally {
    await balancer.close();
  }
});
