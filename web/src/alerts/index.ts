//! Alerts (desktop notification or toast, and a tone) for events, once per
//! browser: `announce` for live events and replayed batches alike.
//!
//! - `ledger`: the alerts already raised, in IndexedDB shared by the tabs.
//! - `leader`: which tab announces first (a Web Lock held while the tab lives).
//! - `summary`: several missed events as one announcement.
//! - `alerter`: the rules, over injectable parts.
import { notifyInvoiceUpdated, notifyPaymentReceived, notifySummary } from '../notifications';
import { playNotificationSound } from '../sounds';
import { Alerter } from './alerter';
import { browserLeadership } from './leader';
import { browserLedger } from './ledger';
import type { Alert } from './summary';

export type { Alert } from './summary';

let alerter: Alerter | null = null;

function appAlerter(): Alerter {
  alerter ??= new Alerter(browserLedger(), browserLeadership(), {
    payment: (event) => notifyPaymentReceived(event),
    status: (event) => notifyInvoiceUpdated(event),
    summary: (summary) => notifySummary(summary),
    sound: (type) => playNotificationSound(type),
  });
  return alerter;
}

/** Announces `alerts` (one live event, or a replayed batch) unless another tab did. */
export function announce(alerts: readonly Alert[]): void {
  void appAlerter().announce(alerts).catch(() => undefined);
}

/** Takes part in choosing the announcing tab from the start, not at the first event. */
export function joinAlerts(): void {
  appAlerter();
}
