//! One invoice for its owner: refreshed live from `invoice.{id}`, a desktop
//! notification and a tone when a payment arrives, and the owner's actions
//! (send, record a payment, void, edit) as the server allows them.
import { useCallback } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, type Invoice } from '../api';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { appTitle, useTitle } from '../title';
import { toasts } from '../toasts';
import { useResource } from '../useResource';
import { InvoiceDetail } from './invoiceDetail/InvoiceDetail';
import { useInvoiceUpdates } from './invoiceDetail/useInvoiceUpdates';

export function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const invoice = useResource(useCallback((signal: AbortSignal) => api.getInvoice(id, signal), [id]), id);
  const { liveError, markOwn } = useInvoiceUpdates(id, invoice.refresh, invoice.data);
  const navigate = useNavigate();
  const data = invoice.data;
  useTitle(data ? appTitle(`Invoice ${data.displayNumber}`, data.customer.name) : undefined);

  const act = async (action: () => Promise<Invoice>, done: string) => {
    markOwn('status');
    const updated = await action();
    markOwn('status');
    invoice.replace(updated);
    toasts.push({ title: done, tone: 'success', key: `action-${updated.id}` });
  };

  if (invoice.data === undefined) {
    return invoice.error === undefined ? <Loading label="Loading invoice…" /> : <LoadFailed error={invoice.error} />;
  }
  const inv = invoice.data;
  return (
    <InvoiceDetail
      invoice={inv}
      notices={
        <>
          {invoice.error !== undefined && (
            <ErrorMessage error={invoice.error} title="Could not refresh; showing the last known state." />
          )}
          {liveError && (
            <div className="alert alert-info" role="status">
              {liveError} Reload the page to see changes.
            </div>
          )}
        </>
      }
      onSend={() => act(() => api.sendInvoice(inv.id), sentToast(inv))}
      onVoid={() => act(() => api.voidInvoice(inv.id), 'Invoice voided')}
      onDuplicate={async () => {
        const copy = await api.duplicateInvoice(inv.id);
        toasts.push({ title: `Invoice ${copy.displayNumber} created from ${inv.displayNumber}`, tone: 'success', key: `dup-${copy.id}` });
        navigate(`/app/invoices/${encodeURIComponent(copy.id)}/edit`);
      }}
      onPaymentSubmitting={() => markOwn('payment')}
      onPaymentRecorded={(updated) => {
        markOwn('payment');
        invoice.replace(updated);
      }}
      onRemovePayment={(paymentId) => act(() => api.removePayment(inv.id, paymentId), 'Payment removed')}
      onRefundPayment={(paymentId, amount) => act(() => api.refundPayment(inv.id, paymentId, amount), 'Payment refunded')}
    />
  );
}

/** What Send did: e-mailed the customer, or only marked the invoice sent. */
function sentToast(inv: Invoice): string {
  return inv.customer.email ? `Invoice e-mailed to ${inv.customer.email}` : 'Invoice marked as sent';
}

function LoadFailed({ error }: { error: unknown }) {
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <main className="page narrow" id="main">
      {notFound ? (
        <EmptyState title="Invoice not found">
          <p>It may have been removed, or the link is wrong.</p>
        </EmptyState>
      ) : (
        <ErrorMessage error={error} title="Could not load the invoice." />
      )}
      <Link to="/app/invoices">Back to invoices</Link>
    </main>
  );
}
