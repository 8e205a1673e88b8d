// A tiny SVG sparkline of recent response times (no chart library needed in the table).
import { useSparkline } from '../lib/queries';
import { historySeries, sparklinePath, mean } from '../lib/series';
import { formatMs } from '../lib/format';

export default function Sparkline({ id, enabled, lastChecked, width = 112, height = 28 }: { id: number; enabled: boolean; lastChecked?: string | null; width?: number; height?: number }) {
  const q = useSparkline(id, enabled, lastChecked);
  const pts = q.data ? historySeries(q.data.results) : [];
  if (!enabled || !pts.length) {
    return <svg width={width} height={height} aria-hidden className="opacity-40"><line x1="2" x2={width - 2} y1={height / 2} y2={height / 2} stroke="currentColor" strokeDasharray="3 3" className="text-border" /></svg>;
  }
  const values = pts.map((p) => p.ms);
  const d = sparklinePath(values, width, height);
  const step = pts.length > 1 ? (width - 4) / (pts.length - 1) : 0;
  const avg = mean(values);
  return (
    <svg width={width} height={height} role="img" aria-label={`Recent response times, average ${formatMs(avg)}`} data-testid="sparkline">
      <title>{`Last ${pts.length} checks · avg ${formatMs(avg)}`}</title>
      {pts.length === 1 && pts[0].ms !== null && <circle cx={width / 2} cy={height / 2} r={2.5} fill="var(--chart-line)" />}
      <path d={d} fill="none" stroke="var(--chart-line)" strokeWidth="1.6" strokeLinejoin="round" strokeLinecap="round" />
      {pts.map((p, i) => (!p.up ? <rect key={i} x={2 + i * step - 1.5} y={height - 5} width={3} height={5} rx={1} fill="var(--c-down)" /> : null))}
    </svg>
  );
}
