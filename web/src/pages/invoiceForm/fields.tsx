//! The invoice form's fieldsets. Each shows its fields' messages beside them
//! and links them with `aria-describedby`.
import { Totals } from '../../components/Totals';
import { draftTotals, emptyItem, type DiscountKind, type Draft, type Errors, type ItemDraft } from './draft';
import { CustomerSuggestions } from './CustomerSuggestions';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'INR', 'BRL', 'MXN', 'ZAR'];

/** Field paths shown beside their field; any other message is listed above the form. */
const SHOWN_BESIDE = new Set([
  'customer.name',
  'customer.email',
  'customer.address',
  'customer.taxId',
  'customerId',
  'issueDate',
  'dueDate',
  'reference',
  'discount',
  'discount.percent',
  'discount.amount',
  'currency',
  'notes',
  'items',
]);

/** Messages with no field of their own on the form. */
export function otherErrors(errors: Errors): [string, string][] {
  return Object.entries(errors).filter(([key]) => !SHOWN_BESIDE.has(key) && !key.startsWith('items['));
}

export interface FieldsetProps {
  draft: Draft;
  errors: Errors;
  disabled: boolean;
  set(patch: Partial<Draft>): void;
}

function FieldError({ errors, name }: { errors: Errors; name: string }) {
  return errors[name] ? (
    <span className="field-error" id={`err-${name}`}>
      {errors[name]}
    </span>
  ) : null;
}

const described = (errors: Errors, name: string) =>
  errors[name] ? { 'aria-invalid': true, 'aria-describedby': `err-${name}` } : {};

export function CustomerFields({ draft, errors, disabled, set }: FieldsetProps) {
  // Typing in a customer field makes it this invoice's own customer again (linked by name).
  const typed = (patch: Partial<Draft>) => set({ ...patch, customerId: null });
  return (
    <fieldset disabled={disabled}>
      <legend>Customer</legend>
      <div className="row">
        <label className="field autocomplete">
          <span>Name</span>
          <input
            name="customerName"
            autoComplete="off"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={false}
            value={draft.customerName}
            onChange={(e) => typed({ customerName: e.target.value })}
            {...described(errors, 'customer.name')}
          />
          <FieldError errors={errors} name="customer.name" />
          <FieldError errors={errors} name="customerId" />
          {!disabled && draft.customerId === null && (
            <CustomerSuggestions query={draft.customerName} onPick={(customer) => set(customer)} draft={draft} />
          )}
          {draft.customerId !== null && <span className="hint" data-testid="customer-linked">From your customers</span>}
        </label>
        <label className="field">
          <span>Email</span>
          <input
            name="customerEmail"
            type="email"
            autoComplete="off"
            value={draft.customerEmail}
            onChange={(e) => typed({ customerEmail: e.target.value })}
            {...described(errors, 'customer.email')}
          />
          <FieldError errors={errors} name="customer.email" />
        </label>
      </div>
      <div className="row">
        <label className="field">
          <span>Billing address (optional)</span>
          <textarea
            name="customerAddress"
            rows={2}
            value={draft.customerAddress}
            onChange={(e) => typed({ customerAddress: e.target.value })}
            {...described(errors, 'customer.address')}
          />
          <FieldError errors={errors} name="customer.address" />
        </label>
        <label className="field">
          <span>Tax id (optional)</span>
          <input
            name="customerTaxId"
            autoComplete="off"
            value={draft.customerTaxId}
            onChange={(e) => typed({ customerTaxId: e.target.value })}
            {...described(errors, 'customer.taxId')}
          />
          <FieldError errors={errors} name="customer.taxId" />
        </label>
      </div>
    </fieldset>
  );
}

