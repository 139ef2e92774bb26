//! Who is signed in. `RequireUser` loads `/api/me` once and sends visitors
//! without a session to `/login`, remembering where they were going.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError, api, type User } from './api';
import { ErrorMessage, Loading } from './components/Messages';

interface AuthState {
  user: User | null | undefined; // undefined: not known yet
  setUser(user: User | null): void;
}

const AuthContext = createContext<AuthState>({ user: undefined, setUser: () => undefined });

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUserState] = useState<User | null | undefined>(undefined);
  const setUser = useCallback((next: User | null) => setUserState(next), []);
  return <AuthContext.Provider value={{ user, setUser }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  return useContext(AuthContext);
}

/** The signed-in user; only valid below `RequireUser`. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('useUser outside RequireUser');
  return user;
}

export function RequireUser({ children }: { children: ReactNode }) {
  const { user, setUser } = useAuth();
  const location = useLocation();
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (user !== undefined) return;
    const abort = new AbortController();
    api
      .me(abort.signal)
      .then(setUser)
      .catch((cause: unknown) => {
        if (abort.signal.aborted) return;
        if (cause instanceof ApiError && cause.isUnauthorized) setUser(null);
        else setError(cause);
      });
    return () => abort.abort();
  }, [user, setUser]);

  if (user === null) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (error) {
    return (
      <main className="page narrow">
        <ErrorMessage error={error} title="Could not check your session." />
      </main>
    );
  }
  if (user === undefined) return <Loading />;
  return <>{children}</>;
}
