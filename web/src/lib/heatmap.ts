// Response-time heatmap: the API's hourly buckets -> a days × 24 grid in local time.
import type { HeatmapBucket } from './types';

export interface HeatCell {
  /** Hour of day 0-23 (local). */
  hour: number;
  /** Weighted average latency over the checks of this cell, null when none. */
  avg: number | null;
  p95: number | null;
  checks: number;
  /** Failed checks in this cell (checks - up), when the API gives `up`. */
  down: number;
  /** 0..4 colour level relative to the monitor's own range; -1 = no data. */
  level: number;
}

export interface HeatRow {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** Short label, e.g. "Mon 24". */
  label: string;
  cells: HeatCell[];
}

export interface Heatmap {
  rows: HeatRow[];
  min: number | null;
  max: number | null;
  /** Level thresholds (ms): level = number of thresholds the value reaches. */
  thresholds: number[];
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function localDateKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Quantile of sorted values (linear interpolation). */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Builds the grid of the last `days` local days ending with the day of `now`
 * (oldest first). Buckets outside the window are ignored; several buckets that fall
 * into one local hour (half-hour time zones) are merged, weighted by their checks.
 * Colour levels use the quartiles of the non-empty cells, so each monitor gets its own scale.
 */
export function buildHeatmap(buckets: HeatmapBucket[], days = 7, now: Date = new Date()): Heatmap {
  const rows: HeatRow[] = [];
  const index = new Map<string, HeatRow>();
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  for (let i = 0; i < days; i++) {
    const d = new Date(start.getFullYear(), start.getMonth(), start.getDate() + i);
    const row: HeatRow = {
      date: localDateKey(d),
      label: d.toLocaleDateString('en-US', { weekday: 'short' }) + ' ' + d.getDate(),
      cells: Array.from({ length: 24 }, (_, hour) => ({ hour, avg: null, p95: null, checks: 0, down: 0, level: -1 })),
    };
    rows.push(row);
    index.set(row.date, row);
  }
  // Accumulate weighted sums per cell.
  const sums = new Map<HeatCell, { w: number; sum: number; p95: number | null }>();
  for (const b of buckets) {
    const t = new Date(b.hour);
    if (Number.isNaN(t.getTime())) continue;
    const row = index.get(localDateKey(t));
    if (!row) continue;
    const cell = row.cells[t.getHours()];
    const checks = Math.max(0, b.checks || 0);
    cell.checks += checks;
    if (typeof b.up === 'number') cell.down += Math.max(0, checks - b.up);
    if (b.avg_ms === null || b.avg_ms === undefined || !Number.isFinite(b.avg_ms)) continue;
    const w = Math.max(1, b.up ?? checks);
    const acc = sums.get(cell) || { w: 0, sum: 0, p95: null };
    acc.w += w;
    acc.sum += b.avg_ms * w;
    if (b.p95_ms !== null && b.p95_ms !== undefined && Number.isFinite(b.p95_ms)) {
      acc.p95 = acc.p95 === null ? b.p95_ms : Math.max(acc.p95, b.p95_ms);
    }
    sums.set(cell, acc);
  }
  const values: number[] = [];
  for (const [cell, acc] of sums) {
    cell.avg = acc.sum / acc.w;
    cell.p95 = acc.p95;
    values.push(cell.avg);
  }
  values.sort((a, b) => a - b);
  const thresholds = values.length ? [0.25, 0.5, 0.75, 0.95].map((q) => quantile(values, q)) : [];
  for (const row of rows) {
    for (const cell of row.cells) {
      if (cell.avg === null) continue;
      let level = 0;
      for (const th of thresholds) if (cell.avg > th) level++;
      cell.level = Math.min(4, level);
    }
  }
  return {
    rows,
    min: values.length ? values[0] : null,
    max: values.length ? values[values.length - 1] : null,
    thresholds,
  };
}
