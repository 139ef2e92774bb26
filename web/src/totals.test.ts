import { describe, expect, it } from 'vitest';
import { previewTotals } from './totals';

// The same cases as the Rust unit tests in crates/invoicing/src/domain/totals.rs.
describe('previewTotals', () => {
  it('rounds tax once per rate total, half up', () => {
    const t = previewTotals([5, 5, 5].map((amount) => ({ amount, taxRate: 1000 })), null);
    expect(t.taxes).toEqual([{ rate: 1000, amount: 2 }]);
    expect(t.total).toBe(17);
  });

  it('spreads a percent discount before tax over two rates', () => {
    const t = previewTotals(
      [
        { amount: 10000, taxRate: 2000 },
        { amount: 5000, taxRate: 550 },
      ],
      { percent: 1000 },
    );
    expect(t).toEqual({
      subtotal: 15000,
      discountAmount: 1500,
      taxes: [
        { rate: 550, amount: 248 },
        { rate: 2000, amount: 1800 },
      ],
      total: 15000 - 1500 + 248 + 1800,
    });
  });

  it('handles thirds and zero-decimal currencies like the server', () => {
    const thirds = previewTotals(
      [33, 33, 34].map((amount) => ({ amount, taxRate: 700 })),
      { percent: 3333 },
    );
    expect(thirds).toMatchObject({ discountAmount: 33, total: 72 });
    const yen = previewTotals([1000, 1000, 1000].map((amount) => ({ amount, taxRate: 1000 })), { amount: 333 });
    expect(yen).toMatchObject({ discountAmount: 333, taxes: [{ rate: 1000, amount: 267 }], total: 2934 });
  });

  it('caps a discount at the subtotal', () => {
    expect(previewTotals([{ amount: 100, taxRate: 0 }], { amount: 500 }).total).toBe(0);
  });
});
