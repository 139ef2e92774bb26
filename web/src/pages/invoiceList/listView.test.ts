import { describe, expect, it } from 'vitest';
import type { Invoice, InvoiceStatus, Payment } from '../../api';
import { applyView, DEFAULT_VIEW, matches, totalsByCurrency, viewFromParams, viewToParams } from './listView';

function invoice(number: number | string, patch: Partial<Invoice> = {}): Invoice {
  return {
    id: `inv${number}`,
    number,
    status: 'sent',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    currency: 'EUR',
    items: [],
    displayNumber: typeof number === 'number' ? `#${number}` : number,
    issueDate: '2025-12-01',
    reference: '',
    subtotal: 1000,
    discount: null,
    discountAmount: 0,
    taxes: [],
    paymentInstructions: '',
    total: 1000,
    amountPaid: 0,
    balanceDue: 1000,
    dueDate: '2026-01-10',
    createdAt: `2025-12-0${typeof number === 'number' ? number : 1}T10:00:00.000Z`,
    updatedAt: '',
    payments: [],
    actions: [],
    ...patch,
  };
}

const paid = (amount: number, createdAt: string): Payment => ({
  id: `p${amount}${createdAt}`,
  amount,
  method: 'cash',
  createdAt,
  source: 'owner',
  removable: true,
  refunded: 0,
  refundable: false,
});

const list = [
  invoice(1, { customer: { name: 'Zoë Brontë', email: '' }, total: 500, dueDate: '2026-03-01' }),
  invoice(2, { status: 'paid', total: 3000, balanceDue: 0, dueDate: '2026-01-01' }),
  invoice(3, { status: 'overdue', customer: { name: 'Grace Hopper', email: '' }, total: 2000, dueDate: '2025-11-01' }),
  invoice(4, { status: 'void', total: 100, dueDate: '2026-02-01' }),
];
const numbers = (invoices: Invoice[]) => invoices.map((i) => i.number);

describe('the invoice list view', () => {
  it('searches numbers and customers, accents and case aside', () => {
    expect(numbers(applyView(list, { ...DEFAULT_VIEW, query: 'grace' }))).toEqual([3]);
    expect(numbers(applyView(list, { ...DEFAULT_VIEW, query: '#3' }))).toEqual([3]);
    expect(numbers(applyView(list, { ...DEFAULT_VIEW, query: 'zoe bronte' }))).toEqual([1]);
    expect(numbers(applyView(list, { ...DEFAULT_VIEW, query: 'ada 2' }))).toEqual([2]);
    expect(matches(invoice('INV-2026-0007'), 'inv-2026')).toBe(true);
    expect(matches(invoice(7), '   ')).toBe(true);
    expect(matches(invoice(7), 'nobody')).toBe(false);
  });

  it('filters by status', () => {
    expect(numbers(applyView(list, { ...DEFAULT_VIEW, status: 'overdue' }))).toEqual([3]);
    expect(applyView(list, { ...DEFAULT_VIEW, status: 'draft' })).toEqual([]);
  });

  it('sorts by creation, due date and amount', () => {
    const sorted = (sort: (typeof DEFAULT_VIEW)['sort']) => numbers(applyView(list, { ...DEFAULT_VIEW, sort }));
    expect(sorted('newest')).toEqual([4, 3, 2, 1]);
    expect(sorted('oldest')).toEqual([1, 2, 3, 4]);
    expect(sorted('due-soonest')).toEqual([3, 2, 4, 1]);
    expect(sorted('due-latest')).toEqual([1, 4, 2, 3]);
    expect(sorted('amount-highest')).toEqual([2, 3, 1, 4]);
    expect(sorted('amount-lowest')).toEqual([4, 1, 3, 2]);
  });

  it('does not reorder the list it was given', () => {
    const copy = [...list];
    applyView(list, { ...DEFAULT_VIEW, sort: 'amount-lowest' });
    expect(list).toEqual(copy);
  });

  it('reads and writes the address, keeping other parameters', () => {
    const params = new URLSearchParams('debug=1&q=ada&status=paid&sort=oldest');
    const view = viewFromParams(params);
    expect(view).toEqual({ query: 'ada', status: 'paid', sort: 'oldest' });
    expect(viewFromParams(new URLSearchParams('status=bogus&sort=sideways'))).toEqual(DEFAULT_VIEW);
    expect(viewToParams(DEFAULT_VIEW, params).toString()).toBe('debug=1');
    expect(viewToParams({ ...view, status: 'all' }, new URLSearchParams()).toString()).toBe('q=ada&sort=oldest');
  });
});

describe('totals per currency', () => {
  const now = new Date(2026, 0, 15, 12);
  const thisMonth = new Date(2026, 0, 3, 9).toISOString();
  const lastMonth = new Date(2025, 11, 28, 9).toISOString();

  it('adds outstanding, overdue and paid this month, per currency', () => {
    const statuses: [InvoiceStatus, number, string][] = [
      ['sent', 1000, 'EUR'],
      ['partially_paid', 600, 'EUR'],
      ['overdue', 250, 'EUR'],
      ['draft', 9999, 'EUR'],
      ['void', 7777, 'EUR'],
      ['overdue', 500, 'USD'],
    ];
    const invoices = statuses.map(([status, balanceDue, currency], i) =>
      invoice(i + 1, { status, balanceDue, currency }),
    );
    invoices[1]!.payments = [paid(400, thisMonth), paid(300, lastMonth)];
    invoices.push(invoice(9, { status: 'paid', balanceDue: 0, payments: [paid(1200, thisMonth)] }));
    expect(totalsByCurrency(invoices, now)).toEqual([
      { currency: 'EUR', outstanding: 1850, overdue: 250, paidThisMonth: 1600 },
      { currency: 'USD', outstanding: 500, overdue: 500, paidThisMonth: 0 },
    ]);
  });

  it('leaves out currencies with nothing to show', () => {
    const drafts = [invoice(1, { status: 'draft', currency: 'GBP' }), invoice(2, { status: 'paid', balanceDue: 0 })];
    expect(totalsByCurrency(drafts, now)).toEqual([]);
  });
});
