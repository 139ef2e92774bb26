//! One invoice as its owner sees it, drawn from the data alone: the heading with
//! the actions the server allows (`invoice.actions`), the summary and payment
//! link, the payment form, the lines and the payments (a manual one can be removed, a card one
//! refunded, after a confirmation). A void invoice shows no balance due.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Invoice, InvoiceAction } from '../../api';
import { StatusBadge } from '../../components/StatusBadge';
import { Totals } from '../../components/Totals';
import { formatDate, formatDateTime, formatMoney, formatRate } from '../../format';
import { ActionButton, CopyButton, RemoveButton, VoidButton } from './buttons';
import { MailHistory } from './MailHistory';
import { RecordPaymentForm, methodLabel } from './RecordPaymentForm';
import { RefundButton } from './RefundButton';
import { PrintLinks, ReceiptLink } from '../print/PrintLinks';

export interface InvoiceDetailProps {
  invoice: Invoice;
  /** Alerts shown under the heading (a failed refresh, live updates refused). */
  notices?: ReactNode;
  onSend(): Promise<void>;
  onVoid(): Promise<void>;
  /** Makes a new draft from this invoice; absent: no Duplicate button. */
  onDuplicate?: (() => Promise<void>) | undefined;
  onPaymentSubmitting(): void;
  onPaymentRecorded(invoice: Invoice): void;
  /** Removes a payment the owner recorded by mistake. */
  onRemovePayment(paymentId: string): Promise<void>;
  /** Refunds `amount` minor units of a card payment. */
  onRefundPayment(paymentId: string, amount: number): Promise<void>;
}

export function InvoiceDetail(props: InvoiceDetailProps) {
  const inv = props.invoice;
  return (
    <main className="page" id="main" data-invoice-id={inv.id}>
      <p className="crumbs">
        <Link to="/app/invoices">← All invoices</Link>
      </p>
      <div className="page-head">
        <h1>
          Invoice {inv.displayNumber} <StatusBadge status={inv.status} />
        </h1>
        <InvoiceActions invoice={inv} onSend={props.onSend} onVoid={props.onVoid} onDuplicate={props.onDuplicate} />
      </div>
      {props.notices}

      <div className="grid">
        <SummaryCard invoice={inv} />
        {inv.actions.includes('record_payment') && (
          <RecordPaymentForm
            key={`${inv.balanceDue}`}
            invoice={inv}
            onSubmitting={props.onPaymentSubmitting}
            onRecorded={props.onPaymentRecorded}
          />
        )}
      </div>

      <LinesCard invoice={inv} />
      <PaymentsCard invoice={inv} onRemove={props.onRemovePayment} onRefund={props.onRefundPayment} />
      <MailHistory invoice={inv} />
    </main>
  );
}

function InvoiceActions({
  invoice,
  onSend,
  onVoid,
  onDuplicate,
}: Pick<InvoiceDetailProps, 'invoice' | 'onSend' | 'onVoid' | 'onDuplicate'>) {
  const can = (action: InvoiceAction) => invoice.actions.includes(action);
  return (
    <div className="actions">
      {can('edit') && (
        <Link className="button" to={`/app/invoices/${encodeURIComponent(invoice.id)}/edit`}>
          Edit
        </Link>
      )}
      {can('send') && <ActionButton label={sendLabel(invoice)} busyLabel="Sending…" primary onClick={onSend} />}
      {can('void') && <VoidButton onConfirm={onVoid} />}
      {onDuplicate && <ActionButton label="Duplicate" busyLabel="Duplicating…" onClick={onDuplicate} />}
      <PrintLinks reader="owner" id={invoice.id} />
    </div>
  );
}

/** Says what Send will do: e-mail the customer when there is an address, else only mark it sent. */
export function sendLabel(invoice: Invoice): string {
  return invoice.customer.email ? 'Send by e-mail' : 'Mark as sent';
}

