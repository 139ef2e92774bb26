// End-to-end: the web app served by the real `paybell serve`, driven in Chromium.
// The owner and the customer use separate browser contexts (separate cookies), as two
// people on two machines would. The server runs with its defaults (private channels, its
// generated realtime app); channel-modes.test.mjs covers both channel modes.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSentInvoice, eventually, login, newObservedContext, runChecked, screenshot, waitLive, withServerAndBrowser } from './harness.mjs';

const CARD_OK = '4242 4242 4242 4242';
const CARD_DECLINED = '4000 0000 0000 0002';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

const withShots = (name, contexts, body) => runChecked(server, name, contexts, body);

const text = async (page, testId) => (await page.getByTestId(testId).first().textContent())?.trim();
const status = async (locator) => locator.getAttribute('data-status');
const invoiceIdFrom = (url) => new URL(url).pathname.split('/').pop();

/** Pays on the public page with the card form. */
async function payWithCard(page, { amount, card = CARD_OK }) {
  if (amount !== undefined) await page.getByRole('textbox', { name: /^Amount/ }).fill(amount);
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel(/^Expiry/).fill('12/34');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: /^Pay/ }).click();
}

/** Creates and sends an invoice through the API with the owner's session. */
/** True when the recorded tone frequencies end with a strictly rising run of at least 3. */
function endsAscending(tones) {
  const f = [...tones].sort((a, b) => a.when - b.when).map((t) => t.frequency);
  let run = 1;
  for (let i = f.length - 1; i > 0 && f[i] > f[i - 1]; i--) run++;
  return f.length >= 3 && run >= 3;
}

