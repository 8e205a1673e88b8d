// One monitor: status, uptime 24h/7d/30d, response-time chart (anomalies, incident bands),
// 7×24 heatmap, incidents, paginated history with reasons, certificate expiry.
import { Suspense, lazy, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../lib/api';
import { useAnomalies, useHeatmap, useHistory, useHistoryPoints, useIncidents, useMonitor, useMonitorStats } from '../lib/queries';
import { anomalyPoints, bucketSeries, domainOf, downsample, historySeries, incidentBands } from '../lib/series';
import { buildHeatmap } from '../lib/heatmap';
import { daysLeft, failureReason, formatDateTime, formatDuration, formatInterval, formatMs, formatPercent, formatRelative } from '../lib/format';
import type { Period } from '../lib/types';
import { Badge, Card, CardHeader, EmptyState, ErrorBox, Pagination, Segmented, Skeleton, Spinner, StatusBadge, cx } from '../components/ui';
import MonitorActions from '../components/MonitorActions';
import Heatmap from '../components/Heatmap';
import { IconChevronLeft, IconExternal, IconLock } from '../components/icons';

const ResponseChart = lazy(() => import('../components/ResponseChart'));

const PERIODS: { value: Period; label: string }[] = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
];
const SPAN: Record<Period, number> = { '24h': 86400_000, '7d': 7 * 86400_000, '30d': 30 * 86400_000 };

function Tile({ label, children, sub, tone }: { label: string; children: React.ReactNode; sub?: React.ReactNode; tone?: string }) {
  return (
    <Card className="p-4">
      <p className="text-xs font-medium uppercase tracking-wide text-muted">{label}</p>
      <p className={cx('tabular mt-1.5 text-xl font-semibold', tone || 'text-fg')}>{children}</p>
      {sub && <p className="mt-0.5 truncate text-xs text-muted">{sub}</p>}
    </Card>
  );
}

function uptimeTone(p: number | undefined, checks: number | undefined): string | undefined {
  if (p === undefined || !checks) return undefined;
  if (p >= 99.9) return 'text-up';
  if (p >= 99) return 'text-warn';
  return 'text-down';
}

function CertTile({ expires }: { expires: string | null | undefined }) {
  const d = daysLeft(expires);
  const tone = d === null ? undefined : d < 0 ? 'text-down' : d <= 7 ? 'text-down' : d <= 14 ? 'text-warn' : 'text-up';
  return (
    <Tile label="Certificate" tone={tone} sub={expires ? `expires ${formatDateTime(expires)}` : 'no TLS certificate seen'}>
      <span className="inline-flex items-center gap-1.5" data-testid="cert-expiry">
        <IconLock size={16} />
        {d === null ? '—' : d < 0 ? 'expired' : `${d} day${d === 1 ? '' : 's'} left`}
      </span>
    </Tile>
  );
}

function ChartCard({ id }: { id: number }) {
  const [period, setPeriod] = useState<Period>('24h');
  const raw = period === '24h';
  const hist = useHistoryPoints(id, '24h', 10, raw);
  const heat = useHeatmap(id, period === '7d' ? 7 : 30, !raw);
  const anomalies = useAnomalies(id);
  const incidents = useIncidents(id, 1, 100);

  const shaped = useMemo(() => {
    const pts = raw ? downsample(historySeries(hist.data?.items || []), 400) : bucketSeries(heat.data?.buckets || []);
    const now = Date.now();
    const domain: [number, number] = raw ? domainOf(pts, SPAN[period], now) : [now - SPAN[period], now];
    return {
      pts,
      domain,
      anomalies: anomalyPoints(anomalies.data?.results || [], domain[0], domain[1]),
      bands: incidentBands(incidents.data?.results || [], domain[0], domain[1], now),
    };
  }, [raw, hist.data, heat.data, anomalies.data, incidents.data, period]);

  const loading = raw ? hist.isPending : heat.isPending;
  const error = raw ? hist.error : heat.error;
  const partial = raw && hist.data && hist.data.total > hist.data.items.length;
  return (
    <Card>
      <CardHeader
        title="Response time"
        sub={
          raw
            ? partial
              ? `Last ${hist.data!.items.length} of ${hist.data!.total} checks in 24 h`
              : 'Every check of the last 24 h'
            : 'Hourly average'
        }
        action={<Segmented label="Chart period" value={period} options={PERIODS} onChange={setPeriod} />}
      />
      <div className="px-2 pb-3 pt-4 sm:px-4">
        {error ? (
          <ErrorBox error={error} className="mx-2" />
        ) : loading ? (
          <Skeleton className="mx-2 h-64" />
        ) : !shaped.pts.length ? (
          <EmptyState title="No checks yet">The chart fills in as soon as the first checks come in.</EmptyState>
        ) : (
          <Suspense fallback={<div className="grid h-64 place-items-center text-muted"><Spinner /></div>}>
            <ResponseChart points={shaped.pts} anomalies={shaped.anomalies} bands={shaped.bands} domain={shaped.domain} />
          </Suspense>
        )}
        <div className="mt-2 flex flex-wrap gap-x-4 gap-y-1 px-2 text-xs text-muted">
          <span className="inline-flex items-center gap-1.5">
            <span className="h-0.5 w-4 rounded bg-[var(--chart-line)]" aria-hidden /> response time
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span className="size-2.5 rounded-full bg-warn" aria-hidden /> anomaly ({shaped.anomalies.length})
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span className="h-3 w-4 rounded-sm bg-down/20 ring-1 ring-down/40" aria-hidden /> incident ({shaped.bands.length})
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span className="size-2.5 bg-down" aria-hidden /> failed check
          </span>
        </div>
      </div>
    </Card>
  );
}

