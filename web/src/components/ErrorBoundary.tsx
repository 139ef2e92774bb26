//! Last line of defence: a render error shows a message and a way out, never a blank page.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { errorMessage } from '../api';

interface State {
  error: unknown;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('Paybell page error', error, info.componentStack);
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return (
      <main className="page narrow">
        <div className="alert alert-error" role="alert">
          <strong>This page hit a problem.</strong> {errorMessage(this.state.error)}
        </div>
        <p>
          <a href={window.location.pathname}>Reload the page</a> or <a href="/app/invoices">go to your invoices</a>.
        </p>
      </main>
    );
  }
}
