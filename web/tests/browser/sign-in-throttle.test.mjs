// Sign-in throttling seen from the login page: after 5 wrong passwords the right one is
// refused too, with the wait in the message. A server of its own: the lock covers the
// client address (127.0.0.1), which other test files sign in from.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoCspViolations, newObservedContext, screenshotAll, withServerAndBrowser } from './harness.mjs';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

async function signIn(page, password) {
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('after 5 wrong passwords the login page says to wait, even for the right one', async () => {
  const context = await newObservedContext(browser, { baseUrl: server.baseUrl });
  try {
    const page = await context.newPage();
    await page.goto('/login');
    for (let i = 0; i < 5; i++) {
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
      await signIn(page, `wrong password ${i}`);
      assert.equal((await answer).status(), 401);
      await page.getByRole('alert').filter({ hasText: /wrong e-mail address or password/i }).waitFor();
    }
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
    await signIn(page, server.password);
    const refused = await answer;
    assert.equal(refused.status(), 429);
    assert.ok(Number(refused.headers()['retry-after']) >= 1);
    await page.getByRole('alert').filter({ hasText: /too many failed sign-ins; try again in (1 minute|[1-5]?[0-9] seconds)/i }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/login/);
    await assertNoCspViolations([context]);
  } catch (error) {
    await screenshotAll([context], 'failed-sign-in-throttle');
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await context.close();
  }
});
