// Small, accessible building blocks styled with Tailwind (theme tokens in index.css).
import { forwardRef, useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import type { MonitorStatus } from '../lib/types';
import { IconChevronLeft, IconChevronRight } from './icons';

export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';
const variants: Record<Variant, string> = {
  primary: 'bg-accent text-accent-fg hover:opacity-90 shadow-sm',
  secondary: 'bg-card text-fg border border-border hover:bg-elev',
  ghost: 'text-muted hover:text-fg hover:bg-elev',
  danger: 'bg-down text-white hover:opacity-90 shadow-sm',
};

/** The classes of a Button, for links that look like one (no button inside a link). */
export function buttonClass(variant: Variant = 'secondary', size: 'sm' | 'md' = 'md', className?: string): string {
  return cx(
    'inline-flex items-center justify-center gap-1.5 rounded-lg font-medium transition whitespace-nowrap',
    size === 'sm' ? 'h-8 px-2.5 text-sm' : 'h-10 px-4 text-sm',
    variants[variant],
    className,
  );
}

export const Button = forwardRef<HTMLButtonElement, ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: 'sm' | 'md'; busy?: boolean }>(
  function Button({ variant = 'secondary', size = 'md', busy, className, children, disabled, ...rest }, ref) {
    return (
      <button
        ref={ref}
        className={cx(
          'inline-flex items-center justify-center gap-1.5 rounded-lg font-medium transition disabled:opacity-50 disabled:cursor-not-allowed whitespace-nowrap cursor-pointer',
          size === 'sm' ? 'h-8 px-2.5 text-sm' : 'h-10 px-4 text-sm',
          variants[variant],
          className,
        )}
        disabled={disabled || busy}
        aria-busy={busy || undefined}
        {...rest}
      >
        {busy && <Spinner className="size-3.5" />}
        {children}
      </button>
    );
  },
);

