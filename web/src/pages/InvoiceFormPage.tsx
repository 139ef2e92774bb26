//! Create an invoice (`/app/invoices/new`) or edit one before it is paid
//! (`/app/invoices/:id/edit`). Money is typed in major units and sent in minor units.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, type Invoice, type InvoiceInput } from '../api';
import { ErrorMessage, Loading } from '../components/Messages';
import { formatMoney, invoiceLabel, isoDateFromToday, minorToInput, parseMoneyInput } from '../format';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'INR', 'BRL', 'MXN', 'ZAR'];

interface ItemDraft {
  key: number;
  description: string;
  quantity: string;
  unitPrice: string;
}

interface Draft {
  customerName: string;
  customerEmail: string;
  currency: string;
  dueDate: string;
  items: ItemDraft[];
  notes: string;
}

let nextKey = 1;
const emptyItem = (): ItemDraft => ({ key: nextKey++, description: '', quantity: '1', unitPrice: '' });

function draftFrom(invoice: Invoice): Draft {
  return {
    customerName: invoice.customer.name,
    customerEmail: invoice.customer.email,
    currency: invoice.currency,
    dueDate: invoice.dueDate.slice(0, 10),
    items: invoice.items.map((item) => ({
      key: nextKey++,
      description: item.description,
      quantity: String(item.quantity),
      unitPrice: minorToInput(item.unitPrice, invoice.currency),
    })),
    notes: invoice.notes ?? '',
  };
}

type Errors = Record<string, string>;

/** Checks the draft; returns the request body or the messages per field. */
export function validateDraft(draft: Draft): { input: InvoiceInput } | { errors: Errors } {
  const errors: Errors = {};
  if (!draft.customerName.trim()) errors['customer.name'] = 'Enter the customer’s name.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.customerEmail.trim())) {
    errors['customer.email'] = 'Enter an email address like name@example.com.';
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.dueDate)) errors.dueDate = 'Choose a due date.';
  if (draft.items.length === 0) errors.items = 'Add at least one line.';
  const items = draft.items.map((item, index) => {
    const quantity = Number(item.quantity);
    const unitPrice = parseMoneyInput(item.unitPrice, draft.currency);
    if (!item.description.trim()) errors[`items[${index}].description`] = 'Describe this line.';
    if (!Number.isInteger(quantity) || quantity < 1) errors[`items[${index}].quantity`] = 'A whole number, 1 or more.';
    if (unitPrice === null) errors[`items[${index}].unitPrice`] = 'A price like 12.50.';
    return { description: item.description.trim(), quantity, unitPrice: unitPrice ?? 0 };
  });
  if (Object.keys(errors).length > 0) return { errors };
  const input: InvoiceInput = {
    customer: { name: draft.customerName.trim(), email: draft.customerEmail.trim() },
    currency: draft.currency,
    dueDate: draft.dueDate,
    items,
  };
  if (draft.notes.trim()) input.notes = draft.notes.trim();
  return { input };
}

function draftTotal(draft: Draft): number {
  return draft.items.reduce((sum, item) => {
    const price = parseMoneyInput(item.unitPrice, draft.currency) ?? 0;
    const quantity = Number(item.quantity);
    return sum + (Number.isInteger(quantity) && quantity > 0 ? quantity * price : 0);
  }, 0);
}

