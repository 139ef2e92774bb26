//! A checkbox for an e-mail switch (payment reminders of one invoice or all, the owner's
//! "payment received" notices): reads the switch from the server, writes it on change (shown at once, put back on a failure,
//! which is shown beside it).
import { useCallback, useState } from 'react';
import type { MailSwitchApi } from '../mail';
import { useResource } from '../useResource';
import { ErrorMessage } from './Messages';
import '../pages/mail.css';

export function MailSwitch({ api, label }: { api: MailSwitchApi; label: string }) {
  const current = useResource(
    useCallback((signal: AbortSignal) => api.get(signal), [api]),
    api.key,
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Shown at once; put back if the server refuses.
  const [shown, setShown] = useState<boolean | undefined>(undefined);
  const toggle = async (enabled: boolean) => {
    setBusy(true);
    setError(null);
    setShown(enabled);
    try {
      const saved = await api.set(enabled);
      current.replace(saved);
      setShown(saved);
    } catch (cause) {
      setError(cause);
      setShown(!enabled);
    } finally {
      setBusy(false);
    }
  };
  const checked = shown ?? current.data;
  if (checked === undefined) return null;
  return (
    <p className="mail-switch">
      <label>
        <input
          type="checkbox"
          checked={checked}
          disabled={busy}
          onChange={(event) => void toggle(event.target.checked)}
        />{' '}
        {label}
      </label>
      {error !== null && <ErrorMessage error={error} />}
    </p>
  );
}
