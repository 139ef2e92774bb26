//! Many events missed while offline become one announcement: "3 payments
//! received while you were offline — €420.00", one notification, one tone.
import { isSettlement, type InvoiceEvent } from '../events';
import { formatMoney } from '../format';
import type { SoundType } from '../sounds';
import type { ToastTone } from '../toasts';

/** An event worth announcing: a payment, or a status change made elsewhere. */
export interface Alert {
  kind: 'payment' | 'status';
  event: InvoiceEvent;
}

export interface Summary {
  title: string;
  body: string;
  tone: ToastTone;
  sound: SoundType;
  /** Set when every alert is about one invoice (the notification's tag, the click target). */
  invoiceId?: string;
}

/** One announcement for several alerts (callers pass two or more). */
export function summarize(alerts: readonly Alert[], locale?: string): Summary {
  const payments = alerts.filter((a) => a.kind === 'payment').map((a) => a.event);
  const others = alerts.length - payments.length;
  const invoices = new Set(alerts.map((a) => a.event.invoiceId));
  const invoiceId = invoices.size === 1 ? alerts[0]?.event.invoiceId : undefined;
  const where = 'while you were offline';
  if (payments.length === 0) {
    return {
      title: 'Invoices updated',
      body: `${plural(others, 'invoice update', 'invoice updates')} ${where}`,
      tone: 'info',
      sound: 'info',
      ...(invoiceId === undefined ? {} : { invoiceId }),
    };
  }
  const total = paymentTotal(payments, locale);
  let body = `${plural(payments.length, 'payment', 'payments')} received ${where}`;
  if (total) body += ` — ${total}`;
  if (others > 0) body += ` (and ${plural(others, 'other update', 'other updates')})`;
  const settled = payments.some(isSettlement);
  return {
    title: settled ? '✅ Payments received' : '💰 Payments received',
    body,
    tone: settled ? 'success' : 'info',
    sound: settled ? 'success' : 'info',
    ...(invoiceId === undefined ? {} : { invoiceId }),
  };
}

/** The sum per currency ("€420.00", "€10.00 + $5.00"), or null when an amount is unknown. */
export function paymentTotal(payments: readonly InvoiceEvent[], locale?: string): string | null {
  const sums = new Map<string, number>();
  for (const payment of payments) {
    if (payment.amount === undefined || payment.currency === undefined) return null;
    sums.set(payment.currency, (sums.get(payment.currency) ?? 0) + payment.amount);
  }
  return [...sums].map(([currency, minor]) => formatMoney(minor, currency, locale)).join(' + ');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
