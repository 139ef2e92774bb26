// Never miss a payment: the realtime connection is cut by a TCP proxy (the browser is told
// to use it through PAYBELL_PUBLIC_WS_URL), a payment is made through the API meanwhile,
// and after the proxy lets connections through again the page is Live within seconds and
// announces the payment once (notification, toast, tone) from the event log. Two owner tabs
// announce each payment once; a reload never announces again.
//
// Runs in the server's default channel mode; PAYBELL_PRIVATE_CHANNELS=true|false picks one.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createSentInvoice, eventually, launchBrowser, login, newObservedContext, runChecked, startPaybell, startTcpProxy, waitLive } from './harness.mjs';

let server;
let browser;
let proxy;

before(async () => {
  proxy = await startTcpProxy();
  const env = { PAYBELL_PUBLIC_WS_URL: `ws://127.0.0.1:${proxy.port}` };
  if (process.env.PAYBELL_PRIVATE_CHANNELS) env.PAYBELL_PRIVATE_CHANNELS = process.env.PAYBELL_PRIVATE_CHANNELS;
  server = await startPaybell({ env });
  proxy.target = server.realtimePort;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.stop();
});

const withShots = (name, contexts, body) => runChecked(server, name, contexts, body);

/** Records a payment through the API (as someone else would, e.g. on another device). */
async function pay(page, id, amount) {
  const paid = await page.request.post(`/api/invoices/${id}/payments`, {
    data: { amount, method: 'bank_transfer', reference: 'replay-test' },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  assert.equal(paid.status(), 201, await paid.text());
}

/** What a page announced so far: notifications, tones (oscillator starts) and toasts on screen. */
async function announced(page) {
  return page.evaluate(() => ({
    notifications: window.__pb.notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag })),
    tones: window.__pb.tones.length,
    toasts: [...document.querySelectorAll('.toast')].map((t) => t.textContent),
  }));
}

const sum = (list) => list.reduce((n, x) => n + x, 0);

/** Cuts the realtime connection and waits until the page shows it. */
async function cut(page) {
  proxy.cut();
  await page.locator('.connection:not([data-state="connected"])').first().waitFor({ timeout: 10000 });
}

/** Lets connections through again; returns ms until the page is Live. */
async function restore(page) {
  const start = Date.now();
  proxy.restore();
  await waitLive(page, 30000);
  return Date.now() - start;
}

