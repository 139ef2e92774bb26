//! One invoice for its owner: refreshed live from `invoice.{id}`, a desktop
//! notification and a tone when a payment arrives, and the owner's actions
//! (send, record a payment, void, edit).
import { useCallback, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, newIdempotencyKey, type Invoice } from '../api';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { StatusBadge } from '../components/StatusBadge';
import { INVOICE_CHANNEL_EVENTS, invoiceChannel, isSettlement, type InvoiceEvent } from '../events';
import { formatDate, formatDateTime, formatMoney, invoiceLabel, minorToInput, parseMoneyInput } from '../format';
import { notifyInvoiceUpdated, notifyPaymentReceived } from '../notifications';
import { useChannel } from '../realtime';
import { playNotificationSound, type SoundType } from '../sounds';
import { toasts } from '../toasts';
import { useResource } from '../useResource';

/** Events caused by this page's own buttons within this window are not announced. */
const OWN_ACTION_MS = 5000;

type OwnAction = { kind: 'status' | 'payment'; at: number };

function statusSound(status: string | undefined): SoundType {
  return status === 'overdue' ? 'warning' : status === 'void' ? 'error' : 'info';
}

export function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getInvoice(id, signal), [id]), id);
  const lastOwnAction = useRef<OwnAction>({ kind: 'status', at: 0 });
  const ownRecently = (kind: OwnAction['kind']) =>
    lastOwnAction.current.kind === kind && Date.now() - lastOwnAction.current.at < OWN_ACTION_MS;
  const [liveError, setLiveError] = useState<string | null>(null);

  useChannel(
    { name: (priv) => invoiceChannel(id, priv), events: INVOICE_CHANNEL_EVENTS },
    {
      onEvent: (name: string, event: InvoiceEvent) => {
        invoice.refresh();
        if (name === 'payment.received' && !ownRecently('payment')) {
          notifyPaymentReceived(event);
          playNotificationSound(isSettlement(event) ? 'success' : 'info');
        } else if (name === 'invoice.status.changed') {
          // Payments announce themselves above; own clicks need no announcement.
          const paymentDriven = event.status === 'paid' || event.status === 'partially_paid';
          if (!paymentDriven && !ownRecently('status')) {
            notifyInvoiceUpdated(event);
            playNotificationSound(statusSound(event.status));
          }
        }
      },
      onResync: invoice.refresh,
      onError: setLiveError,
    },
  );

  const act = async (action: () => Promise<Invoice>, done: string) => {
    lastOwnAction.current = { kind: 'status', at: Date.now() };
    const updated = await action();
    lastOwnAction.current = { kind: 'status', at: Date.now() };
    invoice.replace(updated);
    toasts.push({ title: done, tone: 'success', key: `action-${updated.id}` });
  };

  if (invoice.data === undefined) {
    if (invoice.error !== undefined) {
      const notFound = invoice.error instanceof ApiError && invoice.error.status === 404;
      return (
        <main className="page narrow" id="main">
          {notFound ? (
            <EmptyState title="Invoice not found">
              <p>It may have been removed, or the link is wrong.</p>
            </EmptyState>
          ) : (
            <ErrorMessage error={invoice.error} title="Could not load the invoice." />
          )}
          <Link to="/app/invoices">Back to invoices</Link>
        </main>
      );
    }
    return <Loading label="Loading invoice…" />;
  }

  const inv = invoice.data;
  const money = (minor: number) => formatMoney(minor, inv.currency);
  const editable = (inv.status === 'draft' || inv.status === 'sent') && inv.amountPaid === 0;
  const payable = inv.status === 'sent' || inv.status === 'partially_paid' || inv.status === 'overdue';
  const voidable = inv.status === 'draft' || inv.status === 'sent' || inv.status === 'overdue';
  const payUrl = inv.payUrl ?? `/pay/${encodeURIComponent(inv.id)}`;

  return (
    <main className="page" id="main" data-invoice-id={inv.id}>
      <p className="crumbs">
        <Link to="/app/invoices">← All invoices</Link>
      </p>
      <div className="page-head">
        <h1>
          Invoice {invoiceLabel(inv.number)} <StatusBadge status={inv.status} />
        </h1>
        <div className="actions">
          {editable && (
            <Link className="button" to={`/app/invoices/${encodeURIComponent(inv.id)}/edit`}>
              Edit
            </Link>
          )}
          {inv.status === 'draft' && (
            <ActionButton label="Send invoice" busyLabel="Sending…" primary onClick={() => act(() => api.sendInvoice(inv.id), 'Invoice sent')} />
          )}
          {voidable && <VoidButton onConfirm={() => act(() => api.voidInvoice(inv.id), 'Invoice voided')} />}
        </div>
      </div>
      {invoice.error !== undefined && (
        <ErrorMessage error={invoice.error} title="Could not refresh; showing the last known state." />
      )}
      {liveError && (
        <div className="alert alert-info" role="status">
          {liveError} Reload the page to see changes.
        </div>
      )}

      <div className="grid">
        <section className="card" aria-labelledby="summary-h">
          <h2 id="summary-h">Summary</h2>
          <dl className="facts">
            <dt>Customer</dt>
            <dd>
              {inv.customer.name}
              {inv.customer.email && <span className="muted"> · {inv.customer.email}</span>}
            </dd>
            <dt>Due</dt>
            <dd>{formatDate(inv.dueDate)}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(inv.createdAt)}</dd>
            <dt>Total</dt>
            <dd data-testid="total">{money(inv.total)}</dd>
            <dt>Paid</dt>
            <dd data-testid="amount-paid">{money(inv.amountPaid)}</dd>
            <dt>Balance due</dt>
            <dd data-testid="balance-due">
              <strong>{money(inv.balanceDue)}</strong>
            </dd>
          </dl>
          {inv.status !== 'draft' && inv.status !== 'void' && (
            <p className="paylink">
              Payment link: <a href={payUrl}>{payUrl}</a> <CopyButton text={absolute(payUrl)} />
            </p>
          )}
          {inv.status === 'draft' && <p className="hint">Send the invoice to activate its payment link.</p>}
        </section>

        {payable && (
          <RecordPaymentForm
            key={`${inv.balanceDue}`}
            invoice={inv}
            onSubmitting={() => {
              lastOwnAction.current = { kind: 'payment', at: Date.now() };
            }}
            onRecorded={(updated) => {
              lastOwnAction.current = { kind: 'payment', at: Date.now() };
              invoice.replace(updated);
            }}
          />
        )}
      </div>

      <section className="card" aria-labelledby="items-h">
        <h2 id="items-h">Lines</h2>
        <div className="table-wrap">
          <table className="table">
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
                  <td data-label="Amount" className="num">
                    {money(item.amount)}
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3} className="num">
                  Total
                </th>
                <td className="num">{money(inv.total)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
        {inv.notes && <p className="notes">{inv.notes}</p>}
      </section>

      <section className="card" aria-labelledby="payments-h">
        <h2 id="payments-h">Payments</h2>
        {inv.payments.length === 0 ? (
          <p className="muted">No payments yet.</p>
        ) : (
          <ul className="payments" data-testid="payments">
            {inv.payments.map((payment) => (
              <li key={payment.id}>
                <strong>{money(payment.amount)}</strong> · {methodLabel(payment.method)}
                {payment.reference && <> · {payment.reference}</>}
                <span className="muted"> · {formatDateTime(payment.createdAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}

function absolute(url: string): string {
  try {
    return new URL(url, window.location.origin).toString();
  } catch {
    return url;
  }
}

const METHODS: Record<string, string> = {
  bank_transfer: 'Bank transfer',
  cash: 'Cash',
  card: 'Card',
  check: 'Cheque',
  other: 'Other',
};

function methodLabel(method: string): string {
  return METHODS[method] ?? method.replace(/_/g, ' ');
}

function ActionButton(props: { label: string; busyLabel: string; primary?: boolean; onClick: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onClick();
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={`button${props.primary ? ' primary' : ''}`} onClick={run} disabled={busy}>
        {busy ? props.busyLabel : props.label}
      </button>
      {error !== null && <ErrorMessage error={error} />}
    </>
  );
}

function VoidButton({ onConfirm }: { onConfirm: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="button danger-outline" onClick={() => setConfirming(true)}>
        Void…
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm voiding">
      <span>Void this invoice? This cannot be undone.</span>
      <ActionButton label="Yes, void it" busyLabel="Voiding…" onClick={onConfirm} />
      <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </span>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  if (!navigator.clipboard) return null;
  return (
    <button
      type="button"
      className="button ghost small"
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 2000);
          },
          () => undefined,
        )
      }
    >
      {copied ? 'Copied' : 'Copy link'}
    </button>
  );
}

interface RecordPaymentProps {
  invoice: Invoice;
  onSubmitting: () => void;
  onRecorded: (invoice: Invoice) => void;
}

function RecordPaymentForm({ invoice, onSubmitting, onRecorded }: RecordPaymentProps) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [method, setMethod] = useState('bank_transfer');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One key per intended payment: a retried click after a lost answer never pays twice.
  const key = useRef(newIdempotencyKey());

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const minor = parseMoneyInput(amount, invoice.currency);
    if (minor === null || minor <= 0) {
      setError(new Error('Enter an amount like 12.50.'));
      return;
    }
    if (minor > invoice.balanceDue) {
      setError(new Error(`At most ${formatMoney(invoice.balanceDue, invoice.currency)} is due.`));
      return;
    }
    setBusy(true);
    setError(null);
    onSubmitting();
    try {
      const input = reference.trim() ? { amount: minor, method, reference: reference.trim() } : { amount: minor, method };
      const result = await api.recordPayment(invoice.id, input, key.current);
      key.current = newIdempotencyKey();
      setReference('');
      setAmount(minorToInput(result.invoice.balanceDue, invoice.currency));
      onRecorded(result.invoice);
      toasts.push({ title: 'Payment recorded', body: formatMoney(minor, invoice.currency), tone: 'success', key: `action-${invoice.id}` });
    } catch (cause) {
      if (cause instanceof ApiError && cause.status !== 0) key.current = newIdempotencyKey();
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="record-h">
      <h2 id="record-h">Record a payment</h2>
      {error !== null && <ErrorMessage error={error} />}
      <form onSubmit={submit} className="form">
        <label className="field">
          <span>Amount ({invoice.currency})</span>
          <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} required />
        </label>
        <label className="field">
          <span>Method</span>
          <select name="method" value={method} onChange={(e) => setMethod(e.target.value)}>
            {Object.entries(METHODS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Reference (optional)</span>
          <input name="reference" value={reference} onChange={(e) => setReference(e.target.value)} />
        </label>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Recording…' : 'Record payment'}
        </button>
      </form>
    </section>
  );
}
