// Leaderboard: fastest / slowest by average latency, best / worst uptime, over a period.
import { useState } from 'react';
import { Link } from 'react-router';
import { useLeaderboard } from '../lib/queries';
import { rankLeaderboard, type Rank } from '../lib/leaderboard';
import { formatMs, formatPercent, shortUrl } from '../lib/format';
import type { LeaderboardEntry, Period } from '../lib/types';
import { Card, CardHeader, EmptyState, ErrorBox, PageHeader, Segmented, Skeleton, StatusDot, cx } from '../components/ui';

const PERIODS: { value: Period; label: string }[] = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
];

function Board({ title, sub, rows, rank, loading, error }: { title: string; sub: string; rows: LeaderboardEntry[]; rank: Rank; loading: boolean; error: unknown }) {
  const latency = rank === 'fastest' || rank === 'slowest';
  const list = rankLeaderboard(rows, rank)
    .filter((r) => (latency ? r.avg_ms !== null : r.uptime !== null))
    .slice(0, 5);
  const max = Math.max(1, ...list.map((r) => r.avg_ms || 0));
  // Uptimes sit close to 100%: scale the bars from just below the lowest one, so they differ.
  const ups = rows.map((r) => r.uptime).filter((u): u is number => u !== null);
  const lo = ups.length ? Math.max(0, Math.floor(Math.min(...ups)) - 1) : 0;
  // Latency bars: green for the fastest list, amber for the slowest; uptime bars by their value.
  const barOf = (u: number | null) =>
    latency ? (rank === 'fastest' ? 'bg-up' : 'bg-warn') : u === null ? 'bg-paused' : u >= 99.9 ? 'bg-up' : u >= 99 ? 'bg-warn' : 'bg-down';
  return (
    <Card data-testid={`board-${rank}`}>
      <CardHeader title={title} sub={sub} />
      {error ? (
        <ErrorBox error={error} className="m-4" />
      ) : loading ? (
        <div className="space-y-3 p-5">
          <Skeleton className="h-6" />
          <Skeleton className="h-6" />
          <Skeleton className="h-6" />
        </div>
      ) : !list.length ? (
        <EmptyState title="Nothing to rank yet">Monitors appear here once they have checks in this period.</EmptyState>
      ) : (
        <ol className="divide-y divide-border">
          {list.map((r, i) => {
            const value = latency ? r.avg_ms! : r.uptime!;
            const pct = latency ? (value / max) * 100 : Math.max(2, ((value - lo) / Math.max(1e-9, 100 - lo)) * 100);
            return (
              <li key={r.id || r.name}>
                <Link to={`/monitors/${r.id}`} className="flex items-center gap-3 px-4 py-3 hover:bg-elev sm:px-5">
                  <span className={cx('grid size-6 shrink-0 place-items-center rounded-full text-xs font-semibold tabular', i === 0 ? 'bg-accent text-accent-fg' : 'bg-elev text-muted')}>{i + 1}</span>
                  <div className="min-w-0 flex-1">
                    <div className="flex items-center gap-2">
                      {r.status && <StatusDot status={r.status} />}
                      <p className="truncate text-sm font-medium text-fg">{r.name}</p>
                    </div>
                    <div className="mt-1.5 h-1.5 w-full overflow-hidden rounded-full bg-elev" aria-hidden>
                      <div className={cx('h-full rounded-full', barOf(r.uptime))} style={{ width: `${Math.min(100, pct)}%` }} />
                    </div>
                    <p className="mt-1 truncate text-xs text-muted">{shortUrl(r.url)}</p>
                  </div>
                  <div className="shrink-0 text-right">
                    <p className="tabular text-sm font-semibold text-fg">{latency ? formatMs(value) : formatPercent(value)}</p>
                    <p className="tabular text-xs text-muted">
                      {latency ? (r.p95_ms !== null ? `p95 ${formatMs(r.p95_ms)}` : '') : r.avg_ms !== null ? formatMs(r.avg_ms) : ''}
                    </p>
                  </div>
                </Link>
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}

export default function Leaderboard() {
  const [period, setPeriod] = useState<Period>('24h');
  const lat = useLeaderboard(period, 'latency');
  const up = useLeaderboard(period, 'uptime');
  return (
    <div data-testid="leaderboard-page">
      <PageHeader title="Leaderboard" sub="How your monitors compare." actions={<Segmented label="Period" value={period} options={PERIODS} onChange={setPeriod} />} />
      <div className="grid gap-6 lg:grid-cols-2 [&>*]:min-w-0">
        <Board title="Fastest" sub="Lowest average response time" rows={lat.data || []} rank="fastest" loading={lat.isPending} error={lat.error} />
        <Board title="Slowest" sub="Highest average response time" rows={lat.data || []} rank="slowest" loading={lat.isPending} error={lat.error} />
        <Board title="Best uptime" sub="Highest share of successful checks" rows={up.data || []} rank="best" loading={up.isPending} error={up.error} />
        <Board title="Worst uptime" sub="Lowest share of successful checks" rows={up.data || []} rank="worst" loading={up.isPending} error={up.error} />
      </div>
    </div>
  );
}
