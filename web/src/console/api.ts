// The console's calls to /console/api on the realtime server. The session is an HttpOnly
// cookie scoped to /console, so these never see it; a 401 means signed out.

export interface Me {
  readonly app_id: string;
  readonly key: string;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

const BASE = '/console/api';

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await fetch(`${BASE}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, body: parsed };
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

/** The message of an error answer. */
export function message(answer: Answer): string {
  const text = field(answer.body, 'message');
  return typeof text === 'string' ? text : `the server answered ${answer.status}`;
}

function asMe(body: unknown): Me | null {
  const id = field(body, 'app_id');
  const key = field(body, 'key');
  return typeof id === 'string' && typeof key === 'string' ? { app_id: id, key } : null;
}

export async function whoAmI(): Promise<Me | null> {
  const answer = await call('GET', '/session');
  return answer.status === 200 ? asMe(answer.body) : null;
}

export async function signIn(appId: string, secret: string): Promise<Me | string> {
  const answer = await call('POST', '/session', { app_id: appId, secret });
  return (answer.status === 200 && asMe(answer.body)) || message(answer);
}

export async function signOut(): Promise<void> {
  await call('DELETE', '/session');
}

export function trigger(request: { channels: string[]; name: string; data: string; socket_id?: string }): Promise<Answer> {
  return call('POST', '/events', request);
}

export interface ChannelRow {
  readonly name: string;
  readonly subscription_count: number | null;
  readonly user_count?: number;
  readonly members?: string[];
}

export async function channels(): Promise<{ channels: ChannelRow[]; truncated: boolean } | string> {
  const answer = await call('GET', '/channels');
  const list = field(answer.body, 'channels');
  if (answer.status !== 200 || !Array.isArray(list)) return message(answer);
  const rows = list.filter((c): c is ChannelRow => typeof field(c, 'name') === 'string');
  return { channels: rows, truncated: field(answer.body, 'truncated') === true };
}

export interface Sample {
  readonly time: number;
  readonly connections: number;
  readonly messages_per_second: number;
}

/** A series of the cluster's Overview: one node's, or their sum. */
export interface Series {
  readonly node?: string;
  readonly this?: boolean;
  readonly connections: number;
  readonly history: Sample[];
}

export interface OverviewAnswer {
  readonly connections: number;
  readonly history: Sample[];
  readonly everySecs: number;
  /** On Redis: each node, and their sum. */
  readonly nodes?: Series[];
  readonly cluster?: Series;
  readonly clusterError?: string;
}

function samples(value: unknown): Sample[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (s): s is Sample =>
      typeof field(s, 'time') === 'number' &&
      typeof field(s, 'connections') === 'number' &&
      typeof field(s, 'messages_per_second') === 'number',
  );
}

function series(value: unknown): Series | null {
  const connections = field(value, 'connections');
  if (typeof connections !== 'number') return null;
  const node = field(value, 'node');
  return {
    connections,
    history: samples(field(value, 'history')),
    ...(typeof node === 'string' ? { node } : {}),
    this: field(value, 'this') === true,
  };
}

export async function overview(): Promise<OverviewAnswer | string> {
  const answer = await call('GET', '/overview');
  const history = field(answer.body, 'history');
  const connections = field(answer.body, 'connections');
  if (answer.status !== 200 || !Array.isArray(history) || typeof connections !== 'number') return message(answer);
  const every = field(answer.body, 'every_secs');
  const nodes = field(answer.body, 'nodes');
  const cluster = series(field(answer.body, 'cluster'));
  const clusterError = field(answer.body, 'cluster_error');
  return {
    connections,
    history: samples(history),
    everySecs: typeof every === 'number' ? every : 10,
    ...(Array.isArray(nodes) ? { nodes: nodes.map(series).filter((n): n is Series => n !== null) } : {}),
    ...(cluster ? { cluster } : {}),
    ...(typeof clusterError === 'string' ? { clusterError } : {}),
  };
}
