// Chart series: history / hourly buckets / anomalies / incidents -> what Recharts draws.
import type { Anomaly, HeatmapBucket, HistoryItem, Incident } from './types';

export interface Point {
  /** ms since epoch */
  t: number;
  /** response time of an UP check (or the bucket's average), null for a failed check */
  ms: number | null;
  /** 95th percentile of an hourly bucket, when known */
  p95?: number | null;
  /** false when the check (or any check of the bucket) failed */
  up: boolean;
  /** the failed checks' marker height (drawn at the bottom) */
  down?: number | null;
}

export interface AnomalyPoint {
  t: number;
  ms: number;
  z: number;
}

export interface Band {
  from: number;
  to: number;
  open: boolean;
  cause: string | null;
}

const time = (iso: string): number => Date.parse(iso);

/** History (newest first, as the API sends it) -> ascending points. */
export function historySeries(items: HistoryItem[]): Point[] {
  const pts: Point[] = [];
  for (const it of items) {
    const t = time(it.created_at);
    if (Number.isNaN(t)) continue;
    pts.push({
      t,
      ms: it.is_up && it.response_time_ms !== null && it.response_time_ms !== undefined ? it.response_time_ms : null,
      up: it.is_up,
      down: it.is_up ? null : 0,
    });
  }
  pts.sort((a, b) => a.t - b.t);
  return pts;
}

/**
 * Reduces ascending points to at most `max` by averaging equal time slices
 * (a slice is down if any of its checks failed). Keeps charts fast with thousands of checks.
 */
export function downsample(points: Point[], max: number): Point[] {
  if (points.length <= max || max < 2) return points;
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const span = Math.max(1, t1 - t0);
  const slice = span / max;
  const out: Point[] = [];
  let i = 0;
  for (let k = 0; k < max && i < points.length; k++) {
    const end = k === max - 1 ? Infinity : t0 + slice * (k + 1);
    let n = 0;
    let sum = 0;
    let up = true;
    let ts = 0;
    let count = 0;
    while (i < points.length && points[i].t < end) {
      const p = points[i];
      ts += p.t;
      count++;
      if (p.ms !== null) {
        sum += p.ms;
        n++;
      }
      if (!p.up) up = false;
      i++;
    }
    if (!count) continue;
    out.push({ t: Math.round(ts / count), ms: n ? sum / n : null, up, down: up ? null : 0 });
  }
  return out;
}

/** Hourly buckets -> ascending points (avg as `ms`, p95 kept), oldest first. */
export function bucketSeries(buckets: HeatmapBucket[]): Point[] {
  const pts: Point[] = [];
  for (const b of buckets) {
    const t = time(b.hour);
    if (Number.isNaN(t)) continue;
    const up = typeof b.up === 'number' ? b.up >= b.checks : true;
    pts.push({ t, ms: b.avg_ms ?? null, p95: b.p95_ms ?? null, up, down: up ? null : 0 });
  }
  pts.sort((a, b) => a.t - b.t);
  return pts;
}

/** Anomalies inside [from, to] -> markers. */
export function anomalyPoints(anomalies: Anomaly[], from: number, to: number): AnomalyPoint[] {
  return anomalies
    .map((a) => ({ t: time(a.created_at), ms: a.response_time_ms, z: a.z }))
    .filter((a) => !Number.isNaN(a.t) && a.t >= from && a.t <= to)
    .sort((a, b) => a.t - b.t);
}

/** Incidents overlapping [from, to] -> bands clipped to the window (open ones end at `now`). */
export function incidentBands(incidents: Incident[], from: number, to: number, now: number = Date.now()): Band[] {
  const out: Band[] = [];
  for (const inc of incidents) {
    const s = time(inc.started_at);
    if (Number.isNaN(s)) continue;
    const open = !inc.resolved_at;
    const e = open ? now : time(inc.resolved_at as string);
    if (Number.isNaN(e) || e < from || s > to) continue;
    out.push({ from: Math.max(s, from), to: Math.min(Math.max(e, s), to), open, cause: inc.cause });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** Time window of a series, or [now - fallback, now] when it is empty. */
export function domainOf(points: Point[], fallbackMs: number, now: number = Date.now()): [number, number] {
  if (!points.length) return [now - fallbackMs, now];
  return [points[0].t, Math.max(points[points.length - 1].t, points[0].t + 1)];
}

/** Average of the non-null values (ms), or null. */
export function mean(values: (number | null | undefined)[]): number | null {
  let n = 0;
  let s = 0;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return n ? s / n : null;
}

/** Sparkline path (SVG `d`) for values in a w×h box; gaps (null) break the line. */
export function sparklinePath(values: (number | null)[], w: number, h: number, pad = 2): string {
  const nums = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!nums.length) return '';
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  const range = max - min || 1;
  const step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = pad + i * step;
    const y = h - pad - ((v - min) / range) * (h - 2 * pad);
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  });
  return d;
}
