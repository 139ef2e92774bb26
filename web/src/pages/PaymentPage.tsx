//! The customer's public payment page (`/pay/:id`, no session). It follows
//! `invoice.{id}` so it turns to Paid the moment any payment lands, plays the
//! success tones whenever the amount paid goes up (whoever paid), and offers a
//! test-card checkout for all or part of the balance.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { ApiError, api, newIdempotencyKey, type PublicInvoice } from '../api';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { StatusBadge } from '../components/StatusBadge';
import { INVOICE_CHANNEL_EVENTS, invoiceChannel } from '../events';
import { formatDate, formatMoney, invoiceLabel, minorToInput, parseMoneyInput } from '../format';
import { useChannel } from '../realtime';
import { settings, useSettings } from '../settings';
import { playNotificationSound } from '../sounds';
import { useResource } from '../useResource';

const TEST_CARD = '4242 4242 4242 4242';

export function PaymentPage() {
  const { id = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getPublicInvoice(id, signal), [id]), id);
  const [liveError, setLiveError] = useState<string | null>(null);

  useChannel(
    { name: (priv) => invoiceChannel(id, priv), events: INVOICE_CHANNEL_EVENTS },
    { onEvent: invoice.refresh, onResync: invoice.refresh, onError: setLiveError },
  );

  // Tones follow the data, not the events: a payment seen through an event, a
  // re-fetch after reconnecting, or this page's own checkout rings once.
  const amountPaid = invoice.data?.amountPaid;
  const lastPaid = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (amountPaid === undefined) return;
    if (lastPaid.current !== undefined && amountPaid > lastPaid.current) playNotificationSound('success');
    lastPaid.current = amountPaid;
  }, [amountPaid]);

  let body;
  if (invoice.data === undefined) {
    if (invoice.error !== undefined) {
      const notFound = invoice.error instanceof ApiError && invoice.error.status === 404;
      body = notFound ? (
        <EmptyState title="This payment link is not valid">
          <p>Check the link in your email, or ask the sender for a new one.</p>
        </EmptyState>
      ) : (
        <ErrorMessage error={invoice.error} title="Could not load the invoice." />
      );
    } else {
      body = <Loading label="Loading invoice…" />;
    }
  } else {
    body = (
      <PaymentView
        invoice={invoice.data}
        refreshError={invoice.error}
        liveError={liveError}
        onPaid={(updated) => invoice.replace(updated)}
      />
    );
  }

  return (
    <>
      <header className="topbar public">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          {invoice.data?.businessName ?? 'Paybell'}
        </span>
        <div className="topbar-right">
          <ConnectionIndicator />
          <SoundToggle />
        </div>
      </header>
      <main className="page narrow" id="main">
        {body}
      </main>
    </>
  );
}

function SoundToggle() {
  const { sounds } = useSettings();
  return (
    <button
      type="button"
      className="button ghost small"
      aria-pressed={sounds}
      onClick={() => settings.update({ sounds: !sounds })}
    >
      {sounds ? 'Sound on' : 'Sound off'}
    </button>
  );
}

interface ViewProps {
  invoice: PublicInvoice;
  refreshError: unknown;
  liveError: string | null;
  onPaid: (invoice: PublicInvoice) => void;
}

function PaymentView({ invoice, refreshError, liveError, onPaid }: ViewProps) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const from = invoice.businessName ? ` from ${invoice.businessName}` : '';
  return (
    <div className="pay" data-status={invoice.status}>
      <div className="page-head">
        <h1>
          Invoice {invoiceLabel(invoice.number)}
          {from} <StatusBadge status={invoice.status} />
        </h1>
      </div>
      {refreshError !== undefined && <ErrorMessage error={refreshError} title="Could not refresh." />}
      {liveError && (
        <div className="alert alert-info" role="status">
          {liveError}
        </div>
      )}
      {invoice.status === 'paid' && (
        <div className="paid-banner" role="status" data-testid="paid-banner">
          <span className="paid-check" aria-hidden="true">
            ✓
          </span>
          <div>
            <strong>Paid</strong>
            <p>Thank you{invoice.customer.name ? `, ${invoice.customer.name}` : ''}. This invoice is settled.</p>
          </div>
        </div>
      )}
      {invoice.status === 'void' && (
        <div className="alert alert-info" role="status">
          This invoice was cancelled by the sender; nothing is due.
        </div>
      )}
      <section className="card" aria-labelledby="bill-h">
        <h2 id="bill-h" className="visually-hidden">
          Invoice summary
        </h2>
        <dl className="facts">
          {invoice.customer.name && (
            <>
              <dt>Billed to</dt>
              <dd>{invoice.customer.name}</dd>
            </>
          )}
          <dt>Due</dt>
          <dd>{formatDate(invoice.dueDate)}</dd>
          <dt>Total</dt>
          <dd data-testid="total">{money(invoice.total)}</dd>
          <dt>Paid</dt>
          <dd data-testid="amount-paid">{money(invoice.amountPaid)}</dd>
          <dt>Balance due</dt>
          <dd data-testid="balance-due">
            <strong>{money(invoice.balanceDue)}</strong>
          </dd>
        </dl>
        <details className="lines">
          <summary>
            {invoice.items.length} {invoice.items.length === 1 ? 'line' : 'lines'}
          </summary>
          <ul>
            {invoice.items.map((item, index) => (
              <li key={index}>
                {item.description} · {item.quantity} × {money(item.unitPrice)} = <strong>{money(item.amount)}</strong>
              </li>
            ))}
          </ul>
        </details>
      </section>
      {invoice.balanceDue > 0 && invoice.status !== 'void' && invoice.status !== 'draft' && (
        <CheckoutForm invoice={invoice} onPaid={onPaid} />
      )}
    </div>
  );
}

