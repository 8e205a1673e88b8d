// Session: the API token in localStorage, log in / log out, and the redirect to /login on 401.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, getToken, setToken, setUnauthorizedHandler, unwrap } from './api';

interface Auth {
  token: string | null;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState<string | null>(getToken);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();

  // A 401 from any protected call: forget the token and go to the login page, coming back after.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setTok(null);
      qc.clear();
      const here = window.location.pathname + window.location.search;
      if (!window.location.pathname.startsWith('/login') && !window.location.pathname.startsWith('/signup')) {
        navigate(`/login?next=${encodeURIComponent(here)}&expired=1`, { replace: true });
      }
    });
  }, [navigate, qc]);
  void location;

  const login = useCallback(
    async (email: string, password: string) => {
      const body = await api('/accounts/login', { method: 'POST', body: { email, password }, public: true });
      const data = unwrap<{ token: string }>(body);
      setToken(data.token);
      qc.clear();
      setTok(data.token);
    },
    [qc],
  );

  const logout = useCallback(async () => {
    try {
      await api('/accounts/logout', { method: 'POST', body: {}, public: false });
    } catch {
      /* the token is forgotten anyway */
    }
    setToken(null);
    setTok(null);
    qc.clear();
    navigate('/login?logged_out=1', { replace: true });
  }, [navigate, qc]);

  const value = useMemo(() => ({ token, login, logout }), [token, login, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const a = useContext(Ctx);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  const loc = useLocation();
  if (!token) {
    const next = loc.pathname + loc.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function useSignup() {
  return async (body: { email: string; password: string; password2: string; first_name: string; last_name: string }) =>
    unwrap(await api('/accounts/signup', { method: 'POST', body, public: true }));
}
