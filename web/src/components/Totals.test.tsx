import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Totals, totalsRows } from './Totals';

describe('Totals', () => {
  const figures = {
    currency: 'EUR',
    subtotal: 16000,
    discountAmount: 1600,
    taxes: [
      { rate: 550, amount: 248 },
      { rate: 2000, amount: 1800 },
    ],
    total: 16448,
  };

  it('lists subtotal, discount, each tax rate and the total', () => {
    expect(totalsRows(figures).map((r) => [r.label, r.amount])).toEqual([
      ['Subtotal', 16000],
      ['Discount', -1600],
      ['Tax 5.5%', 248],
      ['Tax 20%', 1800],
      ['Total', 16448],
    ]);
  });

  it('shows only the total when there is neither tax nor discount', () => {
    expect(totalsRows({ ...figures, discountAmount: 0, taxes: [], total: 16000 }).map((r) => r.key)).toEqual(['total']);
  });

  it('renders the rows with stable test ids', () => {
    const html = renderToStaticMarkup(<Totals {...figures} />);
    expect(html).toMatch(/data-testid="totals-tax-550"><dt>Tax 5.5%<\/dt>/);
    expect(html).toMatch(/data-testid="totals-total"><dt>Total<\/dt><dd>[^<]*164.48/);
  });
});
