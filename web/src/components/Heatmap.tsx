// 7-day × 24-hour latency heatmap (pure CSS grid, no chart library).
import type { Heatmap as H } from '../lib/heatmap';
import { formatMs } from '../lib/format';
import { cx } from './ui';

const levelBg = ['var(--heat-0)', 'var(--heat-1)', 'var(--heat-2)', 'var(--heat-3)', 'var(--heat-4)'];

export default function Heatmap({ data }: { data: H }) {
  return (
    <div data-testid="heatmap">
      <div className="overflow-x-auto">
        <div className="min-w-[560px]">
          <div className="grid grid-cols-[3.5rem_repeat(24,minmax(0,1fr))] gap-[3px]" role="grid" aria-label="Average response time per hour, last 7 days">
            <div />
            {Array.from({ length: 24 }, (_, h) => (
              <div key={h} className="text-center text-[10px] text-muted tabular" aria-hidden>
                {h % 3 === 0 ? String(h).padStart(2, '0') : ''}
              </div>
            ))}
            {data.rows.map((row) => (
              <div key={row.date} className="contents" role="row">
                <div className="pr-2 text-right text-[11px] leading-6 text-muted" role="rowheader">
                  {row.label}
                </div>
                {row.cells.map((c) => {
                  const label = `${row.label} ${String(c.hour).padStart(2, '0')}:00 — ${
                    c.avg === null ? 'no data' : `avg ${formatMs(c.avg)}${c.p95 !== null ? `, p95 ${formatMs(c.p95)}` : ''}, ${c.checks} checks${c.down ? `, ${c.down} failed` : ''}`
                  }`;
                  return (
                    <div
                      key={c.hour}
                      role="gridcell"
                      aria-label={label}
                      title={label}
                      className={cx('h-6 rounded-[4px]', c.down > 0 && 'ring-2 ring-inset ring-down')}
                      style={{ background: c.level < 0 ? 'var(--heat-empty)' : levelBg[c.level] }}
                    />
                  );
                })}
              </div>
            ))}
          </div>
        </div>
      </div>
      <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-xs text-muted">
        <div className="flex items-center gap-1.5">
          <span>Faster</span>
          {levelBg.map((bg, i) => (
            <span key={i} className="size-3 rounded-[3px]" style={{ background: bg }} aria-hidden />
          ))}
          <span>Slower</span>
          <span className="ml-3 inline-flex items-center gap-1">
            <span className="size-3 rounded-[3px] ring-2 ring-inset ring-down" aria-hidden /> failed checks
          </span>
        </div>
        {data.min !== null && (
          <span className="tabular">
            {formatMs(data.min)} – {formatMs(data.max)}
          </span>
        )}
      </div>
    </div>
  );
}