function SummaryCard({ invoice: inv }: { invoice: Invoice }) {
  const money = (minor: number) => formatMoney(minor, inv.currency);
  const payUrl = inv.payUrl ?? `/pay/${encodeURIComponent(inv.id)}`;
  return (
    <section className="card" aria-labelledby="summary-h">
      <h2 id="summary-h">Summary</h2>
      <dl className="facts">
        <dt>Customer</dt>
        <dd>
          {inv.customer.id ? (
            <Link to={`/app/customers/${encodeURIComponent(inv.customer.id)}`}>{inv.customer.name}</Link>
          ) : (
            inv.customer.name
          )}
          {inv.customer.email && <span className="muted"> · {inv.customer.email}</span>}
          {inv.customer.address && <span className="address">{inv.customer.address}</span>}
          {inv.customer.taxId && <span className="muted"> · Tax id {inv.customer.taxId}</span>}
        </dd>
        {inv.issueDate && (
          <>
            <dt>Issued</dt>
            <dd data-testid="issue-date">{formatDate(inv.issueDate)}</dd>
          </>
        )}
        <dt>Due</dt>
        <dd>{formatDate(inv.dueDate)}</dd>
        {inv.reference && (
          <>
            <dt>Reference</dt>
            <dd data-testid="reference">{inv.reference}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{formatDateTime(inv.createdAt)}</dd>
        <dt>Total</dt>
        <dd data-testid="total">{money(inv.total)}</dd>
        <dt>Paid</dt>
        <dd data-testid="amount-paid">{money(inv.amountPaid)}</dd>
        {inv.status !== 'void' && (
          <>
            <dt>Balance due</dt>
            <dd data-testid="balance-due">
              <strong>{money(inv.balanceDue)}</strong>
            </dd>
          </>
        )}
      </dl>
      {inv.status !== 'draft' && inv.status !== 'void' && (
        <p className="paylink">
          Payment link: <a href={payUrl}>{payUrl}</a> <CopyButton text={absolute(payUrl)} />
        </p>
      )}
      {inv.status === 'draft' && <p className="hint">Send the invoice to activate its payment link.</p>}
    </section>
  );
}

function absolute(url: string): string {
  try {
    return new URL(url, window.location.origin).toString();
  } catch {
    return url;
  }
}

function LinesCard({ invoice: inv }: { invoice: Invoice }) {
  const money = (minor: number) => formatMoney(minor, inv.currency);
  return (
    <section className="card" aria-labelledby="items-h">
      <h2 id="items-h">Lines</h2>
      <div className="table-wrap">
        <table className="table stack lines-table">
          <thead>
            <tr>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Qty
              </th>
              <th scope="col" className="num">
                Unit price
              </th>
              <th scope="col" className="num">
                Tax
              </th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {inv.items.map((item, index) => (
              <tr key={index}>
                <td data-label="Description">{item.description}</td>
                <td data-label="Qty" className="num">
                  {item.quantity}
                </td>
                <td data-label="Unit price" className="num">
                  {money(item.unitPrice)}
                </td>
                <td data-label="Tax" className="num">
                  {item.taxRate ? formatRate(item.taxRate) : '—'}
                </td>
                <td data-label="Amount" className="num">
                  {money(item.amount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Totals {...inv} />
      {inv.notes && <p className="notes">{inv.notes}</p>}
      {inv.paymentInstructions && (
        <div className="notes-block">
          <h3>Payment instructions</h3>
          <p className="notes" data-testid="payment-instructions">
            {inv.paymentInstructions}
          </p>
        </div>
      )}
    </section>
  );
}

interface PaymentsCardProps {
  invoice: Invoice;
  onRemove(paymentId: string): Promise<void>;
  onRefund(paymentId: string, amount: number): Promise<void>;
}

function PaymentsCard({ invoice: inv, onRemove, onRefund }: PaymentsCardProps) {
  return (
    <section className="card" aria-labelledby="payments-h">
      <h2 id="payments-h">Payments</h2>
      {inv.payments.length === 0 ? (
        <p className="muted">No payments yet.</p>
      ) : (
        <ul className="payments" data-testid="payments">
          {inv.payments.map((payment) => {
            const amount = formatMoney(payment.amount, inv.currency);
            return (
              <li key={payment.id} data-payment-id={payment.id}>
                <span>
                  <strong>{amount}</strong> · {methodLabel(payment.method)}
                  {payment.reference && <> · {payment.reference}</>}
                  <span className="muted"> · {formatDateTime(payment.createdAt)}</span>
                  {payment.refunded > 0 && (
                    <span className="muted" data-testid="refunded">
                      {' '}
                      · {formatMoney(payment.refunded, inv.currency)} refunded
                    </span>
                  )}
                </span>
                <ReceiptLink reader="owner" id={inv.id} paymentId={payment.id} />
                {payment.refundable && (
                  <RefundButton
                    left={payment.amount - payment.refunded}
                    currency={inv.currency}
                    label={amount}
                    onConfirm={(minor) => onRefund(payment.id, minor)}
                  />
                )}
                {payment.removable && (
                  <RemoveButton
                    label={`Remove the ${amount} payment`}
                    question={`Remove this ${amount} payment? Use this to correct a payment recorded by mistake.`}
                    onConfirm={() => onRemove(payment.id)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
