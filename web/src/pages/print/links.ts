//! Where the printable pages and PDFs of an invoice and its receipts live, for the owner
//! (`/app/…`, `/api/invoices/…`) and for the payer (`/pay/…`, `/api/pay/…`).

const enc = encodeURIComponent;

export type Reader = 'owner' | 'payer';

/** The invoice's PDF (`application/pdf`, A4; `?paper=letter` for US Letter). */
export function invoicePdfUrl(reader: Reader, id: string): string {
  return reader === 'owner' ? `/api/invoices/${enc(id)}/pdf` : `/api/pay/${enc(id)}/pdf`;
}

/** One payment's receipt PDF. */
export function receiptPdfUrl(reader: Reader, id: string, paymentId: string): string {
  const base = reader === 'owner' ? `/api/invoices/${enc(id)}` : `/api/pay/${enc(id)}`;
  return `${base}/payments/${enc(paymentId)}/receipt.pdf`;
}

/** The printable invoice page. */
export function invoicePrintPath(reader: Reader, id: string): string {
  return reader === 'owner' ? `/app/invoices/${enc(id)}/print` : `/pay/${enc(id)}/print`;
}

/** The printable receipt page of one payment. */
export function receiptPrintPath(reader: Reader, id: string, paymentId: string): string {
  const base = reader === 'owner' ? `/app/invoices/${enc(id)}` : `/pay/${enc(id)}`;
  return `${base}/payments/${enc(paymentId)}/receipt`;
}
