// The Debug Console on the realtime port of `paybell serve`: sign-in (a wrong secret is
// refused), the live log showing what real pusher-js and the pusher server SDK do within a
// second (connect, subscribe, member added, occupied, client event, SDK trigger, a refused
// subscription, unsubscribe, member removed, vacated, disconnect), the Event Creator reaching a
// pusher-js subscriber, filters, the Channels view with presence members, and the Overview
// after a reload.
//
// PAYBELL_DOCS_SCREENSHOT=1 also writes docs/debug-console.png (the README's picture).

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import Pusher from 'pusher';
import { eventually, launchBrowser, newObservedContext, runChecked, startPaybell } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PUSHER_JS = createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.min.js');
const APP = { id: '4242', key: 'console-key', secret: 'console-secret-0123456789abcdef' };
const CHANNEL = 'presence-console-test';

let server;
let browser;
let configDir;

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'paybell-console-'));
  const config = path.join(configDir, 'paybell.toml');
  // Client events on (serve turns them off for its app unless the file says so).
  writeFileSync(
    config,
    `[[realtime.apps]]\nid = "${APP.id}"\nkey = "${APP.key}"\nsecret = "${APP.secret}"\nclient_events = true\n`,
  );
  server = await startPaybell({ env: { PAYBELL_CONFIG: config } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

function sign(socketId, channel, channelData) {
  const signed = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${APP.key}:${createHmac('sha256', APP.secret).update(signed).digest('hex')}`;
}

/** A page running the real pusher-js, joined to the presence channel as `u-browser`. */
async function pusherJsPage(context, port) {
  const page = await context.newPage();
  await page.exposeFunction('pbSign', sign);
  // A page of the realtime port's own (Chromium keeps about:blank off the local network).
  await page.goto(`http://127.0.0.1:${port}/health`);
  await page.addScriptTag({ path: PUSHER_JS });
  await page.evaluate(
    ({ key, port, channel }) =>
      new Promise((resolve, reject) => {
        const userData = JSON.stringify({ user_id: 'u-browser', user_info: { name: 'Browser' } });
        window.received = [];
        window.client = new window.Pusher(key, {
          cluster: 'mt1',
          wsHost: '127.0.0.1',
          wsPort: port,
          forceTLS: false,
          enabledTransports: ['ws'],
          disableStats: true,
          channelAuthorization: {
            customHandler: ({ socketId, channelName }, callback) => {
              if (channelName === 'private-denied') {
                callback(null, { auth: `${key}:not-a-signature` });
                return;
              }
              window.pbSign(socketId, channelName, userData).then(
                (auth) => callback(null, { auth, channel_data: userData }),
                (error) => callback(error, null),
              );
            },
          },
        });
        const joined = window.client.subscribe(channel);
        joined.bind_global((event, data) => window.received.push({ event, data }));
        joined.bind('pusher:subscription_succeeded', () => resolve(window.client.connection.socket_id));
        joined.bind('pusher:subscription_error', reject);
      }),
    { key: APP.key, port, channel: CHANNEL },
  );
  return page;
}

/** A log line of `kind` holding `text`. */
function row(page, kind, text) {
  return page.locator(`li.record[data-kind="${kind}"]`).filter({ hasText: text }).first();
}

test('the Debug Console signs in, shows the live log, sends events and lists channels', async () => {
  const base = `http://127.0.0.1:${server.realtimePort}`;
  const context = await newObservedContext(browser, { baseUrl: base });
  const clients = await browser.newContext();
  await runChecked(server, 'console', [context, clients], async () => {
    const page = await context.newPage();
    await page.goto('/console');

    // A wrong secret is refused, the right one signs in.
    await page.getByLabel('App id').fill(APP.id);
    await page.getByLabel('Secret').fill('not the secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /wrong app id or secret/ }).waitFor();
    await page.getByLabel('Secret').fill(APP.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // pusher-js connects and joins: each shows within a second.
    const started = Date.now();
    const js = await pusherJsPage(clients, server.realtimePort);
    await row(page, 'connection', '(js ').waitFor({ timeout: 1000 + (Date.now() - started) });
    await row(page, 'subscribed', CHANNEL).waitFor({ timeout: 1000 });
    await row(page, 'member_added', 'u-browser').waitFor({ timeout: 1000 });
    await row(page, 'occupied', CHANNEL).waitFor({ timeout: 1000 });

    // A client event, and a trigger by the pusher server SDK.
    await js.evaluate((channel) => window.client.channel(channel).trigger('client-wave', { hi: 1 }), CHANNEL);
    await row(page, 'client_event', 'client-wave').waitFor({ timeout: 1000 });
    const sdk = new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(server.realtimePort), useTLS: false });
    await sdk.trigger(CHANNEL, 'sdk-event', { paid: true });
    await row(page, 'api_message', 'sdk-event').waitFor({ timeout: 1000 });

    // A subscription with a bad signature is a refusal.
    await js.evaluate(() => window.client.subscribe('private-denied'));
    await row(page, 'refused', 'private-denied').waitFor({ timeout: 1000 });

    // Expand a line to its JSON.
    const apiRow = row(page, 'api_message', 'sdk-event');
    await apiRow.getByRole('button', { name: 'JSON' }).click();
    assert.match(await apiRow.locator('pre').innerText(), /"event": "sdk-event"/);

    // Filters narrow the log.
    await page.getByLabel('Kind', { exact: true }).selectOption('client_event');
    await eventually(async () => (await page.locator('li.record').count()) === 1, { message: 'only the client event' });
    assert.equal(await page.locator('li.record').first().getAttribute('data-kind'), 'client_event');
    await page.getByLabel('Kind', { exact: true }).selectOption('');
    await page.getByLabel('Channel', { exact: true }).fill('nobody-');
    await eventually(async () => (await page.locator('li.record').count()) === 0, { message: 'no record on nobody-' });
    await page.getByLabel('Channel', { exact: true }).fill('presence-console');
    await page.getByLabel('Search', { exact: true }).fill('sdk-event');
    await eventually(async () => (await page.locator('li.record').count()) === 1, { message: 'the search hit' });
    await page.getByLabel('Channel', { exact: true }).fill('');
    await page.getByLabel('Search', { exact: true }).fill('');

    // The Event Creator's event reaches the pusher-js subscriber.
    await page.getByRole('button', { name: 'Event Creator' }).click();
    await page.getByLabel('Channels', { exact: true }).fill(CHANNEL);
    await page.getByLabel('Event', { exact: true }).fill('from-console');
    await page.getByLabel('Data (JSON)', { exact: true }).fill('{"amount": 1250');
    await page.getByRole('alert').filter({ hasText: /Not valid JSON/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send event' }).isDisabled(), true);
    await page.getByLabel('Data (JSON)', { exact: true }).fill('{"amount": 1250}');
    await page.getByRole('button', { name: 'Send event' }).click();
    await page.getByLabel('Answer').filter({ hasText: 'Sent' }).waitFor();
    const got = await eventually(
      () => js.evaluate(() => window.received.find((e) => e.event === 'from-console')),
      { timeout: 3000, message: 'the event at pusher-js' },
    );
    assert.deepEqual(got.data, { amount: 1250 });
    await page.getByRole('button', { name: /from-console on presence-console-test/ }).waitFor();

    // Channels lists the presence channel and its member.
    await page.getByRole('button', { name: 'Channels', exact: true }).click();
    const channelRow = page.locator(`tr[data-channel="${CHANNEL}"]`);
    await channelRow.waitFor();
    assert.match(await channelRow.innerText(), /u-browser/);
    await page.getByLabel('Search channels', { exact: true }).fill('no-such-channel');
    await eventually(async () => (await page.locator('tbody tr').count()) === 0, { message: 'search narrows channels' });

    // The Overview survives a reload (kept by the server), still signed in.
    await page.reload();
    await page.getByRole('button', { name: 'Overview' }).click();
    await eventually(async () => Number(await page.getByTestId('connections-now').innerText()) >= 1, { message: 'a connection now' });
    assert.match(await page.locator('.overview .note').innerText(), /[1-9]\d* samples/);

    // Leaving, then disconnecting.
    await page.getByRole('button', { name: 'Log' }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await js.evaluate((channel) => window.client.unsubscribe(channel), CHANNEL);
    await row(page, 'unsubscribed', CHANNEL).waitFor({ timeout: 1000 });
    await row(page, 'member_removed', 'u-browser').waitFor({ timeout: 1000 });
    await row(page, 'vacated', CHANNEL).waitFor({ timeout: 1000 });
    await js.evaluate(() => window.client.disconnect());
    await row(page, 'disconnection', 'socket').waitFor({ timeout: 1000 });

    if (process.env.PAYBELL_DOCS_SCREENSHOT) {
      await pusherJsPage(clients, server.realtimePort);
      await sdk.trigger(CHANNEL, 'payment.received', { title: '✅ Invoice Paid', invoiceId: 'inv_7', amount: 1250 });
      await row(page, 'api_message', 'payment.received').waitFor({ timeout: 1000 });
      await page.screenshot({ path: path.resolve(HERE, '../../../docs/debug-console.png') });
    }
  });
});
