//! The printed invoice and receipt, drawn from the data alone: seller, customer, lines,
//! totals, payment link; a toolbar (Print, Download PDF) that the print stylesheet hides.
import type { ReactNode } from 'react';
import type { Figures, LineItem } from '../../api';
import { totalsRows } from '../../components/Totals';
import { formatDate, formatDateTime, formatMoney, formatRate } from '../../format';
import './print.css';

/** Who issues the invoice, as the business profile has them. */
export interface PrintableSeller {
  name: string;
  address?: string | undefined;
  taxId?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  logoUrl?: string | null | undefined;
}

/** What both readers' invoices have in common. */
export interface PrintableInvoice extends Figures {
  id: string;
  status: string;
  currency: string;
  items: LineItem[];
  amountPaid: number;
  balanceDue: number;
  dueDate: string;
  notes?: string | undefined;
  customer: { name: string; email?: string | undefined; address?: string | undefined; taxId?: string | undefined };
  seller: PrintableSeller;
  payUrl?: string | undefined;
}

/** What a receipt shows of its payment; the owner's payments and the payer's view both fit. */
export interface ReceiptPayment {
  id: string;
  amount: number;
  method: string;
  reference?: string | undefined;
  createdAt: string;
  refunded: number;
}

export function Toolbar({ back, pdfUrl }: { back: ReactNode; pdfUrl: string }) {
  return (
    <nav className="print-toolbar no-print" aria-label="Print">
      {back}
      <span className="print-toolbar-actions">
        <button type="button" className="button" onClick={() => window.print()}>
          Print
        </button>
        <a className="button primary" href={pdfUrl} download data-testid="download-pdf">
          Download PDF
        </a>
      </span>
    </nav>
  );
}

function stamp(status: string): string | null {
  if (status === 'draft') return 'Draft';
  if (status === 'void') return 'Void';
  if (status === 'paid') return 'Paid';
  return null;
}

/** A multi-line address, one line each. */
function Lines({ text }: { text?: string | undefined }) {
  const lines = (text ?? '').split('\n').filter((line) => line.trim() !== '');
  return (
    <>
      {lines.map((line, index) => (
        <p key={index}>{line}</p>
      ))}
    </>
  );
}

function Head({ invoice, title }: { invoice: PrintableInvoice; title: string }) {
  const mark = stamp(invoice.status);
  const { seller, customer } = invoice;
  return (
    <header className="print-head">
      <div className="print-seller">
        {seller.logoUrl && <img className="print-logo" src={seller.logoUrl} alt="" />}
        <strong className="print-seller-name">{seller.name}</strong>
        <Lines text={seller.address} />
        {seller.taxId && <p>Tax ID: {seller.taxId}</p>}
        {seller.email && <p>{seller.email}</p>}
        {seller.phone && <p>{seller.phone}</p>}
      </div>
      <div className="print-title">
        <h1>{title}</h1>
        {mark && (
          <p className="print-stamp" data-testid="print-stamp">
            {mark}
          </p>
        )}
        <dl className="print-facts">
          <dt>Invoice number</dt>
          <dd data-testid="print-number">{invoice.displayNumber}</dd>
          {invoice.issueDate && (
            <>
              <dt>Issue date</dt>
              <dd>{formatDate(invoice.issueDate)}</dd>
            </>
          )}
          <dt>Due date</dt>
          <dd>{formatDate(invoice.dueDate)}</dd>
          {invoice.reference && (
            <>
              <dt>Reference</dt>
              <dd>{invoice.reference}</dd>
            </>
          )}
        </dl>
      </div>
      <div className="print-customer">
        <p className="print-label">Bill to</p>
        <strong>{customer.name}</strong>
        <Lines text={customer.address} />
        {customer.taxId && <p>Tax ID: {customer.taxId}</p>}
        {customer.email && <p>{customer.email}</p>}
      </div>
    </header>
  );
}

export function InvoiceSheet({ invoice }: { invoice: PrintableInvoice }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const taxed = invoice.items.some((item) => item.taxRate > 0);
  const payable = ['sent', 'partially_paid', 'overdue'].includes(invoice.status);
  return (
    <article className="print-sheet" data-testid="print-invoice">
      <Head invoice={invoice} title="Invoice" />
      <table className="print-lines">
        <thead>
          <tr>
            <th scope="col">Description</th>
            <th scope="col" className="num">
              Qty
            </th>
            <th scope="col" className="num">
              Unit price
            </th>
            {taxed && (
              <th scope="col" className="num">
                Tax
              </th>
            )}
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {invoice.items.map((item, index) => (
            <tr key={index}>
              <td>{item.description}</td>
              <td className="num">{item.quantity}</td>
              <td className="num">{money(item.unitPrice)}</td>
              {taxed && <td className="num">{item.taxRate > 0 ? formatRate(item.taxRate) : ''}</td>}
              <td className="num">{money(item.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="print-totals" data-testid="print-totals">
        {totalsRows(invoice).map((row) => (
          <div key={row.key} className="print-totals-row" data-testid={`print-totals-${row.key}`}>
            <dt className={row.key === 'total' ? 'strong' : undefined}>{row.label}</dt>
            <dd className={row.key === 'total' ? 'strong' : undefined}>{money(row.amount)}</dd>
          </div>
        ))}
        {invoice.amountPaid !== 0 && (
          <>
            <dt>Amount paid</dt>
            <dd>{money(-invoice.amountPaid)}</dd>
          </>
        )}
        <dt className="strong">Balance due</dt>
        <dd className="strong" data-testid="print-balance">
          {money(invoice.balanceDue)}
        </dd>
      </dl>
      {payable && invoice.payUrl && (
        <section className="print-section">
          <p className="print-label">Pay online</p>
          <p className="print-url">{invoice.payUrl}</p>
        </section>
      )}
      {invoice.paymentInstructions.trim() !== '' && (
        <section className="print-section">
          <p className="print-label">Payment instructions</p>
          <p className="print-notes">{invoice.paymentInstructions}</p>
        </section>
      )}
      {invoice.notes && invoice.notes.trim() !== '' && (
        <section className="print-section">
          <p className="print-label">Notes</p>
          <p className="print-notes">{invoice.notes}</p>
        </section>
      )}
    </article>
  );
}

export function ReceiptSheet({ invoice, payment }: { invoice: PrintableInvoice; payment: ReceiptPayment }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  return (
    <article className="print-sheet" data-testid="print-receipt">
      <Head invoice={invoice} title="Receipt" />
      <p className="print-label">Payment received</p>
      <p className="print-amount" data-testid="receipt-amount">
        {money(payment.amount)}
      </p>
      <dl className="print-rows">
        <dt>Receipt number</dt>
        <dd>{payment.id}</dd>
        <dt>Payment date</dt>
        <dd>{formatDateTime(payment.createdAt)}</dd>
        <dt>Payment method</dt>
        <dd>{payment.method.replace(/_/g, ' ')}</dd>
        {payment.reference && (
          <>
            <dt>Payment reference</dt>
            <dd>{payment.reference}</dd>
          </>
        )}
        {payment.refunded > 0 && (
          <>
            <dt>Refunded</dt>
            <dd>{money(payment.refunded)}</dd>
          </>
        )}
        <dt>Invoice total</dt>
        <dd>{money(invoice.total)}</dd>
        <dt>Paid to date</dt>
        <dd>{money(invoice.amountPaid)}</dd>
        <dt>Balance due</dt>
        <dd>{money(invoice.balanceDue)}</dd>
      </dl>
      <p>Thank you for your payment to {invoice.seller.name}.</p>
    </article>
  );
}
