//! The invoice form's fieldsets. Each shows its fields' messages beside them
//! and links them with `aria-describedby`.
import { formatMoney } from '../../format';
import { draftTotal, emptyItem, type Draft, type Errors, type ItemDraft } from './draft';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'INR', 'BRL', 'MXN', 'ZAR'];

/** Field paths shown beside their field; any other message is listed above the form. */
const SHOWN_BESIDE = new Set(['customer.name', 'customer.email', 'dueDate', 'currency', 'notes', 'items']);

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
  return (
    <fieldset disabled={disabled}>
      <legend>Customer</legend>
      <div className="row">
        <label className="field">
          <span>Name</span>
          <input
            name="customerName"
            autoComplete="off"
            value={draft.customerName}
            onChange={(e) => set({ customerName: e.target.value })}
            {...described(errors, 'customer.name')}
          />
          <FieldError errors={errors} name="customer.name" />
        </label>
        <label className="field">
          <span>Email</span>
          <input
            name="customerEmail"
            type="email"
            autoComplete="off"
            value={draft.customerEmail}
            onChange={(e) => set({ customerEmail: e.target.value })}
            {...described(errors, 'customer.email')}
          />
          <FieldError errors={errors} name="customer.email" />
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
      <p className="total-preview">
        Total <strong data-testid="draft-total">{formatMoney(draftTotal(draft), draft.currency)}</strong>
      </p>
    </fieldset>
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
