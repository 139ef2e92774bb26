//! The payer's checkout with the built-in `test` provider: all or part of the
//! balance, a card, and an idempotency key per attempt so a retry after a lost
//! answer never pays twice. Errors sit beside their inputs (`aria-invalid`,
//! `aria-describedby`) and the first one takes the focus; the card is cleared
//! once paid.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, newIdempotencyKey, type PublicInvoice } from '../../api';
import { ErrorMessage } from '../../components/Messages';
import { formatMoney, minorToInput, parseMoneyInput } from '../../format';
import { playNotificationSound } from '../../sounds';
import { NO_ERRORS, checkoutErrors, firstInvalid, type CheckoutErrors, type CheckoutField } from './checkoutErrors';
import { rememberReceipt } from '../print/receipts';

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

const NO_CARD: Card = { number: '', expiry: '', cvc: '' };

/** The id of an input's error message. */
const errorId = (field: CheckoutField) => `checkout-${field}-error`;

/** The attributes that tie an input to its error, if it has one. */
function described(errors: CheckoutErrors['fields'], field: CheckoutField, hint?: string) {
  const message = errors[field];
  const ids = [hint, message ? errorId(field) : undefined].filter(Boolean).join(' ');
  return { 'aria-invalid': message ? true : undefined, 'aria-describedby': ids || undefined };
}

function FieldError({ errors, field }: { errors: CheckoutErrors['fields']; field: CheckoutField }): ReactNode {
  const message = errors[field];
  return message ? (
    <span className="field-error" id={errorId(field)}>
      {message}
    </span>
  ) : null;
}

interface CheckoutProps {
  invoice: PublicInvoice;
  onPaid: (invoice: PublicInvoice) => void;
}

export function CheckoutForm({ invoice, onPaid }: CheckoutProps) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [card, setCard] = useState<Card>(NO_CARD);
  const form = useRef<HTMLFormElement>(null);
  const checkout = useCheckout(invoice, onPaid);
  const minor = parseMoneyInput(amount, invoice.currency);
  // A payment from elsewhere changes the balance: offer the new balance.
  useEffect(() => {
    setAmount(minorToInput(invoice.balanceDue, invoice.currency));
  }, [invoice.balanceDue, invoice.currency]);
  // After a failed attempt, the first input with an error takes the focus.
  const { fields } = checkout.errors;
  useEffect(() => {
    const first = firstInvalid(fields);
    if (first) form.current?.querySelector<HTMLInputElement>(`[data-field="${first}"]`)?.focus();
  }, [fields]);
  const label = minor !== null && minor > 0 ? formatMoney(minor, invoice.currency) : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await checkout.pay(minor, card)) setCard(NO_CARD);
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
      {checkout.errors.summary !== null && <ErrorMessage error={checkout.errors.summary} title="Payment failed." />}
      {checkout.errors.summary === null && firstInvalid(fields) !== undefined && (
        <p className="alert alert-error" role="alert">
          Please check the fields marked below.
        </p>
      )}
      <form ref={form} onSubmit={submit} className="form" noValidate>
        <label className="field">
          <span>Amount ({invoice.currency})</span>
          <input
            name="amount"
            data-field="amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => {
              checkout.newAttempt();
              setAmount(e.target.value);
            }}
            {...described(fields, 'amount', 'amount-hint')}
            required
          />
          <span className="hint" id="amount-hint">
            Up to {formatMoney(invoice.balanceDue, invoice.currency)}. You may pay part now and the rest later.
          </span>
          <FieldError errors={fields} field="amount" />
        </label>
        <CardFields
          card={card}
          errors={fields}
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

interface CardFieldsProps {
  card: Card;
  errors: CheckoutErrors['fields'];
  onChange: (patch: Partial<Card>) => void;
}

function CardFields({ card, errors, onChange }: CardFieldsProps) {
  return (
    <>
      <label className="field">
        <span>Card number</span>
        <input
          name="cardNumber"
          data-field="number"
          inputMode="numeric"
          autoComplete="cc-number"
          placeholder="1234 1234 1234 1234"
          value={card.number}
          onChange={(e) => onChange({ number: formatCardNumber(e.target.value) })}
          {...described(errors, 'number')}
          required
        />
        <FieldError errors={errors} field="number" />
      </label>
      <div className="row">
        <label className="field">
          <span>Expiry (MM/YY)</span>
          <input
            name="expiry"
            data-field="expiry"
            inputMode="numeric"
            autoComplete="cc-exp"
            placeholder="MM/YY"
            value={card.expiry}
            onChange={(e) => onChange({ expiry: formatExpiry(e.target.value) })}
            {...described(errors, 'expiry')}
            required
          />
          <FieldError errors={errors} field="expiry" />
        </label>
        <label className="field">
          <span>CVC</span>
          <input
            name="cvc"
            data-field="cvc"
            inputMode="numeric"
            autoComplete="cc-csc"
            placeholder="123"
            value={card.cvc}
            onChange={(e) => onChange({ cvc: e.target.value.replace(/\D/g, '').slice(0, 4) })}
            {...described(errors, 'cvc')}
            required
          />
          <FieldError errors={errors} field="cvc" />
        </label>
      </div>
    </>
  );
}

/** One checkout attempt at a time: checks the amount, pays, and reports the outcome. */
function useCheckout(invoice: PublicInvoice, onPaid: (invoice: PublicInvoice) => void) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<CheckoutErrors>(NO_ERRORS);
  const [done, setDone] = useState<string | null>(null);
  const fail = (field: CheckoutField, message: string) => setErrors({ fields: { [field]: message }, summary: null });
  // The same attempt keeps its key, so a retry after a lost answer never pays twice.
  const key = useRef(newIdempotencyKey());

  /** Pays; true when the payment went through. */
  const pay = async (minor: number | null, card: Card): Promise<boolean> => {
    if (minor === null || minor <= 0) {
      fail('amount', 'Enter the amount to pay, like 25.00.');
      return false;
    }
    if (minor > invoice.balanceDue) {
      fail('amount', `The balance due is ${formatMoney(invoice.balanceDue, invoice.currency)}; you cannot pay more.`);
      return false;
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    setDone(null);
    try {
      const body = { amount: minor, card: { number: card.number.replace(/\s/g, ''), expiry: card.expiry, cvc: card.cvc } };
      const result = await api.checkout(invoice.id, body, key.current);
      key.current = newIdempotencyKey();
      setDone(`Payment of ${formatMoney(result.payment.amount, invoice.currency)} received. Thank you!`);
      rememberReceipt(invoice.id, result.payment.id);
      onPaid(result.invoice);
      return true;
    } catch (cause) {
      // A definite answer (declined, invalid) ends this attempt; a network failure may be retried as is.
      if (!(cause instanceof ApiError) || cause.status !== 0) key.current = newIdempotencyKey();
      setErrors(checkoutErrors(cause));
      playNotificationSound('error');
      return false;
    } finally {
      setBusy(false);
    }
  };
  const newAttempt = () => {
    key.current = newIdempotencyKey();
  };
  return { busy, errors, done, pay, newAttempt };
}
