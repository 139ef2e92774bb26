//! The checkout's errors for the payer: the API's field errors (`card.number`, `card.expiry`,
//! `card.cvc`, `amount`) become sentences attached to their inputs, in the form's order so the
//! first one can take the focus; anything else stays one message above the form.

import { ApiError } from '../../api';

/** The checkout's inputs, in the order they appear. */
export const CHECKOUT_FIELDS = ['amount', 'number', 'expiry', 'cvc'] as const;
export type CheckoutField = (typeof CHECKOUT_FIELDS)[number];

const API_FIELDS: Record<string, CheckoutField> = {
  amount: 'amount',
  'card.number': 'number',
  'card.expiry': 'expiry',
  'card.cvc': 'cvc',
};

const LABELS: Record<CheckoutField, string> = {
  amount: 'The amount',
  number: 'The card number',
  expiry: 'The expiry date',
  cvc: 'The CVC',
};

export interface CheckoutErrors {
  /** One sentence per input that needs attention. */
  fields: Partial<Record<CheckoutField, string>>;
  /** What belongs to no input (declined, network…), or `null`. */
  summary: unknown;
}

export const NO_ERRORS: CheckoutErrors = { fields: {}, summary: null };

/** `must be written MM/YY` → `The expiry date must be written MM/YY.`; a whole sentence is kept. */
export function fieldSentence(field: CheckoutField, message: string): string {
  const text = message.trim().replace(/\.$/, '');
  const fragment = /^(must|is|are|should|cannot|can't|has|was)\b/.test(text);
  const sentence = fragment ? `${LABELS[field]} ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
  return `${sentence}.`;
}

/** Splits a failed checkout into messages per input and the rest. */
export function checkoutErrors(error: unknown): CheckoutErrors {
  if (!(error instanceof ApiError) || Object.keys(error.fields).length === 0) {
    return { fields: {}, summary: error };
  }
  const fields: Partial<Record<CheckoutField, string>> = {};
  const others: string[] = [];
  for (const [path, message] of Object.entries(error.fields)) {
    const field = API_FIELDS[path];
    if (field) fields[field] = fieldSentence(field, message);
    else others.push(`${path}: ${message}`);
  }
  const summary = others.length > 0 ? new ApiError(error.status, error.code, others.join('; ')) : null;
  return { fields, summary };
}

/** The first input with an error, in the form's order. */
export function firstInvalid(fields: CheckoutErrors['fields']): CheckoutField | undefined {
  return CHECKOUT_FIELDS.find((field) => fields[field] !== undefined);
}
