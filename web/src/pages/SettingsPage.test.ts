import { describe, expect, it } from 'vitest';
import { decodeProfile, decodePublicInvoice } from '../api';
import { numberExample, profileBody } from './SettingsPage';

describe('the settings form', () => {
  it('sends empty terms and currency as none, a typed currency upper-cased', () => {
    const form = {
      legalName: 'Demo',
      address: '',
      taxId: '',
      email: '',
      phone: '',
      brandColor: '',
      defaultCurrency: ' eur ',
      paymentTermsDays: '',
      paymentInstructions: '',
      numberPrefix: '',
    };
    expect(profileBody(form)).toMatchObject({ defaultCurrency: 'EUR', paymentTermsDays: null });
    expect(profileBody({ ...form, defaultCurrency: '', paymentTermsDays: '30' })).toMatchObject({
      defaultCurrency: null,
      paymentTermsDays: 30,
    });
  });

  it('shows what the prefix makes of a number', () => {
    expect(numberExample('INV-2026-')).toBe('INV-2026-0007');
    expect(numberExample('  ')).toBe('#7');
  });
});

describe('decoders of the business fields', () => {
  it('read a profile with nulls', () => {
    expect(decodeProfile({ legalName: 'A', defaultCurrency: null, paymentTermsDays: null, logoUrl: null })).toMatchObject({
      legalName: 'A',
      defaultCurrency: null,
      paymentTermsDays: null,
      logoUrl: null,
      numberPrefix: '',
    });
  });

  it('read the seller and figures of the pay page, with defaults for an older server', () => {
    const base = {
      id: 'i',
      number: 7,
      status: 'sent',
      currency: 'EUR',
      total: 1000,
      balanceDue: 1000,
      dueDate: '2099-01-01',
      customer: { name: 'Ada' },
    };
    const old = decodePublicInvoice(base);
    expect(old).toMatchObject({ displayNumber: '#7', subtotal: 1000, discountAmount: 0, taxes: [], discount: null });
    const grown = decodePublicInvoice({
      ...base,
      displayNumber: 'INV-2026-0007',
      subtotal: 900,
      taxes: [{ rate: 2000, amount: 100 }],
      seller: { name: 'Demo Bakery', logoUrl: '/api/pay/i/logo' },
    });
    expect(grown.seller).toMatchObject({ name: 'Demo Bakery', logoUrl: '/api/pay/i/logo', address: '' });
    expect(grown.taxes).toEqual([{ rate: 2000, amount: 100 }]);
    expect(() => decodePublicInvoice({ ...base, discount: { percent: 'ten' } })).toThrow(/discount\.percent/);
  });
});