describe('replay after reconnect', () => {
  test('a payment made while cut off is announced once after the reconnect, and not again after a reload', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    await withShots('replay-once', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const id = await createSentInvoice(page.request);
      await page.goto(`/app/invoices/${id}`);
      await waitLive(page);
      assert.ok(proxy.connections > 0, 'the page should connect through the proxy');
      const before = await announced(page);

      await cut(page);
      await pay(page, id, 2500);
      await page.waitForTimeout(1500);
      assert.equal((await announced(page)).notifications.length, before.notifications.length, 'nothing heard while cut');

      const reconnectMs = await restore(page);
      console.log(`# reconnect: Live ${reconnectMs} ms after the realtime port accepted connections again`);
      assert.ok(reconnectMs < 4000, `Live again after ${reconnectMs} ms`);
      await eventually(async () => (await page.getByTestId('amount-paid').first().textContent()) === '$25.00', {
        message: 'the page shows the missed payment',
      });
      const heard = await eventually(
        async () => {
          const now = await announced(page);
          return now.notifications.length > before.notifications.length && now;
        },
        { message: 'a notification for the missed payment' },
      );
      assert.ok(heard.toasts.some((t) => /payment/i.test(t)), `a toast: ${JSON.stringify(heard.toasts)}`);
      await page.waitForTimeout(2500);
      const settled = await announced(page);
      const fresh = settled.notifications.slice(before.notifications.length);
      assert.equal(fresh.length, 1, `one notification: ${JSON.stringify(fresh)}`);
      assert.equal(fresh[0].tag, `paybell-invoice-${id}`);
      assert.equal(settled.tones - before.tones, 1, 'one tone (the single "info" tone of a part payment)');

      // A payment heard live, then a reload: the reload's replay reads it again, silently.
      await pay(page, id, 1000);
      await eventually(async () => (await announced(page)).notifications.length === before.notifications.length + 2, {
        message: 'the live payment announced',
      });
      await page.reload();
      await waitLive(page);
      await eventually(async () => (await page.getByTestId('amount-paid').first().textContent()) === '$35.00', {
        message: 'reloaded page',
      });
      await page.waitForTimeout(2500);
      const reloaded = await announced(page);
      assert.deepEqual(reloaded.notifications, [], 'no notification after the reload');
      assert.equal(reloaded.tones, 0, 'no tone after the reload');
    });
  });

  test('several payments missed on the list collapse into one announcement', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    await withShots('replay-collapse', [owner], async () => {
      const page = await owner.newPage();
      await login(page, server);
      const first = await createSentInvoice(page.request, { amount: 20000 });
      const second = await createSentInvoice(page.request, { amount: 30000 });
      await page.goto('/app/invoices');
      await waitLive(page);
      const before = await announced(page);

      await cut(page);
      await pay(page, first, 10000);
      await pay(page, second, 12000);
      await pay(page, second, 5000);
      const reconnectMs = await restore(page);
      console.log(`# reconnect (list): Live ${reconnectMs} ms after the realtime port accepted connections again`);
      assert.ok(reconnectMs < 4000, `Live again after ${reconnectMs} ms`);
      await eventually(async () => (await announced(page)).notifications.length > before.notifications.length, {
        message: 'the summary notification',
      });
      await page.waitForTimeout(2500);
      const now = await announced(page);
      const fresh = now.notifications.slice(before.notifications.length);
      assert.equal(fresh.length, 1, `one notification: ${JSON.stringify(fresh)}`);
      assert.match(fresh[0].body, /^3 payments received while you were offline/);
      console.log(`# collapsed: ${fresh[0].title} / ${fresh[0].body}`);
      assert.equal(now.tones - before.tones, 1, 'one tone');
      assert.ok(now.toasts.some((t) => /3 payments received/.test(t)), `a toast: ${JSON.stringify(now.toasts)}`);
    });
  });
});

describe('one alert per event across tabs', () => {
  test('two owner tabs announce each payment once; closing the announcing tab hands over', async () => {
    const owner = await newObservedContext(browser, { baseUrl: server.baseUrl, notifications: 'granted' });
    await withShots('tabs', [owner], async () => {
      const list = await owner.newPage();
      await login(list, server);
      const id = await createSentInvoice(list.request, { amount: 10000 });
      await waitLive(list);
      const detail = await owner.newPage();
      await detail.goto(`/app/invoices/${id}`);
      await waitLive(detail);
      const tabs = [list, detail];
      const counts = async () => {
        const all = await Promise.all(tabs.filter((t) => !t.isClosed()).map(announced));
        return { notifications: sum(all.map((a) => a.notifications.length)), tones: sum(all.map((a) => a.tones)) };
      };
      const before = await counts();

      await pay(list, id, 2000);
      await eventually(async () => (await counts()).notifications > before.notifications, { message: 'an announcement' });
      await list.waitForTimeout(2500);
      const once = await counts();
      assert.equal(once.notifications - before.notifications, 1, 'one notification across both tabs');
      assert.equal(once.tones - before.tones, 1, 'one tone across both tabs');
      const listHeard = (await announced(list)).notifications.length;
      assert.equal(listHeard, 1, 'the first tab (the lock holder) announced');

      // Both tabs updated, silently for the second.
      await eventually(async () => (await detail.getByTestId('amount-paid').first().textContent()) === '$20.00', {
        message: 'the second tab updated',
      });

      // Closing the announcing tab: the other one takes over.
      await list.close();
      const detailBefore = await announced(detail);
      await pay(detail, id, 3000);
      await eventually(async () => (await announced(detail)).notifications.length > detailBefore.notifications.length, {
        message: 'the remaining tab announces',
      });
      await detail.waitForTimeout(2000);
      const after = await announced(detail);
      assert.equal(after.notifications.length - detailBefore.notifications.length, 1);
      assert.equal(after.tones - detailBefore.tones, 1);
    });
  });
});
