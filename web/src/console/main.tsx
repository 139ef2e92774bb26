// The Debug Console's entry: sign in with an app id and secret, then the four views.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { signOut, whoAmI, type Me } from './api';
import { ChannelsView } from './ChannelsView';
import { EventCreator } from './EventCreator';
import { LogView } from './LogView';
import { Overview } from './Overview';
import { SignIn } from './SignIn';
import './console.css';

const VIEWS = ['Log', 'Event Creator', 'Channels', 'Overview'] as const;
type View = (typeof VIEWS)[number];

function Console({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const [view, setView] = useState<View>('Log');
  return (
    <div className="console">
      <header>
        <h1>Debug Console</h1>
        <span className="app">
          app <code>{me.app_id}</code> · key <code>{me.key}</code>
        </span>
        <nav aria-label="Views">
          {VIEWS.map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
              {v}
            </button>
          ))}
        </nav>
        <button
          type="button"
          className="quiet"
          onClick={() => {
            void signOut().then(onSignedOut);
          }}
        >
          Sign out
        </button>
      </header>
      {/* The log stays mounted so it keeps collecting while another view is shown. */}
      <main>
        <div hidden={view !== 'Log'}>
          <LogView />
        </div>
        {view === 'Event Creator' && <EventCreator />}
        {view === 'Channels' && <ChannelsView />}
        {view === 'Overview' && <Overview />}
      </main>
    </div>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    void whoAmI().then(setMe, () => setMe(null));
  }, []);
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  return <Console me={me} onSignedOut={() => setMe(null)} />;
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
