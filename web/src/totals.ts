//! The invoice arithmetic of `crates/invoicing/src/domain/totals.rs`, for the form's preview
//! only (the server's figures are the ones shown once saved). Same rule: tax per rate total,
//! half up; the discount spread over the lines by largest remainder. BigInt, so no product
//! loses precision.

export interface PreviewLine {
  /** `quantity × unit price` in minor units. */
  amount: number;
  /** Basis points. */
  taxRate: number;
}

export type PreviewDiscount = { percent: number } | { amount: number } | null;

export interface PreviewTotals {
  subtotal: number;
  discountAmount: number;
  taxes: { rate: number; amount: number }[];
  total: number;
}

const halfUp = (value: bigint, bp: number): bigint => (value * BigInt(bp) + 5000n) / 10000n;

/** The figures of `lines` with `discount`; a discount above the subtotal is capped there. */
export function previewTotals(lines: PreviewLine[], discount: PreviewDiscount): PreviewTotals {
  const amounts = lines.map((line) => BigInt(Math.max(0, Math.trunc(line.amount))));
  const subtotal = amounts.reduce((a, b) => a + b, 0n);
  let off = 0n;
  if (discount && 'percent' in discount) off = halfUp(subtotal, discount.percent);
  if (discount && 'amount' in discount) off = BigInt(Math.max(0, Math.trunc(discount.amount)));
  if (off > subtotal) off = subtotal;
  const shares = spread(amounts, subtotal, off);
  const bases = new Map<number, bigint>();
  lines.forEach((line, i) => {
    bases.set(line.taxRate, (bases.get(line.taxRate) ?? 0n) + amounts[i]! - shares[i]!);
  });
  const taxes = [...bases.entries()]
    .filter(([rate]) => rate > 0)
    .sort(([a], [b]) => a - b)
    .map(([rate, base]) => ({ rate, amount: Number(halfUp(base, rate)) }));
  const tax = taxes.reduce((sum, t) => sum + t.amount, 0);
  return { subtotal: Number(subtotal), discountAmount: Number(off), taxes, total: Number(subtotal - off) + tax };
}

function spread(amounts: bigint[], subtotal: bigint, discount: bigint): bigint[] {
  if (discount === 0n || subtotal === 0n) return amounts.map(() => 0n);
  const shares = amounts.map((a) => (discount * a) / subtotal);
  const order = amounts
    .map((a, i) => ({ rem: (discount * a) % subtotal, i }))
    .sort((x, y) => (x.rem === y.rem ? x.i - y.i : x.rem > y.rem ? -1 : 1));
  let left = discount - shares.reduce((a, b) => a + b, 0n);
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares;
}
