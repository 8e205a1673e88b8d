// Add / edit a monitor: every option of the API, errors from the API under their fields.
import { useEffect, useState, type FormEvent } from 'react';
import * as Switch from '@radix-ui/react-switch';
import { ApiError } from '../lib/api';
import { useSaveMonitor, type MonitorInput } from '../lib/mutations';
import type { Monitor, MonitorType } from '../lib/types';
import { Button, ErrorBox, Field, Input, Select, Textarea, cx } from './ui';
import { IconPlus, IconX } from './icons';
import { toast } from './toast';

const INTERVALS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface HeaderRow {
  key: string;
  value: string;
}

interface FormState {
  name: string;
  monitor_type: MonitorType;
  url: string;
  interval: string;
  is_active: boolean;
  method: string;
  headers: HeaderRow[];
  body: string;
  expected_status: string;
  timeout_ms: string;
  follow_redirects: boolean;
  verify_tls: boolean;
  retries: string;
  anomaly_threshold: string;
  anomaly_window: string;
}

function initial(m?: Monitor): FormState {
  return {
    name: m?.name ?? '',
    monitor_type: m?.monitor_type ?? 'HTTP',
    url: m?.url ?? '',
    interval: String(m?.interval ?? 300),
    is_active: m?.is_active ?? true,
    method: m?.method ?? 'GET',
    headers: Object.entries(m?.headers || {}).map(([key, value]) => ({ key, value: String(value) })),
    body: m?.body ?? '',
    expected_status: m?.expected_status ?? '200-299',
    timeout_ms: String(m?.timeout_ms ?? 10000),
    follow_redirects: m?.follow_redirects ?? true,
    verify_tls: m?.verify_tls ?? true,
    retries: String(m?.retries ?? 1),
    anomaly_threshold: String(m?.anomaly_threshold ?? 2),
    anomaly_window: String(m?.anomaly_window ?? 50),
  };
}

/** The timeout for an interval (seconds) when the user has not chosen one: 10 s, or half a short interval. */
export function defaultTimeout(intervalS: number): number {
  if (!Number.isFinite(intervalS) || intervalS <= 0) return 10000;
  return Math.max(1000, Math.min(10000, Math.floor((intervalS * 1000) / 2)));
}

/** Form state -> request body. Numbers that do not parse are sent as typed, so the API names them. */
export function toPayload(f: FormState): MonitorInput {
  const n = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);
  const headers: Record<string, string> = {};
  for (const h of f.headers) if (h.key.trim()) headers[h.key.trim()] = h.value;
  const body: Record<string, unknown> = {
    name: f.name.trim(),
    monitor_type: f.monitor_type,
    url: f.url.trim(),
    interval: n(f.interval),
    is_active: f.is_active,
    timeout_ms: n(f.timeout_ms),
    retries: n(f.retries),
    anomaly_threshold: n(f.anomaly_threshold),
    anomaly_window: n(f.anomaly_window),
  };
  if (f.monitor_type === 'HTTP') {
    Object.assign(body, {
      method: f.method,
      headers,
      body: f.body === '' ? null : f.body,
      expected_status: f.expected_status.trim(),
      follow_redirects: f.follow_redirects,
      verify_tls: f.verify_tls,
    });
  }
  return body as MonitorInput;
}

