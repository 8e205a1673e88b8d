import { describe, expect, it } from 'vitest';
import { anomalyPoints, bucketSeries, domainOf, downsample, historySeries, incidentBands, mean, sparklinePath, type Point } from './series';
import type { HistoryItem } from './types';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('historySeries', () => {
  it('sorts ascending and leaves failed checks without a latency', () => {
    const items: HistoryItem[] = [
      { id: 3, status_code: 200, response_time_ms: 130, is_up: true, created_at: iso(120) },
      { id: 2, status_code: 503, response_time_ms: 40, is_up: false, created_at: iso(60), error: 'status 503' },
      { id: 1, status_code: 200, response_time_ms: 100, is_up: true, created_at: iso(0) },
    ];
    const s = historySeries(items);
    expect(s.map((p) => p.t)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
    expect(s.map((p) => p.ms)).toEqual([100, null, 130]);
    expect(s.map((p) => p.up)).toEqual([true, false, true]);
    expect(s[1].down).toBe(0);
  });
  it('skips unparsable times', () => {
    expect(historySeries([{ id: 1, status_code: 200, response_time_ms: 1, is_up: true, created_at: 'x' }])).toEqual([]);
  });
});

describe('downsample', () => {
  const pts: Point[] = Array.from({ length: 1000 }, (_, i) => ({ t: T0 + i * 1000, ms: i % 2 ? 200 : 100, up: i !== 500 }));
  it('keeps short series as they are', () => {
    expect(downsample(pts.slice(0, 10), 50)).toHaveLength(10);
  });
  it('reduces to at most max points, averaging and keeping failures', () => {
    const d = downsample(pts, 100);
    expect(d.length).toBeLessThanOrEqual(100);
    expect(d.length).toBeGreaterThan(90);
    for (const p of d) expect(p.ms).toBeCloseTo(150, 0);
    expect(d.filter((p) => !p.up)).toHaveLength(1);
    expect(d[0].t).toBeGreaterThanOrEqual(T0);
    expect(d[d.length - 1].t).toBeLessThanOrEqual(T0 + 999_000);
  });
  it('a slice of only failures has no latency', () => {
    const all: Point[] = Array.from({ length: 10 }, (_, i) => ({ t: T0 + i, ms: null, up: false }));
    expect(downsample(all, 2).every((p) => p.ms === null && !p.up)).toBe(true);
  });
});

describe('bucketSeries', () => {
  it('hourly buckets -> points with p95 and up flag', () => {
    const s = bucketSeries([
      { hour: iso(3600), avg_ms: 120, p95_ms: 180, checks: 60, up: 59 },
      { hour: iso(0), avg_ms: 100, p95_ms: 140, checks: 60, up: 60 },
    ]);
    expect(s).toEqual([
      { t: T0, ms: 100, p95: 140, up: true, down: null },
      { t: T0 + 3600_000, ms: 120, p95: 180, up: false, down: 0 },
    ]);
  });
});

describe('anomalyPoints / incidentBands', () => {
  it('keeps anomalies inside the window', () => {
    const a = anomalyPoints(
      [
        { id: 1, created_at: iso(10), response_time_ms: 900, mean: 100, stdev: 50, z: 16 },
        { id: 2, created_at: iso(-10), response_time_ms: 800, mean: 100, stdev: 50, z: 14 },
      ],
      T0,
      T0 + 60_000,
    );
    expect(a).toEqual([{ t: T0 + 10_000, ms: 900, z: 16 }]);
  });
  it('clips incidents to the window and ends open ones now', () => {
    const now = T0 + 600_000;
    const b = incidentBands(
      [
        { id: 1, started_at: iso(-100), resolved_at: iso(100), duration_s: 200, cause: 'timeout' },
        { id: 2, started_at: iso(500), resolved_at: null, duration_s: null, cause: 'status 503' },
        { id: 3, started_at: iso(-1000), resolved_at: iso(-900), duration_s: 100, cause: null },
      ],
      T0,
      T0 + 550_000,
      now,
    );
    expect(b).toEqual([
      { from: T0, to: T0 + 100_000, open: false, cause: 'timeout' },
      { from: T0 + 500_000, to: T0 + 550_000, open: true, cause: 'status 503' },
    ]);
  });
});

describe('helpers', () => {
  it('domainOf', () => {
    expect(domainOf([], 1000, 5000)).toEqual([4000, 5000]);
    expect(domainOf([{ t: 10, ms: 1, up: true }], 1000)).toEqual([10, 11]);
  });
  it('mean ignores gaps', () => {
    expect(mean([100, null, 200, undefined])).toBe(150);
    expect(mean([null])).toBeNull();
  });
  it('sparklinePath draws min at the bottom, max at the top, breaks at gaps', () => {
    const d = sparklinePath([0, 10, null, 5], 100, 20, 0);
    expect(d).toBe('M0.0 20.0L33.3 0.0M100.0 10.0');
    expect(sparklinePath([null, null], 10, 10)).toBe('');
    expect(sparklinePath([5, 5], 10, 10, 0)).toBe('M0.0 10.0L10.0 10.0');
  });
});
