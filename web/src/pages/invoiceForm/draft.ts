//! The invoice form's state as typed (strings, major units), and its check:
//! a valid draft becomes the request body in minor units, an invalid one a
//! message per field path (the same paths the server uses).
import type { CustomerRecord, Invoice, InvoiceInput, Profile } from '../../api';
import { formatRate, isoDateFromToday, minorToInput, parseMoneyInput, parseRateInput } from '../../format';
import { previewTotals, type PreviewTotals } from '../../totals';

export interface ItemDraft {
  key: number;
  description: string;
  quantity: string;
  unitPrice: string;
  /** A percentage as typed (`20`, `5.5`); empty for no tax. */
  taxRate: string;
}

export type DiscountKind = 'none' | 'percent' | 'amount';

export interface Draft {
  /** The directory customer chosen from the suggestions; cleared when a customer field is typed in. */
  customerId: string | null;
  customerName: string;
  customerEmail: string;
  customerAddress: string;
  customerTaxId: string;
  currency: string;
  issueDate: string;
  dueDate: string;
  reference: string;
  discountKind: DiscountKind;
  /** A percentage or an amount in major units, as typed. */
  discountValue: string;
  items: ItemDraft[];
  notes: string;
}

/** Field path (`items[0].unitPrice`) → message. */
export type Errors = Record<string, string>;

let nextKey = 1;
export const emptyItem = (): ItemDraft => ({ key: nextKey++, description: '', quantity: '1', unitPrice: '', taxRate: '' });

/** A new invoice: one empty line, issued today, due after the profile's terms (two weeks without). */
export function newDraft(profile?: Profile): Draft {
  const terms = profile?.paymentTermsDays ?? 14;
  return {
    customerId: null,
    customerName: '',
    customerEmail: '',
    customerAddress: '',
    customerTaxId: '',
    currency: profile?.defaultCurrency ?? 'USD',
    issueDate: isoDateFromToday(0),
    dueDate: isoDateFromToday(terms),
    reference: '',
    discountKind: 'none',
    discountValue: '',
    items: [emptyItem()],
    notes: '',
  };
}

/** The draft with a directory customer's details filled in. */
export function withCustomer(draft: Draft, customer: CustomerRecord): Draft {
  return {
    ...draft,
    customerId: customer.id,
    customerName: customer.name,
    customerEmail: customer.email,
    customerAddress: customer.address,
    customerTaxId: customer.taxId,
  };
}

export function draftFrom(invoice: Invoice): Draft {
  const discount = invoice.discount;
  return {
    // The invoice's own copy of the customer is sent back as it is (the server keeps its
    // directory link when the name is unchanged); sending the id would re-copy the
    // directory's current details over what the invoice was sent with.
    customerId: null,
    customerName: invoice.customer.name,
    customerEmail: invoice.customer.email,
    customerAddress: invoice.customer.address ?? '',
    customerTaxId: invoice.customer.taxId ?? '',
    currency: invoice.currency,
    issueDate: invoice.issueDate.slice(0, 10),
    dueDate: invoice.dueDate.slice(0, 10),
    reference: invoice.reference,
    discountKind: discount === null ? 'none' : 'percent' in discount ? 'percent' : 'amount',
    discountValue:
      discount === null
        ? ''
        : 'percent' in discount
          ? formatRate(discount.percent).replace('%', '')
          : minorToInput(discount.amount, invoice.currency),
    items: invoice.items.map((item) => ({
      key: nextKey++,
      description: item.description,
      quantity: String(item.quantity),
      unitPrice: minorToInput(item.unitPrice, invoice.currency),
      taxRate: item.taxRate ? formatRate(item.taxRate).replace('%', '') : '',
    })),
    notes: invoice.notes ?? '',
  };
}

function discountOf(draft: Draft, errors: Errors): InvoiceInput['discount'] {
  if (draft.discountKind === 'none' || !draft.discountValue.trim()) return null;
  if (draft.discountKind === 'percent') {
    const percent = parseRateInput(draft.discountValue);
    if (percent === null) errors['discount.percent'] = 'A percentage from 0 to 100.';
    return { percent: percent ?? 0 };
  }
  const amount = parseMoneyInput(draft.discountValue, draft.currency);
  if (amount === null) errors['discount.amount'] = 'An amount like 5.00.';
  return { amount: amount ?? 0 };
}

/** Checks the draft; returns the request body or the messages per field. */
export function validateDraft(draft: Draft): { input: InvoiceInput } | { errors: Errors } {
  const errors: Errors = {};
  if (!draft.customerName.trim()) errors['customer.name'] = 'Enter the customer’s name.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.customerEmail.trim())) {
    errors['customer.email'] = 'Enter an email address like name@example.com.';
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.issueDate)) errors.issueDate = 'Choose an issue date.';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.dueDate)) errors.dueDate = 'Choose a due date.';
  if (draft.items.length === 0) errors.items = 'Add at least one line.';
  const items = draft.items.map((item, index) => {
    const quantity = Number(item.quantity);
    const unitPrice = parseMoneyInput(item.unitPrice, draft.currency);
    const taxRate = parseRateInput(item.taxRate);
    if (!item.description.trim()) errors[`items[${index}].description`] = 'Describe this line.';
    if (!Number.isInteger(quantity) || quantity < 1) errors[`items[${index}].quantity`] = 'A whole number, 1 or more.';
    if (unitPrice === null) errors[`items[${index}].unitPrice`] = 'A price like 12.50.';
    if (taxRate === null) errors[`items[${index}].taxRate`] = 'A rate from 0 to 100 %.';
    return { description: item.description.trim(), quantity, unitPrice: unitPrice ?? 0, taxRate: taxRate ?? 0 };
  });
  const discount = discountOf(draft, errors);
  if (Object.keys(errors).length > 0) return { errors };
  const input: InvoiceInput = {
    currency: draft.currency,
    issueDate: draft.issueDate,
    dueDate: draft.dueDate,
    reference: draft.reference.trim(),
    discount,
    items,
  };
  if (draft.customerId) {
    input.customerId = draft.customerId;
  } else {
    input.customer = {
      name: draft.customerName.trim(),
      email: draft.customerEmail.trim(),
      address: draft.customerAddress.trim(),
      taxId: draft.customerTaxId.trim(),
    };
  }
  if (draft.notes.trim()) input.notes = draft.notes.trim();
  return { input };
}

/** The figures the server will compute, as far as the draft can be read. */
export function draftTotals(draft: Draft): PreviewTotals {
  const lines = draft.items.map((item) => {
    const price = parseMoneyInput(item.unitPrice, draft.currency) ?? 0;
    const quantity = Number(item.quantity);
    const amount = Number.isInteger(quantity) && quantity > 0 ? quantity * price : 0;
    return { amount, taxRate: parseRateInput(item.taxRate) ?? 0 };
  });
  const discount = discountOf(draft, {}) ?? null;
  return previewTotals(lines, discount);
}

export function draftTotal(draft: Draft): number {
  return draftTotals(draft).total;
}
