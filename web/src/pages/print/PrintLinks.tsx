//! The "Print" and "Download PDF" links the invoice pages show, and a payment's receipt links.
import { Link } from 'react-router';
import './print.css';
import { type Reader, invoicePdfUrl, invoicePrintPath, receiptPdfUrl, receiptPrintPath } from './links';

export function PrintLinks({ reader, id }: { reader: Reader; id: string }) {
  return (
    <span className="print-links">
      <Link className="button" to={invoicePrintPath(reader, id)} data-testid="print-link">
        Print
      </Link>
      <a className="button" href={invoicePdfUrl(reader, id)} download data-testid="pdf-link">
        Download PDF
      </a>
    </span>
  );
}

export function ReceiptLink({ id, paymentId }: { id: string; paymentId: string }) {
  return (
    <span className="print-links">
      <Link to={receiptPrintPath(id, paymentId)} data-testid="receipt-link">
        Receipt
      </Link>
      <a href={receiptPdfUrl('owner', id, paymentId)} download data-testid="receipt-pdf-link">
        PDF
      </a>
    </span>
  );
}
