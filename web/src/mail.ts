//! The owner's e-mail over the REST API: the Mail page's list and message view,
//! an invoice's mail history, and "Resend". Decoded like every other answer.

import { decodeInvoice, request, type Invoice } from './api';
import { array, bool, int, object, oneOf, optional, str, withDefault, type Decoder } from './decode';

export const MAIL_STATUSES = ['queued', 'sent', 'delivered_locally', 'failed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

export interface Mail {
  id: string;
  invoiceId: string;
  kind: string;
  recipient: string;
  subject: string;
  status: MailStatus;
  /** The last failure: the SMTP server's answer, or why it could not be reached. */
  error?: string;
  attempts: number;
  messageId: string;
  createdAt: string;
  sentAt?: string;
  failedAt?: string;
}

/** One message as sent: the list fields, the sender, and both bodies. */
export interface MailMessage extends Mail {
  from: string;
  replyTo: string;
  text: string;
  html: string;
}

const mailFields = {
  id: str,
  invoiceId: str,
  kind: str,
  recipient: str,
  subject: str,
  status: oneOf(MAIL_STATUSES),
  error: optional(str),
  attempts: withDefault(int, 0),
  messageId: withDefault(str, ''),
  createdAt: str,
  sentAt: optional(str),
  failedAt: optional(str),
};

export const decodeMail: Decoder<Mail> = object(mailFields);
export const decodeMailMessage: Decoder<MailMessage> = object({
  ...mailFields,
  from: str,
  replyTo: str,
  text: str,
  html: withDefault(str, ''),
});
const decodeMailList = object({ mail: array(decodeMail) });
const decodeSwitch = object({ enabled: bool });

const enc = encodeURIComponent;

export const mailApi = {
  async list(signal?: AbortSignal): Promise<Mail[]> {
    return decodeMailList(await request('GET', '/api/mail', signal ? { signal } : {})).mail;
  },
  async get(id: string, signal?: AbortSignal): Promise<MailMessage> {
    return decodeMailMessage(await request('GET', `/api/mail/${enc(id)}`, signal ? { signal } : {}));
  },
  async ofInvoice(id: string, signal?: AbortSignal): Promise<Mail[]> {
    const path = `/api/invoices/${enc(id)}/mail`;
    return decodeMailList(await request('GET', path, signal ? { signal } : {})).mail;
  },
  async resend(id: string): Promise<Invoice> {
    return decodeInvoice(await request('POST', `/api/invoices/${enc(id)}/resend`));
  },
};

/** An on/off e-mail setting behind `GET`/`PUT {enabled}`. */
export interface MailSwitchApi {
  key: string;
  get(signal?: AbortSignal): Promise<boolean>;
  set(enabled: boolean): Promise<boolean>;
}

function mailSwitch(path: string): MailSwitchApi {
  return {
    key: path,
    async get(signal) {
      return decodeSwitch(await request('GET', path, signal ? { signal } : {})).enabled;
    },
    async set(enabled) {
      return decodeSwitch(await request('PUT', path, { body: { enabled } })).enabled;
    },
  };
}

/** Payment reminders of one invoice (`invoiceId`) or of all the owner's (`null`). */
export function remindersSwitch(invoiceId: string | null): MailSwitchApi {
  return mailSwitch(invoiceId === null ? '/api/settings/reminders' : `/api/invoices/${enc(invoiceId)}/reminders`);
}

/** The owner's "payment received" e-mails. */
export const paymentNoticesSwitch: MailSwitchApi = mailSwitch('/api/settings/payment-notices');

/** What a status means to the owner. */
export function mailStatusLabel(status: MailStatus): string {
  switch (status) {
    case 'queued':
      return 'Queued';
    case 'sent':
      return 'Sent';
    case 'delivered_locally':
      return 'In local mailbox';
    case 'failed':
      return 'Failed';
  }
}
