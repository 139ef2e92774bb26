//! Shows whether live updates are flowing. Announced politely to screen readers.
import { useConnection, type ConnectionStatus } from '../realtime';

const VIEW: Record<ConnectionStatus, { label: string; tone: 'ok' | 'wait' | 'down' }> = {
  loading: { label: 'Connecting…', tone: 'wait' },
  initialized: { label: 'Connecting…', tone: 'wait' },
  connecting: { label: 'Reconnecting…', tone: 'wait' },
  connected: { label: 'Live', tone: 'ok' },
  unavailable: { label: 'Offline, retrying', tone: 'down' },
  failed: { label: 'Live updates unsupported', tone: 'down' },
  disconnected: { label: 'Disconnected', tone: 'down' },
  error: { label: 'Live updates unavailable', tone: 'down' },
};

export function ConnectionIndicator() {
  const { status, detail } = useConnection();
  const view = VIEW[status];
  const title =
    view.tone === 'ok'
      ? 'Changes appear here as they happen'
      : (detail ?? 'Changes will appear once the connection is back');
  return (
    <span
      className={`connection connection-${view.tone}`}
      data-state={status}
      role="status"
      aria-live="polite"
      title={title}
    >
      <span className="connection-dot" aria-hidden="true" />
      {view.label}
    </span>
  );
}
