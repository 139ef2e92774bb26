//! All of the owner's invoices, kept current by the user channel: totals per currency at the
//! top, then search (number, customer), a status filter and a sort, kept in the address.
import { useCallback, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { INVOICE_STATUSES, api, type Invoice } from '../api';
import { useUser } from '../auth';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { StatusBadge, statusLabel } from '../components/StatusBadge';
import { formatDate, formatMoney, invoiceLabel } from '../format';
import { appTitle, useTitle } from '../title';
import { useResource } from '../useResource';
import {
  SORT_LABELS,
  SORTS,
  applyView,
  totalsByCurrency,
  viewFromParams,
  viewToParams,
  type ListView,
} from './invoiceList/listView';
import { useInvoiceListUpdates } from './invoiceList/useInvoiceListUpdates';

export function InvoiceListPage() {
  const user = useUser();
  useTitle(appTitle('Invoices'));
  const invoices = useResource(useCallback((signal: AbortSignal) => api.listInvoices(signal), []), 'list');
  const latest = useRef(invoices.data);
  latest.current = invoices.data;

  useInvoiceListUpdates(user.id, invoices.refresh, (invoiceId) => {
    const invoice = latest.current?.find((i) => i.id === invoiceId);
    return invoice && { customerName: invoice.customer.name, number: invoice.displayNumber };
  });

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
        <>
          <Totals invoices={invoices.data} />
          <FilteredList invoices={invoices.data} />
        </>
      )}
    </main>
  );
}

function Totals({ invoices }: { invoices: Invoice[] }) {
  const totals = totalsByCurrency(invoices);
  if (totals.length === 0) return null;
  // With several currencies, each figure says which.
  const of = (currency: string) => (totals.length > 1 ? ` · ${currency}` : '');
  return (
    <section className="totals" aria-label="Totals">
      {totals.map((t) => (
        <dl key={t.currency} className="totals-row" data-currency={t.currency}>
          <div>
            <dt>Outstanding{of(t.currency)}</dt>
            <dd data-testid={`outstanding-${t.currency}`}>{formatMoney(t.outstanding, t.currency)}</dd>
          </div>
          <div>
            <dt>Overdue{of(t.currency)}</dt>
            <dd data-testid={`overdue-${t.currency}`} className={t.overdue > 0 ? 'overdue' : undefined}>
              {formatMoney(t.overdue, t.currency)}
            </dd>
          </div>
          <div>
            <dt>Paid this month{of(t.currency)}</dt>
            <dd data-testid={`paid-month-${t.currency}`}>{formatMoney(t.paidThisMonth, t.currency)}</dd>
          </div>
        </dl>
      ))}
    </section>
  );
}

function FilteredList({ invoices }: { invoices: Invoice[] }) {
  const [params, setParams] = useSearchParams();
  const view = viewFromParams(params);
  const change = (patch: Partial<ListView>) =>
    setParams((current) => viewToParams({ ...viewFromParams(current), ...patch }, current), { replace: true });
  const shown = applyView(invoices, view);
  const filtered = view.query !== '' || view.status !== 'all';
  return (
    <>
      <form className="list-controls" role="search" aria-label="Find invoices" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Search</span>
          <input
            type="search"
            name="q"
            placeholder="Number or customer"
            value={view.query}
            onChange={(e) => change({ query: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Status</span>
          <select name="status" value={view.status} onChange={(e) => change({ status: e.target.value as ListView['status'] })}>
            <option value="all">All statuses</option>
            {INVOICE_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Sort by</span>
          <select name="sort" value={view.sort} onChange={(e) => change({ sort: e.target.value as ListView['sort'] })}>
            {SORTS.map((sort) => (
              <option key={sort} value={sort}>
                {SORT_LABELS[sort]}
              </option>
            ))}
          </select>
        </label>
      </form>
      <p className="visually-hidden" role="status" aria-live="polite">
        {filtered ? `${shown.length} of ${invoices.length} invoices shown` : ''}
      </p>
      {shown.length === 0 ? (
        <EmptyState title="No invoices match">
          <button type="button" className="button" onClick={() => change({ query: '', status: 'all' })}>
            Show all invoices
          </button>
        </EmptyState>
      ) : (
        <InvoiceTable invoices={shown} caption={`Your invoices, ${SORT_LABELS[view.sort].toLowerCase()}`} />
      )}
    </>
  );
}

function InvoiceTable({ invoices, caption }: { invoices: Invoice[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="table stack invoice-table">
        <caption className="visually-hidden">{caption}</caption>
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
                <Link to={`/app/invoices/${encodeURIComponent(invoice.id)}`}>{invoiceLabel(invoice.displayNumber)}</Link>
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
                {invoice.status === 'void' ? (
                  <span aria-label="None: void">—</span>
                ) : (
                  formatMoney(invoice.balanceDue, invoice.currency)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
