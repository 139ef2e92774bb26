//! The invoice list's view of the data, pure so it is unit-tested: search by number or
//! customer, filter by status, sort by date, due date or amount, and the totals at the top
//! per currency (outstanding, overdue, paid this month). The view is kept in the URL's query
//! (`?q=…&status=…&sort=…`) so a reload or a shared link shows the same list.

import { INVOICE_STATUSES, type Invoice, type InvoiceStatus } from '../../api';
import { invoiceLabel } from '../../format';

export const SORTS = ['newest', 'oldest', 'due-soonest', 'due-latest', 'amount-highest', 'amount-lowest'] as const;
export type Sort = (typeof SORTS)[number];

export const SORT_LABELS: Record<Sort, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  'due-soonest': 'Due date, soonest first',
  'due-latest': 'Due date, latest first',
  'amount-highest': 'Amount, highest first',
  'amount-lowest': 'Amount, lowest first',
};

export interface ListView {
  /** Free text matched against the number (`#7`, `7`, `INV-…`) and the customer's name. */
  query: string;
  /** `all` or one status. */
  status: InvoiceStatus | 'all';
  sort: Sort;
}

export const DEFAULT_VIEW: ListView = { query: '', status: 'all', sort: 'newest' };

/** The view a query string asks for; anything unknown falls back to the default. */
export function viewFromParams(params: URLSearchParams): ListView {
  const status = params.get('status') ?? 'all';
  const sort = params.get('sort') ?? DEFAULT_VIEW.sort;
  return {
    query: params.get('q') ?? '',
    status: (INVOICE_STATUSES as readonly string[]).includes(status) ? (status as InvoiceStatus) : 'all',
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : DEFAULT_VIEW.sort,
  };
}

/** `params` with the view written in, leaving other parameters (e.g. `debug`) alone. */
export function viewToParams(view: ListView, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  const set = (key: string, value: string, fallback: string) =>
    value === fallback ? next.delete(key) : next.set(key, value);
  set('q', view.query, '');
  set('status', view.status, 'all');
  set('sort', view.sort, DEFAULT_VIEW.sort);
  return next;
}

function normalise(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

/** Whether `invoice` matches the search text (every word must match the number or the name). */
export function matches(invoice: Invoice, query: string): boolean {
  const words = normalise(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const label = normalise(invoiceLabel(invoice.displayNumber));
  const haystack = `${label} ${label.replace(/^#/, '')} ${normalise(invoice.customer.name)}`;
  return words.every((word) => haystack.includes(word));
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Newest first compares creation times, then numbers, as the server lists them. */
function compare(sort: Sort): (a: Invoice, b: Invoice) => number {
  const created = (a: Invoice, b: Invoice) =>
    byText(a.createdAt, b.createdAt) || byText(String(a.number).padStart(12, '0'), String(b.number).padStart(12, '0'));
  switch (sort) {
    case 'newest':
      return (a, b) => created(b, a);
    case 'oldest':
      return created;
    case 'due-soonest':
      return (a, b) => byText(a.dueDate, b.dueDate) || created(b, a);
    case 'due-latest':
      return (a, b) => byText(b.dueDate, a.dueDate) || created(b, a);
    case 'amount-highest':
      return (a, b) => b.total - a.total || created(b, a);
    case 'amount-lowest':
      return (a, b) => a.total - b.total || created(b, a);
  }
}

/** The invoices the view shows, in its order. Amounts in different currencies are compared
 * by their minor units; the list is one owner's, usually in one currency. */
export function applyView(invoices: readonly Invoice[], view: ListView): Invoice[] {
  return invoices
    .filter((invoice) => view.status === 'all' || invoice.status === view.status)
    .filter((invoice) => matches(invoice, view.query))
    .sort(compare(view.sort));
}

export interface CurrencyTotals {
  currency: string;
  /** Balance due on every sent, partially paid or overdue invoice. */
  outstanding: number;
  /** Balance due on overdue invoices (part of `outstanding`). */
  overdue: number;
  /** Payments received in the current calendar month (the reader's time zone). */
  paidThisMonth: number;
}

const AWAITING: readonly InvoiceStatus[] = ['sent', 'partially_paid', 'overdue'];

function sameMonth(iso: string, now: Date): boolean {
  const at = new Date(iso);
  return at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth();
}

/** Totals per currency over all the owner's invoices (not only the filtered ones), in
 * alphabetical order of currency; currencies with nothing to show are left out. */
export function totalsByCurrency(invoices: readonly Invoice[], now = new Date()): CurrencyTotals[] {
  const totals = new Map<string, CurrencyTotals>();
  const of = (currency: string) => {
    let entry = totals.get(currency);
    if (!entry) {
      entry = { currency, outstanding: 0, overdue: 0, paidThisMonth: 0 };
      totals.set(currency, entry);
    }
    return entry;
  };
  for (const invoice of invoices) {
    if (AWAITING.includes(invoice.status)) {
      of(invoice.currency).outstanding += invoice.balanceDue;
      if (invoice.status === 'overdue') of(invoice.currency).overdue += invoice.balanceDue;
    }
    const thisMonth = invoice.payments.filter((p) => sameMonth(p.createdAt, now));
    if (thisMonth.length > 0) {
      of(invoice.currency).paidThisMonth += thisMonth.reduce((sum, p) => sum + p.amount, 0);
    }
  }
  return [...totals.values()]
    .filter((t) => t.outstanding > 0 || t.paidThisMonth > 0)
    .sort((a, b) => byText(a.currency, b.currency));
}
