// The business side of an invoice: the Settings page (profile and logo), the customer
// autocomplete on the invoice form, and an invoice with two tax rates and a discount whose
// figures read the same on the owner's page, the payment page and the PDF each downloads.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { eventually, login, newObservedContext, runChecked, screenshot, withServerAndBrowser } from './harness.mjs';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

/** The text of a PDF, read back by poppler's `pdftotext` (scripts/install-test-deps.sh). */
function pdfText(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'paybell-pdf-'));
  try {
    const file = join(dir, 'invoice.pdf');
    writeFileSync(file, bytes);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A real, decodable RGBA PNG of `width` × `height` in one colour. */
function png(width, height, [r, g, b] = [200, 40, 0]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 4)]);
  for (let x = 0; x < width; x += 1) row.set([r, g, b, 255], 1 + x * 4);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('the Settings page saves the profile and the logo', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
  await runChecked(server, 'settings', [owner], async () => {
    const page = await owner.newPage();
    await login(page, server);
    await page.getByRole('link', { name: 'Business' }).first().click();
    await page.waitForURL('**/app/settings');
    await page.getByLabel('Legal name').fill('Demo Bakery Ltd');
    await page.getByLabel('Address').fill('1 High Street\nLondon');
    await page.getByLabel('Tax id (VAT number)').fill('GB123456789');
    await page.getByLabel('Default currency').fill('EUR');
    await page.getByLabel('Invoice number prefix').fill('INV-2026-');
    assert.match(await page.getByTestId('number-example').textContent(), /INV-2026-0007/);
    await page.getByLabel('Payment instructions (bank transfer…)').fill('IBAN GB00 1234');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/profile') && r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save profile' }).click();
    assert.equal((await saved).status(), 200);

    // A file that is not an image is refused with the server's message; a PNG is kept.
    await page.getByLabel('PNG or JPEG, up to 1 MB').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('<svg/>') });
    await page.getByText('the logo must be a PNG or JPEG image').waitFor();
    await page.getByLabel('PNG or JPEG, up to 1 MB').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(48, 24) });
    const preview = page.getByTestId('logo-preview');
    await eventually(() => preview.evaluate((img) => img.complete && img.naturalWidth === 48), { message: 'the logo shown' });

    await page.reload();
    await page.getByLabel('Legal name').waitFor();
    assert.equal(await page.getByLabel('Legal name').inputValue(), 'Demo Bakery Ltd');
    assert.equal(await page.getByLabel('Invoice number prefix').inputValue(), 'INV-2026-');
    await eventually(() => page.getByTestId('logo-preview').evaluate((img) => img.naturalWidth === 48), { message: 'the logo after a reload' });
    await screenshot(page, 'settings-page');
  });
});

test('the invoice form suggests customers and links the one picked', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
  await runChecked(server, 'autocomplete', [owner], async () => {
    const page = await owner.newPage();
    await login(page, server);
    const made = await page.request.post('/api/customers', {
      data: { name: 'Augusta Byron', email: 'ada@analytical.example', address: '12 St James Square', taxId: 'GB987' },
    });
    assert.equal(made.status(), 201, await made.text());
    const customer = await made.json();

    await page.goto('/app/invoices/new');
    await page.getByLabel('Name').fill('byro');
    const option = page.getByRole('option', { name: /Augusta Byron/ });
    await option.waitFor();
    await option.getByRole('button').click();
    assert.equal(await page.getByLabel('Email').inputValue(), 'ada@analytical.example');
    assert.equal(await page.getByLabel('Tax id (optional)').inputValue(), 'GB987');
    await page.getByTestId('customer-linked').waitFor();
    await page.locator('[name="items.0.description"]').fill('Engine notes');
    await page.locator('[name="items.0.unitPrice"]').fill('120');
    await page.getByRole('button', { name: 'Create invoice' }).click();
    await page.waitForURL(/\/app\/invoices\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    const invoice = await (await page.request.get(`/api/invoices/${id}`)).json();
    assert.equal(invoice.customer.id, customer.id);
    assert.equal(invoice.customer.taxId, 'GB987');

    // The customer page lists it.
    await page.getByRole('link', { name: 'Augusta Byron' }).click();
    await page.waitForURL(`**/app/customers/${customer.id}`);
    await page.getByTestId('customer-invoices').getByRole('link', { name: invoice.displayNumber }).waitFor();
  });
});

