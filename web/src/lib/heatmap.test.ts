import { describe, expect, it } from 'vitest';
import { buildHeatmap, localDateKey, quantile } from './heatmap';
import type { HeatmapBucket } from './types';

// Buckets are built from local times so the test holds in any time zone.
const at = (day: number, hour: number) => new Date(2026, 10, day, hour, 0, 0).toISOString();
const now = new Date(2026, 10, 24, 15, 30);

describe('quantile', () => {
  it('interpolates', () => {
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('buildHeatmap', () => {
  it('makes 7 rows × 24 cells ending today, oldest first', () => {
    const h = buildHeatmap([], 7, now);
    expect(h.rows).toHaveLength(7);
    expect(h.rows.every((r) => r.cells.length === 24)).toBe(true);
    expect(h.rows[6].date).toBe(localDateKey(now));
    expect(h.rows[0].date).toBe('2026-11-18');
    expect(h.min).toBeNull();
    expect(h.rows[0].cells[0].level).toBe(-1);
  });

  it('puts each bucket in its local day and hour', () => {
    const b: HeatmapBucket[] = [
      { hour: at(24, 9), avg_ms: 120, p95_ms: 200, checks: 60, up: 60 },
      { hour: at(20, 0), avg_ms: 80, p95_ms: 90, checks: 60, up: 58 },
    ];
    const h = buildHeatmap(b, 7, now);
    const today = h.rows[6].cells[9];
    expect(today.avg).toBe(120);
    expect(today.p95).toBe(200);
    expect(today.checks).toBe(60);
    expect(today.down).toBe(0);
    const d20 = h.rows.find((r) => r.date === '2026-11-20')!.cells[0];
    expect(d20.avg).toBe(80);
    expect(d20.down).toBe(2);
    expect(h.min).toBe(80);
    expect(h.max).toBe(120);
  });

  it('ignores buckets outside the window and bad times', () => {
    const h = buildHeatmap(
      [
        { hour: at(10, 3), avg_ms: 500, checks: 10, up: 10 },
        { hour: 'not a time', avg_ms: 1, checks: 1 },
        { hour: at(25, 1), avg_ms: 2, checks: 1 },
      ],
      7,
      now,
    );
    expect(h.min).toBeNull();
    expect(h.rows.flatMap((r) => r.cells).every((c) => c.checks === 0)).toBe(true);
  });

  it('merges buckets of one local hour, weighted by successful checks', () => {
    const t = new Date(2026, 10, 23, 14, 0).getTime();
    const h = buildHeatmap(
      [
        { hour: new Date(t).toISOString(), avg_ms: 100, checks: 30, up: 30, p95_ms: 150 },
        { hour: new Date(t + 30 * 60_000).toISOString(), avg_ms: 200, checks: 10, up: 10, p95_ms: 300 },
      ],
      7,
      now,
    );
    const c = h.rows[5].cells[14];
    expect(c.avg).toBeCloseTo(125, 6);
    expect(c.p95).toBe(300);
    expect(c.checks).toBe(40);
  });

  it('counts an hour of only failures without a latency', () => {
    const h = buildHeatmap([{ hour: at(24, 2), avg_ms: null, checks: 12, up: 0 }], 7, now);
    const c = h.rows[6].cells[2];
    expect(c.avg).toBeNull();
    expect(c.down).toBe(12);
    expect(c.level).toBe(-1);
  });

  it('assigns colour levels 0..4 by the quartiles of the monitor', () => {
    const b: HeatmapBucket[] = Array.from({ length: 20 }, (_, i) => ({ hour: at(24, i), avg_ms: (i + 1) * 10, checks: 1, up: 1 }));
    const h = buildHeatmap(b, 7, now);
    const levels = h.rows[6].cells.slice(0, 20).map((c) => c.level);
    expect(levels[0]).toBe(0);
    expect(levels[19]).toBe(4);
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThanOrEqual(levels[i - 1]);
    expect(new Set(levels).size).toBe(5);
  });
});
