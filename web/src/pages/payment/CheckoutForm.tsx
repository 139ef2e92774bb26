//! The payer's checkout with the built-in `test` provider: all or part of the
//! balance, a card, and an idempotency key per attempt so a retry after a lost
//! answer never pays twice.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, api, newIdempotencyKey, type PublicInvoice } from '../../api';
import { ErrorMessage } from '../../components/Messages';
import { formatMoney, minorToInput, parseMoneyInput } from '../../format';
import { playNotificationSound } from '../../sounds';

const TEST_CARD = '4242 4242 4242 4242';

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

interface Card {
  number: string;
  expiry: string;
  cvc: string;
}

interface CheckoutProps {
  invoice: PublicInvoice;
  onPaid: (invoice: PublicInvoice) => void;
}

export function CheckoutForm({ invoice, onPaid }: CheckoutProps) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [card, setCard] = useState<Card>({ number: '', expiry: '', cvc: '' });
  const checkout = useCheckout(invoice, onPaid);
  const minor = parseMoneyInput(amount, invoice.currency);
  // A payment from elsewhere changes the balance: offer the new balance.
  useEffect(() => {
    setAmount(minorToInput(invoice.balanceDue, invoice.currency));
  }, [invoice.balanceDue, invoice.currency]);
  const label = minor !== null && minor > 0 ? formatMoney(minor, invoice.currency) : '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void checkout.pay(minor, card);
  };

  return (
    <section className="card checkout" aria-labelledby="checkout-h">
      <h2 id="checkout-h">Pay by card</h2>
      <p className="hint">
        Test mode: use card <code>{TEST_CARD}</code>, any future expiry and any CVC.
      </p>
      {checkout.done && (
        <div className="alert alert-success" role="status">
          {checkout.done}
        </div>
      )}
      {checkout.error !== null && <ErrorMessage error={checkout.error} title="Payment failed." />}
      <form onSubmit={submit} className="form">
        <label className="field">
          <span>Amount ({invoice.currency})</span>
          <input
            name="amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => {
              checkout.newAttempt();
              setAmount(e.target.value);
            }}
            aria-describedby="amount-hint"
            required
          />
          <span className="hint" id="amount-hint">
            Up to {formatMoney(invoice.balanceDue, invoice.currency)}. You may pay part now and the rest later.
          </span>
        </label>
        <CardFields
          card={card}
          onChange={(patch) => {
            checkout.newAttempt();
            setCard({ ...card, ...patch });
          }}
        />
        <button type="submit" className="button primary wide" disabled={checkout.busy}>
          {checkout.busy ? 'Processing…' : label ? `Pay ${label}` : 'Pay'}
        </button>
      </form>
    </section>
  );
}

function CardFields({ card, onChange }: { card: Card; onChange: (patch: Partial<Card>) => void }) {
  return (
    <>
      <label className="field">
        <span>Card number</span>
        <input
          name="cardNumber"
          inputMode="numeric"
          autoComplete="cc-number"
          placeholder="1234 1234 1234 1234"
          value={card.number}
          onChange={(e) => onChange({ number: formatCardNumber(e.target.value) })}
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
            value={card.expiry}
            onChange={(e) => onChange({ expiry: formatExpiry(e.target.value) })}
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
            value={card.cvc}
            onChange={(e) => onChange({ cvc: e.target.value.replace(/\D/g, '').slice(0, 4) })}
            required
          />
        </label>
      </div>
    </>
  );
}

/** One checkout attempt at a time: checks the amount, pays, and reports the outcome. */
function useCheckout(invoice: PublicInvoice, onPaid: (invoice: PublicInvoice) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  // The same attempt keeps its key, so a retry after a lost answer never pays twice.
  const key = useRef(newIdempotencyKey());

  const pay = async (minor: number | null, card: Card) => {
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
      const body = { amount: minor, card: { number: card.number.replace(/\s/g, ''), expiry: card.expiry, cvc: card.cvc } };
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
  const newAttempt = () => {
    key.current = newIdempotencyKey();
  };
  return { busy, error, done, pay, newAttempt };
}
