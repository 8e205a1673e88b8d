// Overview: counts by status, average latency, recent failures, open incidents. Polls.
import { useEffect } from 'react';
import { Link } from 'react-router';
import { useQueries } from '@tanstack/react-query';
import { api, qs } from '../lib/api';
import { useDashboard, useMonitors, POLL } from '../lib/queries';
import { formatDuration, formatMs, formatRelative, shortUrl, formatDateTime } from '../lib/format';
import type { Incident, Page } from '../lib/types';
import { Badge, buttonClass, Card, CardHeader, EmptyState, ErrorBox, PageHeader, Skeleton, StatusDot, cx } from '../components/ui';
import { IconAlert, IconPlus } from '../components/icons';
import { overviewCounts } from './overviewCounts';

function StatCard({ label, value, tone, to, sub }: { label: string; value: React.ReactNode; tone: string; to?: string; sub?: React.ReactNode }) {
  const inner = (
    <Card className={cx('relative h-full overflow-hidden p-4 transition sm:p-5', to && 'hover:border-accent/40')}>
      <span className={cx('absolute inset-x-0 top-0 h-0.5', tone)} aria-hidden />
      <p className="text-xs font-medium uppercase tracking-wide text-muted">{label}</p>
      <p className="tabular mt-2 text-2xl font-semibold text-fg sm:text-3xl">{value}</p>
      {sub && <p className="mt-1 text-xs text-muted">{sub}</p>}
    </Card>
  );
  return to ? (
    <Link to={to} className="block rounded-xl focus-visible:outline-2">
      {inner}
    </Link>
  ) : (
    inner
  );
}

