// The hardened mode (PAYBELL_PRIVATE_CHANNELS=true): the same pages subscribe to
// `private-` channels, authorised by POST /pusher/auth through pusher-js's
// channelAuthorization (the owner by session, the customer by the invoice id in the link).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertNoCspViolations,
  eventually,
  launchBrowser,
  login,
  newObservedContext,
  screenshotAll,
  startPaybell,
  waitLive,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startPaybell({ env: { PAYBELL_PRIVATE_CHANNELS: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Records the channel names a page asks /pusher/auth for. */
function authRequests(page) {
  const channels = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/pusher/auth') {
      channels.push(new URLSearchParams(request.postData() ?? '').get('channel_name'));
    }
  });
  return channels;
}

test('private channels: both sides authorise and follow a payment live', async () => {
  const config = await (await fetch(`${server.baseUrl}/api/config`)).json();
  assert.equal(config.privateChannels, true, 'GET /api/config should report privateChannels');

  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
  const customer = await newObservedContext(browser, { baseUrl: server.baseUrl });
  try {
    const detail = await owner.newPage();
    const ownerAuth = authRequests(detail);
    await login(detail, server);
    const created = await detail.request.post('/api/invoices', {
      data: {
        customer: { name: 'Katherine Johnson', email: 'kj@example.com' },
        currency: 'EUR',
        dueDate: new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10),
        items: [{ description: 'Trajectory review', quantity: 3, unitPrice: 2500 }],
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const { id } = await created.json();
    assert.equal((await detail.request.post(`/api/invoices/${id}/send`)).status(), 200);

    await detail.goto(`/app/invoices/${id}`);
    await waitLive(detail);
    await eventually(() => ownerAuth.includes(`private-invoice.${id}`), { message: 'owner authorised private-invoice' });

    const pay = await customer.newPage();
    const customerAuth = authRequests(pay);
    await pay.goto(`/pay/${id}`);
    await waitLive(pay);
    await eventually(() => customerAuth.includes(`private-invoice.${id}`), { message: 'customer authorised private-invoice' });

    await pay.getByLabel('Card number').fill('4242 4242 4242 4242');
    await pay.getByLabel(/^Expiry/).fill('12/34');
    await pay.getByLabel('CVC').fill('123');
    await pay.getByRole('button', { name: /^Pay/ }).click();
    await pay.getByTestId('paid-banner').waitFor();

    await eventually(async () => (await detail.locator('h1 .badge').getAttribute('data-status')) === 'paid', {
      message: 'owner page paid through the private channel',
    });
    await eventually(
      () => detail.evaluate((tag) => window.__pb.notifications.some((n) => n.tag.includes(tag)), id),
      { message: 'a Notification through the private channel' },
    );
    assert.equal(await detail.locator('.alert-info', { hasText: /live updates/i }).count(), 0);
    await assertNoCspViolations([owner, customer]);
  } catch (error) {
    await screenshotAll([owner, customer], 'failed-private');
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await owner.close();
    await customer.close();
  }
});
