//! The customer's public payment page (`/pay/:id`, no session). It follows
//! `invoice.{id}` so it turns to Paid the moment any payment lands, plays the
//! success tones whenever the amount paid goes up (whoever paid), and offers a
//! test-card checkout for all or part of the balance.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { ApiError, api } from '../api';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { INVOICE_CHANNEL_EVENTS, invoiceChannel } from '../events';
import { useChannel } from '../realtime';
import { settings, useSettings } from '../settings';
import { playNotificationSound } from '../sounds';
import { paymentTitle, useTitle } from '../title';
import { useResource } from '../useResource';
import { PaymentView } from './payment/PaymentView';

export function PaymentPage() {
  const { id = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getPublicInvoice(id, signal), [id]), id);
  const [liveError, setLiveError] = useState<string | null>(null);
  const config = useResource(useCallback((signal: AbortSignal) => api.config(signal), []), 'config');
  useTitle(invoice.data ? paymentTitle(invoice.data.displayNumber, invoice.data.businessName) : undefined);

  useChannel(
    { name: (priv) => invoiceChannel(id, priv), events: INVOICE_CHANNEL_EVENTS },
    { onEvent: invoice.refresh, onResync: invoice.refresh, onError: setLiveError },
  );

  // Tones follow the data, not the events: a payment seen through an event, a
  // re-fetch after reconnecting, or this page's own checkout rings once.
  const amountPaid = invoice.data?.amountPaid;
  const lastPaid = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (amountPaid === undefined) return;
    if (lastPaid.current !== undefined && amountPaid > lastPaid.current) playNotificationSound('success');
    lastPaid.current = amountPaid;
  }, [amountPaid]);

  const body =
    invoice.data !== undefined ? (
      <PaymentView
        invoice={invoice.data}
        refreshError={invoice.error}
        liveError={liveError}
        onPaid={(updated) => invoice.replace(updated)}
        payments={config.data?.payments ?? (config.error !== undefined ? { provider: 'test' } : undefined)}
      />
    ) : invoice.error !== undefined ? (
      <LoadFailed error={invoice.error} />
    ) : (
      <Loading label="Loading invoice…" />
    );

  return (
    <>
      <header className="topbar public">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          {invoice.data?.businessName ?? 'Paybell'}
        </span>
        <div className="topbar-right">
          <ConnectionIndicator audience="payer" />
          <SoundSwitch />
        </div>
      </header>
      <main className="page narrow" id="main">
        {body}
      </main>
    </>
  );
}

function LoadFailed({ error }: { error: unknown }) {
  const notFound = error instanceof ApiError && error.status === 404;
  return notFound ? (
    <EmptyState title="This payment link is not valid">
      <p>Check the link in your email, or ask the sender for a new one.</p>
    </EmptyState>
  ) : (
    <ErrorMessage error={error} title="Could not load the invoice." />
  );
}

/** Whether the page plays a sound when the invoice is paid: a labelled switch. */
function SoundSwitch() {
  const { sounds } = useSettings();
  return (
    <label className="switch sound-switch">
      <input
        type="checkbox"
        role="switch"
        checked={sounds}
        onChange={(e) => settings.update({ sounds: e.target.checked })}
      />
      <span>
        Sound<span className="wide-only"> when paid</span>
      </span>
    </label>
  );
}