export function TermsFields({ draft, errors, disabled, set }: FieldsetProps) {
  const currencies = CURRENCIES.includes(draft.currency) ? CURRENCIES : [draft.currency, ...CURRENCIES];
  return (
    <fieldset disabled={disabled}>
      <legend>Terms</legend>
      <div className="row">
        <label className="field">
          <span>Currency</span>
          <select name="currency" value={draft.currency} onChange={(e) => set({ currency: e.target.value })}>
            {currencies.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
          <FieldError errors={errors} name="currency" />
        </label>
        <label className="field">
          <span>Issue date</span>
          <input
            name="issueDate"
            type="date"
            value={draft.issueDate}
            onChange={(e) => set({ issueDate: e.target.value })}
            {...described(errors, 'issueDate')}
          />
          <FieldError errors={errors} name="issueDate" />
        </label>
        <label className="field">
          <span>Due date</span>
          <input
            name="dueDate"
            type="date"
            value={draft.dueDate}
            onChange={(e) => set({ dueDate: e.target.value })}
            {...described(errors, 'dueDate')}
          />
          <FieldError errors={errors} name="dueDate" />
        </label>
        <label className="field">
          <span>PO / reference (optional)</span>
          <input
            name="reference"
            autoComplete="off"
            value={draft.reference}
            onChange={(e) => set({ reference: e.target.value })}
            {...described(errors, 'reference')}
          />
          <FieldError errors={errors} name="reference" />
        </label>
      </div>
    </fieldset>
  );
}

export function LineFields({ draft, errors, disabled, set }: FieldsetProps) {
  const setItem = (key: number, patch: Partial<ItemDraft>) =>
    set({ items: draft.items.map((item) => (item.key === key ? { ...item, ...patch } : item)) });
  return (
    <fieldset disabled={disabled}>
      <legend>Lines</legend>
      <FieldError errors={errors} name="items" />
      <ol className="items">
        {draft.items.map((item, index) => (
          <LineRow
            key={item.key}
            item={item}
            index={index}
            currency={draft.currency}
            errors={errors}
            onChange={(patch) => setItem(item.key, patch)}
            onRemove={draft.items.length === 1 ? null : () => set({ items: draft.items.filter((other) => other.key !== item.key) })}
          />
        ))}
      </ol>
      <button type="button" className="button small" onClick={() => set({ items: [...draft.items, emptyItem()] })}>
        Add line
      </button>
      <DiscountField draft={draft} errors={errors} disabled={disabled} set={set} />
      <div className="total-preview" data-testid="draft-totals">
        <Totals currency={draft.currency} {...draftTotals(draft)} totalTestId="draft-total" />
      </div>
    </fieldset>
  );
}

function DiscountField({ draft, errors, set }: FieldsetProps) {
  const field = draft.discountKind === 'amount' ? 'discount.amount' : 'discount.percent';
  return (
    <div className="row discount">
      <label className="field">
        <span>Discount</span>
        <select
          name="discountKind"
          value={draft.discountKind}
          onChange={(e) => set({ discountKind: e.target.value as DiscountKind })}
        >
          <option value="none">None</option>
          <option value="percent">Percent</option>
          <option value="amount">Amount ({draft.currency})</option>
        </select>
        <FieldError errors={errors} name="discount" />
      </label>
      {draft.discountKind !== 'none' && (
        <label className="field">
          <span>{draft.discountKind === 'percent' ? 'Percent off' : `Amount off (${draft.currency})`}</span>
          <input
            name="discountValue"
            inputMode="decimal"
            value={draft.discountValue}
            onChange={(e) => set({ discountValue: e.target.value })}
            {...described(errors, field)}
          />
          <FieldError errors={errors} name={field} />
        </label>
      )}
    </div>
  );
}

interface LineRowProps {
  item: ItemDraft;
  index: number;
  currency: string;
  errors: Errors;
  onChange(patch: Partial<ItemDraft>): void;
  /** `null` for the last line, which cannot be removed. */
  onRemove: (() => void) | null;
}

function LineRow({ item, index, currency, errors, onChange, onRemove }: LineRowProps) {
  const path = (field: keyof ItemDraft) => `items[${index}].${field}`;
  return (
    <li className="item-row">
      <label className="field grow">
        <span>Description</span>
        <input
          name={`items.${index}.description`}
          value={item.description}
          onChange={(e) => onChange({ description: e.target.value })}
          {...described(errors, path('description'))}
        />
        <FieldError errors={errors} name={path('description')} />
      </label>
      <label className="field qty">
        <span>Quantity</span>
        <input
          name={`items.${index}.quantity`}
          inputMode="numeric"
          value={item.quantity}
          onChange={(e) => onChange({ quantity: e.target.value })}
          {...described(errors, path('quantity'))}
        />
        <FieldError errors={errors} name={path('quantity')} />
      </label>
      <label className="field price">
        <span>Unit price ({currency})</span>
        <input
          name={`items.${index}.unitPrice`}
          inputMode="decimal"
          placeholder="0.00"
          value={item.unitPrice}
          onChange={(e) => onChange({ unitPrice: e.target.value })}
          {...described(errors, path('unitPrice'))}
        />
        <FieldError errors={errors} name={path('unitPrice')} />
      </label>
      <label className="field tax">
        <span>Tax %</span>
        <input
          name={`items.${index}.taxRate`}
          inputMode="decimal"
          placeholder="0"
          value={item.taxRate}
          onChange={(e) => onChange({ taxRate: e.target.value })}
          {...described(errors, path('taxRate'))}
        />
        <FieldError errors={errors} name={path('taxRate')} />
      </label>
      <button
        type="button"
        className="button ghost small remove"
        onClick={() => onRemove?.()}
        disabled={onRemove === null}
        aria-label={`Remove line ${index + 1}`}
      >
        Remove
      </button>
    </li>
  );
}

export function NotesField({ draft, disabled, set }: FieldsetProps) {
  return (
    <fieldset disabled={disabled}>
      <label className="field">
        <span>Notes (optional)</span>
        <textarea name="notes" rows={3} value={draft.notes} onChange={(e) => set({ notes: e.target.value })} />
      </label>
    </fieldset>
  );
}
