// Stripe's webhook on the real `paybell serve` (PAYBELL_PAYMENTS=stripe), with headers made by
// the official `stripe` package (`stripe.webhooks.generateTestHeaderString`): a valid signature
// is handled, a wrong secret, a stale timestamp and a tampered body are refused (400), any of
// several `v1` values will do, refund events are read the same way, and an event seen before
// changes nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { startServe } from './serve-helpers.mjs';

const SECRET = 'whsec_paybell_js_tests';
const stripe = new Stripe('sk_test_paybell');
let server;

before(async () => {
  server = await startServe({
    demo: false,
    env: {
      PAYBELL_PAYMENTS: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_paybell',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_paybell',
      STRIPE_WEBHOOK_SECRET: SECRET,
      // Not called: these events are about intents this server did not create.
      STRIPE_API_BASE: 'http://127.0.0.1:9',
    },
  });
});

after(async () => {
  await server?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

function event(id, type, object) {
  return JSON.stringify({ id, object: 'event', api_version: '2024-06-20', type, data: { object } }, null, 2);
}

const succeeded = (id) =>
  event(id, 'payment_intent.succeeded', {
    id: 'pi_js_1',
    object: 'payment_intent',
    amount: 5000,
    currency: 'eur',
    status: 'succeeded',
    metadata: {},
  });

const header = (payload, { secret = SECRET, timestamp = now() } = {}) =>
  stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

async function deliver(payload, signature) {
  const res = await fetch(`${server.webUrl}/api/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
    body: payload,
  });
  return { status: res.status, json: await res.json() };
}

test('a signature made by the stripe package is accepted, once per event', async () => {
  const payload = succeeded('evt_js_valid');
  // The package itself accepts what it made, so the two sides agree on the format.
  assert.equal(stripe.webhooks.constructEvent(payload, header(payload), SECRET).id, 'evt_js_valid');
  const first = await deliver(payload, header(payload));
  assert.deepEqual(first, { status: 200, json: { received: true, outcome: 'handled' } });
  const again = await deliver(payload, header(payload));
  assert.deepEqual(again, { status: 200, json: { received: true, outcome: 'repeated' } });
});

test('a wrong secret, a stale timestamp and a tampered body are refused', async () => {
  const payload = succeeded('evt_js_refused');
  const cases = [
    ['wrong secret', payload, header(payload, { secret: 'whsec_someone_else' })],
    ['stale', payload, header(payload, { timestamp: now() - 301 })],
    ['from the future', payload, header(payload, { timestamp: now() + 301 })],
    ['tampered', payload.replace('5000', '500'), header(payload)],
    ['no signature', payload, ''],
  ];
  for (const [name, body, signature] of cases) {
    const answer = await deliver(body, signature);
    assert.equal(answer.status, 400, name);
    assert.equal(answer.json.error.code, 'bad_signature', name);
  }
  // Refused events were not remembered: the genuine one is handled afterwards.
  assert.equal((await deliver(payload, header(payload))).json.outcome, 'handled');
});

test('any of several v1 values will do (a secret being rolled)', async () => {
  const payload = succeeded('evt_js_rolled');
  const t = now();
  const old = header(payload, { secret: 'whsec_old_secret', timestamp: t });
  const current = header(payload, { timestamp: t });
  const v1 = (h) => h.split(',v1=')[1];
  const answer = await deliver(payload, `t=${t},v1=${v1(old)},v1=${v1(current)}`);
  assert.deepEqual(answer, { status: 200, json: { received: true, outcome: 'handled' } });
  const neither = await deliver(succeeded('evt_js_neither'), `t=${t},v1=${v1(old)},v1=${v1(old)}`);
  assert.equal(neither.status, 400);
});

test('refund events and unknown types are read the same way', async () => {
  const refunded = event('evt_js_refund', 'charge.refunded', {
    id: 'ch_js_1',
    object: 'charge',
    payment_intent: 'pi_js_1',
    amount: 5000,
    amount_refunded: 1500,
    currency: 'eur',
  });
  assert.deepEqual(await deliver(refunded, header(refunded)), { status: 200, json: { received: true, outcome: 'handled' } });
  const tampered = refunded.replace('1500', '5000');
  assert.equal((await deliver(tampered, header(refunded))).status, 400);
  const other = event('evt_js_other', 'refund.created', { id: 're_1', object: 'refund', amount: 1500 });
  assert.deepEqual(await deliver(other, header(other)), { status: 200, json: { received: true, outcome: 'ignored' } });
});
