//! "Notify me when Paybell is closed": Web Push on this browser, on or off (see
//! `push/client.ts`), with the reason when the browser or the server refuses.
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api';
import { requestNotificationPermission } from '../notifications';
import {
  SERVICE_WORKER_URL,
  disablePush,
  enablePush,
  pushState,
  refusalText,
  type PushEnv,
  type PushRegistration,
  type PushState,
} from '../push/client';

function browserPushEnv(): PushEnv {
  const supported =
    typeof navigator !== 'undefined' &&
    'serviceWorker' in navigator &&
    typeof window !== 'undefined' &&
    'PushManager' in window &&
    'Notification' in window;
  return {
    supported,
    secure: typeof window !== 'undefined' && window.isSecureContext,
    requestPermission: () => requestNotificationPermission(),
    registration: async () => {
      await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' });
      return (await navigator.serviceWorker.ready) as unknown as PushRegistration;
    },
    serverKey: () => api.pushKey(),
    register: (subscription) => api.addPushSubscription(subscription),
    unregister: (endpoint) => api.removePushSubscription(endpoint),
  };
}

export function PushSwitch() {
  const [env] = useState(browserPushEnv);
  const [state, setState] = useState<PushState | 'unknown'>(env.supported ? 'unknown' : 'off');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(
    env.supported ? null : refusalText({ reason: 'unsupported' }),
  );

  useEffect(() => {
    if (!env.supported) return;
    let live = true;
    pushState(env)
      .then((s) => live && setState(s))
      .catch(() => live && setState('off'));
    return () => {
      live = false;
    };
  }, [env]);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setNote(null);
    try {
      if (on) {
        const result = await enablePush(env);
        if (result.ok) {
          setState('on');
        } else {
          setState('off');
          setNote(refusalText(result));
        }
      } else {
        await disablePush(env);
        setState('off');
      }
    } catch (cause) {
      setNote(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <label className="switch">
        <input
          type="checkbox"
          data-testid="push-switch"
          checked={state === 'on'}
          disabled={!env.supported || busy || state === 'unknown'}
          onChange={(e) => void toggle(e.target.checked)}
        />
        Notify me when Paybell is closed
      </label>
      <p className="hint">
        Payments reach this browser as notifications even with no Paybell tab open (Web Push).
      </p>
      {note && (
        <p className="hint error-text" role="alert" data-testid="push-note">
          {note}
        </p>
      )}
    </>
  );
}