function HeatmapCard({ id }: { id: number }) {
  const q = useHeatmap(id, 7);
  const data = useMemo(() => buildHeatmap(q.data?.buckets || [], 7), [q.data]);
  return (
    <Card>
      <CardHeader title="Latency heatmap" sub="Average response time per hour of the last 7 days (your time zone)" />
      <div className="p-4 sm:p-5">{q.error ? <ErrorBox error={q.error} /> : q.isPending ? <Skeleton className="h-52" /> : <Heatmap data={data} />}</div>
    </Card>
  );
}

function IncidentsCard({ id }: { id: number }) {
  const [page, setPage] = useState(1);
  const q = useIncidents(id, page, 5);
  const rows = q.data?.results || [];
  return (
    <Card>
      <CardHeader title="Incidents" sub="Periods the monitor was down" action={q.data ? <Badge>{q.data.count}</Badge> : null} />
      {q.error ? (
        <ErrorBox error={q.error} className="m-4" />
      ) : q.isPending ? (
        <div className="space-y-3 p-5">
          <Skeleton className="h-5" />
          <Skeleton className="h-5" />
        </div>
      ) : !rows.length ? (
        <EmptyState title="No incidents">This monitor has not been down.</EmptyState>
      ) : (
        <>
          <ul className="divide-y divide-border" data-testid="incidents">
            {rows.map((i) => {
              const open = !i.resolved_at;
              const dur = i.duration_s ?? ((open ? Date.now() : Date.parse(i.resolved_at as string)) - Date.parse(i.started_at)) / 1000;
              return (
                <li key={i.id} className="flex items-center gap-3 px-4 py-3 sm:px-5">
                  <span className={cx('size-2 shrink-0 rounded-full', open ? 'bg-down sh-pulse' : 'bg-paused')} aria-hidden />
                  <div className="min-w-0 flex-1">
                    <p className="truncate text-sm font-medium text-fg">{i.cause || 'Down'}</p>
                    <p className="text-xs text-muted">
                      {formatDateTime(i.started_at)}
                      {i.resolved_at ? ` → ${formatDateTime(i.resolved_at)}` : ''}
                    </p>
                  </div>
                  <div className="shrink-0 text-right">
                    {open ? <Badge tone="down">ongoing</Badge> : <Badge>resolved</Badge>}
                    <p className="tabular mt-0.5 text-xs text-muted">{formatDuration(dur)}</p>
                  </div>
                </li>
              );
            })}
          </ul>
          <div className="border-t border-border empty:hidden">
            <Pagination page={page} count={q.data?.count || 0} size={5} onPage={setPage} />
          </div>
        </>
      )}
    </Card>
  );
}

