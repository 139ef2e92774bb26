//! How an event reads in a toast or a desktop notification: money as the pages write it
//! (`€10.00`, not `10.00 EUR`) and the customer named. The server's `title`/`body` do not know
//! the reader's locale, and the event carries no customer name (it comes from the invoice the
//! page has), so the page rewrites them before announcing.

import type { InvoiceEvent } from './events';
import { formatMoney, invoiceLabel } from './format';

/** What the page knows about the invoice an event is about. */
export interface InvoiceContext {
  customerName?: string;
  number?: number | string;
}

/** `event` with `title` and `body` written for people; every other field as it was. */
export function withPageText(event: InvoiceEvent, invoice: InvoiceContext = {}, locale?: string): InvoiceEvent {
  const label = invoice.number !== undefined ? invoiceLabel(invoice.number) : /Invoice (\S+)/.exec(event.body)?.[1];
  const what = label ? `Invoice ${label}` : 'An invoice';
  const customer = invoice.customerName?.trim() || undefined;
  const money =
    event.amount !== undefined && event.currency ? formatMoney(event.amount, event.currency, locale) : undefined;
  switch (event.type) {
    case 'invoice_completed':
      return {
        ...event,
        title: '✅ Invoice Paid',
        body: [money && (customer ? `${money} from ${customer}` : money), `${what} is paid in full`]
          .filter(Boolean)
          .join(' · '),
      };
    case 'payment_received':
      return {
        ...event,
        title: '💰 Payment Received',
        body: money
          ? `${money}${customer ? ` from ${customer}` : ''} for ${what}`
          : `${what}${customer ? ` (${customer})` : ''} received a payment`,
      };
    case 'payment_removed':
      return {
        ...event,
        title: 'Payment Removed',
        body: `${money ? `A ${money} payment` : 'A payment'} was removed from ${what}${customer ? ` (${customer})` : ''}`,
      };
    case 'payment_refunded':
      return {
        ...event,
        title: '↩️ Payment Refunded',
        body: `${money ? `A ${money} payment` : 'A payment'} was refunded on ${what}${customer ? ` (${customer})` : ''}`,
      };
    default:
      return customer ? { ...event, body: `${event.body} · ${customer}` } : event;
  }
}
