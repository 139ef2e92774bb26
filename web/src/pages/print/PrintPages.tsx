//! Printable pages: the owner's invoice (`/app/invoices/:id/print`) and receipts
//! (`/app/invoices/:id/payments/:paymentId/receipt`), the payer's invoice (`/pay/:id/print`)
//! and receipts (`/pay/:id/payments/:paymentId/receipt`).
//! No app chrome; Print opens the browser's dialog, Download PDF fetches the server's PDF.
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Invoice, type Profile, type PublicInvoice } from '../../api';
import { ErrorMessage, Loading } from '../../components/Messages';
import { useAuth } from '../../auth';
import { appTitle, useTitle } from '../../title';
import { useResource } from '../../useResource';
import { invoicePdfUrl, receiptPdfUrl } from './links';
import { payerPayment } from './receipts';
import { InvoiceSheet, type PrintableInvoice, ReceiptSheet, Toolbar } from './Printable';

function fromOwner(invoice: Invoice, profile: Profile | undefined, accountName: string): PrintableInvoice {
  const seller = {
    name: profile?.legalName.trim() || accountName,
    address: profile?.address,
    taxId: profile?.taxId,
    email: profile?.email,
    phone: profile?.phone,
    logoUrl: profile?.logoUrl,
  };
  return { ...invoice, seller };
}

function fromPayer(invoice: PublicInvoice): PrintableInvoice {
  const seller = invoice.seller ?? { name: invoice.businessName ?? '' };
  return { ...invoice, seller, payUrl: `${window.location.origin}/pay/${encodeURIComponent(invoice.id)}` };
}

/** The owner's invoice and business profile (the seller's details). */
function useOwnerSheet(id: string) {
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getInvoice(id, signal), [id]), id);
  const profile = useResource(useCallback((signal: AbortSignal) => api.getProfile(signal), []), 'profile');
  const accountName = useAuth().user?.name ?? '';
  const loaded = invoice.data && (profile.data || profile.error !== undefined);
  return {
    invoice,
    sheet: loaded && invoice.data ? fromOwner(invoice.data, profile.data, accountName) : undefined,
  };
}

export function OwnerPrintInvoicePage() {
  const { id = '' } = useParams();
  const { invoice, sheet } = useOwnerSheet(id);
  useTitle(invoice.data ? appTitle(`Invoice ${invoice.data.displayNumber}`, 'Print') : undefined);
  const back = <Link to={`/app/invoices/${encodeURIComponent(id)}`}>← Back to the invoice</Link>;
  return (
    <main className="print-page" id="main">
      <Toolbar back={back} pdfUrl={invoicePdfUrl('owner', id)} />
      {sheet ? (
        <InvoiceSheet invoice={sheet} />
      ) : invoice.error !== undefined ? (
        <ErrorMessage error={invoice.error} title="Could not load the invoice." />
      ) : (
        <Loading label="Loading invoice…" />
      )}
    </main>
  );
}

export function OwnerPrintReceiptPage() {
  const { id = '', paymentId = '' } = useParams();
  const { invoice, sheet } = useOwnerSheet(id);
  useTitle(invoice.data ? appTitle(`Receipt · Invoice ${invoice.data.displayNumber}`, 'Print') : undefined);
  const payment = invoice.data?.payments.find((p) => p.id === paymentId);
  const back = <Link to={`/app/invoices/${encodeURIComponent(id)}`}>← Back to the invoice</Link>;
  let body;
  if (sheet && payment) body = <ReceiptSheet invoice={sheet} payment={payment} />;
  else if (sheet) body = <ErrorMessage error={new Error('No such payment.')} title="Receipt not found." />;
  else if (invoice.error !== undefined) body = <ErrorMessage error={invoice.error} title="Could not load the invoice." />;
  else body = <Loading label="Loading receipt…" />;
  return (
    <main className="print-page" id="main">
      <Toolbar back={back} pdfUrl={receiptPdfUrl('owner', id, paymentId)} />
      {body}
    </main>
  );
}

export function PayerPrintInvoicePage() {
  const { id = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getPublicInvoice(id, signal), [id]), id);
  useTitle(invoice.data ? `Invoice ${invoice.data.displayNumber}` : undefined);
  const back = <Link to={`/pay/${encodeURIComponent(id)}`}>← Back to the payment page</Link>;
  return (
    <main className="print-page" id="main">
      <Toolbar back={back} pdfUrl={invoicePdfUrl('payer', id)} />
      {invoice.data ? (
        <InvoiceSheet invoice={fromPayer(invoice.data)} />
      ) : invoice.error !== undefined ? (
        <ErrorMessage error={invoice.error} title="Could not load the invoice." />
      ) : (
        <Loading label="Loading invoice…" />
      )}
    </main>
  );
}

export function PayerPrintReceiptPage() {
  const { id = '', paymentId = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getPublicInvoice(id, signal), [id]), id);
  const payment = useResource(
    useCallback((signal: AbortSignal) => payerPayment(id, paymentId, signal), [id, paymentId]),
    `${id}/${paymentId}`,
  );
  useTitle(invoice.data ? `Receipt · Invoice ${invoice.data.displayNumber}` : undefined);
  const back = <Link to={`/pay/${encodeURIComponent(id)}`}>← Back to the payment page</Link>;
  const error = invoice.error ?? payment.error;
  let body;
  if (invoice.data && payment.data) body = <ReceiptSheet invoice={fromPayer(invoice.data)} payment={payment.data} />;
  else if (error !== undefined) body = <ErrorMessage error={error} title="Could not load the receipt." />;
  else body = <Loading label="Loading receipt…" />;
  return (
    <main className="print-page" id="main">
      <Toolbar back={back} pdfUrl={receiptPdfUrl('payer', id, paymentId)} />
      {body}
    </main>
  );
}