function HistoryCard({ id }: { id: number }) {
  const [period, setPeriod] = useState<Period>('24h');
  const [page, setPage] = useState(1);
  const q = useHistory(id, period, page, 15);
  const rows = q.data?.results || [];
  return (
    <Card>
      <CardHeader
        title="Check history"
        sub={q.data ? `${q.data.count} checks` : undefined}
        action={
          <Segmented
            label="History period"
            value={period}
            options={PERIODS}
            onChange={(p) => {
              setPeriod(p);
              setPage(1);
            }}
          />
        }
      />
      {q.error ? (
        <ErrorBox error={q.error} className="m-4" />
      ) : q.isPending ? (
        <div className="space-y-3 p-5">
          <Skeleton className="h-5" />
          <Skeleton className="h-5" />
          <Skeleton className="h-5" />
        </div>
      ) : !rows.length ? (
        <EmptyState title="No checks yet">Results appear here after the first check.</EmptyState>
      ) : (
        <>
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="history">
              <thead className="border-b border-border bg-elev/60 text-left text-xs uppercase tracking-wide text-muted">
                <tr>
                  <th className="px-4 py-2 font-medium sm:px-5">Time</th>
                  <th className="px-3 py-2 font-medium">Result</th>
                  <th className="px-3 py-2 font-medium">Code</th>
                  <th className="px-3 py-2 text-right font-medium">Response</th>
                  <th className="px-3 py-2 font-medium">Reason</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-border">
                {rows.map((h) => (
                  <tr key={h.id} className={h.is_up ? '' : 'bg-down-soft/50'}>
                    <td className="tabular whitespace-nowrap px-4 py-2 text-muted sm:px-5">{formatDateTime(h.created_at)}</td>
                    <td className="px-3 py-2">{h.is_up ? <Badge tone="up">up</Badge> : <Badge tone="down">down</Badge>}</td>
                    <td className="tabular px-3 py-2 text-muted">{h.status_code || '—'}</td>
                    <td className="tabular whitespace-nowrap px-3 py-2 text-right text-fg">{formatMs(h.response_time_ms)}</td>
                    <td className="px-3 py-2 text-down">{failureReason(h)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="border-t border-border">
            <Pagination page={page} count={q.data?.count || 0} size={15} onPage={setPage} />
          </div>
        </>
      )}
    </Card>
  );
}

export default function MonitorDetail() {
  const id = Number(useParams().id);
  const m = useMonitor(id);
  const stats = useMonitorStats(id);
  const [s24, s7, s30] = stats.map((s) => s.data);
  const wait = stats.some((s) => s.error) ? '—' : '…';

  if (m.error instanceof ApiError && m.error.status === 404) {
    return (
      <EmptyState title="Monitor not found" action={<Link to="/monitors" className="text-sm font-medium text-accent hover:underline">Back to monitors</Link>}>
        It may have been deleted.
      </EmptyState>
    );
  }
  const mon = m.data;
  const https = mon?.url.startsWith('https://');
  return (
    <div data-testid="monitor-detail">
      <Link to="/monitors" className="mb-3 inline-flex items-center gap-1 text-sm text-muted hover:text-fg">
        <IconChevronLeft size={16} /> Monitors
      </Link>
      {m.error && <ErrorBox error={m.error} className="mb-4" />}
      <div className="mb-5 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          {mon ? (
            <>
              <div className="flex flex-wrap items-center gap-3">
                <h1 className="truncate text-xl font-semibold tracking-tight text-fg sm:text-2xl">{mon.name}</h1>
                <span data-testid="detail-status">
                  <StatusBadge status={mon.status} />
                </span>
              </div>
              <p className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-muted">
                <span className="rounded bg-elev px-1.5 py-px font-mono text-xs">{mon.monitor_type}</span>
                {mon.monitor_type === 'HTTP' ? (
                  <a href={mon.url} target="_blank" rel="noreferrer noopener" className="inline-flex min-w-0 items-center gap-1 break-all hover:text-accent">
                    {mon.url} <IconExternal size={13} />
                  </a>
                ) : (
                  <span className="break-all">{mon.url}</span>
                )}
                <span aria-hidden>·</span>
                <span>{formatInterval(mon.interval)}</span>
                <span aria-hidden>·</span>
                <span title={formatDateTime(mon.last_checked_at)}>checked {formatRelative(mon.last_checked_at)}</span>
              </p>
            </>
          ) : (
            <>
              <Skeleton className="h-8 w-56" />
              <Skeleton className="mt-2 h-4 w-80" />
            </>
          )}
        </div>
        {mon && <MonitorActions monitor={mon} afterDelete="/monitors" />}
      </div>

      <div className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-5">
        <Tile label="Uptime 24 h" tone={uptimeTone(s24?.uptime_percentage, s24?.total_checks)} sub={s24 ? `${s24.total_checks} checks, ${s24.down_count} failed` : undefined}>
          <span data-testid="uptime-24h">{s24 ? (s24.total_checks ? formatPercent(s24.uptime_percentage) : '—') : wait}</span>
        </Tile>
        <Tile label="Uptime 7 days" tone={uptimeTone(s7?.uptime_percentage, s7?.total_checks)} sub={s7 ? `${s7.total_checks} checks` : undefined}>
          {s7 ? (s7.total_checks ? formatPercent(s7.uptime_percentage) : '—') : wait}
        </Tile>
        <Tile label="Uptime 30 days" tone={uptimeTone(s30?.uptime_percentage, s30?.total_checks)} sub={s30 ? `${s30.total_checks} checks` : undefined}>
          {s30 ? (s30.total_checks ? formatPercent(s30.uptime_percentage) : '—') : wait}
        </Tile>
        <Tile label="Avg response 24 h" sub={s24?.last_check ? `last ${formatMs(s24.last_check.response_time_ms)}` : undefined}>
          {s24 ? (s24.total_checks ? formatMs(s24.avg_response_time) : '—') : wait}
        </Tile>
        <div className="col-span-2 lg:col-span-1">
          {mon && (https || mon.cert_expires_at) ? (
            <CertTile expires={mon.cert_expires_at} />
          ) : (
            <Tile label="Last status code" sub={s24?.last_check ? formatRelative(s24.last_check.created_at) : undefined}>
              {s24?.last_check ? s24.last_check.status_code || failureReason(s24.last_check) || '—' : '—'}
            </Tile>
          )}
        </div>
      </div>

      <div className="mt-6 grid gap-6 [&>*]:min-w-0">
        <ChartCard id={id} />
        <div className="grid gap-6 xl:grid-cols-[3fr_2fr] [&>*]:min-w-0">
          <HeatmapCard id={id} />
          <IncidentsCard id={id} />
        </div>
        <HistoryCard id={id} />
      </div>
    </div>
  );
}
