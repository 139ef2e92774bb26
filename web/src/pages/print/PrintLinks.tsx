//! The "Print" and "Download PDF" links the invoice pages show, and a payment's receipt links.
import { Link } from 'react-router';
import './print.css';
import { paidHere } from './receipts';
import { type Reader, invoicePdfUrl, invoicePrintPath, receiptPdfUrl, receiptPrintPath } from './links';

export function PrintLinks({ reader, id }: { reader: Reader; id: string }) {
  // The payer's own payments in this tab (the server lists none to the payer).
  const receipts = reader === 'payer' ? paidHere(id) : [];
  return (
    <span className="print-links">
      {receipts.map((paymentId, index) => (
        <ReceiptLink key={paymentId} reader={reader} id={id} paymentId={paymentId} label={receipts.length > 1 ? `Receipt ${index + 1}` : 'Receipt'} />
      ))}
      <Link className="button" to={invoicePrintPath(reader, id)} data-testid="print-link">
        Print
      </Link>
      <a className="button" href={invoicePdfUrl(reader, id)} download data-testid="pdf-link">
        Download PDF
      </a>
    </span>
  );
}

interface ReceiptLinkProps {
  reader: Reader;
  id: string;
  paymentId: string;
  label?: string;
}

export function ReceiptLink({ reader, id, paymentId, label = 'Receipt' }: ReceiptLinkProps) {
  return (
    <span className="print-links">
      <Link to={receiptPrintPath(reader, id, paymentId)} data-testid="receipt-link">
        {label}
      </Link>
      <a href={receiptPdfUrl(reader, id, paymentId)} download data-testid="receipt-pdf-link">
        PDF
      </a>
    </span>
  );
}
