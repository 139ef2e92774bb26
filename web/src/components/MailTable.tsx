//! A table of e-mail rows (subject, recipient, status with the server's answer,
//! times), shared by the Mail page and the invoice page's history.
import type { Mail } from '../mail';
import { mailStatusLabel } from '../mail';
import { formatDateTime } from '../format';

export function MailTable({ mail, onOpen }: { mail: Mail[]; onOpen?: (id: string) => void }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="mail-table">
        <thead>
          <tr>
            <th scope="col">Subject</th>
            <th scope="col">To</th>
            <th scope="col">Status</th>
            <th scope="col">Written</th>
          </tr>
        </thead>
        <tbody>
          {mail.map((row) => (
            <tr key={row.id} data-mail-id={row.id} data-status={row.status}>
              <td data-label="Subject">
                {onOpen ? (
                  <button type="button" className="button ghost small" onClick={() => onOpen(row.id)}>
                    {row.subject}
                  </button>
                ) : (
                  row.subject
                )}
              </td>
              <td data-label="To">{row.recipient}</td>
              <td data-label="Status">
                {mailStatusLabel(row.status)}
                {row.error && (row.status === 'failed' || row.status === 'queued') && (
                  <div className="muted small">{row.error}</div>
                )}
              </td>
              <td data-label="Written">{formatDateTime(row.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