function OpenIncidents() {
  const down = useMonitors({ status: 'DOWN', size: 100, page: 1 });
  const list = (down.data?.results || []).slice(0, 10);
  const incidents = useQueries({
    queries: list.map((m) => ({
      queryKey: ['monitor', m.id, 'incidents', { page: 1, size: 1 }],
      queryFn: () => api<Page<Incident>>(`/monitors/${m.id}/incidents/${qs({ page: 1, size: 1 })}`),
      refetchInterval: POLL.normal,
    })),
  });
  return (
    <Card>
      <CardHeader title="Open incidents" sub="Monitors that are down right now" action={down.data ? <Badge tone={down.data.count ? 'down' : 'up'}>{down.data.count}</Badge> : null} />
      {down.isPending ? (
        <div className="space-y-3 p-5">
          <Skeleton className="h-5 w-2/3" />
          <Skeleton className="h-5 w-1/2" />
        </div>
      ) : down.error ? (
        <ErrorBox error={down.error} className="m-4" />
      ) : !list.length ? (
        <EmptyState title="All clear">No open incidents. Everything that is monitored is up.</EmptyState>
      ) : (
        <ul className="divide-y divide-border" data-testid="open-incidents">
          {list.map((m, i) => {
            const inc = incidents[i]?.data?.results?.[0];
            const open = inc && !inc.resolved_at ? inc : undefined;
            return (
              <li key={m.id}>
                <Link to={`/monitors/${m.id}`} className="flex items-center gap-3 px-4 py-3 hover:bg-elev sm:px-5">
                  <StatusDot status="DOWN" />
                  <div className="min-w-0 flex-1">
                    <p className="truncate text-sm font-medium text-fg">{m.name}</p>
                    <p className="truncate text-xs text-muted">{open?.cause || shortUrl(m.url)}</p>
                  </div>
                  <span className="tabular shrink-0 text-xs text-muted" title={open ? formatDateTime(open.started_at) : undefined}>
                    {open ? `down ${formatDuration((Date.now() - Date.parse(open.started_at)) / 1000)}` : 'down'}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

export default function Overview() {
  const q = useDashboard();
  const s = q.data;
  const c = s ? overviewCounts(s) : null;

  // Time to first render with data (read by the e2e test and visible in devtools).
  useEffect(() => {
    if (s && !performance.getEntriesByName('sh:overview-data').length) performance.mark('sh:overview-data');
  }, [s]);

  return (
    <div data-testid="overview" data-ready={s ? 'true' : 'false'}>
      <PageHeader
        title="Overview"
        sub="Everything you monitor, refreshed every few seconds."
        actions={
          <Link to="/monitors?new=1" className={buttonClass('primary')}>
            <IconPlus size={16} /> Add monitor
          </Link>
        }
      />
      {q.error && <ErrorBox error={q.error} className="mb-4" />}
      <div className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-5">
        <StatCard label="Up" tone="bg-up" to="/monitors?status=UP" value={c ? <span data-testid="count-up">{c.up}</span> : <Skeleton className="h-8 w-10" />} />
        <StatCard label="Down" tone="bg-down" to="/monitors?status=DOWN" value={c ? <span data-testid="count-down" className={c.down ? 'text-down' : ''}>{c.down}</span> : <Skeleton className="h-8 w-10" />} />
        <StatCard label="Paused" tone="bg-paused" to="/monitors?status=PAUSED" value={c ? <span data-testid="count-paused">{c.paused}</span> : <Skeleton className="h-8 w-10" />} />
        <StatCard label="Pending" tone="bg-pending" to="/monitors?status=PENDING" value={c ? <span data-testid="count-pending">{c.pending}</span> : <Skeleton className="h-8 w-10" />} />
        <div className="col-span-2 lg:col-span-1">
          <StatCard
            label="Avg latency"
            tone="bg-accent"
            value={s ? <span data-testid="avg-latency">{formatMs(s.avg_latency)}</span> : <Skeleton className="h-8 w-20" />}
            sub={c ? `${c.total} monitor${c.total === 1 ? '' : 's'} · last 24 h` : undefined}
          />
        </div>
      </div>

      {s && s.total === 0 && (
        <Card className="mt-6">
          <EmptyState
            title="No monitors yet"
            action={
              <Link to="/monitors?new=1" className={buttonClass('primary')}>
                <IconPlus size={16} /> Add your first monitor
              </Link>
            }
          >
            Add an HTTP(S) URL or a TCP port and StatusHawk starts checking it within a second.
          </EmptyState>
        </Card>
      )}

      <div className="mt-6 grid gap-6 lg:grid-cols-2 [&>*]:min-w-0">
        <OpenIncidents />
        <Card>
          <CardHeader title="Recent failures" sub="The last failed checks across all monitors" />
          {!s ? (
            <div className="space-y-3 p-5">
              <Skeleton className="h-5 w-3/4" />
              <Skeleton className="h-5 w-1/2" />
            </div>
          ) : !s.recent_failures.length ? (
            <EmptyState title="No failures">No failed checks recently.</EmptyState>
          ) : (
            <ul className="divide-y divide-border" data-testid="recent-failures">
              {s.recent_failures.map((f) => {
                const body = (
                  <>
                    <span className="grid size-7 shrink-0 place-items-center rounded-full bg-down-soft text-down">
                      <IconAlert size={14} />
                    </span>
                    <div className="min-w-0 flex-1">
                      <p className="truncate text-sm font-medium text-fg">{f.monitor_name}</p>
                      <p className="truncate text-xs text-muted">{shortUrl(f.url)}</p>
                    </div>
                    <div className="shrink-0 text-right">
                      <Badge tone="down">{f.reason}</Badge>
                      <p className="tabular mt-0.5 text-xs text-muted" title={formatDateTime(f.created_at)}>
                        {formatRelative(f.created_at)}
                      </p>
                    </div>
                  </>
                );
                return (
                  <li key={f.id}>
                    {f.monitor_id ? (
                      <Link to={`/monitors/${f.monitor_id}`} className="flex items-center gap-3 px-4 py-3 hover:bg-elev sm:px-5">
                        {body}
                      </Link>
                    ) : (
                      <div className="flex items-center gap-3 px-4 py-3 sm:px-5">{body}</div>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
      </div>
    </div>
  );
}
