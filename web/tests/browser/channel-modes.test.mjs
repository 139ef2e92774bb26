// Both channel modes of `paybell serve`, the same payment followed live by the owner's and the
// customer's pages: by default `private-` channels, authorised by POST /pusher/auth through
// pusher-js's channelAuthorization (the owner by session, the customer by the invoice id in
// the link); with PAYBELL_PRIVATE_CHANNELS=false the integration guide's public names, with
// no authorisation at all.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
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

/** Records the channels a page subscribes to over its WebSockets. */
function subscriptions(page) {
  const channels = [];
  page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) => {
      try {
        const frame = JSON.parse(String(payload));
        if (frame.event === 'pusher:subscribe') channels.push(frame.data.channel);
      } catch {
        /* not JSON: not a subscription */
      }
    });
  });
  return channels;
}

for (const mode of [
  { name: 'private channels (the default)', env: {}, prefix: 'private-' },
  { name: 'public names (PAYBELL_PRIVATE_CHANNELS=false)', env: { PAYBELL_PRIVATE_CHANNELS: 'false' }, prefix: '' },
]) {
  describe(mode.name, () => {
    let server;
    before(async () => {
      server = await startPaybell({ env: mode.env });
    });
    after(async () => {
      await server?.stop();
    });
    test('both sides follow a payment live', () => followPayment(server, mode));
  });
}

async function followPayment(server, { prefix }) {
  const config = await (await fetch(`${server.baseUrl}/api/config`)).json();
  assert.equal(config.privateChannels, prefix === 'private-', 'GET /api/config should report the mode');

  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
  const customer = await newObservedContext(browser, { baseUrl: server.baseUrl });
  try {
    const detail = await owner.newPage();
    const ownerAuth = authRequests(detail);
    const ownerChannels = subscriptions(detail);
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
    await eventually(() => ownerChannels.includes(`${prefix}invoice.${id}`), { message: `owner subscribed to ${prefix}invoice` });

    const pay = await customer.newPage();
    const customerAuth = authRequests(pay);
    const customerChannels = subscriptions(pay);
    await pay.goto(`/pay/${id}`);
    await waitLive(pay);
    await eventually(() => customerChannels.includes(`${prefix}invoice.${id}`), { message: `customer subscribed to ${prefix}invoice` });
    if (prefix) {
      assert.ok(ownerAuth.includes(`private-invoice.${id}`), `owner authorised: ${ownerAuth}`);
      assert.ok(customerAuth.includes(`private-invoice.${id}`), `customer authorised: ${customerAuth}`);
    } else {
      assert.deepEqual([...ownerAuth, ...customerAuth], [], 'public channels need no authorisation');
    }

    await pay.getByLabel('Card number').fill('4242 4242 4242 4242');
    await pay.getByLabel(/^Expiry/).fill('12/34');
    await pay.getByLabel('CVC').fill('123');
    await pay.getByRole('button', { name: /^Pay/ }).click();
    await pay.getByTestId('paid-banner').waitFor();

    await eventually(async () => (await detail.locator('h1 .badge').getAttribute('data-status')) === 'paid', {
      message: 'owner page paid through the invoice channel',
    });
    await eventually(
      () => detail.evaluate((tag) => window.__pb.notifications.some((n) => n.tag.includes(tag)), id),
      { message: 'a Notification through the invoice channel' },
    );
    assert.equal(await detail.locator('.alert-info', { hasText: /live updates/i }).count(), 0);
    await assertNoCspViolations([owner, customer]);
  } catch (error) {
    await screenshotAll([owner, customer], `failed-${prefix || 'public-'}channels`);
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await owner.close();
    await customer.close();
  }
}
