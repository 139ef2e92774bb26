// The page fixes of issue #15, driven in Chromium against the real `paybell serve`: the
// record-payment confirmation and the removal of a payment, a void invoice's summary, the pay
// page's field errors, notes, lines and wording, the list's search/filter/sort and totals,
// page titles, dropdowns that close, the debug switch, and the 390 px layout. Nothing here
// depends on the channel mode: the pages are driven, never the channels.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { eventually, login, newObservedContext, runChecked, screenshot, waitLive, withServerAndBrowser } from './harness.mjs';

const CARD_OK = '4242 4242 4242 4242';
const PHONE = { width: 390, height: 844 };

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

const withShots = (name, contexts, body) => runChecked(server, name, contexts, body);

const text = async (page, testId) => (await page.getByTestId(testId).first().textContent())?.trim();

/** Creates (and by default sends) an invoice through the API with the owner's session. */
async function createInvoice(page, { customer = 'Grace Hopper', amount = 10000, dueInDays = 14, notes, send = true, items } = {}) {
  const created = await page.request.post('/api/invoices', {
    data: {
      customer: { name: customer, email: 'customer@example.com' },
      currency: 'USD',
      dueDate: new Date(Date.now() + dueInDays * 86400e3).toISOString().slice(0, 10),
      items: items ?? [{ description: 'Support plan', quantity: 1, unitPrice: amount }],
      ...(notes ? { notes } : {}),
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const invoice = await created.json();
  if (send) {
    const sent = await page.request.post(`/api/invoices/${invoice.id}/send`);
    assert.equal(sent.status(), 200, await sent.text());
  }
  return invoice;
}

/** Checks out as the payer, from outside the browser. */
async function payByCard(id, amount) {
  const response = await fetch(`${server.baseUrl}/api/pay/${id}/checkout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ amount, card: { number: CARD_OK.replace(/ /g, ''), expiry: '12/34', cvc: '123' } }),
  });
  assert.equal(response.status, 201, await response.text());
}

/** No sideways scrolling of the document, and the header's items on one row. */
async function assertPhoneLayout(page, what) {
  const layout = await page.evaluate(() => {
    const header = document.querySelector('header.topbar');
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    const items = header ? [...header.querySelectorAll(':scope > *, :scope > .topbar-right > *')].filter(visible) : [];
    const rects = items.map((el) => el.getBoundingClientRect());
    const middles = rects.map((r) => r.top + r.height / 2);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      header: header !== null,
      spread: middles.length ? Math.max(...middles) - Math.min(...middles) : 0,
      tallest: rects.length ? Math.max(...rects.map((r) => r.height)) : 0,
      headerHeight: header ? header.getBoundingClientRect().height : 0,
    };
  });
  assert.ok(layout.scrollWidth <= layout.innerWidth, `${what}: document ${layout.scrollWidth} px wide in a ${layout.innerWidth} px viewport`);
  assert.ok(layout.header, `${what}: a header`);
  assert.ok(layout.spread < 12, `${what}: header items not on one row (${JSON.stringify(layout)})`);
  assert.ok(layout.headerHeight < layout.tallest + 30, `${what}: header taller than one row (${JSON.stringify(layout)})`);
}

describe('page fixes', () => {
  test('record a payment after a confirmation, remove it, void: no balance due', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'denied' });
    await withShots('record-remove', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      await eventually(async () => (await page.title()) === 'Invoices — Paybell', { message: 'list title' });
      const invoice = await createInvoice(page, { customer: 'Grace Hopper', amount: 10000 });
      await page.goto(`/app/invoices/${invoice.id}`);
      await waitLive(page);
      const title = `Invoice #${invoice.number} — Grace Hopper — Paybell`;
      await eventually(async () => (await page.title()) === title, { message: title });

      // A card payment from elsewhere: the toast writes money as the page does and names the customer.
      await payByCard(invoice.id, 1000);
      const toast = page.locator(`.toast[data-key="${invoice.id}"]`);
      await toast.waitFor({ timeout: 15000 });
      assert.match(await toast.textContent(), /\$10\.00 from Grace Hopper/);
      assert.doesNotMatch(await toast.textContent(), /10\.00 USD/);
      await eventually(async () => (await text(page, 'amount-paid')) === '$10.00', { message: 'card payment shown' });

      // Recording asks first, showing the amount; nothing is recorded until confirmed.
      await page.getByRole('textbox', { name: /^Amount/ }).fill('25.00');
      await page.getByLabel('Reference (optional)').fill('WIRE-77');
      await page.getByRole('button', { name: 'Review payment…' }).click();
      const confirmation = page.getByTestId('confirm-payment');
      await confirmation.waitFor();
      assert.match(await confirmation.textContent(), /Record \$25\.00 received by bank transfer \(reference WIRE-77\)\?/);
      assert.equal(await text(page, 'amount-paid'), '$10.00', 'nothing recorded before the confirmation');
      await page.getByRole('button', { name: 'Change' }).click();
      await page.getByRole('textbox', { name: /^Amount/ }).fill('30.00');
      await page.getByRole('button', { name: 'Review payment…' }).click();
      await page.getByRole('button', { name: 'Record $30.00' }).click();
      await eventually(async () => (await text(page, 'amount-paid')) === '$40.00', { message: '$30 recorded' });

      // The card payment cannot be removed; the manual one can, after a confirmation.
      const payments = page.getByTestId('payments');
      assert.equal(await payments.locator('li').count(), 2);
      assert.equal(await page.getByRole('button', { name: /^Remove the \$10\.00 payment/ }).count(), 0);
      await page.getByRole('button', { name: 'Remove the $30.00 payment' }).click();
      await page.getByRole('group', { name: 'Confirm removing the payment' }).waitFor();
      await screenshot(page, 'remove-payment-confirm');
      await page.getByRole('button', { name: 'Yes, remove it' }).click();
      await eventually(async () => (await text(page, 'amount-paid')) === '$10.00', { message: 'payment removed' });
      assert.equal(await payments.locator('li').count(), 1);
      assert.equal(await text(page, 'balance-due'), '$90.00');

      // The card payment is refunded in part, after saying how much.
      await page.getByRole('button', { name: 'Refund the $10.00 payment' }).click();
      await page.getByRole('group', { name: 'Confirm the refund' }).waitFor();
      await page.getByRole('textbox', { name: 'Amount to refund' }).fill('4.00');
      await page.getByRole('button', { name: 'Yes, refund it' }).click();
      await eventually(async () => (await text(page, 'amount-paid')) === '$6.00', { message: 'refunded in part' });
      assert.match(await page.getByTestId('refunded').textContent(), /\$4\.00 refunded/);
      assert.equal(await text(page, 'balance-due'), '$94.00');

      // A void invoice shows no balance due.
      const draft = await createInvoice(page, { send: false });
      await page.goto(`/app/invoices/${draft.id}`);
      await page.getByRole('button', { name: 'Void…' }).click();
      await page.getByRole('button', { name: 'Yes, void it' }).click();
      await eventually(async () => (await page.locator('h1 .badge').getAttribute('data-status')) === 'void', { message: 'void' });
      assert.equal(await page.getByTestId('balance-due').count(), 0, 'no balance due on a void invoice');
    });
  });

  test('pay page: field errors beside their inputs, notes and lines, plain words, card cleared', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
    const payer = await newObservedContext(browser, { baseUrl: server.baseUrl });
    await withShots('pay-page', [owner, payer], async () => {
      const ownerPage = await owner.newPage();
      await login(ownerPage, server);
      const items = [
        { description: 'Sourdough loaves', quantity: 3, unitPrice: 650 },
        { description: 'Croissants', quantity: 12, unitPrice: 180 },
      ];
      const invoice = await createInvoice(ownerPage, { items, notes: 'Pay within 14 days. Thank you!' });
      const business = (await (await fetch(`${server.baseUrl}/api/pay/${invoice.id}`)).json()).businessName;

      const page = await payer.newPage();
      await page.goto(`/pay/${invoice.id}`);
      await waitLive(page);
      const title = `Invoice #${invoice.number} from ${business}`;
      await eventually(async () => (await page.title()) === title, { message: title });
      const lines = page.getByTestId('lines');
      assert.ok(await lines.isVisible(), 'lines shown, not folded');
      assert.match(await lines.textContent(), /Sourdough loaves.*3 × \$6\.50.*\$19\.50/);
      assert.match(await lines.textContent(), /Croissants/);
      assert.equal(await text(page, 'notes'), 'Pay within 14 days. Thank you!');
      const header = (await page.locator('header.topbar').textContent()) ?? '';
      assert.doesNotMatch(header, /\bLive\b|Sound on|Sound off/, `no developer words: ${header}`);
      const sound = page.getByRole('switch', { name: /Sound/ });
      assert.equal(await sound.isChecked(), true);

      // The API's field errors, attached to their inputs; the first takes the focus.
      await page.getByLabel('Card number').fill(CARD_OK);
      await page.getByLabel(/^Expiry/).fill('13/99');
      await page.getByLabel('CVC').fill('1');
      await page.getByRole('button', { name: /^Pay/ }).click();
      const expiry = page.getByLabel(/^Expiry/);
      await eventually(async () => (await expiry.getAttribute('aria-invalid')) === 'true', { message: 'expiry marked invalid' });
      const describedBy = await expiry.getAttribute('aria-describedby');
      const message = await page.locator(`#${describedBy}`).textContent();
      assert.match(message, /expiry date must be written MM\/YY/i);
      assert.equal(await page.getByLabel('CVC').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Card number').getAttribute('aria-invalid'), null);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'expiry', 'focus on the first error');
      assert.doesNotMatch(await page.locator('main').textContent(), /card\.expiry|card\.cvc/, 'no raw field paths');
      await screenshot(page, 'pay-field-errors');

      // Corrected, paid in part: the card fields are cleared.
      await page.getByRole('textbox', { name: /^Amount/ }).fill('10.00');
      await expiry.fill('12/34');
      await page.getByLabel('CVC').fill('123');
      await page.getByRole('button', { name: /^Pay/ }).click();
      await eventually(async () => (await text(page, 'amount-paid')) === '$10.00', { message: 'paid $10' });
      assert.equal(await page.getByLabel('Card number').inputValue(), '');
      assert.equal(await expiry.inputValue(), '');
      assert.equal(await page.getByLabel('CVC').inputValue(), '');
      assert.equal(await expiry.getAttribute('aria-invalid'), null);
    });
  });

  test('invoice list: search, status filter, sort, totals; dropdowns close; debug log', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
    await withShots('list', [owner], async () => {
      const page = await owner.newPage();
      const logs = [];
      page.on('console', (message) => logs.push(message.text()));
      await login(page, server);
      const tag = `Sortcheck${Date.now().toString(36)}`;
      const small = await createInvoice(page, { customer: `${tag} Alpha`, amount: 1500, dueInDays: 30 });
      const big = await createInvoice(page, { customer: `${tag} Beta`, amount: 9000, dueInDays: 5 });
      const paid = await createInvoice(page, { customer: `${tag} Gamma`, amount: 4000, dueInDays: 10 });
      await payByCard(paid.id, 4000);
      await page.goto('/app/invoices?debug=1');
      await waitLive(page);

      const totals = page.getByRole('region', { name: 'Totals' });
      await totals.waitFor();
      assert.match(await totals.textContent(), /Outstanding.*Overdue.*Paid this month/);
      assert.match(await text(page, 'paid-month-USD'), /^\$[\d,]+\.\d\d$/);

      const rows = page.locator('tbody tr');
      const shown = async () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-invoice-id')));
      await page.getByRole('searchbox', { name: 'Search' }).fill(tag);
      await eventually(async () => (await shown()).length === 3, { message: 'search by customer' });
      assert.deepEqual(await shown(), [paid.id, big.id, small.id], 'newest first');
      assert.match(page.url(), new RegExp(`q=${tag}`), 'the view is in the address');

      await page.getByLabel('Sort by').selectOption('amount-highest');
      await eventually(async () => (await shown())[0] === big.id, { message: 'sorted by amount' });
      assert.deepEqual(await shown(), [big.id, paid.id, small.id]);
      await page.getByLabel('Sort by').selectOption('due-soonest');
      await eventually(async () => (await shown())[0] === big.id && (await shown())[1] === paid.id, { message: 'due' });
      assert.deepEqual(await shown(), [big.id, paid.id, small.id]);
      await page.getByLabel('Sort by').selectOption('amount-lowest');
      await eventually(async () => (await shown())[0] === small.id, { message: 'amount lowest' });

      await page.getByLabel('Status').selectOption('paid');
      await eventually(async () => (await shown()).length === 1, { message: 'status filter' });
      assert.deepEqual(await shown(), [paid.id]);
      await page.getByRole('searchbox', { name: 'Search' }).fill(`#${small.number}`);
      await page.getByText('No invoices match').waitFor();
      await page.getByRole('button', { name: 'Show all invoices' }).click();
      await eventually(async () => (await shown()).length >= 6, { message: 'filters cleared' });
      await screenshot(page, 'invoice-list-controls');

      // The Settings dropdown closes on Escape and on a click outside.
      const settings = page.locator('details.settings');
      await page.getByText('Settings', { exact: true }).click();
      await eventually(async () => settings.evaluate((d) => d.open), { message: 'settings open' });
      await page.keyboard.press('Escape');
      await eventually(async () => !(await settings.evaluate((d) => d.open)), { message: 'closed by Escape' });
      await page.getByText('Settings', { exact: true }).click();
      await eventually(async () => settings.evaluate((d) => d.open), { message: 'settings open again' });
      await page.locator('h1').click();
      await eventually(async () => !(await settings.evaluate((d) => d.open)), { message: 'closed by a click outside' });

      // ?debug=1 logged the connection, the subscription and the received events.
      await payByCard(small.id, 500);
      await eventually(() => logs.some((l) => l.startsWith('[paybell] event payment.received')), { message: 'event logged' });
      assert.ok(logs.some((l) => l.startsWith('[paybell] connection')), logs.join('\n'));
      assert.ok(logs.some((l) => l.startsWith('[paybell] subscribe')), logs.join('\n'));
      assert.ok(logs.some((l) => l.startsWith('[paybell] subscribed')), logs.join('\n'));
    });
  });

  test('390 px: every page fits the width and the header is one row', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, viewport: PHONE });
    const payer = await newObservedContext(browser, { baseUrl: server.baseUrl, viewport: PHONE });
    await withShots('phone', [owner, payer], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const items = [
        { description: 'A rather long description of consulting work on the analytical engine', quantity: 12, unitPrice: 123456 },
        { description: 'Travel', quantity: 1, unitPrice: 2000 },
      ];
      const invoice = await createInvoice(page, { customer: 'Augusta Ada King, Countess of Lovelace', items, notes: 'Net 30' });
      await page.goto('/app/invoices');
      await waitLive(page);
      await assertPhoneLayout(page, 'list');
      await screenshot(page, 'phone-list');

      // The menu holds the navigation, and closes on Escape.
      await page.getByText('Menu', { exact: true }).click();
      const newInvoice = page.locator('details.menu').getByRole('link', { name: 'New invoice' });
      await newInvoice.waitFor();
      await page.keyboard.press('Escape');
      await eventually(async () => !(await page.locator('details.menu').evaluate((d) => d.open)), { message: 'menu closed' });
      await page.getByText('Menu', { exact: true }).click();
      await newInvoice.click();
      await page.waitForURL('**/app/invoices/new');
      await eventually(async () => (await page.title()) === 'New invoice — Paybell', { message: 'new invoice title' });
      await assertPhoneLayout(page, 'new invoice');

      await page.goto(`/app/invoices/${invoice.id}`);
      await page.getByTestId('balance-due').waitFor();
      await assertPhoneLayout(page, 'detail');
      const linesTable = page.locator('table.lines-table');
      const fits = await linesTable.evaluate((t) => t.scrollWidth <= t.parentElement.clientWidth);
      assert.ok(fits, 'the lines table fits without sideways scrolling');
      await screenshot(page, 'phone-detail');

      const pay = await payer.newPage();
      await pay.goto(`/pay/${invoice.id}`);
      await pay.getByTestId('lines').waitFor();
      await assertPhoneLayout(pay, 'payment page');
      await screenshot(pay, 'phone-pay');
    });
  });
});
