//! The business profile (`/app/settings`): the seller's details on every invoice, the logo,
//! the defaults of a new invoice, payment instructions and the invoice number prefix.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, api, type Profile } from '../api';
import { ErrorMessage, Loading } from '../components/Messages';
import { appTitle, useTitle } from '../title';
import { toasts } from '../toasts';

/** The largest logo the server takes. */
const MAX_LOGO_BYTES = 1024 * 1024;

type ProfileForm = Omit<Profile, 'logoUrl' | 'paymentTermsDays' | 'defaultCurrency'> & {
  paymentTermsDays: string;
  defaultCurrency: string;
};

function formOf(profile: Profile): ProfileForm {
  const { logoUrl: _, ...rest } = profile;
  return {
    ...rest,
    defaultCurrency: profile.defaultCurrency ?? '',
    paymentTermsDays: profile.paymentTermsDays === null ? '' : String(profile.paymentTermsDays),
  };
}

/** The request body: empty terms and currency are "none". */
export function profileBody(form: ProfileForm): Omit<Profile, 'logoUrl'> {
  const days = form.paymentTermsDays.trim();
  return {
    ...form,
    defaultCurrency: form.defaultCurrency.trim().toUpperCase() || null,
    paymentTermsDays: days === '' ? null : Number(days),
  };
}

/** An example of the display number the prefix gives. */
export function numberExample(prefix: string): string {
  return prefix.trim() ? `${prefix.trim()}0007` : '#7';
}

export function SettingsPage() {
  useTitle(appTitle('Business settings'));
  const [form, setForm] = useState<ProfileForm | null>(null);
  const [logoUrl, setLogoUrl] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  useEffect(() => {
    const abort = new AbortController();
    api
      .getProfile(abort.signal)
      .then((profile) => {
        setForm(formOf(profile));
        setLogoUrl(profile.logoUrl ?? null);
      })
      .catch((cause: unknown) => {
        if (!abort.signal.aborted) setLoadError(cause);
      });
    return () => abort.abort();
  }, []);
  if (loadError !== null) return <ErrorMessage error={loadError} title="Could not load your profile." />;
  if (!form) return <Loading label="Loading settings…" />;
  return (
    <main className="page narrow" id="main">
      <h1>Business settings</h1>
      <LogoCard logoUrl={logoUrl} onUploaded={() => setLogoUrl(`/api/profile/logo?v=${Date.now()}`)} />
      <ProfileFormCard form={form} setForm={setForm} />
    </main>
  );
}

function LogoCard({ logoUrl, onUploaded }: { logoUrl: string | null; onUploaded(): void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    if (file.size > MAX_LOGO_BYTES) {
      setError(new Error('The logo must be 1 MB or smaller.'));
      return;
    }
    setBusy(true);
    try {
      await api.uploadLogo(file);
      onUploaded();
      toasts.push({ title: 'Logo saved', tone: 'success', key: 'logo' });
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="logo-h">
      <h2 id="logo-h">Logo</h2>
      {logoUrl ? (
        <img className="seller-logo" src={logoUrl} alt="Your logo" data-testid="logo-preview" />
      ) : (
        <p className="muted">No logo yet. It appears on the payment page and your invoices.</p>
      )}
      {error !== null && <ErrorMessage error={error} title="Could not save the logo." />}
      <label className="field">
        <span>PNG or JPEG, up to 1 MB</span>
        <input
          type="file"
          name="logo"
          accept="image/png,image/jpeg"
          disabled={busy}
          onChange={(e) => void upload(e.target.files?.[0])}
        />
      </label>
    </section>
  );
}

const TEXT_FIELDS: [keyof ProfileForm, string, 'input' | 'textarea'][] = [
  ['legalName', 'Legal name', 'input'],
  ['address', 'Address', 'textarea'],
  ['taxId', 'Tax id (VAT number)', 'input'],
  ['email', 'Contact e-mail', 'input'],
  ['phone', 'Phone', 'input'],
];

function ProfileFormCard({ form, setForm }: { form: ProfileForm; setForm(form: ProfileForm): void }) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ProfileForm>) => setForm({ ...form, ...patch });
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await api.saveProfile(profileBody(form));
      setForm(formOf(saved));
      setErrors({});
      toasts.push({ title: 'Profile saved', tone: 'success', key: 'profile' });
    } catch (cause) {
      if (cause instanceof ApiError) setErrors(cause.fields);
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  const input = (name: keyof ProfileForm, label: string, kind: 'input' | 'textarea', extra = {}) => (
    <label className="field" key={name}>
      <span>{label}</span>
      {kind === 'textarea' ? (
        <textarea name={name} rows={3} value={form[name]} onChange={(e) => set({ [name]: e.target.value })} />
      ) : (
        <input name={name} value={form[name]} onChange={(e) => set({ [name]: e.target.value })} {...extra} />
      )}
      {errors[name] && <span className="field-error">{errors[name]}</span>}
    </label>
  );
  return (
    <form className="card form" onSubmit={save} noValidate aria-labelledby="profile-h">
      <h2 id="profile-h">Business profile</h2>
      {error !== null && <ErrorMessage error={error} title="Could not save." />}
      <fieldset disabled={busy}>
        <legend>On your invoices</legend>
        {TEXT_FIELDS.map(([name, label, kind]) => input(name, label, kind))}
        {input('brandColor', 'Brand colour (#rrggbb)', 'input', { placeholder: '#4f46e5' })}
      </fieldset>
      <fieldset disabled={busy}>
        <legend>New invoices</legend>
        <div className="row">
          {input('defaultCurrency', 'Default currency', 'input', { placeholder: 'EUR', maxLength: 3 })}
          {input('paymentTermsDays', 'Payment terms (days)', 'input', { inputMode: 'numeric', placeholder: '14' })}
        </div>
        {input('numberPrefix', 'Invoice number prefix', 'input', { placeholder: 'INV-2026-' })}
        <p className="hint" data-testid="number-example">
          Your next invoices are numbered like {numberExample(form.numberPrefix)}.
        </p>
        {input('paymentInstructions', 'Payment instructions (bank transfer…)', 'textarea')}
      </fieldset>
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </div>
    </form>
  );
}
