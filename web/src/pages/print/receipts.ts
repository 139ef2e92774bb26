//! The payer's receipts: one payment read by its id (`GET /api/pay/{id}/payments/{paymentId}`),
//! and the ids of the payments made in this browser tab, so the pay page can offer their
//! receipts (the payer gets no list of payments from the server).
import { request } from '../../api';
import { type Decoder, int, object, optional, str } from '../../decode';
import type { ReceiptPayment } from './Printable';

const decodePayerPayment: Decoder<ReceiptPayment> = object({
  id: str,
  amount: int,
  method: str,
  reference: optional(str),
  createdAt: str,
  refunded: int,
});

export async function payerPayment(id: string, paymentId: string, signal?: AbortSignal): Promise<ReceiptPayment> {
  const path = `/api/pay/${encodeURIComponent(id)}/payments/${encodeURIComponent(paymentId)}`;
  return decodePayerPayment(await request('GET', path, signal ? { signal } : {}));
}

/** At most this many receipts are remembered per invoice. */
const KEEP = 20;
const key = (invoiceId: string) => `paybell.receipts.${invoiceId}`;

/** Remembers, for this tab, that the payer paid `paymentId` on invoice `invoiceId`. */
export function rememberReceipt(invoiceId: string, paymentId: string): void {
  try {
    const ids = [...paidHere(invoiceId).filter((id) => id !== paymentId), paymentId].slice(-KEEP);
    window.sessionStorage.setItem(key(invoiceId), JSON.stringify(ids));
  } catch {
    // Storage refused (private mode, quota): the receipt PDF is still in the checkout's answer.
  }
}

/** The payments made on `invoiceId` in this tab, oldest first. */
export function paidHere(invoiceId: string): string[] {
  try {
    const parsed: unknown = JSON.parse(window.sessionStorage.getItem(key(invoiceId)) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
