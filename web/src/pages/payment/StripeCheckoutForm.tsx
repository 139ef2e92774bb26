//! The payer's checkout through Stripe: all or part of the balance, Stripe's card Element
//! (loaded from `STRIPE_JS_URL`), then: Paybell reserves the amount and creates a
//! PaymentIntent, Stripe.js confirms it (3-D Secure included), and Paybell is told to record
//! it (Stripe's webhook does too; the payment is recorded once whichever comes first).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, api, type PaymentsConfig, type PublicInvoice } from '../../api';
import { ErrorMessage } from '../../components/Messages';
import { formatMoney, minorToInput, parseMoneyInput } from '../../format';
import { playNotificationSound } from '../../sounds';
import { loadStripe, type CardElement, type StripeClient } from './stripeJs';
import { rememberReceipt } from '../print/receipts';

interface Props {
  invoice: PublicInvoice;
  payments: PaymentsConfig;
  onPaid: (invoice: PublicInvoice) => void;
}

export function StripeCheckoutForm({ invoice, payments, onPaid }: Props) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const stripe = useCardElement(payments, setError);
  const minor = parseMoneyInput(amount, invoice.currency);
  useEffect(() => {
    setAmount(minorToInput(invoice.balanceDue, invoice.currency));
  }, [invoice.balanceDue, invoice.currency]);
  const label = minor !== null && minor > 0 ? formatMoney(minor, invoice.currency) : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { client, card } = stripe.current.current;
    if (!client || !card) return;
    if (minor === null || minor <= 0 || minor > invoice.balanceDue) {
      setError(new ApiError(422, 'validation_failed', `Enter an amount up to ${formatMoney(invoice.balanceDue, invoice.currency)}.`));
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const intent = await api.createIntent(invoice.id, minor);
      const confirmed = await client.confirmCardPayment(intent.clientSecret, { payment_method: { card } });
      if (confirmed.error) {
        // Paybell reads the intent back too, so its reservation is released at once.
        await api.completeIntent(invoice.id, intent.paymentIntentId).catch(() => undefined);
        throw new ApiError(402, 'card_declined', confirmed.error.message ?? 'The payment failed.');
      }
      const result = await api.completeIntent(invoice.id, intent.paymentIntentId);
      setDone(`Payment of ${formatMoney(result.payment.amount, invoice.currency)} received. Thank you!`);
      rememberReceipt(invoice.id, result.payment.id);
      onPaid(result.invoice);
    } catch (cause) {
      setError(cause);
      playNotificationSound('error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card checkout" aria-labelledby="checkout-h">
      <h2 id="checkout-h">Pay by card</h2>
      <p className="hint">Your card details go to Stripe, our payment processor; they never reach this site.</p>
      {done && (
        <div className="alert alert-success" role="status">
          {done}
        </div>
      )}
      {error !== null && <ErrorMessage error={error} title="Payment failed." />}
      <form onSubmit={submit} className="form" noValidate>
        <label className="field">
          <span>Amount ({invoice.currency})</span>
          <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} required />
          <span className="hint">
            Up to {formatMoney(invoice.balanceDue, invoice.currency)}. You may pay part now and the rest later.
          </span>
        </label>
        <div className="field">
          <span>Card</span>
          <div className="stripe-card" data-testid="card-element" ref={stripe.mountPoint} />
        </div>
        <button type="submit" className="button primary wide" disabled={busy || !stripe.ready}>
          {busy ? 'Processing…' : label ? `Pay ${label}` : 'Pay'}
        </button>
      </form>
    </section>
  );
}

/** Loads Stripe.js and mounts its card Element in `mountPoint`; destroyed on unmount. */
function useCardElement(payments: PaymentsConfig, onError: (error: unknown) => void) {
  const mountPoint = useRef<HTMLDivElement>(null);
  const current = useRef<{ client?: StripeClient; card?: CardElement }>({});
  const [ready, setReady] = useState(false);
  const { jsUrl, publishableKey } = payments;
  useEffect(() => {
    if (!jsUrl || !publishableKey) {
      onError(new Error('Card payments are not set up: the Stripe publishable key is missing.'));
      return;
    }
    let cancelled = false;
    let card: CardElement | undefined;
    loadStripe(jsUrl, publishableKey)
      .then((client) => {
        if (cancelled || !mountPoint.current) return;
        card = client.elements().create('card');
        card.mount(mountPoint.current);
        current.current = { client, card };
        setReady(true);
      })
      .catch((error: unknown) => {
        if (!cancelled) onError(error);
      });
    return () => {
      cancelled = true;
      card?.destroy();
      current.current = {};
    };
    // onError is a state setter, stable: the Element is made again only for another Stripe.js.
  }, [jsUrl, publishableKey]);
  return { mountPoint, current, ready };
}
