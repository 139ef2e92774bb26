//! An invoice status as a coloured badge with a text label (colour is never the only cue).
import type { InvoiceStatus } from '../api';

const LABELS: Record<InvoiceStatus, string> = {
  draft: 'Draft',
  sent: 'Sent',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  overdue: 'Overdue',
  void: 'Void',
};

export function statusLabel(status: InvoiceStatus): string {
  return LABELS[status];
}

export function StatusBadge({ status }: { status: InvoiceStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {LABELS[status]}
    </span>
  );
}