describe('paybell web app', () => {
  test('owner invoices, customer pays in two parts, every page follows live', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    const customer = await newObservedContext(browser, { baseUrl: server.baseUrl });
    await withShots('payment-flow', [owner, customer], async () => {
      // The owner signs in, creates and sends an invoice through the UI.
      const detail = await owner.newPage();
      await login(detail, server);
      await detail.getByRole('link', { name: 'New invoice' }).first().click();
      await detail.getByLabel('Name').fill('Ada Lovelace');
      await detail.getByLabel('Email').fill('ada@example.com');
      await detail.getByLabel('Description').fill('Analytical engine consulting');
      await detail.getByLabel('Quantity').fill('2');
      await detail.getByLabel(/^Unit price/).fill('50.00');
      assert.equal(await text(detail, 'draft-total'), '$100.00');
      await detail.getByRole('button', { name: 'Create invoice' }).click();
      await detail.waitForURL((url) => /^\/app\/invoices\/(?!new$)[^/]+$/.test(url.pathname));
      const id = invoiceIdFrom(detail.url());
      const badge = detail.locator('h1 .badge');
      await eventually(async () => (await status(badge)) === 'draft', { message: 'draft badge' });
      await detail.getByRole('button', { name: 'Send by e-mail' }).click();
      await eventually(async () => (await status(badge)) === 'sent', { message: 'sent badge' });
      await waitLive(detail);
      await detail.evaluate(() => {
        window.__notReloaded = true;
      });

      // A second owner tab shows the list.
      const list = await owner.newPage();
      await list.goto('/app/invoices');
      await waitLive(list);
      const row = list.locator(`tr[data-invoice-id="${id}"]`);
      await eventually(async () => (await status(row)) === 'sent', { message: 'list row sent' });
      await list.evaluate(() => {
        window.__notReloaded = true;
      });

      // The customer opens the payment link in another browser context.
      const pay = await customer.newPage();
      await pay.goto(`/pay/${id}`);
      await waitLive(pay);
      assert.equal(await text(pay, 'balance-due'), '$100.00');
      await screenshot(pay, 'invoice-payment-form');

      // A declined card is a clear message and changes nothing.
      await payWithCard(pay, { amount: '40.00', card: CARD_DECLINED });
      await pay.getByRole('alert').filter({ hasText: /declined/i }).waitFor();
      assert.equal(await text(pay, 'amount-paid'), '$0.00');

      // Part payment.
      await payWithCard(pay, { amount: '40.00' });
      await eventually(async () => (await text(pay, 'amount-paid')) === '$40.00', { message: 'pay page $40 paid' });
      await eventually(async () => (await status(pay.locator('.pay'))) === 'partially_paid', {
        message: 'pay page partially paid',
      });

      // The owner's detail page follows without a reload and raises a notification.
      await eventually(async () => (await text(detail, 'amount-paid')) === '$40.00', {
        message: 'owner detail shows $40 paid',
      });
      await eventually(async () => (await status(badge)) === 'partially_paid', { message: 'owner badge partially paid' });
      const partialNotes = await eventually(
        () => detail.evaluate((tag) => window.__pb.notifications.filter((n) => n.tag.includes(tag)), id).then((n) => n.length && n),
        { message: 'a Notification for the part payment' },
      );
      assert.ok(partialNotes.length >= 1);
      await eventually(async () => (await status(row)) === 'partially_paid', { message: 'list row partially paid' });

      // The rest: the form offers the new balance.
      assert.equal(await pay.getByRole('textbox', { name: /^Amount/ }).inputValue(), '60.00');
      const tonesBefore = await pay.evaluate(() => window.__pb.tones.length);
      await payWithCard(pay, {});
      await pay.getByTestId('paid-banner').waitFor();
      assert.equal(await status(pay.locator('.pay')), 'paid');
      assert.equal(await text(pay, 'balance-due'), '$0.00');

      // Success tones: oscillator frequencies rising.
      const tones = await eventually(
        () => pay.evaluate((n) => (window.__pb.tones.length >= n + 3 ? window.__pb.tones.slice(n) : null), tonesBefore),
        { message: 'success tones on the payment page' },
      );
      assert.ok(endsAscending(tones), `tones should rise: ${JSON.stringify(tones.map((t) => t.frequency))}`);

      // Owner: Paid, refreshed in place, a Notification about it.
      await eventually(async () => (await status(badge)) === 'paid', { message: 'owner badge paid' });
      assert.equal(await text(detail, 'balance-due'), '$0.00');
      await eventually(
        () =>
          detail.evaluate(
            (tag) => window.__pb.notifications.some((n) => n.tag.includes(tag) && /paid/i.test(`${n.title} ${n.body}`)),
            id,
          ),
        { message: 'a Notification that the invoice is paid' },
      );
      assert.equal(await detail.evaluate(() => window.__notReloaded), true, 'detail page was reloaded');

      // The list row shows the new status, also without a reload.
      await eventually(async () => (await status(row)) === 'paid', { message: 'list row paid' });
      assert.equal(await list.evaluate(() => window.__notReloaded), true, 'list page was reloaded');

      await screenshot(list, 'invoice-list');
      await screenshot(detail, 'invoice-detail');
      await screenshot(pay, 'invoice-payment');
    });
  });

  test('an event missed while the realtime connection is down is recovered after reconnect', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    await withShots('reconnect', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const id = await createSentInvoice(page.request, { amount: 10000 });
      await page.goto(`/app/invoices/${id}`);
      await waitLive(page);
      assert.equal(await text(page, 'amount-paid'), '$0.00');
      await page.evaluate(() => {
        window.__notReloaded = true;
      });

      await page.evaluate(() => window.__pb.dropRealtime());
      await page.locator('.connection:not([data-state="connected"])').waitFor();

      // A payment recorded elsewhere while this page cannot hear about it.
      const paid = await page.request.post(`/api/invoices/${id}/payments`, {
        data: { amount: 2500, method: 'bank_transfer', reference: 'offline-test' },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      assert.equal(paid.status(), 201, await paid.text());
      await page.waitForTimeout(1500);
      assert.equal(await text(page, 'amount-paid'), '$0.00', 'the page should not have heard the event');

      await page.evaluate(() => window.__pb.restoreRealtime());
      await waitLive(page, 30000);
      await eventually(async () => (await text(page, 'amount-paid')) === '$25.00', {
        timeout: 10000,
        message: 'the missed payment after reconnect',
      });
      assert.equal(await page.evaluate(() => window.__notReloaded), true, 'page was reloaded');
    });
  });

  test('with notification permission denied, a toast appears instead', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'denied' });
    await withShots('denied', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const id = await createSentInvoice(page.request, { amount: 4200 });
      await page.goto(`/app/invoices/${id}`);
      await waitLive(page);
      assert.equal(await page.evaluate(() => Notification.permission), 'denied');

      // The customer pays through the public API (no browser needed for that side).
      const response = await fetch(`${server.baseUrl}/api/pay/${id}/checkout`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
        body: JSON.stringify({ card: { number: CARD_OK.replace(/ /g, ''), expiry: '12/34', cvc: '123' } }),
      });
      assert.equal(response.status, 201, await response.text());

      const toast = page.locator(`.toast[data-key="${id}"]`);
      await toast.waitFor({ timeout: 15000 });
      assert.match(await toast.textContent(), /paid/i);
      assert.equal(await page.evaluate(() => window.__pb.notifications.length), 0, 'no Notification when denied');
      await screenshot(page, 'toast-when-denied');
    });
  });

  // Last in this file: it ends every session of the demo owner.
  test('"Sign out everywhere" in Settings ends the owner\'s sessions in every browser', async () => {
    const here = await newObservedContext(browser, { baseUrl: server.baseUrl });
    const elsewhere = await newObservedContext(browser, { baseUrl: server.baseUrl });
    await withShots('sign-out-everywhere', [here, elsewhere], async () => {
      const page = await here.newPage();
      await login(page, server);
      const other = await elsewhere.newPage();
      await login(other, server);
      assert.equal((await other.request.get('/api/me')).status(), 200);

      await page.locator('details.settings summary').click();
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.waitForURL('**/login**');
      assert.equal((await page.request.get('/api/me')).status(), 401);
      assert.equal((await other.request.get('/api/me')).status(), 401, 'the other browser is signed out too');
      await other.reload();
      await other.waitForURL('**/login**');
    });
  });
});
