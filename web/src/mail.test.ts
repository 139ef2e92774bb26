import { describe, expect, it } from 'vitest';
import { decodeMail, decodeMailMessage, mailStatusLabel } from './mail';

const row = {
  id: 'm1',
  invoiceId: 'i1',
  kind: 'invoice',
  recipient: 'ada@example.com',
  subject: 'Invoice #1 from Acme',
  status: 'failed',
  error: 'permanent error (550): mailbox unavailable',
  attempts: 1,
  messageId: '<m1@example.com>',
  createdAt: '2026-01-01T00:00:00.000Z',
  failedAt: '2026-01-01T00:00:01.000Z',
};

describe('mail rows from the API', () => {
  it('decode with the server answer kept', () => {
    const mail = decodeMail(row);
    expect(mail.status).toBe('failed');
    expect(mail.error).toContain('550');
    expect(mailStatusLabel(mail.status)).toBe('Failed');
  });

  it('refuse an unknown status and need both bodies for a message', () => {
    expect(() => decodeMail({ ...row, status: 'lost' })).toThrow(/status/);
    const message = decodeMailMessage({ ...row, from: 'A <a@example.com>', replyTo: 'o@example.com', text: 'hi', html: '<p>hi</p>' });
    expect(message.text).toBe('hi');
    expect(() => decodeMailMessage(row)).toThrow(/from/);
  });
});
