//! All of the owner's invoices, newest first, kept current by the user channel.
import { useCallback } from 'react';
import { Link } from 'react-router';
import { api, type Invoice } from '../api';
import { useUser } from '../auth';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatMoney, invoiceLabel } from '../format';
import { useResource } from '../useResource';
import { useInvoiceListUpdates } from './invoiceList/useInvoiceListUpdates';

export function InvoiceListPage() {
  const user = useUser();
  const invoices = useResource(useCallback((signal: AbortSignal) => api.listInvoices(signal), []), 'list');

  useInvoiceListUpdates(user.id, invoices.refresh);

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Invoices</h1>
        <Link to="/app/invoices/new" className="button primary">
          New invoice
        </Link>
      </div>
      {invoices.error !== undefined && (
        <ErrorMessage error={invoices.error} title="Could not load your invoices." />
      )}
      {invoices.data === undefined ? (
        invoices.loading && <Loading label="Loading invoices…" />
      ) : invoices.data.length === 0 ? (
        <EmptyState title="No invoices yet">
          <p>
            Create an invoice, send its payment link, and watch it get paid here in real time.
          </p>
          <Link to="/app/invoices/new" className="button primary">
            Create your first invoice
          </Link>
        </EmptyState>
      ) : (
        <InvoiceTable invoices={invoices.data} />
      )}
    </main>
  );
}

function InvoiceTable({ invoices }: { invoices: Invoice[] }) {
  return (
    <div className="table-wrap">
      <table className="table invoice-table">
        <caption className="visually-hidden">Your invoices, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Invoice</th>
            <th scope="col">Customer</th>
            <th scope="col">Status</th>
            <th scope="col">Due</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col" className="num">
              Balance due
            </th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((invoice) => (
            <tr key={invoice.id} data-invoice-id={invoice.id} data-status={invoice.status}>
              <td data-label="Invoice">
                <Link to={`/app/invoices/${encodeURIComponent(invoice.id)}`}>{invoiceLabel(invoice.number)}</Link>
              </td>
              <td data-label="Customer">{invoice.customer.name}</td>
              <td data-label="Status">
                <StatusBadge status={invoice.status} />
              </td>
              <td data-label="Due">{formatDate(invoice.dueDate)}</td>
              <td data-label="Total" className="num">
                {formatMoney(invoice.total, invoice.currency)}
              </td>
              <td data-label="Balance due" className="num">
                {formatMoney(invoice.balanceDue, invoice.currency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
