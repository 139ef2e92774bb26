//! Live updates for the invoice list: every event on the owner's channel
//! re-fetches the list, and payments are announced (once per browser). What was
//! missed while cut off is replayed from the owner's event log, several
//! payments as one announcement.
import { announce, type Alert } from '../../alerts';
import { api } from '../../api';
import { USER_CHANNEL_EVENTS, userChannel } from '../../events';
import { withPageText, type InvoiceContext } from '../../eventText';
import { useChannel, type Replayed } from '../../realtime';

/** What the page knows about an invoice, to name its customer in announcements. */
type Lookup = (invoiceId: string) => InvoiceContext | undefined;

function paymentAlerts(events: Replayed, lookup: Lookup): Alert[] {
  return events
    .filter(([name]) => name === 'payment.received')
    .map(([, event]) => ({ kind: 'payment', event: withPageText(event, lookup(event.invoiceId)) }));
}

export function useInvoiceListUpdates(userId: string, refresh: () => void, lookup: Lookup): void {
  useChannel(
    { name: (priv) => userChannel(userId, priv), events: USER_CHANNEL_EVENTS, log: (after) => api.ownerEvents(after) },
    {
      onEvent: (name, event) => {
        refresh();
        announce(paymentAlerts([[name, event]], lookup));
      },
      onReplay: (events) => {
        refresh();
        announce(paymentAlerts(events, lookup));
      },
      onResync: refresh,
    },
  );
}
