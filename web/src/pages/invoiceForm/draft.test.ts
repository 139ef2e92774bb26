import { describe, expect, it } from 'vitest';
import { draftFrom, draftTotal, draftTotals, validateDraft, withCustomer, type Draft } from './draft';
import { decodeInvoice } from '../../api';

const draft = (overrides: Partial<Draft> = {}): Draft => ({
  customerId: null,
  customerName: ' Ada ',
  customerEmail: 'ada@example.com',
  customerAddress: '',
  customerTaxId: '',
  currency: 'EUR',
  issueDate: '2099-12-01',
  dueDate: '2099-12-31',
  reference: '',
  discountKind: 'none',
  discountValue: '',
  items: [{ key: 1, description: 'Design', quantity: '2', unitPrice: '12.50', taxRate: '' }],
  notes: '',
  ...overrides,
});

describe('validateDraft', () => {
  it('turns a good draft into the request body in minor units', () => {
    expect(validateDraft(draft({ notes: ' thanks ', reference: ' PO-1 ' }))).toEqual({
      input: {
        customer: { name: 'Ada', email: 'ada@example.com', address: '', taxId: '' },
        currency: 'EUR',
        issueDate: '2099-12-01',
        dueDate: '2099-12-31',
        reference: 'PO-1',
        discount: null,
        items: [{ description: 'Design', quantity: 2, unitPrice: 1250, taxRate: 0 }],
        notes: 'thanks',
      },
    });
  });

  it('sends tax rates in basis points, the discount, and a chosen customer by id', () => {
    const chosen = withCustomer(draft(), {
      id: 'c1',
      name: 'Ada',
      email: 'ada@example.com',
      address: 'London',
      taxId: 'GB1',
      notes: '',
    });
    const items = [{ key: 1, description: 'Books', quantity: '1', unitPrice: '50', taxRate: '5.5' }];
    const result = validateDraft({ ...chosen, items, discountKind: 'percent', discountValue: '10' });
    expect(result).toMatchObject({
      input: { customerId: 'c1', discount: { percent: 1000 }, items: [{ unitPrice: 5000, taxRate: 550 }] },
    });
    expect('input' in result && result.input.customer).toBeUndefined();
    const amount = validateDraft(draft({ discountKind: 'amount', discountValue: '5' }));
    expect(amount).toMatchObject({ input: { discount: { amount: 500 } } });
  });

  it('names every bad field by the server’s paths', () => {
    const result = validateDraft(
      draft({
        customerEmail: 'nope',
        discountKind: 'percent',
        discountValue: '150',
        items: [{ key: 1, description: '', quantity: '0', unitPrice: 'x', taxRate: 'lots' }],
      }),
    );
    expect('errors' in result && Object.keys(result.errors).sort()).toEqual([
      'customer.email',
      'discount.percent',
      'items[0].description',
      'items[0].quantity',
      'items[0].taxRate',
      'items[0].unitPrice',
    ]);
  });
});

describe('draftTotals', () => {
  it('adds the lines it can read', () => {
    const items = [
      { key: 1, description: 'a', quantity: '2', unitPrice: '12.50', taxRate: '' },
      { key: 2, description: 'b', quantity: 'x', unitPrice: '1.00', taxRate: '' },
    ];
    expect(draftTotal(draft({ items }))).toBe(2500);
  });

  it('previews taxes and the discount by the server’s rule', () => {
    const items = [
      { key: 1, description: 'Bread', quantity: '4', unitPrice: '25', taxRate: '20' },
      { key: 2, description: 'Books', quantity: '1', unitPrice: '50', taxRate: '5.5' },
      { key: 3, description: 'Advice', quantity: '1', unitPrice: '10', taxRate: '' },
    ];
    const totals = draftTotals(draft({ items, discountKind: 'percent', discountValue: '10' }));
    expect(totals).toEqual({
      subtotal: 16000,
      discountAmount: 1600,
      taxes: [
        { rate: 550, amount: 248 },
        { rate: 2000, amount: 1800 },
      ],
      total: 16448,
    });
  });
});

describe('draftFrom', () => {
  it('reads an invoice back into the form', () => {
    const invoice = decodeInvoice({
      id: 'i',
      number: 3,
      status: 'draft',
      customer: { id: 'c1', name: 'Ada', email: 'a@b.co', address: 'X', taxId: 'T' },
      currency: 'EUR',
      items: [{ description: 'B', quantity: 1, unitPrice: 5000, amount: 5000, taxRate: 550 }],
      total: 5000,
      balanceDue: 5000,
      dueDate: '2099-01-01',
      issueDate: '2098-12-01',
      discount: { percent: 1250 },
      createdAt: '2025-01-01T00:00:00.000Z',
      actions: ['edit'],
    });
    const form = draftFrom(invoice);
    expect(form).toMatchObject({ customerId: null, customerAddress: 'X', discountKind: 'percent', discountValue: '12.5', issueDate: '2098-12-01' });
    expect(form.items[0]).toMatchObject({ unitPrice: '50.00', taxRate: '5.5' });
  });
});
