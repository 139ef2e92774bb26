//! Printable pages: the owner's invoice (`/app/invoices/:id/print`) and receipts
//! (`/app/invoices/:id/payments/:paymentId/receipt`), the payer's invoice (`/pay/:id/print`)
//! and receipts (`/pay/:id/payments/:paymentId/receipt`).
//! No app chrome; Print opens the browser's dialog, Download PDF fetches the server's PDF.
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Invoice, type PublicInvoice } from '../../api';
import { ErrorMessage, Loading } from '../../components/Messages';
import { invoiceLabel } from '../../format';
import { useAuth } from '../../auth';
import { appTitle, useTitle } from '../../title';
import { useResource } from '../../useResource';
import { invoicePdfUrl, receiptPdfUrl } from './links';
import { payerPayment } from './receipts';
import { InvoiceSheet, type PrintableInvoice, ReceiptSheet, Toolbar } from './Printable';

function fromOwner(invoice: Invoice, seller: string): PrintableInvoice {
  return { ...invoice, seller };
}

function fromPayer(invoice: PublicInvoice): PrintableInvoice {
  return { ...invoice, seller: invoice.businessName ?? '', payUrl: `${window.location.origin}/pay/${encodeURIComponent(invoice.id)}` };
}

function useOwnerInvoice(id: string) {
  return useResource(useCallback((signal: AbortSignal) => api.getInvoice(id, signal), [id]), id);
}

export function OwnerPrintInvoicePage() {
  const { id = '' } = useParams();
  const invoice = useOwnerInvoice(id);
  const seller = useAuth().user?.name ?? '';
  useTitle(invoice.data ? appTitle(`Invoice ${invoiceLabel(invoice.data.number)}`, 'Print') : undefined);
  const back = <Link to={`/app/invoices/${encodeURIComponent(id)}`}>← Back to the invoice</Link>;
  return (
    <main className="print-page" id="main">
      <Toolbar back={back} pdfUrl={invoicePdfUrl('owner', id)} />
      {invoice.data ? (
        <InvoiceSheet invoice={fromOwner(invoice.data, seller)} />
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
  const invoice = useOwnerInvoice(id);
  const seller = useAuth().user?.name ?? '';
  useTitle(invoice.data ? appTitle(`Receipt · Invoice ${invoiceLabel(invoice.data.number)}`, 'Print') : undefined);
  const payment = invoice.data?.payments.find((p) => p.id === paymentId);
  const back = <Link to={`/app/invoices/${encodeURIComponent(id)}`}>← Back to the invoice</Link>;
  let body;
  if (invoice.data && payment) body = <ReceiptSheet invoice={fromOwner(invoice.data, seller)} payment={payment} />;
  else if (invoice.data) body = <ErrorMessage error={new Error('No such payment.')} title="Receipt not found." />;
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
  useTitle(invoice.data ? `Invoice ${invoiceLabel(invoice.data.number)}` : undefined);
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
  useTitle(invoice.data ? `Receipt · Invoice ${invoiceLabel(invoice.data.number)}` : undefined);
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
