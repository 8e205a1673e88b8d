// Response-time chart: line of response times, red bands for incidents, dots for anomalies.
import { Area, CartesianGrid, ComposedChart, ReferenceArea, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import type { AnomalyPoint, Band, Point } from '../lib/series';
import { formatMs } from '../lib/format';

function tickTime(span: number) {
  return (t: number) => {
    const d = new Date(t);
    if (span <= 10 * 60_000) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (span <= 36 * 3600_000) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  };
}

interface TipProps {
  active?: boolean;
  payload?: { payload: Point & { z?: number } }[];
}
function Tip({ active, payload }: TipProps) {
  if (!active || !payload?.length) return null;
  const p = payload[0].payload;
  return (
    <div className="rounded-lg border border-border bg-card px-3 py-2 text-xs shadow-lg">
      <p className="font-medium text-fg">{new Date(p.t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })}</p>
      {p.z !== undefined ? (
        <p className="text-warn">
          Anomaly: {formatMs(p.ms)} (z = {p.z.toFixed(2)})
        </p>
      ) : p.up ? (
        <p className="text-muted">
          {formatMs(p.ms)}
          {p.p95 != null && <span> · p95 {formatMs(p.p95)}</span>}
        </p>
      ) : (
        <p className="text-down">{p.ms != null ? `${formatMs(p.ms)} · ` : ''}failed</p>
      )}
    </div>
  );
}

export default function ResponseChart({ points, anomalies, bands, domain }: { points: Point[]; anomalies: AnomalyPoint[]; bands: Band[]; domain: [number, number] }) {
  const span = domain[1] - domain[0];
  const downs = points.filter((p) => !p.up).map((p) => ({ ...p, ms: 0 }));
  return (
    <div className="h-64 w-full sm:h-72" data-testid="response-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <defs>
            <linearGradient id="sh-area" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="var(--chart-line)" stopOpacity={0.28} />
              <stop offset="100%" stopColor="var(--chart-line)" stopOpacity={0} />
            </linearGradient>
          </defs>
          <CartesianGrid vertical={false} strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" scale="time" domain={domain} tickFormatter={tickTime(span)} tickLine={false} axisLine={false} minTickGap={40} />
          <YAxis tickFormatter={(v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v)}`)} width={42} tickLine={false} axisLine={false} unit="" />
          {bands.map((b, i) => (
            <ReferenceArea key={i} x1={b.from} x2={b.to} fill="var(--c-down)" fillOpacity={0.12} stroke="var(--c-down)" strokeOpacity={0.35} ifOverflow="hidden" />
          ))}
          <Tooltip content={<Tip />} cursor={{ stroke: 'var(--c-muted)', strokeDasharray: '3 3' }} isAnimationActive={false} />
          <Area type="monotone" dataKey="ms" stroke="var(--chart-line)" strokeWidth={1.8} fill="url(#sh-area)" connectNulls={false} isAnimationActive={false} dot={false} activeDot={{ r: 3 }} />
          {/* An empty Scatter would fall back to the chart's data: render only when there is something. */}
          {downs.length > 0 && <Scatter data={downs} dataKey="ms" fill="var(--c-down)" shape="square" isAnimationActive={false} legendType="none" />}
          {anomalies.length > 0 && (
            <Scatter data={anomalies} dataKey="ms" fill="var(--c-warn)" stroke="var(--c-card)" strokeWidth={1.5} isAnimationActive={false} legendType="none" data-testid="anomaly-markers" />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
