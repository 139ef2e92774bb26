//! The owner records a payment (bank transfer, cash…) in two steps: the form, then a
//! confirmation showing the amount; with an idempotency key, so a click retried after a
//! lost answer never pays twice.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, api, newIdempotencyKey, type Invoice } from '../../api';
import { ErrorMessage } from '../../components/Messages';
import { formatMoney, minorToInput, parseMoneyInput } from '../../format';
import { toasts } from '../../toasts';

const METHODS: Record<string, string> = {
  bank_transfer: 'Bank transfer',
  cash: 'Cash',
  card: 'Card',
  check: 'Cheque',
  other: 'Other',
};

export function methodLabel(method: string): string {
  return METHODS[method] ?? method.replace(/_/g, ' ');
}

export interface RecordPaymentProps {
  invoice: Invoice;
  onSubmitting: () => void;
  onRecorded: (invoice: Invoice) => void;
}

export function RecordPaymentForm({ invoice, onSubmitting, onRecorded }: RecordPaymentProps) {
  const [amount, setAmount] = useState(() => minorToInput(invoice.balanceDue, invoice.currency));
  const [method, setMethod] = useState('bank_transfer');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The checked amount awaiting the owner's confirmation, if any.
  const [confirming, setConfirming] = useState<number | null>(null);
  // One key per intended payment: a retried click after a lost answer never pays twice.
  const key = useRef(newIdempotencyKey());

  const review = (event: FormEvent) => {
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
    setError(null);
    setConfirming(minor);
  };

  const record = async (minor: number) => {
    setBusy(true);
    setError(null);
    onSubmitting();
    try {
      const input = reference.trim() ? { amount: minor, method, reference: reference.trim() } : { amount: minor, method };
      const result = await api.recordPayment(invoice.id, input, key.current);
      key.current = newIdempotencyKey();
      setReference('');
      setAmount(minorToInput(result.invoice.balanceDue, invoice.currency));
      setConfirming(null);
      onRecorded(result.invoice);
      toasts.push({ title: 'Payment recorded', body: formatMoney(minor, invoice.currency), tone: 'success', key: `action-${invoice.id}` });
    } catch (cause) {
      if (cause instanceof ApiError && cause.status !== 0) key.current = newIdempotencyKey();
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  const edit = () => setConfirming(null);

  return (
    <section className="card" aria-labelledby="record-h">
      <h2 id="record-h">Record a payment</h2>
      {error !== null && <ErrorMessage error={error} />}
      <form onSubmit={review} className="form">
        <fieldset disabled={confirming !== null}>
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
        </fieldset>
        {confirming === null ? (
          <button type="submit" className="button primary">
            Review payment…
          </button>
        ) : (
          <Confirmation
            amount={formatMoney(confirming, invoice.currency)}
            method={methodLabel(method)}
            reference={reference.trim()}
            settles={confirming === invoice.balanceDue}
            busy={busy}
            onConfirm={() => void record(confirming)}
            onEdit={edit}
          />
        )}
      </form>
    </section>
  );
}

interface ConfirmationProps {
  amount: string;
  method: string;
  reference: string;
  settles: boolean;
  busy: boolean;
  onConfirm(): void;
  onEdit(): void;
}

/** The second step: the amount as it will be recorded, and the buttons to do it or go back. */
function Confirmation({ amount, method, reference, settles, busy, onConfirm, onEdit }: ConfirmationProps) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div className="confirm-payment" role="group" aria-labelledby="confirm-payment-text">
      <p id="confirm-payment-text" data-testid="confirm-payment">
        Record <strong>{amount}</strong> received by {method.toLowerCase()}
        {reference && <> (reference {reference})</>}?{settles && ' This settles the invoice.'}
      </p>
      <div className="actions">
        <button ref={confirm} type="button" className="button primary" onClick={onConfirm} disabled={busy}>
          {busy ? 'Recording…' : `Record ${amount}`}
        </button>
        <button type="button" className="button ghost" onClick={onEdit} disabled={busy}>
          Change
        </button>
      </div>
    </div>
  );
}