function formatCardNumber(raw: string): string {
  return raw
    .replace(/\D/g, '')
    .slice(0, 19)
    .replace(/(\d{4})(?=\d)/g, '$1 ');
}

function formatExpiry(raw: string): string {
  const digits = raw.replace(/\D/g, '').slice(0, 4);
  return digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
}

function CheckoutForm({ invoice, onPaid }: { invoice: PublicInvoice; onPaid: (invoice: PublicInvoice) => void }) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [card, setCard] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  // The same attempt keeps its key, so a retry after a lost answer never pays twice.
  const key = useRef(newIdempotencyKey());
  const minor = parseMoneyInput(amount, invoice.currency);
  // A payment from elsewhere changes the balance: offer the new balance.
  useEffect(() => {
    setAmount(minorToInput(invoice.balanceDue, invoice.currency));
  }, [invoice.balanceDue, invoice.currency]);
  const label = minor !== null && minor > 0 ? formatMoney(minor, invoice.currency) : '';

  const change = (setter: (value: string) => void) => (value: string) => {
    key.current = newIdempotencyKey();
    setter(value);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (minor === null || minor <= 0) {
      setError(new Error('Enter the amount to pay, like 25.00.'));
      return;
    }
    if (minor > invoice.balanceDue) {
      setError(new Error(`The balance due is ${formatMoney(invoice.balanceDue, invoice.currency)}; you cannot pay more.`));
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const body = {
        amount: minor,
        card: { number: card.replace(/\s/g, ''), expiry, cvc },
      };
      const result = await api.checkout(invoice.id, body, key.current);
      key.current = newIdempotencyKey();
      setDone(`Payment of ${formatMoney(result.payment.amount, invoice.currency)} received. Thank you!`);
      onPaid(result.invoice);
    } catch (cause) {
      // A definite answer (declined, invalid) ends this attempt; a network failure may be retried as is.
      if (!(cause instanceof ApiError) || cause.status !== 0) key.current = newIdempotencyKey();
      setError(cause);
      playNotificationSound('error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card checkout" aria-labelledby="checkout-h">
      <h2 id="checkout-h">Pay by card</h2>
      <p className="hint">
        Test mode: use card <code>{TEST_CARD}</code>, any future expiry and any CVC.
      </p>
      {done && (
        <div className="alert alert-success" role="status">
          {done}
        </div>
      )}
      {error !== null && <ErrorMessage error={error} title="Payment failed." />}
      <form onSubmit={submit} className="form">
        <label className="field">
          <span>Amount ({invoice.currency})</span>
          <input
            name="amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => change(setAmount)(e.target.value)}
            aria-describedby="amount-hint"
            required
          />
          <span className="hint" id="amount-hint">
            Up to {formatMoney(invoice.balanceDue, invoice.currency)}. You may pay part now and the rest later.
          </span>
        </label>
        <label className="field">
          <span>Card number</span>
          <input
            name="cardNumber"
            inputMode="numeric"
            autoComplete="cc-number"
            placeholder="1234 1234 1234 1234"
            value={card}
            onChange={(e) => change(setCard)(formatCardNumber(e.target.value))}
            required
          />
        </label>
        <div className="row">
          <label className="field">
            <span>Expiry (MM/YY)</span>
            <input
              name="expiry"
              inputMode="numeric"
              autoComplete="cc-exp"
              placeholder="MM/YY"
              value={expiry}
              onChange={(e) => change(setExpiry)(formatExpiry(e.target.value))}
              required
            />
          </label>
          <label className="field">
            <span>CVC</span>
            <input
              name="cvc"
              inputMode="numeric"
              autoComplete="cc-csc"
              placeholder="123"
              value={cvc}
              onChange={(e) => change(setCvc)(e.target.value.replace(/\D/g, '').slice(0, 4))}
              required
            />
          </label>
        </div>
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? 'Processing…' : label ? `Pay ${label}` : 'Pay'}
        </button>
      </form>
    </section>
  );
}
