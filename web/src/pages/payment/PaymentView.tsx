//! What the payer sees of one invoice: its status (a paid banner, a void
//! notice), the amounts, lines and notes, and the checkout while something is due.
import { ErrorMessage } from '../../components/Messages';
import { StatusBadge } from '../../components/StatusBadge';
import type { PublicInvoice } from '../../api';
import { Totals } from '../../components/Totals';
import { formatDate, formatMoney, formatRate } from '../../format';
import { CheckoutForm } from './CheckoutForm';
import { StripeCheckoutForm } from './StripeCheckoutForm';
import { PrintLinks } from '../print/PrintLinks';
import type { PaymentsConfig } from '../../api';

export interface ViewProps {
  invoice: PublicInvoice;
  refreshError: unknown;
  liveError: string | null;
  onPaid: (invoice: PublicInvoice) => void;
  /** The provider taking cards; the `test` checkout until known. */
  payments?: PaymentsConfig | undefined;
}

export function PaymentView({ invoice, refreshError, liveError, onPaid, payments }: ViewProps) {
  const from = invoice.businessName ? ` from ${invoice.businessName}` : '';
  return (
    <div className="pay" data-status={invoice.status}>
      <div className="page-head">
        <h1>
          Invoice {invoice.displayNumber}
          {from} <StatusBadge status={invoice.status} />
        </h1>
        <PrintLinks reader="payer" id={invoice.id} />
      </div>
      {refreshError !== undefined && <ErrorMessage error={refreshError} title="Could not refresh." />}
      {liveError && (
        <div className="alert alert-info" role="status">
          {liveError}
        </div>
      )}
      <StatusNotice invoice={invoice} />
      <SellerCard invoice={invoice} />
      <BillCard invoice={invoice} />
      {invoice.balanceDue > 0 && invoice.status !== 'void' && invoice.status !== 'draft' && (
        <Checkout invoice={invoice} onPaid={onPaid} payments={payments} />
      )}
    </div>
  );
}

function Checkout({ invoice, onPaid, payments }: Pick<ViewProps, 'invoice' | 'onPaid' | 'payments'>) {
  if (payments === undefined) return null;
  return payments.provider === 'stripe' ? (
    <StripeCheckoutForm invoice={invoice} payments={payments} onPaid={onPaid} />
  ) : (
    <CheckoutForm invoice={invoice} onPaid={onPaid} />
  );
}

function StatusNotice({ invoice }: { invoice: PublicInvoice }) {
  if (invoice.status === 'paid') {
    return (
      <div className="paid-banner" role="status" data-testid="paid-banner">
        <span className="paid-check" aria-hidden="true">
          ✓
        </span>
        <div>
          <strong>Paid</strong>
          <p>Thank you{invoice.customer.name ? `, ${invoice.customer.name}` : ''}. This invoice is settled.</p>
        </div>
      </div>
    );
  }
  if (invoice.status === 'void') {
    return (
      <div className="alert alert-info" role="status">
        This invoice was cancelled by the sender; nothing is due.
      </div>
    );
  }
  return null;
}

/** Who sends the invoice: the seller's logo, name, address and tax id from their profile. */
function SellerCard({ invoice }: { invoice: PublicInvoice }) {
  const seller = invoice.seller;
  if (!seller || (!seller.logoUrl && !seller.address && !seller.taxId)) return null;
  const accent = /^#[0-9a-f]{6}$/i.test(seller.brandColor) ? seller.brandColor : undefined;
  return (
    <section
      className="card seller"
      aria-label="From"
      data-testid="seller"
      style={accent ? { borderTop: `4px solid ${accent}` } : undefined}
    >
      {seller.logoUrl && <img className="seller-logo" src={seller.logoUrl} alt={`${seller.name} logo`} />}
      <div>
        <strong>{seller.name}</strong>
        {seller.address && <p className="address">{seller.address}</p>}
        {seller.taxId && <p className="muted">Tax id {seller.taxId}</p>}
        {(seller.email || seller.phone) && (
          <p className="muted">{[seller.email, seller.phone].filter(Boolean).join(' · ')}</p>
        )}
      </div>
    </section>
  );
}

/** Up to this many lines are listed open; more fold behind a summary. */
const OPEN_LINES = 6;

function BillCard({ invoice }: { invoice: PublicInvoice }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const voided = invoice.status === 'void';
  return (
    <section className="card" aria-labelledby="bill-h">
      <h2 id="bill-h" className="visually-hidden">
        Invoice summary
      </h2>
      <dl className="facts">
        {invoice.customer.name && (
          <>
            <dt>Billed to</dt>
            <dd>
              {invoice.customer.name}
              {invoice.customer.address && <span className="address">{invoice.customer.address}</span>}
              {invoice.customer.taxId && <span className="muted"> · Tax id {invoice.customer.taxId}</span>}
            </dd>
          </>
        )}
        {invoice.issueDate && (
          <>
            <dt>Issued</dt>
            <dd data-testid="issue-date">{formatDate(invoice.issueDate)}</dd>
          </>
        )}
        <dt>Due</dt>
        <dd>{formatDate(invoice.dueDate)}</dd>
        {invoice.reference && (
          <>
            <dt>Reference</dt>
            <dd data-testid="reference">{invoice.reference}</dd>
          </>
        )}
        <dt>Total</dt>
        <dd data-testid="total">{money(invoice.total)}</dd>
        <dt>Paid</dt>
        <dd data-testid="amount-paid">{money(invoice.amountPaid)}</dd>
        {!voided && (
          <>
            <dt>Balance due</dt>
            <dd data-testid="balance-due">
              <strong>{money(invoice.balanceDue)}</strong>
            </dd>
          </>
        )}
      </dl>
      {invoice.items.length > OPEN_LINES ? (
        <details className="lines">
          <summary>{invoice.items.length} lines</summary>
          <Lines invoice={invoice} />
        </details>
      ) : (
        <Lines invoice={invoice} />
      )}
      <Totals {...invoice} />
      {invoice.paymentInstructions && (
        <div className="notes-block">
          <h3>Other ways to pay</h3>
          <p className="notes" data-testid="payment-instructions">
            {invoice.paymentInstructions}
          </p>
        </div>
      )}
      {invoice.notes && (
        <div className="notes-block">
          <h3>Notes</h3>
          <p className="notes" data-testid="notes">
            {invoice.notes}
          </p>
        </div>
      )}
    </section>
  );
}

function Lines({ invoice }: { invoice: PublicInvoice }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  return (
    <ul className="bill-lines" aria-label="Lines" data-testid="lines">
      {invoice.items.map((item, index) => (
        <li key={index}>
          <span className="bill-line-what">
            {item.description}
            <span className="muted">
              {' '}
              · {item.quantity} × {money(item.unitPrice)}
              {item.taxRate > 0 && <> · {formatRate(item.taxRate)} tax</>}
            </span>
          </span>
          <strong className="bill-line-amount">{money(item.amount)}</strong>
        </li>
      ))}
    </ul>
  );
}