test('two tax rates and a discount read the same on the owner page, the pay page and their PDFs', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
  const payer = await newObservedContext(browser, { baseUrl: server.baseUrl });
  await runChecked(server, 'taxes', [owner, payer], async () => {
    const page = await owner.newPage();
    await login(page, server);
    const profile = await page.request.put('/api/profile', { data: { numberPrefix: 'INV-2026-', legalName: 'Demo Bakery Ltd', address: '1 High Street\nLondon' } });
    assert.equal(profile.status(), 200);
    await page.goto('/app/invoices/new');
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Currency').selectOption('EUR');
    await page.getByLabel('PO / reference (optional)').fill('PO-4711');
    await page.locator('[name="items.0.description"]').fill('Bread');
    await page.locator('[name="items.0.quantity"]').fill('4');
    await page.locator('[name="items.0.unitPrice"]').fill('25');
    await page.locator('[name="items.0.taxRate"]').fill('20');
    await page.getByRole('button', { name: 'Add line' }).click();
    await page.locator('[name="items.1.description"]').fill('Books');
    await page.locator('[name="items.1.unitPrice"]').fill('50');
    await page.locator('[name="items.1.taxRate"]').fill('5.5');
    await page.getByLabel('Discount').selectOption('percent');
    await page.getByLabel('Percent off').fill('10');
    // The preview already follows the server's rule.
    await eventually(async () => /€155\.48/.test(await page.getByTestId('draft-totals').textContent()), { message: 'the preview total' });
    await page.getByRole('button', { name: 'Create invoice' }).click();
    await page.waitForURL(/\/app\/invoices\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    await page.getByRole('button', { name: 'Send by e-mail' }).click();
    await page.getByText('Invoice e-mailed to grace@example.com').first().waitFor();

    const invoice = await (await page.request.get(`/api/invoices/${id}`)).json();
    assert.match(invoice.displayNumber, /^INV-2026-\d{4}$/);
    assert.deepEqual(
      [invoice.subtotal, invoice.discountAmount, invoice.taxes, invoice.total],
      [15000, 1500, [{ rate: 550, amount: 248 }, { rate: 2000, amount: 1800 }], 15548],
    );
    const ownerTotals = (await page.getByTestId('totals').innerText()).trim();
    assert.match(await page.getByRole('heading', { level: 1 }).textContent(), new RegExp(invoice.displayNumber));

    const pay = await payer.newPage();
    await pay.goto(`/pay/${id}`);
    const payTotals = (await pay.getByTestId('totals').innerText()).trim();
    assert.equal(payTotals, ownerTotals, 'the same figures, the same way');
    for (const text of ['Subtotal', '€150.00', 'Discount', '-€15.00', 'Tax 5.5%', '€2.48', 'Tax 20%', '€18.00', '€155.48']) {
      assert.ok(payTotals.includes(text), `${text} in ${payTotals}`);
    }
    assert.match(await pay.getByRole('heading', { level: 1 }).textContent(), new RegExp(invoice.displayNumber));
    assert.equal(await pay.getByTestId('reference').textContent(), 'PO-4711');
    await pay.getByTestId('seller').getByText('Demo Bakery Ltd').waitFor();
    await screenshot(pay, 'pay-page-taxes');
    await screenshot(page, 'owner-page-taxes');

    // The PDF each of them downloads from the page's link has the same figures.
    const figures = ['Subtotal', '€150.00', 'Discount', '€15.00', 'Tax 5.5%', '€2.48', 'Tax 20%', '€18.00', '€155.48'];
    for (const [who, view] of [['owner', page], ['payer', pay]]) {
      const href = await view.getByTestId('pdf-link').getAttribute('href');
      const pdf = await view.request.get(href);
      assert.equal(pdf.status(), 200, `${who}'s PDF at ${href}`);
      assert.equal(pdf.headers()['content-type'], 'application/pdf');
      const text = pdfText(await pdf.body());
      for (const expected of [...figures, invoice.displayNumber, 'PO-4711', 'Demo Bakery Ltd', 'Grace Hopper']) {
        assert.ok(text.includes(expected), `${expected} in ${who}'s PDF:\n${text}`);
      }
    }
  });
});
