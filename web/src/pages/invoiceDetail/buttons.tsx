//! The invoice page's small buttons: an action with a busy state and its own
//! error, a void and a payment removal that ask first, and copying the payment link.
import { useState } from 'react';
import { ErrorMessage } from '../../components/Messages';

export function ActionButton(props: { label: string; busyLabel: string; primary?: boolean; onClick: () => Promise<void> }) {
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

export function VoidButton({ onConfirm }: { onConfirm: () => Promise<void> }) {
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

/** "Remove…", then the question with "Yes, remove it" and "Keep it". */
export function RemoveButton({ label, question, onConfirm }: { label: string; question: string; onConfirm: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="button ghost small danger-text" aria-label={label} onClick={() => setConfirming(true)}>
        Remove…
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm removing the payment">
      <span>{question}</span>
      <ActionButton label="Yes, remove it" busyLabel="Removing…" onClick={onConfirm} />
      <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </span>
  );
}

export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  // Read through globalThis: `navigator` is absent where the page is rendered without a browser.
  const clipboard = globalThis.navigator?.clipboard;
  if (!clipboard) return null;
  return (
    <button
      type="button"
      className="button ghost small"
      onClick={() =>
        clipboard.writeText(text).then(
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
