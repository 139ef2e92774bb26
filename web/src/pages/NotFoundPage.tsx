import { Link } from 'react-router';
import { appTitle, useTitle } from '../title';

export function NotFoundPage() {
  useTitle(appTitle('Page not found'));
  return (
    <main className="page narrow" id="main">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/app/invoices">Go to your invoices</Link>.
      </p>
    </main>
  );
}
