// The realtime contract of DESIGN.md ("Which change publishes what", "Event payload"), checked
// with unmodified pusher-js against `paybell serve`: for create, edit, send, partial payment,
// settling payment and void, exactly the events of the table, with exactly its payload fields.
// Once with the default private channels (authorised by POST /pusher/auth), once with the
// integration guide's public names (PAYBELL_PRIVATE_CHANNELS=false).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import PusherClient from 'pusher-js';

import { sleep, waitFor, waitState } from './helpers.mjs';
import { ApiClient, startServe } from './serve-helpers.mjs';

const PAYLOAD_KEYS = ['body', 'eventId', 'invoiceId', 'sentAt', 'status', 'title', 'type'];
// Payment events (and the removal of a payment) also carry the amount and its currency.
const PAYMENT_KEYS = [...PAYLOAD_KEYS, 'amount', 'currency'].sort();
const SENT_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server;
let api;
let pusher;
let userId;
/** `''` or `'private-'`: the prefix of the channel names in the mode under test. */
let prefix;

/** Starts `paybell serve` (with `env`), signs in as the demo owner, connects pusher-js. */
async function setUp(env) {
  server = await startServe({ env });
  api = new ApiClient(server.webUrl);
  const login = await api.ok('POST', '/api/auth/login', server.demo);
  userId = login.user.id;
  const config = await api.ok('GET', '/api/config');
  prefix = config.privateChannels ? 'private-' : '';
  assert.equal(config.pusher.wsPort, server.realtimePort);
  pusher = new PusherClient(config.pusher.key, {
    cluster: config.pusher.cluster,
    wsHost: config.pusher.wsHost,
    wsPort: config.pusher.wsPort,
    forceTLS: config.pusher.forceTLS,
    enabledTransports: ['ws'],
    disableStats: true,
    // What the web app's authoriser does, with the owner's session cookie.
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        api
          .form('/pusher/auth', { socket_id: socketId, channel_name: channelName })
          .then((res) => (res.status === 200 ? callback(null, res.json) : callback(new Error(`/pusher/auth answered ${res.status}`), null)))
          .catch((error) => callback(error, null));
      },
    },
  });
  await waitState(pusher, 'connected');
  return config;
}

async function tearDown() {
  pusher?.disconnect();
  await server?.stop();
}

/** Subscribes and records every application event of the channel, in arrival order. */
async function record(channelName) {
  const channel = pusher.subscribe(channelName);
  const events = [];
  channel.bind_global((event, data) => {
    if (!event.startsWith('pusher:') && !event.startsWith('pusher_internal:')) events.push({ event, data });
  });
  await waitFor(() => channel.subscribed, 5000, `subscription to ${channelName}`);
  return events;
}

const invoiceBody = {
  customer: { name: 'Grace Hopper', email: 'grace@example.com' },
  currency: 'EUR',
  dueDate: '2099-06-30',
  items: [{ description: 'Compiler', quantity: 1, unitPrice: 10000 }],
};

const seenIds = new Set();

/**
 * Runs `change`, then waits until each recorder got exactly the expected events (and nothing
 * more shortly after), checking every payload.
 */
async function expectEvents(change, expectations) {
  const starts = expectations.map(({ recorder }) => recorder.length);
  const result = await change();
  const invoiceId = result.id ?? result.invoice?.id;
  for (const [i, { recorder, events, type, status, title, body }] of expectations.entries()) {
    await waitFor(() => recorder.length >= starts[i] + events.length, 5000, () => `${events.join(', ')}; got ${JSON.stringify(recorder.slice(starts[i]))}`);
  }
  await sleep(300);
  for (const [i, { recorder, events, type, status, title, body, amount }] of expectations.entries()) {
    const got = recorder.slice(starts[i]);
    assert.deepEqual(got.map((e) => e.event), events);
    for (const { data } of got) {
      assert.deepEqual(Object.keys(data).sort(), amount === undefined ? PAYLOAD_KEYS : PAYMENT_KEYS, JSON.stringify(data));
      if (amount !== undefined) {
        assert.equal(data.amount, amount);
        assert.equal(data.currency, 'EUR');
      }
      assert.equal(data.type, type);
      assert.equal(data.status, status);
      assert.equal(data.invoiceId, invoiceId);
      assert.match(data.sentAt, SENT_AT);
      assert.equal(typeof data.eventId, 'string');
      assert.ok(!seenIds.has(data.eventId), `eventId ${data.eventId} seen before`);
      seenIds.add(data.eventId);
      if (title) assert.equal(data.title, title);
      if (body) assert.match(data.body, body);
    }
  }
  return result;
}

