// The log's records as the realtime server sends them (crates/realtime/src/tap.rs), and the
// pure rules the log view applies: decoding, filters, search and one-line summaries.

/** One record of the live log. `kind` says which; the rest depends on it. */
export interface LogRecord {
  readonly id?: number;
  /** Unix milliseconds. */
  readonly time: number;
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** The kinds a filter can pick, with their labels. */
export const KINDS: ReadonlyArray<readonly [string, string]> = [
  ['connection', 'Connection'],
  ['disconnection', 'Disconnection'],
  ['subscribed', 'Subscribed'],
  ['unsubscribed', 'Unsubscribed'],
  ['occupied', 'Channel occupied'],
  ['vacated', 'Channel vacated'],
  ['member_added', 'Member added'],
  ['member_removed', 'Member removed'],
  ['api_message', 'API message'],
  ['client_event', 'Client event'],
  ['webhook', 'Webhook'],
  ['refused', 'Refused'],
];

/** A record from the server's text, or `null` when it is not one. */
export function parseRecord(text: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.kind !== 'string' || typeof record.time !== 'number') return null;
  return record as LogRecord;
}

/** Every channel a record is about. */
export function recordChannels(record: LogRecord): string[] {
  const out: string[] = [];
  if (typeof record.channel === 'string') out.push(record.channel);
  if (Array.isArray(record.channels)) {
    for (const c of record.channels) if (typeof c === 'string' && !out.includes(c)) out.push(c);
  }
  return out;
}

export interface Filter {
  /** A channel name or its start (`private-invoice.`); empty: any. */
  readonly channel: string;
  /** One of KINDS' names; empty: any. */
  readonly kind: string;
  /** Text anywhere in the record; empty: any. */
  readonly search: string;
}

export const NO_FILTER: Filter = { channel: '', kind: '', search: '' };

/** Whether a record passes the filter. */
export function matches(record: LogRecord, filter: Filter): boolean {
  if (filter.kind && record.kind !== filter.kind) return false;
  const channel = filter.channel.trim();
  if (channel && !recordChannels(record).some((c) => c.startsWith(channel))) return false;
  const search = filter.search.trim().toLowerCase();
  if (search && !JSON.stringify(record).toLowerCase().includes(search)) return false;
  return true;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
}

/** What a record says, in one line. */
export function summary(record: LogRecord): string {
  const r = record;
  const channels = recordChannels(r).join(', ');
  switch (r.kind) {
    case 'connection':
      return `socket ${text(r.socket_id)} from ${text(r.origin) || 'no origin'}${r.client ? ` (${text(r.client)} ${text(r.version)})` : ''}`;
    case 'disconnection':
      return `socket ${text(r.socket_id)}${r.code ? ` closed with ${text(r.code)}` : ''}: ${text(r.reason)}`;
    case 'subscribed':
    case 'unsubscribed':
      return `${channels} by socket ${text(r.socket_id)}${r.user_id ? ` (user ${text(r.user_id)})` : ''}`;
    case 'occupied':
    case 'vacated':
      return channels;
    case 'member_added':
    case 'member_removed':
      return `${text(r.user_id)} on ${channels}`;
    case 'api_message':
      return `${text(r.event)} on ${channels} (${text(r.size)} bytes, ${text(r.from)})`;
    case 'client_event':
      return `${text(r.event)} on ${channels} from socket ${text(r.socket_id)}`;
    case 'webhook':
      return `${text(r.outcome)} ${r.status ? `(${text(r.status)}) ` : ''}to ${text(r.url)}, attempt ${text(r.attempt)}`;
    case 'refused':
      return `${text(r.what)}${channels ? ` on ${channels}` : ''}${r.code ? ` ${text(r.code)}` : ''}${r.status ? ` ${text(r.status)}` : ''}: ${text(r.reason)}`;
    case 'skipped':
      return `${text(r.count)} records skipped (more than the log shows per second)`;
    default:
      return '';
  }
}

/** The node a record came from (in a cluster), shortened for the line; `null` alone. */
export function nodeLabel(record: LogRecord): string | null {
  return typeof record.node === 'string' && record.node ? record.node.slice(0, 6) : null;
}

/** A key for a record that stays unique across nodes (each numbers its own). */
export function recordKey(record: LogRecord, index: number): string {
  const node = typeof record.node === 'string' ? record.node : '';
  return record.id !== undefined ? `${node}-${record.id}` : `${node}-${record.kind}-${record.time}-${index}`;
}

/** The label of a kind. */
export function kindLabel(kind: string): string {
  return KINDS.find(([k]) => k === kind)?.[1] ?? kind;
}

/** Most records the log keeps; older ones fall off. */
export const MAX_ROWS = 1000;

/** `incoming` (oldest first) put in front of `rows` (newest first), at most MAX_ROWS. */
export function prepend(rows: readonly LogRecord[], incoming: readonly LogRecord[]): LogRecord[] {
  const fresh = incoming.slice().reverse();
  return fresh.concat(rows).slice(0, MAX_ROWS);
}
