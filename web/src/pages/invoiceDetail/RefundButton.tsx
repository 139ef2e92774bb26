//! "Refund…" on a card payment: the amount to give back (what is left by default, less for a
//! partial refund), then "Yes, refund it" or "Keep it". The money goes back through the
//! payment provider; the page updates from the answer and the events.
import { useState } from 'react';
import { ActionButton } from './buttons';
import { ErrorMessage } from '../../components/Messages';
import { formatMoney, minorToInput, parseMoneyInput } from '../../format';

export interface RefundButtonProps {
  /** What is left to refund, in minor units. */
  left: number;
  currency: string;
  /** The payment's amount as shown, for the button's label. */
  label: string;
  onConfirm(amount: number): Promise<void>;
}

export function RefundButton({ left, currency, label, onConfirm }: RefundButtonProps) {
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState(() => minorToInput(left, currency));
  const [error, setError] = useState<Error | null>(null);
  if (!open) {
    return (
      <button type="button" className="button ghost small" aria-label={`Refund the ${label} payment`} onClick={() => setOpen(true)}>
        Refund…
      </button>
    );
  }
  const confirm = async () => {
    const minor = parseMoneyInput(amount, currency);
    if (minor === null || minor <= 0 || minor > left) {
      setError(new Error(`Enter an amount up to ${formatMoney(left, currency)}.`));
      return;
    }
    setError(null);
    await onConfirm(minor);
  };
  return (
    <span className="confirm" role="group" aria-label="Confirm the refund">
      <label>
        Refund{' '}
        <input
          className="input small"
          inputMode="decimal"
          aria-label="Amount to refund"
          value={amount}
          onChange={(event) => setAmount(event.target.value)}
        />
      </label>
      <ActionButton label="Yes, refund it" busyLabel="Refunding…" onClick={confirm} />
      <button type="button" className="button ghost" onClick={() => setOpen(false)}>
        Keep it
      </button>
      {error && <ErrorMessage error={error} />}
    </span>
  );
}
