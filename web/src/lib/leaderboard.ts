// The leaderboard answer -> rows. Tolerant of the field names the API may use.
import type { LeaderboardEntry } from './types';

function num(...vals: unknown[]): number | null {
  for (const v of vals) {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return null;
}

export function normalizeLeaderboard(body: unknown): LeaderboardEntry[] {
  let list: unknown[] = [];
  if (Array.isArray(body)) list = body;
  else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const inner = b.results ?? b.data ?? b.monitors ?? b.leaderboard;
    if (Array.isArray(inner)) list = inner;
  }
  return list
    .filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
    .map((r) => {
      const m = (r.monitor && typeof r.monitor === 'object' ? r.monitor : {}) as Record<string, unknown>;
      return {
        id: num(r.id, r.monitor_id, m.id) ?? 0,
        name: String(r.name ?? r.monitor_name ?? m.name ?? ''),
        url: String(r.url ?? m.url ?? ''),
        status: (r.status ?? m.status) as LeaderboardEntry['status'],
        avg_ms: num(r.avg_ms, r.avg_response_time, r.avg_latency, r.avg_response_time_ms),
        p95_ms: num(r.p95_ms, r.p95_response_time, r.p95_latency, r.p95),
        uptime: num(r.uptime_percentage, r.uptime, r.uptime_pct),
        checks: num(r.total_checks, r.checks),
      };
    });
}

export type Rank = 'fastest' | 'slowest' | 'best' | 'worst';

/** Sorts a copy for one of the four views; entries without the value go last. */
export function rankLeaderboard(rows: LeaderboardEntry[], rank: Rank): LeaderboardEntry[] {
  const key = rank === 'fastest' || rank === 'slowest' ? 'avg_ms' : 'uptime';
  const dir = rank === 'fastest' || rank === 'worst' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = a[key];
    const vb = b[key];
    if (va === null && vb === null) return a.name.localeCompare(b.name);
    if (va === null) return 1;
    if (vb === null) return -1;
    return (va - vb) * dir || a.name.localeCompare(b.name);
  });
}
