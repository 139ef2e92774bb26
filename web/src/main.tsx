//! Entry point: routes, the session gate, toasts, and the audio unlock.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { joinAlerts } from './alerts';
import { AuthProvider, RequireUser } from './auth';
import { AppLayout } from './layout/AppLayout';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Toaster } from './components/Toaster';
import { InvoiceDetailPage } from './pages/InvoiceDetailPage';
import { InvoiceFormPage } from './pages/InvoiceFormPage';
import { InvoiceListPage } from './pages/InvoiceListPage';
import { LoginPage } from './pages/LoginPage';
import { MailPage } from './pages/MailPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PaymentPage } from './pages/PaymentPage';
import {
  OwnerPrintInvoicePage,
  OwnerPrintReceiptPage,
  PayerPrintInvoicePage,
  PayerPrintReceiptPage,
} from './pages/print/PrintPages';
import { SettingsPage } from './pages/SettingsPage';
import { CustomerPage, CustomersPage } from './pages/CustomersPage';
import { applyDebugParam } from './debug';
import { registerServiceWorker } from './push/client';
import { installAudioUnlock } from './sounds';
import './styles.css';

installAudioUnlock(window);
applyDebugParam(window.location.search);
joinAlerts();
registerServiceWorker();

function App() {
  return (
    <ErrorBoundary>
      <AuthProvider>
        <Routes>
          <Route path="/" element={<Navigate to="/app/invoices" replace />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/pay/:id" element={<PaymentPage />} />
          <Route path="/pay/:id/print" element={<PayerPrintInvoicePage />} />
          <Route path="/pay/:id/payments/:paymentId/receipt" element={<PayerPrintReceiptPage />} />
          <Route
            path="/app/invoices/:id/print"
            element={
              <RequireUser>
                <OwnerPrintInvoicePage />
              </RequireUser>
            }
          />
          <Route
            path="/app/invoices/:id/payments/:paymentId/receipt"
            element={
              <RequireUser>
                <OwnerPrintReceiptPage />
              </RequireUser>
            }
          />
          <Route
            path="/app"
            element={
              <RequireUser>
                <AppLayout />
              </RequireUser>
            }
          >
            <Route index element={<Navigate to="/app/invoices" replace />} />
            <Route path="invoices" element={<InvoiceListPage />} />
            <Route path="invoices/new" element={<InvoiceFormPage />} />
            <Route path="invoices/:id" element={<InvoiceDetailPage />} />
            <Route path="invoices/:id/edit" element={<InvoiceFormPage />} />
            <Route path="mail" element={<MailPage />} />
            <Route path="customers" element={<CustomersPage />} />
            <Route path="customers/:id" element={<CustomerPage />} />
            <Route path="settings" element={<SettingsPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </AuthProvider>
      <Toaster />
    </ErrorBoundary>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