function Toggle({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  return (
    <label className="flex cursor-pointer items-start justify-between gap-4 rounded-lg border border-border px-3 py-2.5">
      <span>
        <span className="block text-sm font-medium text-fg">{label}</span>
        {hint && <span className="block text-xs text-muted">{hint}</span>}
      </span>
      <Switch.Root
        checked={checked}
        onCheckedChange={onChange}
        className="relative mt-0.5 h-5 w-9 shrink-0 rounded-full bg-border transition data-[state=checked]:bg-accent cursor-pointer"
        aria-label={label}
      >
        <Switch.Thumb className="block size-4 translate-x-0.5 rounded-full bg-white shadow transition data-[state=checked]:translate-x-[18px]" />
      </Switch.Root>
    </label>
  );
}

export default function MonitorForm({ monitor, onDone }: { monitor?: Monitor; onDone: (m: Monitor) => void }) {
  const [f, setF] = useState<FormState>(() => initial(monitor));
  const [advanced, setAdvanced] = useState(false);
  const save = useSaveMonitor();
  const err = save.error instanceof ApiError ? save.error : null;
  const [timeoutTouched, setTimeoutTouched] = useState(!!monitor);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => {
    if (k === 'timeout_ms') setTimeoutTouched(true);
    setF((s) => {
      const next = { ...s, [k]: v };
      // The api wants the timeout below the interval: follow short intervals until the user sets one.
      if (k === 'interval' && !timeoutTouched) next.timeout_ms = String(defaultTimeout(Number(v)));
      return next;
    });
  };

  useEffect(() => setF(initial(monitor)), [monitor]);

  // Open the advanced section when the API complains about a field inside it.
  useEffect(() => {
    if (!err) return;
    const adv = ['headers', 'body', 'timeout_ms', 'retries', 'anomaly_threshold', 'anomaly_window', 'follow_redirects', 'verify_tls', 'method', 'expected_status'];
    if (Object.keys(err.fields).some((k) => adv.some((a) => k === a || k.startsWith(`${a}.`)))) setAdvanced(true);
  }, [err]);

  const fe = (k: string): string | undefined => {
    if (!err) return undefined;
    const own = err.field(k);
    if (own) return own;
    const nested = Object.keys(err.fields).filter((x) => x.startsWith(`${k}.`));
    return nested.length ? nested.map((x) => `${x.slice(k.length + 1)}: ${err.field(x)}`).join(' ') : undefined;
  };
  const known = ['name', 'monitor_type', 'url', 'interval', 'is_active', 'method', 'headers', 'body', 'expected_status', 'timeout_ms', 'follow_redirects', 'verify_tls', 'retries', 'anomaly_threshold', 'anomaly_window'];
  const other = err ? Object.keys(err.fields).filter((k) => !known.includes(k.split('.')[0])) : [];
  const generalError = err && (other.length ? other.map((k) => err.field(k)).join(' ') : Object.keys(err.fields).length ? null : err.message);

  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      const m = await save.mutateAsync({ id: monitor?.id, data: toPayload(f) });
      toast(monitor ? 'Monitor saved' : `Monitor “${m.name}” added — first check within a second`);
      onDone(m);
    } catch {
      /* shown inline */
    }
  }

  const http = f.monitor_type === 'HTTP';
  const urlPlaceholder = http ? 'https://example.com/health' : f.monitor_type === 'TCP' ? 'tcp://db.example.com:5432' : 'example.com';
  const customInterval = !INTERVALS.includes(Number(f.interval));

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" noValidate data-testid="monitor-form">
      {generalError && <ErrorBox error={generalError} />}
      <Field label="Name" error={fe('name')}>
        {(a) => <Input {...a} name="name" value={f.name} onChange={(e) => set('name', e.target.value)} placeholder="Shop" autoFocus maxLength={255} />}
      </Field>
      <div className="grid gap-4 sm:grid-cols-[9rem_1fr]">
        <Field label="Type" error={fe('monitor_type')}>
          {(a) => (
            <Select {...a} name="monitor_type" value={f.monitor_type} onChange={(e) => set('monitor_type', e.target.value as MonitorType)}>
              <option value="HTTP">HTTP(S)</option>
              <option value="TCP">TCP port</option>
              <option value="PING">Ping</option>
            </Select>
          )}
        </Field>
        <Field label={http ? 'URL' : f.monitor_type === 'TCP' ? 'Address' : 'Host'} error={fe('url')}>
          {(a) => <Input {...a} name="url" value={f.url} onChange={(e) => set('url', e.target.value)} placeholder={urlPlaceholder} inputMode="url" autoCapitalize="off" spellCheck={false} />}
        </Field>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Check interval" error={fe('interval')}>
          {(a) => (
            <div className="flex gap-2">
              <Select
                {...a}
                name="interval_preset"
                value={customInterval ? 'custom' : f.interval}
                onChange={(e) => set('interval', e.target.value === 'custom' ? '45' : e.target.value)}
                className="flex-1"
              >
                {INTERVALS.map((s) => (
                  <option key={s} value={s}>
                    {s < 60 ? `${s} seconds` : s < 3600 ? `${s / 60} minute${s === 60 ? '' : 's'}` : '1 hour'}
                  </option>
                ))}
                <option value="custom">Custom…</option>
              </Select>
              {customInterval && (
                <Input name="interval" aria-label="Interval in seconds" className="w-24" inputMode="numeric" value={f.interval} onChange={(e) => set('interval', e.target.value)} />
              )}
            </div>
          )}
        </Field>
        {http && (
          <Field label="Expected status" error={fe('expected_status')} hint="e.g. 200-299 or 200,301">
            {(a) => <Input {...a} name="expected_status" value={f.expected_status} onChange={(e) => set('expected_status', e.target.value)} />}
          </Field>
        )}
      </div>
      <Toggle label="Active" hint="Paused monitors are not checked." checked={f.is_active} onChange={(v) => set('is_active', v)} />

      <button
        type="button"
        onClick={() => setAdvanced((v) => !v)}
        className="self-start text-sm font-medium text-accent hover:underline cursor-pointer"
        aria-expanded={advanced}
      >
        {advanced ? 'Hide' : 'Show'} advanced options
      </button>

      {advanced && (
        <div className="flex flex-col gap-4 rounded-xl border border-border bg-elev/50 p-4">
          {http && (
            <>
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label="Method" error={fe('method')}>
                  {(a) => (
                    <Select {...a} name="method" value={f.method} onChange={(e) => set('method', e.target.value)}>
                      {METHODS.map((m) => (
                        <option key={m}>{m}</option>
                      ))}
                    </Select>
                  )}
                </Field>
                <Field label="Timeout (ms)" error={fe('timeout_ms')}>
                  {(a) => <Input {...a} name="timeout_ms" inputMode="numeric" value={f.timeout_ms} onChange={(e) => set('timeout_ms', e.target.value)} />}
                </Field>
              </div>
              <fieldset className="flex flex-col gap-2">
                <legend className="mb-1.5 text-sm font-medium text-fg">Headers</legend>
                {f.headers.map((h, i) => (
                  <div key={i} className="flex gap-2">
                    <Input
                      aria-label={`Header ${i + 1} name`}
                      placeholder="X-Api-Key"
                      value={h.key}
                      onChange={(e) => set('headers', f.headers.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
                    />
                    <Input
                      aria-label={`Header ${i + 1} value`}
                      placeholder="value"
                      value={h.value}
                      onChange={(e) => set('headers', f.headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                    />
                    <Button type="button" variant="ghost" aria-label={`Remove header ${i + 1}`} onClick={() => set('headers', f.headers.filter((_, j) => j !== i))}>
                      <IconX size={16} />
                    </Button>
                  </div>
                ))}
                <Button type="button" size="sm" variant="secondary" className="self-start" onClick={() => set('headers', [...f.headers, { key: '', value: '' }])}>
                  <IconPlus size={14} /> Add header
                </Button>
                {fe('headers') && (
                  <p className="text-xs font-medium text-down" role="alert" data-field-error>
                    {fe('headers')}
                  </p>
                )}
              </fieldset>
              <Field label="Request body" error={fe('body')}>
                {(a) => <Textarea {...a} name="body" rows={3} value={f.body} onChange={(e) => set('body', e.target.value)} placeholder='{"ping": true}' />}
              </Field>
              <div className="grid gap-3 sm:grid-cols-2">
                <Toggle label="Follow redirects" checked={f.follow_redirects} onChange={(v) => set('follow_redirects', v)} />
                <Toggle label="Verify TLS certificate" checked={f.verify_tls} onChange={(v) => set('verify_tls', v)} />
              </div>
            </>
          )}
          <div className={cx('grid gap-4', http ? 'sm:grid-cols-3' : 'sm:grid-cols-2')}>
            {!http && (
              <Field label="Timeout (ms)" error={fe('timeout_ms')}>
                {(a) => <Input {...a} name="timeout_ms" inputMode="numeric" value={f.timeout_ms} onChange={(e) => set('timeout_ms', e.target.value)} />}
              </Field>
            )}
            <Field label="Retries before DOWN" error={fe('retries')}>
              {(a) => <Input {...a} name="retries" inputMode="numeric" value={f.retries} onChange={(e) => set('retries', e.target.value)} />}
            </Field>
            <Field label="Anomaly threshold (σ)" error={fe('anomaly_threshold')}>
              {(a) => <Input {...a} name="anomaly_threshold" inputMode="decimal" value={f.anomaly_threshold} onChange={(e) => set('anomaly_threshold', e.target.value)} />}
            </Field>
            <Field label="Baseline window (checks)" error={fe('anomaly_window')}>
              {(a) => <Input {...a} name="anomaly_window" inputMode="numeric" value={f.anomaly_window} onChange={(e) => set('anomaly_window', e.target.value)} />}
            </Field>
          </div>
        </div>
      )}

      <div className="sticky bottom-0 -mx-5 -mb-4 flex justify-end gap-2 border-t border-border bg-card px-5 py-3">
        <Button type="submit" variant="primary" busy={save.isPending}>
          {monitor ? 'Save changes' : 'Add monitor'}
        </Button>
      </div>
    </form>
  );
}
