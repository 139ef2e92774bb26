//! The connection state the indicator shows: pusher-js's states plus `loading`
//! and `error`, in a small store React reads with `useSyncExternalStore`.

/** pusher-js's states, plus `loading` (settings not known yet) and `error` (they could not be had). */
export type ConnectionStatus =
  | 'loading'
  | 'initialized'
  | 'connecting'
  | 'connected'
  | 'unavailable'
  | 'failed'
  | 'disconnected'
  | 'error';

export interface ConnectionSnapshot {
  status: ConnectionStatus;
  detail?: string;
}

export class ConnectionStore {
  private snapshot: ConnectionSnapshot = { status: 'loading' };
  private readonly listeners = new Set<() => void>();

  get = (): ConnectionSnapshot => this.snapshot;

  set(status: ConnectionStatus, detail?: string): void {
    if (status === this.snapshot.status && detail === this.snapshot.detail) return;
    this.snapshot = detail === undefined ? { status } : { status, detail };
    this.listeners.forEach((listener) => listener());
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

/** A pusher-js state name as a status; a state this build does not know reads as `connecting`. */
export function toStatus(state: string): ConnectionStatus {
  switch (state) {
    case 'initialized':
    case 'connecting':
    case 'connected':
    case 'unavailable':
    case 'failed':
    case 'disconnected':
      return state;
    default:
      return 'connecting';
  }
}
