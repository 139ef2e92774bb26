//! The figures under an invoice's lines, drawn the same way on the owner's page and the
//! payment page: subtotal, discount and tax per rate when there are any, then the total.
import { formatMoney, formatRate } from '../format';

export interface TotalsProps {
  currency: string;
  subtotal: number;
  discountAmount: number;
  taxes: { rate: number; amount: number }[];
  total: number;
  /** A test id for the total's amount alone (the invoice form's `draft-total`). */
  totalTestId?: string;
}

/** The figures as label/amount pairs, in display order (for the page and for tests). */
export function totalsRows(props: TotalsProps): { key: string; label: string; amount: number }[] {
  const rows: { key: string; label: string; amount: number }[] = [];
  const detailed = props.discountAmount > 0 || props.taxes.length > 0;
  if (detailed) rows.push({ key: 'subtotal', label: 'Subtotal', amount: props.subtotal });
  if (props.discountAmount > 0) rows.push({ key: 'discount', label: 'Discount', amount: -props.discountAmount });
  for (const tax of props.taxes) {
    rows.push({ key: `tax-${tax.rate}`, label: `Tax ${formatRate(tax.rate)}`, amount: tax.amount });
  }
  rows.push({ key: 'total', label: 'Total', amount: props.total });
  return rows;
}

export function Totals(props: TotalsProps) {
  return (
    <dl className="figures" data-testid="totals">
      {totalsRows(props).map((row) => (
        <div key={row.key} className={`figures-row figures-${row.key}`} data-testid={`totals-${row.key}`}>
          <dt>{row.label}</dt>
          <dd data-testid={row.key === 'total' ? props.totalTestId : undefined}>{formatMoney(row.amount, props.currency)}</dd>
        </div>
      ))}
    </dl>
  );
}
