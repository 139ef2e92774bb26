import { describe, expect, it } from 'vitest';
import { draftTotal, validateDraft, type Draft } from './draft';

const draft = (overrides: Partial<Draft> = {}): Draft => ({
  customerName: ' Ada ',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  dueDate: '2099-12-31',
  items: [{ key: 1, description: 'Design', quantity: '2', unitPrice: '12.50' }],
  notes: '',
  ...overrides,
});

describe('validateDraft', () => {
  it('turns a good draft into the request body in minor units', () => {
    expect(validateDraft(draft({ notes: ' thanks ' }))).toEqual({
      input: {
        customer: { name: 'Ada', email: 'ada@example.com' },
        currency: 'EUR',
        dueDate: '2099-12-31',
        items: [{ description: 'Design', quantity: 2, unitPrice: 1250 }],
        notes: 'thanks',
      },
    });
  });

  it('names every bad field by the server’s paths', () => {
    const result = validateDraft(
      draft({ customerEmail: 'nope', items: [{ key: 1, description: '', quantity: '0', unitPrice: 'x' }] }),
    );
    expect('errors' in result && Object.keys(result.errors).sort()).toEqual([
      'customer.email',
      'items[0].description',
      'items[0].quantity',
      'items[0].unitPrice',
    ]);
  });
});

describe('draftTotal', () => {
  it('adds the lines it can read', () => {
    const items = [
      { key: 1, description: 'a', quantity: '2', unitPrice: '12.50' },
      { key: 2, description: 'b', quantity: 'x', unitPrice: '1.00' },
    ];
    expect(draftTotal(draft({ items }))).toBe(2500);
  });
});
