import { describe, expect, test } from 'vitest';
import { MAX_ROWS, matches, nodeLabel, parseRecord, prepend, recordChannels, recordKey, summary, type LogRecord } from './records';

const api: LogRecord = { id: 1, time: 1, kind: 'api_message', channels: ['invoice.1', 'user.2.invoices'], channel: 'invoice.1', event: 'payment.received', size: 12, from: 'HTTP API from 127.0.0.1' };
const sub: LogRecord = { id: 2, time: 2, kind: 'subscribed', channel: 'private-invoice.9', socket_id: '1.2' };

describe('records', () => {
  test('only objects with a kind and a time are records', () => {
    expect(parseRecord('{"kind":"occupied","time":5,"channel":"a"}')).toEqual({ kind: 'occupied', time: 5, channel: 'a' });
    expect(parseRecord('{"kind":"occupied"}')).toBeNull();
    expect(parseRecord('[1]')).toBeNull();
    expect(parseRecord('not json')).toBeNull();
  });

  test('channels come from channel and channels, once each', () => {
    expect(recordChannels(api)).toEqual(['invoice.1', 'user.2.invoices']);
    expect(recordChannels({ time: 1, kind: 'connection' })).toEqual([]);
  });

  test('filters narrow by channel prefix, kind and text', () => {
    expect(matches(api, { channel: 'user.', kind: '', search: '' })).toBe(true);
    expect(matches(sub, { channel: 'user.', kind: '', search: '' })).toBe(false);
    expect(matches(sub, { channel: 'private-', kind: 'subscribed', search: '' })).toBe(true);
    expect(matches(api, { channel: '', kind: 'subscribed', search: '' })).toBe(false);
    expect(matches(api, { channel: '', kind: '', search: 'PAYMENT' })).toBe(true);
    expect(matches(sub, { channel: '', kind: '', search: 'payment' })).toBe(false);
  });

  test('summaries say the essentials', () => {
    expect(summary(api)).toBe('payment.received on invoice.1, user.2.invoices (12 bytes, HTTP API from 127.0.0.1)');
    expect(summary({ time: 1, kind: 'disconnection', socket_id: '1.2', code: 4009, reason: 'bad' })).toBe('socket 1.2 closed with 4009: bad');
    expect(summary({ time: 1, kind: 'skipped', count: 40 })).toMatch(/^40 records skipped/);
  });

  test('new records go in front, newest first, and the log is bounded', () => {
    const rows = prepend([sub], [api, { ...api, id: 3 }]);
    expect(rows.map((r) => r.id)).toEqual([3, 1, 2]);
    const many = Array.from({ length: MAX_ROWS + 50 }, (_, i) => ({ ...api, id: i }));
    const bounded = prepend([], many);
    expect(bounded).toHaveLength(MAX_ROWS);
    expect(bounded[0]?.id).toBe(MAX_ROWS + 49);
  });

  test('records of several nodes keep distinct keys and show their node', () => {
    const a: LogRecord = { id: 1, time: 1, kind: 'occupied', node: '0123456789abcdef' };
    const b: LogRecord = { id: 1, time: 1, kind: 'occupied', node: 'fedcba9876543210' };
    expect(recordKey(a, 0)).not.toBe(recordKey(b, 0));
    expect(nodeLabel(a)).toBe('012345');
    expect(nodeLabel(api)).toBeNull();
  });
});
