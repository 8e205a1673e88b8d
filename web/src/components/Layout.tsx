// The app frame: sidebar on wide screens, top bar + bottom tabs on phones.
import { Suspense, type ReactNode } from 'react';
import { NavLink, Outlet, Link } from 'react-router';
import { useIsFetching } from '@tanstack/react-query';
import { useAuth } from '../lib/auth';
import { useMe } from '../lib/queries';
import { useTheme } from '../lib/theme';
import { IconHome, IconList, IconLogo, IconLogout, IconMoon, IconSettings, IconSun, IconTrophy } from './icons';
import { Toaster } from './toast';
import { Spinner, cx } from './ui';

const nav = [
  { to: '/', label: 'Overview', icon: IconHome, end: true },
  { to: '/monitors', label: 'Monitors', icon: IconList, end: false },
  { to: '/leaderboard', label: 'Leaderboard', icon: IconTrophy, end: false },
  { to: '/settings', label: 'Settings', icon: IconSettings, end: false },
];

function Brand() {
  return (
    <Link to="/" className="flex items-center gap-2 font-semibold tracking-tight text-fg">
      <span className="grid size-8 place-items-center rounded-lg bg-accent text-accent-fg shadow-sm">
        <IconLogo size={18} />
      </span>
      StatusHawk
    </Link>
  );
}

function ThemeButton({ className }: { className?: string }) {
  const [, setTheme, dark] = useTheme();
  return (
    <button
      type="button"
      onClick={() => setTheme(dark ? 'light' : 'dark')}
      className={cx('rounded-lg p-2 text-muted hover:bg-elev hover:text-fg cursor-pointer', className)}
      aria-label={dark ? 'Switch to light theme' : 'Switch to dark theme'}
      title={dark ? 'Light theme' : 'Dark theme'}
    >
      {dark ? <IconSun /> : <IconMoon />}
    </button>
  );
}

function LiveIndicator() {
  const fetching = useIsFetching();
  return (
    <span className="flex items-center gap-1.5 text-xs text-muted" title="Data refreshes automatically">
      <span className={cx('size-1.5 rounded-full bg-up', fetching ? 'sh-pulse' : '')} aria-hidden />
      Live
    </span>
  );
}

export function PageFallback() {
  return (
    <div className="grid min-h-[40vh] place-items-center text-muted" aria-busy>
      <Spinner />
    </div>
  );
}

export default function Layout({ children }: { children?: ReactNode }) {
  const { logout } = useAuth();
  const me = useMe();
  const name = me.data ? [me.data.first_name, me.data.last_name].filter(Boolean).join(' ') || me.data.email : '';
  return (
    <div className="min-h-dvh md:pl-60">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-3 focus:top-3 focus:z-50 focus:rounded focus:bg-card focus:px-3 focus:py-2">
        Skip to content
      </a>
      {/* Sidebar (md+) */}
      <aside className="fixed inset-y-0 left-0 z-30 hidden w-60 flex-col border-r border-border bg-card md:flex">
        <div className="flex h-16 items-center px-5">
          <Brand />
        </div>
        <nav className="flex-1 space-y-0.5 px-3 py-2" aria-label="Main">
          {nav.map((n) => (
            <NavLink
              key={n.to}
              to={n.to}
              end={n.end}
              className={({ isActive }) =>
                cx(
                  'flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium transition',
                  isActive ? 'bg-accent-soft text-accent' : 'text-muted hover:bg-elev hover:text-fg',
                )
              }
            >
              <n.icon />
              {n.label}
            </NavLink>
          ))}
        </nav>
        <div className="border-t border-border p-3">
          <div className="flex items-center justify-between px-2 pb-2">
            <LiveIndicator />
            <ThemeButton />
          </div>
          <div className="flex items-center gap-2 rounded-lg px-2 py-1.5">
            <span className="grid size-8 shrink-0 place-items-center rounded-full bg-elev text-xs font-semibold uppercase text-muted">
              {(name || '?').slice(0, 1)}
            </span>
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-medium text-fg" data-testid="user-name">{name || '…'}</p>
              <p className="truncate text-xs text-muted">{me.data?.email}</p>
            </div>
            <button onClick={() => void logout()} className="rounded-lg p-2 text-muted hover:bg-elev hover:text-fg cursor-pointer" aria-label="Log out" title="Log out">
              <IconLogout />
            </button>
          </div>
        </div>
      </aside>

      {/* Top bar (phones) */}
      <header className="sticky top-0 z-30 flex h-14 items-center justify-between border-b border-border bg-card/90 px-4 backdrop-blur md:hidden">
        <Brand />
        <div className="flex items-center gap-1">
          <LiveIndicator />
          <ThemeButton />
          <button onClick={() => void logout()} className="rounded-lg p-2 text-muted hover:bg-elev hover:text-fg cursor-pointer" aria-label="Log out">
            <IconLogout />
          </button>
        </div>
      </header>

      <main id="main" className="mx-auto w-full min-w-0 max-w-7xl px-4 pb-24 pt-5 sm:px-6 md:pb-10 md:pt-8 lg:px-8">
        <Suspense fallback={<PageFallback />}>{children ?? <Outlet />}</Suspense>
      </main>

      {/* Bottom tabs (phones) */}
      <nav className="fixed inset-x-0 bottom-0 z-30 grid grid-cols-4 border-t border-border bg-card/95 pb-[env(safe-area-inset-bottom)] backdrop-blur md:hidden" aria-label="Main">
        {nav.map((n) => (
          <NavLink
            key={n.to}
            to={n.to}
            end={n.end}
            className={({ isActive }) =>
              cx('flex flex-col items-center gap-0.5 py-2 text-[11px] font-medium', isActive ? 'text-accent' : 'text-muted')
            }
          >
            <n.icon size={20} />
            {n.label}
          </NavLink>
        ))}
      </nav>
      <Toaster />
    </div>
  );
}
