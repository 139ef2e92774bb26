//! Every page's own `<title>`, so tabs, history and screen readers tell pages apart:
//! "Invoices — Paybell", "Invoice #7 — Ada Lovelace — Paybell"; the payer's page is the
//! business's own: "Invoice #6 from Demo Bakery".

import { useEffect } from 'react';
import { invoiceLabel } from './format';

const APP = 'Paybell';

/** An owner's page: its parts, then the app's name. */
export function appTitle(...parts: (string | undefined)[]): string {
  return [...parts.filter((p): p is string => Boolean(p)), APP].join(' — ');
}

/** The payer's page: the invoice and who sent it; the app's name only when the sender has none. */
export function paymentTitle(number: number | string, businessName: string | undefined): string {
  const from = businessName?.trim();
  return from ? `Invoice ${invoiceLabel(number)} from ${from}` : appTitle(`Invoice ${invoiceLabel(number)}`);
}

/** Sets `document.title` while the page shows (`undefined` leaves it as it is, e.g. while loading). */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    if (title !== undefined) document.title = title;
  }, [title]);
}
