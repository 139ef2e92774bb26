//! Live updates for one invoice page: every event on `invoice.{id}` re-fetches,
//! and payments and status changes made elsewhere are announced (a desktop
//! notification and a tone), while the page's own clicks stay quiet.
import { useCallback, useRef, useState } from 'react';
import { INVOICE_CHANNEL_EVENTS, invoiceChannel, isSettlement, type InvoiceEvent } from '../../events';
import type { Invoice } from '../../api';
import { withPageText } from '../../eventText';
import { notifyInvoiceUpdated, notifyPaymentReceived } from '../../notifications';
import { useChannel } from '../../realtime';
import { playNotificationSound, type SoundType } from '../../sounds';

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

function statusSound(status: string | undefined): SoundType {
  return status === 'overdue' ? 'warning' : status === 'void' ? 'error' : 'info';
}

/** `invoice`, when loaded, names the customer in the announcements. */
export function useInvoiceUpdates(id: string, refresh: () => void, invoice?: Invoice): InvoiceUpdates {
  const known = useRef(invoice);
  known.current = invoice;
  const text = (event: InvoiceEvent) =>
    withPageText(event, { customerName: known.current?.customer.name, number: known.current?.number });
  const lastOwnAction = useRef<{ kind: OwnActionKind; at: number }>({ kind: 'status', at: 0 });
  const ownRecently = (kind: OwnActionKind) =>
    lastOwnAction.current.kind === kind && Date.now() - lastOwnAction.current.at < OWN_ACTION_MS;
  const [liveError, setLiveError] = useState<string | null>(null);

  useChannel(
    { name: (priv) => invoiceChannel(id, priv), events: INVOICE_CHANNEL_EVENTS },
    {
      onEvent: (name: string, event: InvoiceEvent) => {
        refresh();
        if (name === 'payment.received' && !ownRecently('payment')) {
          notifyPaymentReceived(text(event));
          playNotificationSound(isSettlement(event) ? 'success' : 'info');
        } else if (name === 'invoice.status.changed') {
          // Payments announce themselves above; own clicks need no announcement.
          const paymentDriven = event.status === 'paid' || event.status === 'partially_paid';
          if (!paymentDriven && !ownRecently('status')) {
            notifyInvoiceUpdated(text(event));
            playNotificationSound(statusSound(event.status));
          }
        }
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
