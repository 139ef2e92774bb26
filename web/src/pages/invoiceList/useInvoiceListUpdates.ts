//! Live updates for the invoice list: every event on the owner's channel
//! re-fetches the list, and payments are announced (once per browser). What was
//! missed while cut off is replayed from the owner's event log, several
//! payments as one announcement.
import { announce, type Alert } from '../../alerts';
import { api } from '../../api';
import { USER_CHANNEL_EVENTS, userChannel } from '../../events';
import { useChannel, type Replayed } from '../../realtime';

function paymentAlerts(events: Replayed): Alert[] {
  return events.filter(([name]) => name === 'payment.received').map(([, event]) => ({ kind: 'payment', event }));
}

export function useInvoiceListUpdates(userId: string, refresh: () => void): void {
  useChannel(
    { name: (priv) => userChannel(userId, priv), events: USER_CHANNEL_EVENTS, log: (after) => api.ownerEvents(after) },
    {
      onEvent: (name, event) => {
        refresh();
        announce(paymentAlerts([[name, event]]));
      },
      onReplay: (events) => {
        refresh();
        announce(paymentAlerts(events));
      },
      onResync: refresh,
    },
  );
}
