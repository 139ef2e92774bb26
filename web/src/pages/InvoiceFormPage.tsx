//! Create an invoice (`/app/invoices/new`) or edit one while the server offers
//! `edit` (`/app/invoices/:id/edit`). Money is typed in major units and sent in minor units.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, type Invoice } from '../api';
import { ErrorMessage, Loading } from '../components/Messages';
import { isoDateFromToday } from '../format';
import { appTitle, useTitle } from '../title';
import { draftFrom, newDraft, validateDraft, type Draft, type Errors } from './invoiceForm/draft';
import { CustomerFields, LineFields, NotesField, TermsFields, otherErrors } from './invoiceForm/fields';

export function InvoiceFormPage() {
  const { id } = useParams();
  const { draft, setDraft, original, loadError } = useDraft(id);
  const { errors, submitError, busy, save } = useSave(id);
  useTitle(id ? appTitle(original ? `Edit invoice ${original.displayNumber}` : 'Edit invoice') : appTitle('New invoice'));

  if (loadError !== null) {
    return (
      <main className="page narrow" id="main">
        <ErrorMessage error={loadError} title="Could not load the invoice." />
        <Link to="/app/invoices">Back to invoices</Link>
      </main>
    );
  }
  if (!draft) return <Loading label="Loading invoice…" />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save(draft);
  };
  const locked = original !== null && !original.actions.includes('edit');
  const fieldset = { draft, errors, disabled: locked || busy, set: (patch: Partial<Draft>) => setDraft({ ...draft, ...patch }) };
  return (
    <main className="page narrow" id="main">
      <p className="crumbs">
        <Link to={id ? `/app/invoices/${encodeURIComponent(id)}` : '/app/invoices'}>← Back</Link>
      </p>
      <h1>{original ? `Edit invoice ${original.displayNumber}` : 'New invoice'}</h1>
      {locked && (
        <div className="alert alert-info" role="status">
          This invoice can no longer be edited: only drafts and sent invoices without payments can change.
        </div>
      )}
      {submitError !== null && <SubmitError error={submitError} errors={errors} />}
      <form className="card form" onSubmit={submit} noValidate>
        <CustomerFields {...fieldset} />
        <TermsFields {...fieldset} />
        <LineFields {...fieldset} />
        <NotesField {...fieldset} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={locked || busy}>
            {busy ? 'Saving…' : original ? 'Save changes' : 'Create invoice'}
          </button>
        </div>
      </form>
    </main>
  );
}

/** The failure above the form, listing messages that have no field on it. */
function SubmitError({ error, errors }: { error: unknown; errors: Errors }) {
  const others = otherErrors(errors);
  return (
    <ErrorMessage error={error}>
      {others.length > 0 && (
        <ul>
          {others.map(([key, message]) => (
            <li key={key}>
              {key}: {message}
            </li>
          ))}
        </ul>
      )}
    </ErrorMessage>
  );
}

/** The form's state: a new draft, or the invoice being edited once it has loaded. */
function useDraft(id: string | undefined) {
  const [draft, setDraft] = useState<Draft | null>(() => (id !== undefined ? null : newDraft()));
  const [original, setOriginal] = useState<Invoice | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  useEffect(() => {
    if (id) return;
    // A new invoice starts in the profile's currency and payment terms.
    const abort = new AbortController();
    api
      .getProfile(abort.signal)
      .then((profile) => {
        setDraft((current) =>
          current === null
            ? current
            : {
                ...current,
                currency: profile.defaultCurrency ?? current.currency,
                dueDate: profile.paymentTermsDays === null ? current.dueDate : isoDateFromToday(profile.paymentTermsDays),
              },
        );
      })
      .catch(() => undefined);
    return () => abort.abort();
  }, [id]);
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
  return { draft, setDraft, original, loadError };
}

/** Checks and saves a draft, then opens the saved invoice; keeps the messages when it fails. */
function useSave(id: string | undefined) {
  const navigate = useNavigate();
  const [errors, setErrors] = useState<Errors>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const save = async (draft: Draft) => {
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
  return { errors, submitError, busy, save };
}
