//! The customer directory (`/app/customers`) and one customer (`/app/customers/:id`): their
//! details, edited in place, their invoices and what they still owe per currency.
import { useCallback, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, type CustomerInput, type CustomerRecord } from '../api';
import { EmptyState, ErrorMessage, Loading } from '../components/Messages';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatMoney } from '../format';
import { appTitle, useTitle } from '../title';
import { toasts } from '../toasts';
import { useResource } from '../useResource';

export function CustomersPage() {
  useTitle(appTitle('Customers'));
  const customers = useResource(useCallback((signal: AbortSignal) => api.listCustomers('', signal), []), 'customers');
  return (
    <main className="page" id="main">
      <h1>Customers</h1>
      {customers.error !== undefined && <ErrorMessage error={customers.error} title="Could not load customers." />}
      {customers.data === undefined ? (
        <Loading label="Loading customers…" />
      ) : customers.data.length === 0 ? (
        <EmptyState title="No customers yet">
          <p>Customers you name on an invoice are added here, or add one below.</p>
        </EmptyState>
      ) : (
        <ul className="customer-list" data-testid="customer-list">
          {customers.data.map((c) => (
            <li key={c.id}>
              <Link to={`/app/customers/${encodeURIComponent(c.id)}`}>{c.name}</Link>{' '}
              <span className="muted">{c.email}</span>
            </li>
          ))}
        </ul>
      )}
      <CustomerForm
        title="Add a customer"
        submitLabel="Add customer"
        onSave={async (input) => {
          await api.createCustomer(input);
          customers.refresh();
        }}
      />
    </main>
  );
}

const EMPTY: CustomerInput = { name: '', email: '', address: '', taxId: '', notes: '' };

function CustomerForm(props: {
  title: string;
  submitLabel: string;
  initial?: CustomerRecord;
  onSave(input: CustomerInput): Promise<void>;
}) {
  const [form, setForm] = useState<CustomerInput>(props.initial ?? EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { name, email, address, taxId, notes } = form;
      await props.onSave({ name, email, address, taxId, notes });
      setErrors({});
      if (!props.initial) setForm(EMPTY);
      toasts.push({ title: 'Customer saved', tone: 'success', key: 'customer' });
    } catch (cause) {
      if (cause instanceof ApiError) setErrors(cause.fields);
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  const field = (name: keyof CustomerInput, label: string, multi = false) => (
    <label className="field">
      <span>{label}</span>
      {multi ? (
        <textarea name={name} rows={2} value={form[name] ?? ''} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
      ) : (
        <input name={name} value={form[name] ?? ''} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
      )}
      {errors[name] && <span className="field-error">{errors[name]}</span>}
    </label>
  );
  return (
    <form className="card form" onSubmit={submit} noValidate aria-label={props.title}>
      <h2>{props.title}</h2>
      {error !== null && <ErrorMessage error={error} title="Could not save." />}
      <fieldset disabled={busy}>
        <div className="row">
          {field('name', 'Name')}
          {field('email', 'Email')}
        </div>
        <div className="row">
          {field('address', 'Billing address', true)}
          {field('taxId', 'Tax id')}
        </div>
        {field('notes', 'Notes (only you see them)', true)}
      </fieldset>
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function CustomerPage() {
  const { id = '' } = useParams();
  const account = useResource(useCallback((signal: AbortSignal) => api.getCustomer(id, signal), [id]), id);
  useTitle(account.data ? appTitle(account.data.customer.name, 'Customers') : undefined);
  if (account.data === undefined) {
    return account.error === undefined ? (
      <Loading label="Loading customer…" />
    ) : (
      <main className="page narrow" id="main">
        <ErrorMessage error={account.error} title="Could not load the customer." />
        <Link to="/app/customers">Back to customers</Link>
      </main>
    );
  }
  const { customer, invoices, outstanding } = account.data;
  return (
    <main className="page" id="main">
      <p className="crumbs">
        <Link to="/app/customers">← All customers</Link>
      </p>
      <h1>{customer.name}</h1>
      <section className="card" aria-labelledby="owed-h">
        <h2 id="owed-h">Outstanding</h2>
        {outstanding.length === 0 ? (
          <p className="muted" data-testid="outstanding">Nothing outstanding.</p>
        ) : (
          <ul data-testid="outstanding">
            {outstanding.map((o) => (
              <li key={o.currency}>{formatMoney(o.amount, o.currency)}</li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="cinv-h">
        <h2 id="cinv-h">Invoices</h2>
        {invoices.length === 0 ? (
          <p className="muted">No invoices yet.</p>
        ) : (
          <ul className="customer-invoices" data-testid="customer-invoices">
            {invoices.map((inv) => (
              <li key={inv.id}>
                <Link to={`/app/invoices/${encodeURIComponent(inv.id)}`}>{inv.displayNumber}</Link>{' '}
                <StatusBadge status={inv.status} /> {formatMoney(inv.total, inv.currency)}{' '}
                <span className="muted">due {formatDate(inv.dueDate)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <CustomerForm
        key={customer.id}
        title="Details"
        submitLabel="Save changes"
        initial={customer}
        onSave={async (input) => {
          const saved = await api.updateCustomer(customer.id, input);
          account.replace({ ...account.data!, customer: saved });
        }}
      />
      <p className="hint">Changes apply to new invoices; invoices already made keep the details they have.</p>
    </main>
  );
}
