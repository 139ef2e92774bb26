import { describe, expect, it } from 'vitest';
import { appTitle, paymentTitle } from './title';

describe('page titles', () => {
  it('names the page, then the app', () => {
    expect(appTitle('Invoices')).toBe('Invoices — Paybell');
    expect(appTitle('Invoice #7', 'Ada Lovelace')).toBe('Invoice #7 — Ada Lovelace — Paybell');
    expect(appTitle('Invoice #7', undefined)).toBe('Invoice #7 — Paybell');
  });

  it('the payer sees who sent the invoice', () => {
    expect(paymentTitle(6, 'Demo Bakery')).toBe('Invoice #6 from Demo Bakery');
    expect(paymentTitle('INV-6', ' ')).toBe('Invoice INV-6 — Paybell');
  });
});
