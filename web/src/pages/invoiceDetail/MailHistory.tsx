//! The invoice page's mail history: every message about this invoice (queued,
//! sent, failed with the server's answer) and "Resend" for invoices out with the
//! customer, with its payment-reminder switch. Refreshes when the invoice changes (a send or
//! payment writes mail), and while a message is still queued.
import { useCallback, useEffect, useMemo } from 'react';
import type { Invoice } from '../../api';
import { ErrorMessage } from '../../components/Messages';
import { MailTable } from '../../components/MailTable';
import { MailSwitch } from '../../components/MailSwitch';
import { mailApi, remindersSwitch } from '../../mail';
import { toasts } from '../../toasts';
import { useResource } from '../../useResource';
import { ActionButton } from './buttons';

const RESENDABLE = new Set(['sent', 'partially_paid', 'overdue']);
/** How soon a queued message's row is read again. */
const QUEUED_RECHECK_MS = 1500;

export function MailHistory({ invoice }: { invoice: Invoice }) {
  const id = invoice.id;
  const mail = useResource(useCallback((signal: AbortSignal) => mailApi.ofInvoice(id, signal), [id]), id);
  const { refresh } = mail;
  const reminders = useMemo(() => remindersSwitch(id), [id]);
  useEffect(() => {
    refresh();
  }, [invoice.updatedAt, invoice.status, refresh]);
  // A message written with the change is delivered by a worker a moment later: look again
  // while one is queued, rather than race it (no event says it was sent).
  const queued = mail.data?.some((m) => m.status === 'queued') ?? false;
  useEffect(() => {
    if (!queued) return;
    const timer = setTimeout(refresh, QUEUED_RECHECK_MS);
    return () => clearTimeout(timer);
  }, [queued, mail.data, refresh]);
  const resend = async () => {
    await mailApi.resend(id);
    toasts.push({ title: `Invoice e-mailed again to ${invoice.customer.email}`, tone: 'success', key: `resend-${id}` });
    refresh();
  };
  return (
    <section className="card" aria-labelledby="mail-h" data-testid="mail-history">
      <div className="page-head">
        <h2 id="mail-h">E-mail</h2>
        {RESENDABLE.has(invoice.status) && invoice.customer.email && (
          <ActionButton label="Resend" busyLabel="Resending…" onClick={resend} />
        )}
      </div>
      {RESENDABLE.has(invoice.status) && (
        <MailSwitch api={reminders} label="Send payment reminders for this invoice" />
      )}
      {mail.error !== undefined && <ErrorMessage error={mail.error} />}
      {mail.data !== undefined &&
        (mail.data.length === 0 ? <p className="muted">No e-mail yet.</p> : <MailTable mail={mail.data} />)}
    </section>
  );
}
