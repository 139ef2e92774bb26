// Apps managed at run time (issue #19): `paybell app add / rotate-secret / disable / enable`
// change a running `paybell realtime` without a restart, seen by unmodified pusher-js.
// Without Redis the server reads the store's version every 2 s, so each change is awaited
// for at most a few seconds.
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api,
  cleanupAll,
  cleanupClients,
  connectedPusher,
  errorData,
  makeApp,
  rawSocket,
  runCli,
  startServer,
  subscribed,
  waitEvent,
  waitFor,
} from './helpers.mjs';

afterEach(cleanupClients);
after(cleanupAll);

/** `app id:` / `app key:` / `app secret:` lines of `app add` and `rotate-secret`. */
function credentials(stdout) {
  const field = (name) => stdout.match(new RegExp(`^app ${name}:\\s+(\\S+)$`, 'm'))?.[1];
  return { id: field('id'), key: field('key'), secret: field('secret') };
}

async function cli(server, ...args) {
  const result = await runCli(['app', ...args, '--data-dir', path.join(server.dir, 'paybell-data')]);
  assert.equal(result.code, 0, `paybell app ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Whether an HTTP API call signed with `app`'s secret is accepted now. */
async function apiAccepts(server, app) {
  const res = await api(server, app, { path: '/channels' });
  return res.status === 200;
}

/** Subscribes to a private channel with auth signed by `signWith`; resolves true or false. */
async function privateSubscription(server, app, signWith, channelName) {
  const client = await connectedPusher(server, app, { signWith });
  const channel = client.subscribe(channelName);
  // A refused signature is a `pusher:error` on the connection, not a subscription_error.
  return new Promise((resolve) => {
    channel.bind('pusher:subscription_succeeded', () => resolve(true));
    client.connection.bind('error', (e) => {
      if (e?.type === 'PusherError' && /^Invalid signature/.test(e.data?.message ?? '')) resolve(false);
    });
  });
}

describe('apps at run time', () => {
  let server;
  before(async () => {
    // No config file: the data directory's generated app becomes the store's first app.
    server = await startServer({ config: false });
  });

  test('an app added while the server runs is served to pusher-js within seconds', async () => {
    const added = credentials(await cli(server, 'add', '--name', 'shop', '--id', 'live-1', '--key', 'live-key-1'));
    assert.deepEqual([added.id, added.key], ['live-1', 'live-key-1']);
    assert.match(added.secret, /^[0-9a-f]{64}$/);
    await waitFor(() => apiAccepts(server, added), 5000, 'the new app served over the HTTP API');
    const client = await connectedPusher(server, added);
    const channel = await subscribed(client, 'private-orders');
    const heard = waitEvent(channel, 'paid');
    const sent = await api(server, added, {
      method: 'POST',
      path: '/events',
      body: { name: 'paid', channels: ['private-orders'], data: '{"n":1}' },
    });
    assert.equal(sent.status, 200, sent.text);
    assert.deepEqual(await heard, { n: 1 });
    const listed = await cli(server, 'list');
    assert.match(listed, /^live-1\s+live-key-1\s+enabled\s+store\s+shop$/m);
  });

  test('a rotated secret: both accepted during the grace period, only the new one after', async () => {
    const old = credentials(await cli(server, 'add', '--id', 'rot-1', '--key', 'rot-key-1'));
    await waitFor(() => apiAccepts(server, old), 5000, 'the app served');
    const rotated = await cli(server, 'rotate-secret', 'rot-1', '--grace-period', '6s');
    const fresh = { ...old, secret: credentials(rotated).secret };
    assert.notEqual(fresh.secret, old.secret);
    await waitFor(() => apiAccepts(server, fresh), 5000, 'the new secret accepted');
    assert.ok(await apiAccepts(server, old), 'the old secret still accepted by the HTTP API');
    assert.ok(await privateSubscription(server, fresh, old, 'private-a'), 'old secret signs a subscription');
    assert.ok(await privateSubscription(server, fresh, fresh, 'private-b'), 'new secret signs a subscription');

    await waitFor(async () => !(await apiAccepts(server, old)), 9000, 'the old secret refused after the grace period');
    const refused = await api(server, old, { path: '/channels' });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(await privateSubscription(server, fresh, old, 'private-c'), false, 'old secret no longer signs');
    assert.ok(await apiAccepts(server, fresh), 'the new secret still accepted');
    assert.ok(await privateSubscription(server, fresh, fresh, 'private-d'));
  });

  test('disable: an open socket closes with 4003, new ones are refused, the API answers 403; enable again', async () => {
    const app = credentials(await cli(server, 'add', '--id', 'off-1', '--key', 'off-key-1'));
    await waitFor(() => apiAccepts(server, app), 5000, 'the app served');
    const client = await connectedPusher(server, app);
    const closed = waitEvent(client.connection, 'error', {
      timeoutMs: 6000,
      what: 'pusher:error 4003 on the open socket',
      filter: (e) => e?.data?.code === 4003,
    });
    await cli(server, 'disable', 'off-1');
    await closed;

    // A new connection: pusher:error 4003, then close 4003 (exact frames on a raw socket).
    const late = rawSocket(server, app.key);
    const refusal = await late.next('pusher:error', { what: 'pusher:error 4003 for a new connection' });
    assert.equal(errorData(refusal).code, 4003);
    assert.equal((await late.waitClose()).code, 4003);
    const res = await api(server, app, { path: '/channels' });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json?.error !== undefined || res.text.length > 0, true);

    await cli(server, 'enable', 'off-1');
    await waitFor(() => apiAccepts(server, app), 5000, 'the app enabled again');
    await connectedPusher(server, app);
  });
});

describe('apps at run time: config-file apps', () => {
  const fixed = makeApp();
  let server;
  before(async () => {
    server = await startServer({ apps: [fixed] });
  });

  test('a config-file app is listed read-only and cannot be changed', async () => {
    const dataDir = path.join(server.dir, 'paybell-data');
    const config = path.join(server.dir, 'paybell.toml');
    const listed = await runCli(['app', 'list', '--config', config, '--data-dir', dataDir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${fixed.id}\\s+${fixed.key}\\s+enabled\\s+config\\s`, 'm'));
    const refused = await runCli(['app', 'disable', fixed.id, '--config', config, '--data-dir', dataDir]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /read-only/);
    // Store apps are served beside it.
    const added = await runCli(['app', 'add', '--config', config, '--data-dir', dataDir]);
    assert.equal(added.code, 0, added.stderr);
    const app = credentials(added.stdout);
    await waitFor(() => apiAccepts(server, app), 5000, 'the store app served beside the configured one');
    assert.ok(await apiAccepts(server, fixed));
  });
});
