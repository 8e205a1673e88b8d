// Log in and sign up. Errors from the API appear under the field they belong to.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../lib/api';
import { useAuth, useSignup } from '../lib/auth';
import { Button, Field, Input } from '../components/ui';
import { IconLogo } from '../components/icons';

function Shell({ title, sub, children, footer }: { title: string; sub: ReactNode; children: ReactNode; footer: ReactNode }) {
  return (
    <div className="flex min-h-dvh items-center justify-center bg-surface px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <span className="mb-4 grid size-12 place-items-center rounded-2xl bg-accent text-accent-fg shadow-lg shadow-accent/20">
            <IconLogo size={26} />
          </span>
          <h1 className="text-2xl font-semibold tracking-tight text-fg">{title}</h1>
          <p className="mt-1 text-sm text-muted">{sub}</p>
        </div>
        <div className="rounded-2xl border border-border bg-card p-6 shadow-sm">{children}</div>
        <p className="mt-6 text-center text-sm text-muted">{footer}</p>
      </div>
    </div>
  );
}

function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'error' }) {
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      className={
        'mb-4 rounded-lg px-3 py-2 text-sm ' + (tone === 'error' ? 'border border-down/30 bg-down-soft text-down' : 'bg-accent-soft text-accent')
      }
    >
      {children}
    </div>
  );
}

/** Only same-site paths are accepted as `next` (no open redirect). */
function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return '/';
  return next;
}

export function LoginPage() {
  const { token, login } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState(params.get('email') || '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));

  if (token && !busy) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  const general = error && (error.field('non_field_errors') || error.field('detail') || (!Object.keys(error.fields).length ? error.message : ''));
  return (
    <Shell
      title="Log in to StatusHawk"
      sub="Uptime, latency and alerts for your endpoints."
      footer={
        <>
          No account yet?{' '}
          <Link to="/signup" className="font-medium text-accent hover:underline">
            Sign up
          </Link>
        </>
      }
    >
      {params.get('signed_up') && <Notice>Your account is ready. Log in to continue.</Notice>}
      {params.get('expired') && <Notice>Your session has ended. Please log in again.</Notice>}
      {params.get('logged_out') && <Notice>You are logged out.</Notice>}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <Field label="Email" error={error?.field('email')}>
          {(a) => <Input {...a} type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus={!email} />}
        </Field>
        <Field label="Password" error={error?.field('password') || general || undefined}>
          {(a) => (
            <Input {...a} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} autoFocus={!!email} />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={busy} className="mt-1 w-full">
          Log in
        </Button>
      </form>
    </Shell>
  );
}

export function SignupPage() {
  const { token } = useAuth();
  const signup = useSignup();
  const navigate = useNavigate();
  const [form, setForm] = useState({ first_name: '', last_name: '', email: '', password: '', password2: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (token) return <Navigate to="/" replace />;

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signup({ ...form, email: form.email.trim() });
      navigate(`/login?signed_up=1&email=${encodeURIComponent(form.email.trim().toLowerCase())}`, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  const known = ['first_name', 'last_name', 'email', 'password', 'password2'];
  const other = error && Object.keys(error.fields).filter((k) => !known.includes(k));
  const general = error && (other?.length ? other.map((k) => error.field(k)).join(' ') : !Object.keys(error.fields).length ? error.message : '');
  return (
    <Shell
      title="Create your account"
      sub="Start monitoring in a minute."
      footer={
        <>
          Already have an account?{' '}
          <Link to="/login" className="font-medium text-accent hover:underline">
            Log in
          </Link>
        </>
      }
    >
      {general && <Notice tone="error">{general}</Notice>}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <div className="grid grid-cols-2 gap-3">
          <Field label="First name" error={error?.field('first_name')}>
            {(a) => <Input {...a} name="first_name" autoComplete="given-name" value={form.first_name} onChange={set('first_name')} autoFocus />}
          </Field>
          <Field label="Last name" error={error?.field('last_name')}>
            {(a) => <Input {...a} name="last_name" autoComplete="family-name" value={form.last_name} onChange={set('last_name')} />}
          </Field>
        </div>
        <Field label="Email" error={error?.field('email')}>
          {(a) => <Input {...a} type="email" name="email" autoComplete="email" required value={form.email} onChange={set('email')} />}
        </Field>
        <Field label="Password" error={error?.field('password')} hint="At least 8 characters, not only digits.">
          {(a) => <Input {...a} type="password" name="password" autoComplete="new-password" required value={form.password} onChange={set('password')} />}
        </Field>
        <Field label="Confirm password" error={error?.field('password2')}>
          {(a) => <Input {...a} type="password" name="password2" autoComplete="new-password" required value={form.password2} onChange={set('password2')} />}
        </Field>
        <Button type="submit" variant="primary" busy={busy} className="mt-1 w-full">
          Create account
        </Button>
      </form>
    </Shell>
  );
}
