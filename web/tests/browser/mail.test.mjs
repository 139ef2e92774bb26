// E-mail without SMTP: `paybell serve` keeps each message in the local mailbox, and the owner
// sees it in the web app: the invoice page's history after "Send by e-mail", and the Mail page
// with the message as it would have been sent.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoCspViolations, eventually, login, newObservedContext, screenshot, screenshotAll, withServerAndBrowser } from './harness.mjs';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

test('without SMTP the Mail page shows the invoice mail after Send', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
  try {
    const page = await owner.newPage();
    await login(page, server);
    const created = await page.request.post('/api/invoices', {
      data: {
        customer: { name: 'Grace <Hopper>', email: 'grace@example.com' },
        currency: 'USD',
        dueDate: new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10),
        items: [{ description: 'Compiler review', quantity: 2, unitPrice: 12500 }],
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const invoice = await created.json();

    await page.goto(`/app/invoices/${invoice.id}`);
    await page.getByRole('button', { name: 'Send by e-mail' }).click();
    await page.getByText('Invoice e-mailed to grace@example.com').first().waitFor();
    const history = page.getByTestId('mail-history');
    await eventually(
      async () => (await history.locator('tr[data-status="delivered_locally"]').count()) === 1,
      { message: 'the invoice mail in the history, delivered to the local mailbox' },
    );
    assert.match(await history.textContent(), /In local mailbox/);

    // Reminders for this invoice: on by default, switched off, still off after a reload.
    const reminders = page.getByLabel('Send payment reminders for this invoice');
    assert.equal(await reminders.isChecked(), true);
    const saved = page.waitForResponse((r) => r.url().endsWith(`/api/invoices/${invoice.id}/reminders`) && r.request().method() === 'PUT');
    await reminders.uncheck();
    assert.equal((await saved).status(), 200);
    await page.reload();
    await page.getByTestId('mail-history').waitFor();
    await eventually(async () => (await page.getByLabel('Send payment reminders for this invoice').isChecked()) === false, {
      message: 'reminders stay off',
    });

    await page.getByRole('link', { name: 'Mail' }).click();
    await page.waitForURL('**/app/mail');
    // The owner's switches, both on by default.
    assert.equal(await page.getByLabel('E-mail me when a payment is received').isChecked(), true);
    assert.equal(await page.getByLabel('Send payment reminders (3 days').isChecked(), true);
    const subject = `Invoice #${invoice.number} from`;
    const row = page.getByTestId('mail-table').locator('tr', { hasText: subject });
    await row.waitFor();
    assert.match(await row.textContent(), /grace@example\.com/);
    await row.getByRole('button').click();
    const view = page.getByTestId('mail-view');
    await view.waitFor();
    const text = await view.textContent();
    assert.ok(text.includes(`Pay online: ${server.baseUrl}/pay/${invoice.id}`), text);
    assert.ok(text.includes('Grace <Hopper>'), 'the plain text as sent');
    assert.ok(text.includes('$250.00'), 'the amount as the app writes it');
    // The HTML part, framed in a sandbox under its own policy: the customer's name escaped,
    // the Pay online button linking to the payment page.
    const frame = page.frameLocator('[data-testid="mail-html"]');
    const button = frame.getByRole('link', { name: 'Pay online' });
    await button.waitFor();
    assert.equal(await button.getAttribute('href'), `${server.baseUrl}/pay/${invoice.id}`);
    assert.ok((await frame.locator('body').textContent()).includes('Grace <Hopper>'), 'escaped, shown as text');
    const framed = await page.request.get((await page.getByTestId('mail-html').getAttribute('src')));
    assert.match(framed.headers()['content-security-policy'], /sandbox/);
    assert.match(framed.headers()['content-type'], /^text\/html/);
    await screenshot(page, 'mail-page');
    await assertNoCspViolations([owner]);
  } catch (error) {
    await screenshotAll([owner], 'failed-mail');
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await owner.close();
  }
});
