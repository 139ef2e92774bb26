// Web Push in Chromium: the service worker the binary serves at /sw.js registers for the
// whole app; a push delivered through the DevTools protocol (`ServiceWorker.deliverPushMessage`,
// standing in for the browser's push service) shows the notification a tab would (title, tag
// per invoice), and none for an event a tab already announced. Headless Chromium cannot
// reach a real push service, so `pushManager.subscribe` fails here: the Settings flow runs
// with `PushManager.prototype.subscribe`/`getSubscription` stubbed in the page (a real P-256
// key pair made in Node), and a local HTTP server, registered as the endpoint, receives what
// the server pushes (the server side is checked in full in crates/invoicing/tests/api/push.rs).

import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { createSentInvoice, eventually, login, newObservedContext, runChecked, waitLive, withServerAndBrowser } from './harness.mjs';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

async function pay(request, id, amount) {
  const paid = await request.post(`/api/invoices/${id}/payments`, {
    data: { amount, method: 'bank_transfer', reference: 'REF' },
    headers: { 'Idempotency-Key': `push-${id}-${amount}-${Date.now()}` },
  });
  assert.equal(paid.status(), 201, await paid.text());
}

/** The owner's events after `cursor` (the user channel's payloads, as a push carries them). */
async function eventsAfter(request, cursor) {
  const answer = await request.get(`/api/events?after=${encodeURIComponent(cursor)}`);
  assert.equal(answer.status(), 200);
  return (await answer.json()).events;
}

async function cursorNow(request) {
  return (await (await request.get('/api/events')).json()).cursor;
}

/**
 * The app's service worker: its registration id through the DevTools protocol (to deliver
 * pushes), and a recorder of every `showNotification` it completes. Chromium's
 * `getNotifications()` alone misses, now and then, a notification shown while another push
 * was being handled (seen about once in ten runs, with the notification shown), so a
 * notification counts as shown when either says so.
 */
async function serviceWorker(page) {
  const cdp = await page.context().newCDPSession(page);
  const registrations = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: list }) => {
    for (const r of list) registrations.set(r.registrationId, r);
  });
  // Kept for the failure message: a push that shows nothing says what the worker was doing.
  const versions = new Map();
  const errors = [];
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: list }) => {
    for (const v of list) versions.set(v.versionId, `${v.versionId}:${v.status}/${v.runningStatus}`);
  });
  cdp.on('ServiceWorker.workerErrorReported', ({ errorMessage }) => errors.push(errorMessage.errorMessage));
  await cdp.send('ServiceWorker.enable');
  const scope = `${server.baseUrl}/`;
  const registration = await eventually(
    () => [...registrations.values()].find((r) => r.scopeURL === scope && !r.isDeleted),
    { message: 'the service worker registration' },
  );
  const running = () => page.context().serviceWorkers().find((w) => w.url() === `${server.baseUrl}/sw.js`);
  const sw = running() ?? (await page.context().waitForEvent('serviceworker'));
  await sw.evaluate(() => {
    self.__shown = [];
    const show = self.registration.showNotification.bind(self.registration);
    self.registration.showNotification = async (title, options) => {
      await show(title, options);
      self.__shown.push({ title, body: options.body, tag: options.tag, data: options.data });
    };
  });
  return {
    deliver: (data) =>
      cdp.send('ServiceWorker.deliverPushMessage', {
        origin: server.baseUrl,
        registrationId: registration.registrationId,
        data: typeof data === 'string' ? data : JSON.stringify(data),
      }),
    /** What the recorder saw; empty when Chromium restarted the worker since. */
    recorded: async () => (await running()?.evaluate(() => self.__shown ?? []).catch(() => [])) ?? [],
    state: () => `worker versions [${[...versions.values()].join(', ')}], errors [${errors.join(' | ')}]`,
  };
}

/** The notifications the service worker showed: `[{title, body, tag, data}]`, one per tag. */
async function shownBy(page, worker) {
  const listed = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const list = await registration.getNotifications();
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });
  const byTag = new Map([...(await worker.recorded()), ...listed].map((n) => [n.tag, n]));
  return [...byTag.values()];
}

/** Waits for the notification tagged `tag`; the failure says what was shown and the worker's state. */
async function waitShown(page, worker, tag, message) {
  return eventually(async () => (await shownBy(page, worker)).find((n) => n.tag === tag), { message }).catch(async (error) => {
    const now = JSON.stringify(await shownBy(page, worker).catch((e) => String(e)));
    throw new Error(`${error.message}; shown now ${now}; ${worker.state()}`);
  });
}

