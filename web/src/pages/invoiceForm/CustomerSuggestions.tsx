//! Customer autocomplete for the invoice form: the owner's customers whose name contains what
//! is typed, fetched after a short pause; picking one fills the customer fields.
import { useEffect, useState } from 'react';
import { api, type CustomerRecord } from '../../api';
import { withCustomer, type Draft } from './draft';

/** Wait after the last key before asking the server. */
const PAUSE_MS = 200;
/** Suggestions shown at most. */
const SHOWN = 8;

export interface CustomerSuggestionsProps {
  query: string;
  draft: Draft;
  onPick(draft: Draft): void;
}

export function CustomerSuggestions({ query, draft, onPick }: CustomerSuggestionsProps) {
  const [found, setFound] = useState<CustomerRecord[]>([]);
  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setFound([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api
        .listCustomers(text, abort.signal, SHOWN)
        .then(setFound)
        .catch(() => setFound([]));
    }, PAUSE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query]);
  // An exact match already typed needs no suggestion list.
  const shown = found.filter((c) => c.name !== query.trim() || c.email !== draft.customerEmail.trim());
  if (shown.length === 0) return null;
  return (
    <ul className="suggestions" role="listbox" aria-label="Your customers" data-testid="customer-suggestions">
      {shown.map((customer) => (
        <li key={customer.id} role="option" aria-selected={false}>
          <button type="button" className="suggestion" onClick={() => onPick(withCustomer(draft, customer))}>
            <strong>{customer.name}</strong> <span className="muted">{customer.email}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
