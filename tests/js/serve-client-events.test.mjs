// Issue #12, finding 9: client events are off for the app `paybell serve` publishes to. A payer
// authorised for `private-invoice.{id}` (through the payment link) who sends a `client-` event
// there gets Pusher's non-closing refusal, and the owner's socket on the same channel never
// sees it.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { cleanupAll, cleanupClients, errorData, rawConnect } from './helpers.mjs';
import { ApiClient, startServe } from './serve-helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

let server;
let owner;
let config;
before(async () => {
  server = await startServe();
  owner = new ApiClient(server.webUrl);
  await owner.ok('POST', '/api/auth/login', server.demo);
  config = await owner.ok('GET', '/api/config');
  assert.equal(config.privateChannels, true, 'private channels by default');
});
after(async () => {
  await server?.stop();
});

/** A raw socket subscribed to `channel` with the signature `/pusher/auth` gives `client`. */
async function authorisedSocket(client, channel) {
  const socket = await rawConnect({ host: '127.0.0.1', port: server.realtimePort }, { key: config.pusher.key });
  const auth = await client.form('/pusher/auth', { socket_id: socket.socketId, channel_name: channel });
  assert.equal(auth.status, 200, `/pusher/auth for ${channel}: ${JSON.stringify(auth.json)}`);
  await socket.mustSubscribe(channel, { auth: auth.json.auth });
  return socket;
}

test("a payer's client event on the invoice channel is refused and never reaches the owner", async () => {
  const invoice = await owner.ok('POST', '/api/invoices', {
    customer: { name: 'Mallory', email: 'mallory@example.com' },
    currency: 'EUR',
    dueDate: '2099-06-30',
    items: [{ description: 'Work', quantity: 1, unitPrice: 1000 }],
  });
  await owner.ok('POST', `/api/invoices/${invoice.id}/send`);
  const channel = `private-invoice.${invoice.id}`;
  const ownerSocket = await authorisedSocket(owner, channel);
  const payerSocket = await authorisedSocket(new ApiClient(server.webUrl), channel);

  payerSocket.send({ event: 'client-payment.received', channel, data: { title: '✅ Invoice Paid', status: 'paid' } });
  const refusal = await payerSocket.next('pusher:error');
  assert.equal(refusal.channel, channel);
  assert.deepEqual(errorData(refusal), { code: null, message: 'Client events are not enabled for this app' });
  await ownerSocket.expectNone((m) => m.event?.startsWith('client-'), 600, 'client event at the owner');
  await payerSocket.ping();
  assert.ok(payerSocket.isOpen, 'the refusal does not close the connection');
});
