//! Shows whether live updates are flowing. Announced politely to screen readers.
//! The owner sees the connection's state; a payer sees a discreet line in plain words
//! ("Updates automatically"), never the developer's vocabulary.
import { useConnection, type ConnectionStatus } from '../realtime';

type Tone = 'ok' | 'wait' | 'down';

const OWNER: Record<ConnectionStatus, { label: string; tone: Tone }> = {
  loading: { label: 'Connecting…', tone: 'wait' },
  initialized: { label: 'Connecting…', tone: 'wait' },
  connecting: { label: 'Reconnecting…', tone: 'wait' },
  connected: { label: 'Live', tone: 'ok' },
  unavailable: { label: 'Offline, retrying', tone: 'down' },
  failed: { label: 'Live updates unsupported', tone: 'down' },
  disconnected: { label: 'Disconnected', tone: 'down' },
  error: { label: 'Live updates unavailable', tone: 'down' },
};

const PAYER: Record<ConnectionStatus, { label: string; tone: Tone }> = {
  loading: { label: 'Connecting…', tone: 'wait' },
  initialized: { label: 'Connecting…', tone: 'wait' },
  connecting: { label: 'Connecting…', tone: 'wait' },
  connected: { label: 'Updates automatically', tone: 'ok' },
  unavailable: { label: 'Offline, will update when back', tone: 'down' },
  failed: { label: 'Reload to see updates', tone: 'down' },
  disconnected: { label: 'Offline, will update when back', tone: 'down' },
  error: { label: 'Reload to see updates', tone: 'down' },
};

export function ConnectionIndicator({ audience = 'owner' }: { audience?: 'owner' | 'payer' }) {
  const { status, detail } = useConnection();
  const view = (audience === 'payer' ? PAYER : OWNER)[status];
  const title =
    view.tone === 'ok'
      ? 'Changes appear here as they happen'
      : audience === 'payer'
        ? 'This page will update once the connection is back'
        : (detail ?? 'Changes will appear once the connection is back');
  return (
    <span
      className={`connection connection-${view.tone} connection-${audience}`}
      data-state={status}
      role="status"
      aria-live="polite"
      title={title}
    >
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label">{view.label}</span>
    </span>
  );
}
