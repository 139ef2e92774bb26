//! The owner records a payment (bank transfer, cash…) with an idempotency key,
//! so a click retried after a lost answer never pays twice.
import { useRef, useState, type FormEvent } from 'react';
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
