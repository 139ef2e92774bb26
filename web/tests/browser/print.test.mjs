// Printable pages and PDFs: the owner's invoice and receipt pages and the payer's invoice and
// receipt pages show the lines and totals, hide their toolbar when printed, and the Download PDF links answer
// application/pdf.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoCspViolations, login, newObservedContext, screenshot, screenshotAll, withServerAndBrowser } from './harness.mjs';

let server;
let browser;
withServerAndBrowser({}, (started) => ({ server, browser } = started));

test('print pages and PDF downloads for the owner and the payer', async () => {
  const owner = await newObservedContext(browser, { baseUrl: server.baseUrl });
  const payer = await newObservedContext(browser, { baseUrl: server.baseUrl });
  try {
    const page = await owner.newPage();
    await login(page, server);
    const profile = await page.request.put('/api/profile', {
      data: {
        legalName: 'Łukasiewicz Design GmbH',
        address: 'Hauptstraße 1\n10115 Berlin',
        taxId: 'DE123456789',
        paymentInstructions: 'IBAN DE89 3704 0044 0532 0130 00',
      },
    });
    assert.equal(profile.status(), 200, await profile.text());
    const created = await page.request.post('/api/invoices', {
      data: {
        customer: { name: 'Zoë Łukasiewicz', email: 'zoe@example.com', address: 'Rynek 5\nKraków' },
        currency: 'EUR',
        dueDate: new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10),
        reference: 'PO-2211',
        items: [
          { description: 'Design workshop', quantity: 2, unitPrice: 45000, taxRate: 1900 },
          { description: 'Printed handouts', quantity: 30, unitPrice: 250 },
        ],
      },
    });
    assert.equal(created.status(), 201, await created.text());
    const invoice = await created.json();
    assert.equal((await page.request.post(`/api/invoices/${invoice.id}/send`)).status(), 200);
    const paid = await page.request.post(`/api/invoices/${invoice.id}/payments`, {
      data: { amount: 10000, method: 'bank_transfer', reference: 'SEPA-77' },
    });
    assert.equal(paid.status(), 201, await paid.text());
    const payment = (await paid.json()).payment;

    // The owner's page links to the print page and the PDF.
    await page.goto(`/app/invoices/${invoice.id}`);
    const pdfHref = await page.getByTestId('pdf-link').getAttribute('href');
    assert.equal(pdfHref, `/api/invoices/${invoice.id}/pdf`);
    const pdf = await page.request.get(pdfHref);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.ok((await pdf.body()).subarray(0, 5).toString() === '%PDF-');

    await page.getByTestId('print-link').click();
    await page.waitForURL(`**/app/invoices/${invoice.id}/print`);
    const sheet = page.getByTestId('print-invoice');
    await sheet.waitFor();
    const text = await sheet.textContent();
    for (const expected of [
      'Łukasiewicz Design GmbH', 'Hauptstraße 1', '10115 Berlin', 'Tax ID: DE123456789',
      'Zoë Łukasiewicz', 'zoe@example.com', 'Kraków', 'PO-2211', 'Design workshop', 'Printed handouts',
      '€975.00', '€171.00', '€1,146.00', 'IBAN DE89 3704 0044 0532 0130 00', `/pay/${invoice.id}`,
    ]) {
      assert.ok(text.includes(expected), `${expected} missing from ${text}`);
    }
    // Subtotal, tax per rate and total as the owner's page draws them.
    assert.equal(await page.getByTestId('print-totals-subtotal').textContent(), 'Subtotal€975.00');
    assert.equal(await page.getByTestId('print-totals-tax-1900').textContent(), 'Tax 19%€171.00');
    assert.equal(await page.getByTestId('print-number').textContent(), invoice.displayNumber);
    assert.equal(await page.getByTestId('print-balance').textContent(), '€1,046.00');
    // Printed: the toolbar goes, the sheet stays.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), false);
    assert.equal(await sheet.isVisible(), true);
    await screenshot(page, 'print-invoice');
    // Chromium's own print of the page: one A4 page, and one Letter page.
    for (const format of ['A4', 'Letter']) {
      const printed = (await page.pdf({ format, printBackground: true })).toString('latin1');
      const pages = printed.match(/\/Type\s*\/Page[^s]/g) ?? [];
      assert.equal(pages.length, 1, `${format}: ${pages.length} pages`);
    }
    await page.emulateMedia({ media: 'screen' });

    // The receipt page of the payment, and its PDF.
    await page.goto(`/app/invoices/${invoice.id}`);
    await page.getByTestId('receipt-link').click();
    await page.getByTestId('print-receipt').waitFor();
    assert.equal(await page.getByTestId('receipt-amount').textContent(), '€100.00');
    assert.match(await page.getByTestId('print-receipt').textContent(), /SEPA-77/);
    const receipt = await page.request.get(await page.getByTestId('download-pdf').getAttribute('href'));
    assert.equal(receipt.status(), 200);
    assert.equal(receipt.headers()['content-type'], 'application/pdf');
    assert.match(receipt.headers()['content-disposition'], new RegExp(`receipt-${invoice.number}-${payment.id.slice(0, 8)}\\.pdf`));

    // The payer: the pay page's links, the print page without e-mail addresses.
    const payerPage = await payer.newPage();
    await payerPage.goto(`/pay/${invoice.id}`);
    const payerPdf = await payerPage.getByTestId('pdf-link').getAttribute('href');
    assert.equal(payerPdf, `/api/pay/${invoice.id}/pdf`);
    const answer = await payerPage.request.get(payerPdf);
    assert.equal(answer.status(), 200);
    assert.equal(answer.headers()['content-type'], 'application/pdf');
    await payerPage.getByTestId('print-link').click();
    const payerSheet = payerPage.getByTestId('print-invoice');
    await payerSheet.waitFor();
    const payerText = await payerSheet.textContent();
    for (const expected of ['Design workshop', 'Łukasiewicz Design GmbH', '10115 Berlin', 'Tax 19%', '€1,046.00']) {
      assert.ok(payerText.includes(expected), `${expected} missing from ${payerText}`);
    }
    assert.ok(!payerText.includes('zoe@example.com'), 'no e-mail address for the payer');
    await screenshot(payerPage, 'print-invoice-payer');

    // The payer pays the rest with the test card: the pay page offers that payment's receipt.
    await payerPage.goto(`/pay/${invoice.id}`);
    assert.equal(await payerPage.getByTestId('receipt-link').count(), 0, 'no receipts before paying here');
    await payerPage.getByLabel('Card number').fill('4242 4242 4242 4242');
    await payerPage.getByLabel(/^Expiry/).fill('12/34');
    await payerPage.getByLabel('CVC').fill('123');
    await payerPage.getByRole('button', { name: /^Pay/ }).click();
    await payerPage.getByTestId('paid-banner').waitFor();
    const receiptPdf = await payerPage.getByTestId('receipt-pdf-link').getAttribute('href');
    const receiptAnswer = await payerPage.request.get(receiptPdf);
    assert.equal(receiptAnswer.status(), 200);
    assert.equal(receiptAnswer.headers()['content-type'], 'application/pdf');
    await payerPage.getByTestId('receipt-link').click();
    await payerPage.getByTestId('print-receipt').waitFor();
    assert.equal(await payerPage.getByTestId('receipt-amount').textContent(), '€1,046.00');
    assert.match(await payerPage.getByTestId('print-receipt').textContent(), /Balance due€0\.00/);
    await assertNoCspViolations([owner, payer]);
  } catch (error) {
    await screenshotAll([owner, payer], 'failed-print');
    error.message += `\n${server.output().slice(-3000)}`;
    throw error;
  } finally {
    await owner.close();
    await payer.close();
  }
});