export function Spinner({ className }: { className?: string }) {
  return (
    <svg className={cx('animate-spin', className || 'size-5')} viewBox="0 0 24 24" fill="none" aria-hidden>
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity=".25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

const inputCls =
  'w-full rounded-lg border border-border bg-card px-3 text-sm text-fg placeholder:text-muted/70 focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30 aria-[invalid=true]:border-down';

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input({ className, ...rest }, ref) {
  return <input ref={ref} className={cx(inputCls, 'h-10', className)} {...rest} />;
});

export const Select = forwardRef<HTMLSelectElement, SelectHTMLAttributes<HTMLSelectElement>>(function Select({ className, ...rest }, ref) {
  return <select ref={ref} className={cx(inputCls, 'h-10 pr-8', className)} {...rest} />;
});

export const Textarea = forwardRef<HTMLTextAreaElement, TextareaHTMLAttributes<HTMLTextAreaElement>>(function Textarea({ className, ...rest }, ref) {
  return <textarea ref={ref} className={cx(inputCls, 'py-2 font-mono text-[13px] leading-relaxed', className)} {...rest} />;
});

/**
 * A labelled form field with its hint and its error (from the API) right under it.
 * `children` is a render function receiving the ids to wire up aria attributes.
 */
export function Field({
  label,
  error,
  hint,
  className,
  children,
}: {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  className?: string;
  children: (p: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [error ? errId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cx('flex flex-col gap-1.5', className)}>
      <label htmlFor={id} className="text-sm font-medium text-fg">
        {label}
      </label>
      {children({ id, 'aria-invalid': !!error, 'aria-describedby': described })}
      {hint && !error && (
        <p id={hintId} className="text-xs text-muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={errId} className="text-xs font-medium text-down" role="alert" data-field-error>
          {error}
        </p>
      )}
    </div>
  );
}

export function Card({ className, children, ...rest }: { className?: string; children: ReactNode } & React.HTMLAttributes<HTMLDivElement>) {
  return (
    <div className={cx('rounded-xl border border-border bg-card shadow-[0_1px_2px_rgba(15,23,42,.04)]', className)} {...rest}>
      {children}
    </div>
  );
}

export function CardHeader({ title, action, sub }: { title: ReactNode; action?: ReactNode; sub?: ReactNode }) {
  return (
    <div className="flex flex-wrap items-start justify-between gap-3 border-b border-border px-4 py-3 sm:px-5">
      <div className="min-w-0">
        <h2 className="text-sm font-semibold text-fg">{title}</h2>
        {sub && <p className="mt-0.5 text-xs text-muted">{sub}</p>}
      </div>
      {action}
    </div>
  );
}

const statusStyle: Record<MonitorStatus, string> = {
  UP: 'bg-up-soft text-up',
  DOWN: 'bg-down-soft text-down',
  PAUSED: 'bg-paused-soft text-paused',
  PENDING: 'bg-pending-soft text-pending',
};
const statusLabel: Record<MonitorStatus, string> = { UP: 'Up', DOWN: 'Down', PAUSED: 'Paused', PENDING: 'Pending' };

export function StatusDot({ status, className }: { status: MonitorStatus; className?: string }) {
  const color = { UP: 'bg-up', DOWN: 'bg-down', PAUSED: 'bg-paused', PENDING: 'bg-pending' }[status] || 'bg-paused';
  return (
    <span className={cx('relative inline-flex size-2.5 shrink-0', className)} aria-hidden>
      {status === 'DOWN' && <span className={cx('absolute inset-0 rounded-full sh-pulse', color)} />}
      <span className={cx('relative inline-flex size-2.5 rounded-full', color)} />
    </span>
  );
}

export function StatusBadge({ status }: { status: MonitorStatus }) {
  return (
    <span
      className={cx('inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-semibold', statusStyle[status] || statusStyle.PENDING)}
      data-status={status}
    >
      <StatusDot status={status} className="size-2" />
      {statusLabel[status] || status}
    </span>
  );
}

export function Badge({ children, tone = 'neutral' }: { children: ReactNode; tone?: 'neutral' | 'up' | 'down' | 'warn' | 'accent' }) {
  const tones = {
    neutral: 'bg-elev text-muted',
    up: 'bg-up-soft text-up',
    down: 'bg-down-soft text-down',
    warn: 'bg-warn-soft text-warn',
    accent: 'bg-accent-soft text-accent',
  };
  return <span className={cx('inline-flex items-center rounded-md px-1.5 py-0.5 text-xs font-medium', tones[tone])}>{children}</span>;
}

export function Skeleton({ className }: { className?: string }) {
  return <div className={cx('rounded-md bg-elev sh-pulse', className)} aria-hidden />;
}

export function EmptyState({ title, children, action }: { title: ReactNode; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 px-6 py-12 text-center">
      <p className="text-sm font-semibold text-fg">{title}</p>
      {children && <div className="max-w-sm text-sm text-muted">{children}</div>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  );
}

export function ErrorBox({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className={cx('rounded-lg border border-down/30 bg-down-soft px-3 py-2 text-sm text-down', className)}>
      {msg}
    </div>
  );
}

export function Pagination({ page, count, size, onPage }: { page: number; count: number; size: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(count / size));
  if (count <= size) return null;
  const from = (page - 1) * size + 1;
  const to = Math.min(count, page * size);
  return (
    <nav className="flex items-center justify-between gap-3 px-4 py-3 text-sm text-muted" aria-label="Pagination">
      <span className="tabular">
        {from}–{to} of {count}
      </span>
      <div className="flex items-center gap-1">
        <Button size="sm" variant="ghost" onClick={() => onPage(page - 1)} disabled={page <= 1} aria-label="Previous page">
          <IconChevronLeft size={16} />
        </Button>
        <span className="tabular px-1">
          {page} / {pages}
        </span>
        <Button size="sm" variant="ghost" onClick={() => onPage(page + 1)} disabled={page >= pages} aria-label="Next page">
          <IconChevronRight size={16} />
        </Button>
      </div>
    </nav>
  );
}

export function Segmented<T extends string>({
  value,
  options,
  onChange,
  label,
}: {
  value: T;
  options: { value: T; label: ReactNode }[];
  onChange: (v: T) => void;
  label: string;
}) {
  return (
    <div role="radiogroup" aria-label={label} className="inline-flex rounded-lg border border-border bg-elev p-0.5">
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={value === o.value}
          onClick={() => onChange(o.value)}
          className={cx(
            'whitespace-nowrap rounded-md px-2.5 py-1 text-xs font-medium transition cursor-pointer',
            value === o.value ? 'bg-card text-fg shadow-sm' : 'text-muted hover:text-fg',
          )}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function PageHeader({ title, sub, actions }: { title: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div className="min-w-0">
        <h1 className="text-xl font-semibold tracking-tight text-fg sm:text-2xl">{title}</h1>
        {sub && <p className="mt-1 text-sm text-muted">{sub}</p>}
      </div>
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}