describe('Web Push in the browser', () => {
  test('the service worker registers, and a push shows the invoice notification unless a tab alerted', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    await runChecked(server, 'push-service-worker', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const active = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        return { script: registration.active?.scriptURL, scope: registration.scope };
      });
      assert.deepEqual(active, { script: `${server.baseUrl}/sw.js`, scope: `${server.baseUrl}/` });
      const worker = await serviceWorker(page);

      // No Paybell tab open: the page shows the worker's script, not the app.
      await page.goto('/sw.js');
      const request = owner.request;
      const quietId = await createSentInvoice(request);
      let cursor = await cursorNow(request);
      await pay(request, quietId, 2500);
      const [pushed] = (await eventsAfter(request, cursor)).filter((e) => e.event === 'payment.received' && e.channel.includes('user.'));
      assert.ok(pushed, 'the user channel payment event');
      await worker.deliver(pushed.data);
      const shown = await waitShown(page, worker, `paybell-invoice-${quietId}`, 'the push notification');
      assert.equal(shown.title, '💰 Payment Received');
      assert.match(shown.body, /^\$25\.00 for Invoice #\d+$/);
      assert.equal(shown.data.invoiceId, quietId);

      // The same push again (delivery is at least once): still one notification.
      await worker.deliver(pushed.data);

      // A tab on the invoice announces the payment itself; its push then stays quiet.
      const alertedId = await createSentInvoice(request);
      await page.goto(`/app/invoices/${alertedId}`);
      await waitLive(page);
      cursor = await cursorNow(request);
      await pay(request, alertedId, 10000);
      await eventually(async () => (await page.evaluate(() => window.__pb.notifications)).some((n) => n.tag === `paybell-invoice-${alertedId}`), {
        message: 'the tab notification',
      });
      const [alerted] = (await eventsAfter(request, cursor)).filter((e) => e.event === 'payment.received' && e.channel.includes('user.'));
      await worker.deliver(alerted.data);
      // A later push about another invoice is shown: the one before it was handled by then.
      const control = { ...pushed.data, invoiceId: 'control-invoice', sentAt: new Date().toISOString(), eventId: 'control' };
      await worker.deliver(control);
      await waitShown(page, worker, 'paybell-invoice-control-invoice', 'the control notification');
      const tags = (await shownBy(page, worker)).map((n) => n.tag).sort();
      // The repeated push was not shown again (the recorder sees repeats; the tag hides them).
      const recorded = (await worker.recorded()).map((n) => n.tag);
      if (recorded.length > 0) assert.equal(recorded.filter((t) => t === `paybell-invoice-${quietId}`).length, 1, String(recorded));
      assert.deepEqual(tags, [`paybell-invoice-${quietId}`, 'paybell-invoice-control-invoice'].sort());
    });
  });

  test('Settings turns push on and off on both sides, and explains a refusal', async () => {
    const received = [];
    const endpointServer = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url, headers: req.headers, bytes: Buffer.concat(chunks).length });
        res.writeHead(201).end();
      });
    });
    await new Promise((resolve) => endpointServer.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${endpointServer.address().port}/push/settings-test`;
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };

    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    const refused = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'denied' });
    // The stand-in for the browser's push service: headless Chromium has none to reach.
    const stub = ({ endpoint, keys }) => {
      let current = null;
      window.__push = { subscribed: [], unsubscribed: 0 };
      PushManager.prototype.getSubscription = async () => current;
      PushManager.prototype.subscribe = async (options) => {
        window.__push.subscribed.push(new Uint8Array(options.applicationServerKey).length);
        current = {
          endpoint,
          toJSON: () => ({ endpoint, expirationTime: null, keys }),
          unsubscribe: async () => {
            window.__push.unsubscribed += 1;
            current = null;
            return true;
          },
        };
        return current;
      };
    };
    await owner.addInitScript(stub, { endpoint, keys });
    await refused.addInitScript(stub, { endpoint, keys });
    try {
      await runChecked(server, 'push-settings', [owner, refused], async () => {
        const page = await owner.newPage();
        await login(page, server);
        await page.getByText('Settings', { exact: true }).click();
        const toggle = page.getByLabel('Notify me when Paybell is closed');
        await eventually(async () => !(await toggle.isDisabled()), { message: 'the switch ready' });
        assert.equal(await toggle.isChecked(), false);
        const registered = page.waitForResponse((r) => r.url().endsWith('/api/push/subscriptions') && r.request().method() === 'POST');
        await toggle.click();
        assert.equal((await registered).status(), 201);
        await eventually(() => toggle.isChecked(), { message: 'switch on' });
        assert.deepEqual(await page.evaluate(() => window.__push.subscribed), [65], 'subscribed with the 65-byte VAPID key');

        // The server now pushes this browser's payments to the registered endpoint.
        const id = await createSentInvoice(owner.request);
        await pay(owner.request, id, 1000);
        const push = await eventually(() => received.find((r) => r.path === '/push/settings-test'), { message: 'a push' });
        assert.equal(push.headers['content-encoding'], 'aes128gcm');
        assert.match(push.headers.authorization, /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]{87}$/);

        const removed = page.waitForResponse((r) => r.url().endsWith('/api/push/subscriptions') && r.request().method() === 'DELETE');
        await toggle.click();
        assert.equal((await removed).status(), 204);
        await eventually(async () => !(await toggle.isChecked()), { message: 'switch off' });
        assert.equal(await page.evaluate(() => window.__push.unsubscribed), 1);
        const before = received.length;
        await pay(owner.request, id, 1000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(received.length, before, 'no push after turning it off');

        const blocked = await refused.newPage();
        await login(blocked, server);
        await blocked.getByText('Settings', { exact: true }).click();
        const refusedToggle = blocked.getByLabel('Notify me when Paybell is closed');
        await eventually(async () => !(await refusedToggle.isDisabled()), { message: 'the switch ready' });
        await refusedToggle.click();
        await blocked.getByTestId('push-note').filter({ hasText: /blocked for this site/ }).waitFor();
        assert.equal(await refusedToggle.isChecked(), false);
        assert.deepEqual(await blocked.evaluate(() => window.__push.subscribed), []);
      });
    } finally {
      endpointServer.close();
    }
  });
});
