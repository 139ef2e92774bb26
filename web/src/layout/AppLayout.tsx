//! The signed-in owner's frame: navigation, live-connection state, settings, sign-out.
//! On a phone the header stays one row: the navigation, the name and sign-out move into a
//! menu.
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { api } from '../api';
import { useAuth, useUser } from '../auth';
import { getRealtime } from '../realtime';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { Dropdown } from '../components/Dropdown';
import { SettingsMenu } from '../components/SettingsMenu';

export function AppLayout() {
  const user = useUser();
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);

  // Connect as soon as the owner is in, so the indicator is truthful on every page.
  useEffect(() => {
    getRealtime().catch(() => undefined);
  }, []);

  const signedOut = () => {
    setUser(null);
    navigate('/login', { replace: true });
  };

  const signOut = async () => {
    setSigningOut(true);
    try {
      await api.logout();
    } catch {
      // The session is forgotten locally either way.
    }
    signedOut();
  };

  const links = (
    <>
      <NavLink to="/app/invoices" end>
        Invoices
      </NavLink>
      <NavLink to="/app/invoices/new">New invoice</NavLink>
      <NavLink to="/app/customers">Customers</NavLink>
      <NavLink to="/app/mail">Mail</NavLink>
      <NavLink to="/app/settings">Business</NavLink>
    </>
  );
  const signOutButton = (
    <button type="button" className="button ghost small" onClick={signOut} disabled={signingOut}>
      Sign out
    </button>
  );

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/app/invoices" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Paybell
        </Link>
        <nav aria-label="Main" className="topnav wide-only">
          {links}
        </nav>
        <div className="topbar-right">
          <ConnectionIndicator />
          <SettingsMenu onSignedOutEverywhere={signedOut} />
          <span className="who wide-only" title={user.email}>
            {user.name || user.email}
          </span>
          <span className="wide-only">{signOutButton}</span>
          <Dropdown label="Menu" className="menu narrow-only">
            <nav aria-label="Main" className="menu-links">
              {links}
            </nav>
            <p className="who" title={user.email}>
              {user.name || user.email}
            </p>
            {signOutButton}
          </Dropdown>
        </div>
      </header>
      <Outlet />
    </>
  );
}
