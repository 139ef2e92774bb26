//! Live updates for one invoice page: every event on `invoice.{id}` re-fetches,
//! and payments and status changes made elsewhere are announced (a desktop
//! notification and a tone, once per browser), while the page's own clicks stay
//! quiet. What was missed while cut off is replayed from the invoice's event log.
import { useCallback, useRef, useState } from 'react';
import { announce, type Alert } from '../../alerts';
import { api, type Invoice } from '../../api';
import { withPageText } from '../../eventText';
import { INVOICE_CHANNEL_EVENTS, invoiceChannel, type InvoiceEvent } from '../../events';
import { useChannel, type Replayed } from '../../realtime';

/** Events caused by this page's own buttons within this window are not announced. */
const OWN_ACTION_MS = 5000;

/** What the page's own buttons did: changed the status, or recorded a payment. */
export type OwnActionKind = 'status' | 'payment';

export interface InvoiceUpdates {
  /** Why live updates could not start, if they could not. */
  liveError: string | null;
  /** Call around an own action so its events are not announced back. */
  markOwn(kind: OwnActionKind): void;
}

/** `invoice`, when loaded, names the customer in the announcements. */
export function useInvoiceUpdates(id: string, refresh: () => void, invoice?: Invoice): InvoiceUpdates {
  const known = useRef(invoice);
  known.current = invoice;
  const text = (event: InvoiceEvent) =>
    withPageText(event, { customerName: known.current?.customer.name, number: known.current?.displayNumber });
  const lastOwnAction = useRef<{ kind: OwnActionKind; at: number }>({ kind: 'status', at: 0 });
  const ownRecently = (kind: OwnActionKind) =>
    lastOwnAction.current.kind === kind && Date.now() - lastOwnAction.current.at < OWN_ACTION_MS;
  const [liveError, setLiveError] = useState<string | null>(null);

  /** The alert an event on this channel raises, if any. */
  const alertFor = (name: string, event: InvoiceEvent): Alert | null => {
    if (name === 'payment.received') return ownRecently('payment') ? null : { kind: 'payment', event: text(event) };
    if (name !== 'invoice.status.changed') return null;
    // Payments announce themselves above; own clicks need no announcement.
    const paymentDriven = event.status === 'paid' || event.status === 'partially_paid';
    return paymentDriven || ownRecently('status') ? null : { kind: 'status', event: text(event) };
  };
  const alertsFor = (events: Replayed): Alert[] =>
    events.flatMap(([name, event]) => {
      const alert = alertFor(name, event);
      return alert ? [alert] : [];
    });

  useChannel(
    {
      name: (priv) => invoiceChannel(id, priv),
      events: INVOICE_CHANNEL_EVENTS,
      log: (after) => api.invoiceEvents(id, after),
    },
    {
      onEvent: (name: string, event: InvoiceEvent) => {
        refresh();
        announce(alertsFor([[name, event]]));
      },
      onReplay: (events) => {
        refresh();
        announce(alertsFor(events));
      },
      onResync: refresh,
      onError: setLiveError,
    },
  );

  const markOwn = useCallback((kind: OwnActionKind) => {
    lastOwnAction.current = { kind, at: Date.now() };
  }, []);

  return { liveError, markOwn };
}
