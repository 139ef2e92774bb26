// The pay page with PAYBELL_PAYMENTS=stripe against localstripe: it loads Stripe.js from
// STRIPE_JS_URL (localstripe's stand-in) and mounts its card Element; the payer pays; the pay
// page turns Paid with its tones, the owner's detail page and list follow live with a
// notification.
//
// Which parts ran against the stand-in: loading Stripe.js, `Stripe(pk)`, `elements().create('card')`
// and `mount`, and `confirmCardPayment`, whose stand-in performs only the 3-D Secure step (its
// "Complete authentication" button, clicked here). The stand-in cannot attach the typed card to
// the PaymentIntent (its `createPaymentMethod` does nothing and `confirmCardPayment` sends no
// card), so while its 3-D Secure prompt is open the test does that step through localstripe's
// API, as Stripe.js would: a payment method for 4000 0025 0000 3155 (a card that asks for 3-D
// Secure), set on the intent, then confirmed. Paybell's `complete` call and the webhook are real.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, login, newObservedContext, runChecked, screenshot, startLocalStripe, startPaybell, waitLive } from './harness.mjs';

const SECRET = 'whsec_paybell_browser';
const THREE_D_SECURE_CARD = '4000002500003155';

let stripe;
let server;
let browser;

before(async () => {
  stripe = await startLocalStripe();
  server = await startPaybell({
    env: {
      PAYBELL_PAYMENTS: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_paybell',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_paybell',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_BASE: stripe.base,
      STRIPE_JS_URL: `${stripe.base}/js.stripe.com/v3/`,
    },
  });
  await stripe.registerWebhook('paybell', `${server.baseUrl}/api/stripe/webhook`, SECRET);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await stripe?.stop();
});

const status = async (locator) => locator.getAttribute('data-status');
const text = async (page, testId) => (await page.getByTestId(testId).first().textContent())?.trim();

/** What Stripe.js does with the card for a real Stripe: attach it to the intent and confirm. */
async function attachCardAndConfirm(intentId) {
  const method = await stripe.call('POST', '/v1/payment_methods', {
    type: 'card',
    'card[number]': THREE_D_SECURE_CARD,
    'card[exp_month]': '12',
    'card[exp_year]': '2040',
    'card[cvc]': '123',
  });
  await stripe.call('POST', `/v1/payment_intents/${intentId}`, { payment_method: method.id });
  const confirmed = await stripe.call('POST', `/v1/payment_intents/${intentId}/confirm`);
  assert.equal(confirmed.status, 'requires_action', JSON.stringify(confirmed));
}

test('the payer pays through Stripe.js and every page follows live', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
  const customer = await newObservedContext(browser, { baseUrl: server.baseUrl });
  await runChecked(server, 'stripe', [owner, customer], async () => {
    const detail = await owner.newPage();
    await login(detail, server);
    const created = await detail.request.post('/api/invoices', {
      data: {
        customer: { name: 'Grace Hopper', email: 'grace@example.com' },
        currency: 'USD',
        dueDate: new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10),
        items: [{ description: 'Support plan', quantity: 1, unitPrice: 10000 }],
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const { id } = await created.json();
    assert.equal((await detail.request.post(`/api/invoices/${id}/send`)).status(), 200);
    await detail.goto(`/app/invoices/${id}`);
    await waitLive(detail);
    const list = await owner.newPage();
    await list.goto('/app/invoices');
    await waitLive(list);
    const row = list.locator(`tr[data-invoice-id="${id}"]`);
    await eventually(async () => (await status(row)) === 'sent', { message: 'list row sent' });

    const pay = await customer.newPage();
    await pay.goto(`/pay/${id}`);
    await waitLive(pay);
    // Stripe.js from STRIPE_JS_URL, its card Element mounted; no card inputs of Paybell's own.
    const script = pay.locator('script[data-testid="stripe-js"]');
    await script.waitFor({ state: 'attached' });
    assert.equal(await script.getAttribute('src'), `${stripe.base}/js.stripe.com/v3/`);
    const element = pay.getByTestId('card-element');
    await element.locator('input[placeholder="number"]').fill('4000002500003155');
    await element.locator('input[placeholder="exp_month"]').fill('12');
    await element.locator('input[placeholder="exp_year"]').fill('40');
    await element.locator('input[placeholder="cvc"]').fill('123');
    assert.equal(await pay.getByLabel('Card number').count(), 0);
    await screenshot(pay, 'stripe-payment-form');

    const tonesBefore = await pay.evaluate(() => window.__pb.tones.length);
    await pay.getByRole('button', { name: 'Pay $100.00' }).click();
    // The page reserved the balance and created the intent; Stripe.js asks for 3-D Secure.
    const authenticate = pay.getByRole('button', { name: 'Complete authentication' });
    await authenticate.waitFor();
    const intents = await stripe.call('GET', '/v1/payment_intents?limit=100');
    const mine = intents.data.filter((i) => i.metadata.paybell_invoice_id === id);
    assert.equal(mine.length, 1, JSON.stringify(intents));
    assert.equal(mine[0].amount, 10000);
    await attachCardAndConfirm(mine[0].id);
    await authenticate.click();

    await pay.getByTestId('paid-banner').waitFor();
    assert.equal(await status(pay.locator('.pay')), 'paid');
    assert.equal(await text(pay, 'balance-due'), '$0.00');
    const tones = await eventually(
      () => pay.evaluate((n) => (window.__pb.tones.length >= n + 3 ? window.__pb.tones.slice(n) : null), tonesBefore),
      { message: 'success tones on the payment page' },
    );
    assert.ok(tones.length >= 3);

    await eventually(async () => (await status(detail.locator('h1 .badge'))) === 'paid', { message: 'owner badge paid' });
    await eventually(
      () => detail.evaluate((tag) => window.__pb.notifications.some((n) => n.tag.includes(tag) && /paid/i.test(`${n.title} ${n.body}`)), id),
      { message: 'a Notification that the invoice is paid' },
    );
    await eventually(async () => (await status(row)) === 'paid', { message: 'list row paid' });
    // The webhook came too: still one payment.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const shown = await (await detail.request.get(`/api/invoices/${id}`)).json();
    assert.equal(shown.payments.length, 1);
    assert.equal(shown.amountPaid, 10000);
    await screenshot(pay, 'stripe-payment-paid');
  });
});
