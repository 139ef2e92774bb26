// Sign-in with an app id and its secret; the server checks and throttles.
import { useState, type FormEvent } from 'react';
import { signIn, type Me } from './api';

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [appId, setAppId] = useState('');
  const [secret, setSecret] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const answer = await signIn(appId.trim(), secret);
      if (typeof answer === 'string') setProblem(answer);
      else onSignedIn(answer);
    } catch {
      setProblem('the server could not be reached');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="sign-in" onSubmit={(e) => void submit(e)}>
      <h1>Debug Console</h1>
      <p>Sign in with an app's id and secret (<code>paybell app show</code> prints them).</p>
      <label>
        App id
        <input aria-label="App id" value={appId} onChange={(e) => setAppId(e.target.value)} autoComplete="username" required />
      </label>
      <label>
        Secret
        <input
          aria-label="Secret"
          type="password"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          autoComplete="current-password"
          required
        />
      </label>
      {problem && <p role="alert">{problem}</p>}
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