export function InvoiceFormPage() {
  const { id } = useParams();
  const editing = id !== undefined;
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft | null>(() =>
    editing
      ? null
      : { customerName: '', customerEmail: '', currency: 'USD', dueDate: isoDateFromToday(14), items: [emptyItem()], notes: '' },
  );
  const [original, setOriginal] = useState<Invoice | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!id) return;
    const abort = new AbortController();
    api
      .getInvoice(id, abort.signal)
      .then((invoice) => {
        setOriginal(invoice);
        setDraft(draftFrom(invoice));
      })
      .catch((cause: unknown) => {
        if (!abort.signal.aborted) setLoadError(cause);
      });
    return () => abort.abort();
  }, [id]);

  if (loadError !== null) {
    return (
      <main className="page narrow" id="main">
        <ErrorMessage error={loadError} title="Could not load the invoice." />
        <Link to="/app/invoices">Back to invoices</Link>
      </main>
    );
  }
  if (!draft) return <Loading label="Loading invoice…" />;

  const locked = original !== null && !original.actions.includes('edit');
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const setItem = (key: number, patch: Partial<ItemDraft>) =>
    set({ items: draft.items.map((item) => (item.key === key ? { ...item, ...patch } : item)) });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = validateDraft(draft);
    if ('errors' in result) {
      setErrors(result.errors);
      setSubmitError(new Error('Some fields need attention.'));
      return;
    }
    setErrors({});
    setSubmitError(null);
    setBusy(true);
    try {
      const saved = id ? await api.updateInvoice(id, result.input) : await api.createInvoice(result.input);
      navigate(`/app/invoices/${encodeURIComponent(saved.id)}`);
    } catch (cause) {
      if (cause instanceof ApiError) setErrors(cause.fields);
      setSubmitError(cause);
      setBusy(false);
    }
  };

  const fieldError = (name: string) =>
    errors[name] ? (
      <span className="field-error" id={`err-${name}`}>
        {errors[name]}
      </span>
    ) : null;
  const described = (name: string) => (errors[name] ? { 'aria-invalid': true, 'aria-describedby': `err-${name}` } : {});
  const known = new Set(['customer.name', 'customer.email', 'dueDate', 'currency', 'notes', 'items']);
  const otherErrors = Object.entries(errors).filter(([key]) => !known.has(key) && !key.startsWith('items['));
  const currencies = CURRENCIES.includes(draft.currency) ? CURRENCIES : [draft.currency, ...CURRENCIES];

  return (
    <main className="page narrow" id="main">
      <p className="crumbs">
        <Link to={id ? `/app/invoices/${encodeURIComponent(id)}` : '/app/invoices'}>← Back</Link>
      </p>
      <h1>{original ? `Edit invoice ${invoiceLabel(original.number)}` : 'New invoice'}</h1>
      {locked && (
        <div className="alert alert-info" role="status">
          This invoice can no longer be edited: only drafts and sent invoices without payments can change.
        </div>
      )}
      {submitError !== null && (
        <ErrorMessage error={submitError}>
          {otherErrors.length > 0 && (
            <ul>
              {otherErrors.map(([key, message]) => (
                <li key={key}>
                  {key}: {message}
                </li>
              ))}
            </ul>
          )}
        </ErrorMessage>
      )}
      <form className="card form" onSubmit={submit} noValidate>
        <fieldset disabled={locked || busy}>
          <legend>Customer</legend>
          <div className="row">
            <label className="field">
              <span>Name</span>
              <input
                name="customerName"
                autoComplete="off"
                value={draft.customerName}
                onChange={(e) => set({ customerName: e.target.value })}
                {...described('customer.name')}
              />
              {fieldError('customer.name')}
            </label>
            <label className="field">
              <span>Email</span>
              <input
                name="customerEmail"
                type="email"
                autoComplete="off"
                value={draft.customerEmail}
                onChange={(e) => set({ customerEmail: e.target.value })}
                {...described('customer.email')}
              />
              {fieldError('customer.email')}
            </label>
          </div>
        </fieldset>
        <fieldset disabled={locked || busy}>
          <legend>Terms</legend>
          <div className="row">
            <label className="field">
              <span>Currency</span>
              <select name="currency" value={draft.currency} onChange={(e) => set({ currency: e.target.value })}>
                {currencies.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
              {fieldError('currency')}
            </label>
            <label className="field">
              <span>Due date</span>
              <input
                name="dueDate"
                type="date"
                value={draft.dueDate}
                onChange={(e) => set({ dueDate: e.target.value })}
                {...described('dueDate')}
              />
              {fieldError('dueDate')}
            </label>
          </div>
        </fieldset>
        <fieldset disabled={locked || busy}>
          <legend>Lines</legend>
          {fieldError('items')}
          <ol className="items">
            {draft.items.map((item, index) => (
              <li key={item.key} className="item-row">
                <label className="field grow">
                  <span>Description</span>
                  <input
                    name={`items.${index}.description`}
                    value={item.description}
                    onChange={(e) => setItem(item.key, { description: e.target.value })}
                    {...described(`items[${index}].description`)}
                  />
                  {fieldError(`items[${index}].description`)}
                </label>
                <label className="field qty">
                  <span>Quantity</span>
                  <input
                    name={`items.${index}.quantity`}
                    inputMode="numeric"
                    value={item.quantity}
                    onChange={(e) => setItem(item.key, { quantity: e.target.value })}
                    {...described(`items[${index}].quantity`)}
                  />
                  {fieldError(`items[${index}].quantity`)}
                </label>
                <label className="field price">
                  <span>Unit price ({draft.currency})</span>
                  <input
                    name={`items.${index}.unitPrice`}
                    inputMode="decimal"
                    placeholder="0.00"
                    value={item.unitPrice}
                    onChange={(e) => setItem(item.key, { unitPrice: e.target.value })}
                    {...described(`items[${index}].unitPrice`)}
                  />
                  {fieldError(`items[${index}].unitPrice`)}
                </label>
                <button
                  type="button"
                  className="button ghost small remove"
                  onClick={() => set({ items: draft.items.filter((other) => other.key !== item.key) })}
                  disabled={draft.items.length === 1}
                  aria-label={`Remove line ${index + 1}`}
                >
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <button type="button" className="button small" onClick={() => set({ items: [...draft.items, emptyItem()] })}>
            Add line
          </button>
          <p className="total-preview">
            Total <strong data-testid="draft-total">{formatMoney(draftTotal(draft), draft.currency)}</strong>
          </p>
        </fieldset>
        <fieldset disabled={locked || busy}>
          <label className="field">
            <span>Notes (optional)</span>
            <textarea name="notes" rows={3} value={draft.notes} onChange={(e) => set({ notes: e.target.value })} />
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" className="button primary" disabled={locked || busy}>
            {busy ? 'Saving…' : original ? 'Save changes' : 'Create invoice'}
          </button>
        </div>
      </form>
    </main>
  );
}
