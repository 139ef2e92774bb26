//! The owner's e-mail: every message written (invoices, receipts, notices) with
//! its status, and the selected one as it was sent. Without SMTP this is the
//! local mailbox: exactly what would have gone out.
import { useCallback, useState } from 'react';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { MailTable } from '../components/MailTable';
import { MailSwitch } from '../components/MailSwitch';
import { mailApi, paymentNoticesSwitch, remindersSwitch } from '../mail';
import { useResource } from '../useResource';
import './mail.css';

const ownerReminders = remindersSwitch(null);

export function MailPage() {
  const list = useResource(useCallback((signal: AbortSignal) => mailApi.list(signal), []), 'mail');
  const [open, setOpen] = useState<string | null>(null);
  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Mail</h1>
        <button type="button" className="button ghost small" onClick={list.refresh}>
          Refresh
        </button>
      </div>
      <MailSwitch
        api={ownerReminders}
        label="Send payment reminders (3 days before the due date, then weekly while overdue, at most 3 times)"
      />
      <MailSwitch api={paymentNoticesSwitch} label="E-mail me when a payment is received" />
      {list.error !== undefined && <ErrorMessage error={list.error} title="Could not load the mail." />}
      {list.data === undefined ? (
        list.error === undefined && <Loading label="Loading mail…" />
      ) : list.data.length === 0 ? (
        <EmptyState title="No mail yet">
          <p>Invoices you send, receipts and payment notices appear here.</p>
        </EmptyState>
      ) : (
        <section className="card">
          <MailTable mail={list.data} onOpen={setOpen} />
        </section>
      )}
      {open && <MailView key={open} id={open} />}
    </main>
  );
}

function MailView({ id }: { id: string }) {
  const message = useResource(useCallback((signal: AbortSignal) => mailApi.get(id, signal), [id]), id);
  if (message.data === undefined) {
    return message.error === undefined ? <Loading label="Loading message…" /> : <ErrorMessage error={message.error} />;
  }
  const m = message.data;
  return (
    <section className="card" aria-labelledby="message-h" data-testid="mail-view">
      <h2 id="message-h">{m.subject}</h2>
      <dl className="facts">
        <dt>From</dt>
        <dd>{m.from}</dd>
        <dt>To</dt>
        <dd>{m.recipient}</dd>
        <dt>Reply-To</dt>
        <dd>{m.replyTo}</dd>
        <dt>Message-ID</dt>
        <dd className="muted">{m.messageId}</dd>
      </dl>
      <h3>As HTML</h3>
      {/* The message's own policy (see routes/mail.rs) sandboxes it; so does the frame. */}
      <iframe
        className="mail-html"
        sandbox=""
        src={`/api/mail/${encodeURIComponent(m.id)}/html`}
        title={`The message "${m.subject}" as HTML`}
        data-testid="mail-html"
      />
      <h3>As plain text</h3>
      <pre className="mail-text">{m.text}</pre>
    </section>
  );
}
