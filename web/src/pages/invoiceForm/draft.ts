//! The invoice form's state as typed (strings, major units), and its check:
//! a valid draft becomes the request body in minor units, an invalid one a
//! message per field path (the same paths the server uses).
import type { Invoice, InvoiceInput } from '../../api';
import { isoDateFromToday, minorToInput, parseMoneyInput } from '../../format';

export interface ItemDraft {
  key: number;
  description: string;
  quantity: string;
  unitPrice: string;
}

export interface Draft {
  customerName: string;
  customerEmail: string;
  currency: string;
  dueDate: string;
  items: ItemDraft[];
  notes: string;
}

/** Field path (`items[0].unitPrice`) → message. */
export type Errors = Record<string, string>;

let nextKey = 1;
export const emptyItem = (): ItemDraft => ({ key: nextKey++, description: '', quantity: '1', unitPrice: '' });

/** A new invoice: one empty line, due in two weeks. */
export function newDraft(): Draft {
  return { customerName: '', customerEmail: '', currency: 'USD', dueDate: isoDateFromToday(14), items: [emptyItem()], notes: '' };
}

export function draftFrom(invoice: Invoice): Draft {
  return {
    customerName: invoice.customer.name,
    customerEmail: invoice.customer.email,
    currency: invoice.currency,
    dueDate: invoice.dueDate.slice(0, 10),
    items: invoice.items.map((item) => ({
      key: nextKey++,
      description: item.description,
      quantity: String(item.quantity),
      unitPrice: minorToInput(item.unitPrice, invoice.currency),
    })),
    notes: invoice.notes ?? '',
  };
}

/** Checks the draft; returns the request body or the messages per field. */
export function validateDraft(draft: Draft): { input: InvoiceInput } | { errors: Errors } {
  const errors: Errors = {};
  if (!draft.customerName.trim()) errors['customer.name'] = 'Enter the customer’s name.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.customerEmail.trim())) {
    errors['customer.email'] = 'Enter an email address like name@example.com.';
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.dueDate)) errors.dueDate = 'Choose a due date.';
  if (draft.items.length === 0) errors.items = 'Add at least one line.';
  const items = draft.items.map((item, index) => {
    const quantity = Number(item.quantity);
    const unitPrice = parseMoneyInput(item.unitPrice, draft.currency);
    if (!item.description.trim()) errors[`items[${index}].description`] = 'Describe this line.';
    if (!Number.isInteger(quantity) || quantity < 1) errors[`items[${index}].quantity`] = 'A whole number, 1 or more.';
    if (unitPrice === null) errors[`items[${index}].unitPrice`] = 'A price like 12.50.';
    return { description: item.description.trim(), quantity, unitPrice: unitPrice ?? 0 };
  });
  if (Object.keys(errors).length > 0) return { errors };
  const input: InvoiceInput = {
    customer: { name: draft.customerName.trim(), email: draft.customerEmail.trim() },
    currency: draft.currency,
    dueDate: draft.dueDate,
    items,
  };
  if (draft.notes.trim()) input.notes = draft.notes.trim();
  return { input };
}

export function draftTotal(draft: Draft): number {
  return draft.items.reduce((sum, item) => {
    const price = parseMoneyInput(item.unitPrice, draft.currency) ?? 0;
    const quantity = Number(item.quantity);
    return sum + (Number.isInteger(quantity) && quantity > 0 ? quantity * price : 0);
  }, 0);
}
