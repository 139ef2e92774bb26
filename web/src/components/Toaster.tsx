//! The stack of in-page toasts (see toasts.ts).
import { toasts, useToasts } from '../toasts';

export function Toaster() {
  const list = useToasts();
  return (
    <div className="toaster" role="region" aria-label="Notifications">
      <div aria-live="polite" aria-atomic="false">
        {list.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.tone}`} role="status" data-key={toast.key}>
            <div className="toast-text">
              <strong className="toast-title">{toast.title}</strong>
              {toast.body && <span className="toast-body">{toast.body}</span>}
            </div>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss notification"
              onClick={() => toasts.dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