function contract() {
  test('create, edit, send, partial payment, settling payment, void', async () => {
    const userEvents = await record(`${prefix}user.${userId}.invoices`);

    const invoice = await expectEvents(() => api.ok('POST', '/api/invoices', invoiceBody), [
      { recorder: userEvents, events: ['invoice.created'], type: 'invoice_created', status: 'draft', body: /^Invoice #\d+ has been created$/ },
    ]);
    const n = invoice.number;
    const invoiceEvents = await record(`${prefix}invoice.${invoice.id}`);

    await expectEvents(() => api.ok('PATCH', `/api/invoices/${invoice.id}`, { notes: 'Net 30' }), [
      { recorder: invoiceEvents, events: ['invoice.updated'], type: 'invoice_updated', status: 'draft', title: 'Invoice Updated', body: new RegExp(`^Invoice #${n} has been updated$`) },
      { recorder: userEvents, events: ['invoice.updated'], type: 'invoice_updated', status: 'draft' },
    ]);

    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/send`), [
      { recorder: invoiceEvents, events: ['invoice.status.changed'], type: 'invoice_sent', status: 'sent', title: 'Invoice Status: sent', body: new RegExp(`^Invoice #${n} status changed to sent$`) },
      { recorder: userEvents, events: ['invoice.updated'], type: 'invoice_sent', status: 'sent' },
    ]);

    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/payments`, { amount: 2500, method: 'bank_transfer' }), [
      { recorder: invoiceEvents, events: ['payment.received', 'invoice.status.changed'], type: 'payment_received', status: 'partially_paid', amount: 2500 },
      { recorder: userEvents, events: ['payment.received'], type: 'payment_received', status: 'partially_paid', amount: 2500 },
    ]);

    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/payments`, { amount: 2500, method: 'cash' }), [
      { recorder: invoiceEvents, events: ['payment.received'], type: 'payment_received', status: 'partially_paid', amount: 2500 },
      { recorder: userEvents, events: ['payment.received'], type: 'payment_received', status: 'partially_paid', amount: 2500 },
    ]);

    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/payments`, { amount: 5000, method: 'cash' }), [
      { recorder: invoiceEvents, events: ['payment.received', 'invoice.status.changed'], type: 'invoice_completed', status: 'paid', title: '✅ Invoice Paid', body: new RegExp(`^Invoice #${n} has been paid successfully$`), amount: 5000 },
      { recorder: userEvents, events: ['payment.received'], type: 'invoice_completed', status: 'paid', title: '✅ Invoice Paid', amount: 5000 },
    ]);

    const other = await expectEvents(() => api.ok('POST', '/api/invoices', invoiceBody), [
      { recorder: userEvents, events: ['invoice.created'], type: 'invoice_created', status: 'draft' },
    ]);
    const otherEvents = await record(`${prefix}invoice.${other.id}`);
    await expectEvents(() => api.ok('POST', `/api/invoices/${other.id}/void`), [
      { recorder: otherEvents, events: ['invoice.status.changed'], type: 'invoice_void', status: 'void', title: 'Invoice Status: void' },
      { recorder: userEvents, events: ['invoice.updated'], type: 'invoice_void', status: 'void' },
    ]);
    assert.deepEqual(invoiceEvents.length, 7, 'nothing else on the paid invoice channel');
  });

  test('the payer checks out through the test provider', async () => {
    const invoice = await api.ok('POST', '/api/invoices', invoiceBody);
    const invoiceEvents = await record(`${prefix}invoice.${invoice.id}`);
    // Subscribed before sending, so the relay's delivery of this event cannot race the
    // checkout's.
    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/send`), [
      { recorder: invoiceEvents, events: ['invoice.status.changed'], type: 'invoice_sent', status: 'sent' },
    ]);
    const payer = new ApiClient(server.webUrl);
    const declined = await payer.request('POST', `/api/pay/${invoice.id}/checkout`, { card: { number: '4000 0000 0000 0002', expiry: '12/40', cvc: '123' } });
    assert.equal(declined.status, 402);
    assert.equal(declined.json.error.code, 'card_declined');
    await expectEvents(() => payer.ok('POST', `/api/pay/${invoice.id}/checkout`, { card: { number: '4242 4242 4242 4242', expiry: '12/40', cvc: '123' } }), [
      { recorder: invoiceEvents, events: ['payment.received', 'invoice.status.changed'], type: 'invoice_completed', status: 'paid', amount: 10000 },
    ]);
  });

  test('the owner removes a payment recorded by mistake', async () => {
    const userEvents = await record(`${prefix}user.${userId}.invoices`);
    const invoice = await expectEvents(() => api.ok('POST', '/api/invoices', invoiceBody), [
      { recorder: userEvents, events: ['invoice.created'], type: 'invoice_created', status: 'draft' },
    ]);
    const invoiceEvents = await record(`${prefix}invoice.${invoice.id}`);
    await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/send`), [
      { recorder: invoiceEvents, events: ['invoice.status.changed'], type: 'invoice_sent', status: 'sent' },
      { recorder: userEvents, events: ['invoice.updated'], type: 'invoice_sent', status: 'sent' },
    ]);
    const paid = await expectEvents(() => api.ok('POST', `/api/invoices/${invoice.id}/payments`, { amount: 10000, method: 'cash' }), [
      { recorder: invoiceEvents, events: ['payment.received', 'invoice.status.changed'], type: 'invoice_completed', status: 'paid', amount: 10000 },
      { recorder: userEvents, events: ['payment.received'], type: 'invoice_completed', status: 'paid', amount: 10000 },
    ]);
    assert.equal(paid.invoice.payments[0].removable, true);
    await expectEvents(() => api.ok('DELETE', `/api/invoices/${invoice.id}/payments/${paid.payment.id}`), [
      { recorder: invoiceEvents, events: ['invoice.updated', 'invoice.status.changed'], type: 'payment_removed', status: 'sent', title: 'Payment Removed', body: /^A payment of 100\.00 EUR was removed from Invoice #\d+$/, amount: 10000 },
      { recorder: userEvents, events: ['invoice.updated'], type: 'payment_removed', status: 'sent', amount: 10000 },
    ]);
  });
}

describe('DESIGN.md event table with pusher-js, private channels (the default)', () => {
  before(async () => {
    const config = await setUp({});
    assert.equal(config.privateChannels, true);
  });
  after(tearDown);
  contract();
});

describe('DESIGN.md event table with pusher-js, public names (PAYBELL_PRIVATE_CHANNELS=false)', () => {
  before(async () => {
    const config = await setUp({ PAYBELL_PRIVATE_CHANNELS: 'false' });
    assert.equal(config.privateChannels, false);
  });
  after(tearDown);
  contract();
});
