//! Sign-in form; on success goes where the visitor was headed.
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api';
import { useAuth } from '../auth';
import { ErrorMessage } from '../components/Messages';
import { appTitle, useTitle } from '../title';

/** Only same-site paths, so `?next=` cannot send anyone elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/app/invoices';
}

export function LoginPage() {
  useTitle(appTitle('Sign in'));
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await api.login(email.trim(), password);
      setUser(user);
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (cause) {
      setError(cause);
      setBusy(false);
    }
  };

  return (
    <main className="page login" id="main">
      <div className="card login-card">
        <h1 className="login-title">
          <span className="brand-mark" aria-hidden="true" /> Paybell
        </h1>
        <p className="muted">Sign in to see your invoices and payments as they happen.</p>
        {error !== null && <ErrorMessage error={error} />}
        <form onSubmit={submit} noValidate={false}>
          <label className="field">
            <span>Email</span>
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
