//! Shared bits for page states: errors as messages, empty states, loading.
import type { ReactNode } from 'react';
import { errorMessage } from '../api';

export function ErrorMessage({ error, title, children }: { error: unknown; title?: string; children?: ReactNode }) {
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title} </strong>}
      {errorMessage(error)}
      {children}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}
