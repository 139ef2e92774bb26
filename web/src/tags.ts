//! Notification tags, shared by the tabs (`notifications.ts`) and the service worker
//! (`sw.ts`), so a push and an in-tab notification about one invoice replace each other.

/** The tag of a summary about several invoices: a newer one replaces it. */
export const SUMMARY_TAG = 'paybell-offline-summary';

/** The tag of every notification about one invoice. */
export function notificationTag(invoiceId: string): string {
  return `paybell-invoice-${invoiceId}`;
}

/** The page a notification about `invoiceId` opens. */
export function invoicePath(invoiceId: string): string {
  return `/app/invoices/${encodeURIComponent(invoiceId)}`;
}
