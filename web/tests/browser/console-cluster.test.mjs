// The Debug Console on two `paybell realtime` nodes sharing Redis (a fresh key prefix, as in
// tests/js/cluster.test.mjs): an event triggered on node B, by the pusher server SDK, shows
// in the console open on node A, marked with B's node; the Overview lists both nodes and
// their sum.
//
// Needs Redis at PAYBELL_TEST_REDIS_URL (default redis://127.0.0.1:6379).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Pusher from 'pusher';
import { eventually, launchBrowser, newObservedContext, runChecked, startRealtime } from './harness.mjs';

const REDIS_URL = process.env.PAYBELL_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const APP = { id: '4444', key: 'console-cluster-key', secret: 'console-cluster-secret-0123456789' };

let nodes = [];
let browser;
let configDir;

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'paybell-console-cluster-'));
  const config = path.join(configDir, 'paybell.toml');
  writeFileSync(config, `[[realtime.apps]]\nid = "${APP.id}"\nkey = "${APP.key}"\nsecret = "${APP.secret}"\n`);
  const env = { REDIS_URL, PAYBELL_REDIS_PREFIX: `paybell-browser-${process.pid}-${randomBytes(6).toString('hex')}` };
  nodes = [await startRealtime({ config, env }), await startRealtime({ config, env })];
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.allSettled(nodes.map((node) => node.stop()));
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

test('an event triggered on node B appears in the console on node A', async () => {
  const [a, b] = nodes;
  const context = await newObservedContext(browser, { baseUrl: `http://127.0.0.1:${a.port}` });
  const output = () => `${a.output()}\n${b.output()}`;
  await runChecked({ output }, 'console-cluster', [context], async () => {
    const page = await context.newPage();
    await page.goto('/console');
    await page.getByLabel('App id').fill(APP.id);
    await page.getByLabel('Secret').fill(APP.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // Node B relays from the moment the console opened (told on the bus); retried for safety.
    const sdk = new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(b.port), useTLS: false });
    const line = page.locator('li.record[data-kind="api_message"]').filter({ hasText: 'on-node-b' }).first();
    let sent = 0;
    await eventually(
      async () => {
        sent += 1;
        await sdk.trigger('cluster-channel', 'on-node-b', { n: sent });
        return line.isVisible();
      },
      { timeout: 8000, interval: 400, message: "node B's event in node A's console" },
    );
    // Later sends may still arrive and go above it: hold on to this line by its key.
    const key = await line.getAttribute('data-key');
    const held = page.locator(`li.record[data-key="${key}"]`);
    await held.getByRole('button', { name: 'JSON' }).click();
    const record = JSON.parse(await held.locator('pre').innerText());
    const nodeOfA = await page.evaluate(async () => (await (await fetch('/console/api/overview')).json()).node);
    assert.equal(typeof record.node, 'string');
    assert.notEqual(record.node, nodeOfA, 'the line names node B');
    assert.equal(await held.locator('.node').innerText(), record.node.slice(0, 6));

    // Once the console watches, an event on B shows within a second.
    const started = Date.now();
    await sdk.trigger('cluster-channel', 'on-node-b-timed', {});
    await page.locator('li.record[data-kind="api_message"]').filter({ hasText: 'on-node-b-timed' }).waitFor({ timeout: 1000 });
    console.log(`node B's event reached node A's console in ${Date.now() - started} ms`);

    // The Overview: both nodes and the cluster's sum.
    await page.getByRole('button', { name: 'Overview' }).click();
    await page.getByRole('region', { name: 'Cluster (all nodes)' }).waitFor();
    await eventually(async () => (await page.locator('.overview .nodes section.series').count()) === 2, { message: 'two nodes in the Overview' });
    await page.locator('.overview section.series').filter({ hasText: '(this one)' }).waitFor();
  });
});
