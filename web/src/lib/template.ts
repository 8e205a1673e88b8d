// Alert templates: the placeholders the notifier fills, defaults and a live preview.

export const PLACEHOLDERS = [
  'monitor',
  'url',
  'status',
  'kind',
  'time',
  'latency_ms',
  'reason',
  'z',
  'days_left',
  'status_code',
  'mean_ms',
  'since',
  'duration',
  'expires',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const PLACEHOLDER_HELP: Record<Placeholder, string> = {
  monitor: 'monitor name',
  url: 'monitored URL',
  status: 'DOWN, UP, SLOW, CERTIFICATE or TEST',
  kind: 'down, up, anomaly, cert_expiry or test',
  time: 'time of the event (UTC)',
  latency_ms: 'response time in ms',
  reason: 'why it failed (timeout, status 503, …)',
  z: 'Z-score of an anomaly',
  days_left: 'days until the certificate expires',
  status_code: 'HTTP status code of the failing check',
  mean_ms: 'usual response time in ms (anomalies)',
  since: 'when the incident started (UTC)',
  duration: 'how long it was down (on recovery)',
  expires: 'when the certificate expires (UTC)',
};

export type AlertKind = 'down' | 'up' | 'anomaly' | 'cert_expiry' | 'test';
export const ALERT_KINDS: AlertKind[] = ['down', 'up', 'anomaly', 'cert_expiry', 'test'];

export type TemplateValues = Record<Placeholder, string>;

/** A time as the notifier writes it: "2026-11-24 10:15:30 UTC". */
export function formatAlertTime(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Sample values for the preview of each kind of alert, as the notifier would fill them. */
export function sampleValues(kind: AlertKind, monitor = 'Shop', url = 'https://shop.example.com/health', now: Date = new Date()): TemplateValues {
  const minutesAgo = (m: number) => formatAlertTime(new Date(now.getTime() - m * 60_000));
  const base: TemplateValues = {
    monitor,
    url,
    status: 'TEST',
    kind,
    time: formatAlertTime(now),
    latency_ms: '',
    reason: '',
    z: '',
    days_left: '',
    status_code: '',
    mean_ms: '',
    since: '',
    duration: '',
    expires: '',
  };
  switch (kind) {
    case 'down':
      return { ...base, status: 'DOWN', reason: 'status 503', status_code: '503', since: minutesAgo(1) };
    case 'up':
      return { ...base, status: 'UP', latency_ms: '143', since: minutesAgo(42), duration: '42m 0s' };
    case 'anomaly':
      return { ...base, status: 'SLOW', latency_ms: '1840', mean_ms: '212', z: '3.4' };
    case 'cert_expiry':
      return { ...base, status: 'CERTIFICATE', days_left: '7', expires: formatAlertTime(new Date(now.getTime() + 7 * 86_400_000)) };
    case 'test':
      return { ...base, monitor: '', url: '' };
  }
}

/**
 * The notifier's built-in message per kind (notifier/template.c), written as a template: the
 * starting point of a channel's own. The notifier also makes the headline bold and leaves out
 * the lines whose values are missing.
 */
export const DEFAULT_TEMPLATES: Record<AlertKind, string> = {
  down: '🔴 DOWN · {{monitor}}\n{{url}}\nWhy: {{reason}}\nSince {{since}}',
  up: '✅ UP · {{monitor}}\n{{url}}\nDown for {{duration}} (since {{since}})\nRecovered {{time}}',
  anomaly: '🐢 SLOW · {{monitor}}\nResponse {{latency_ms}} ms vs usual {{mean_ms}} ms (z = {{z}})\n{{url}}\nAt {{time}}',
  cert_expiry: '🔒 Certificate expires in {{days_left}} days · {{monitor}}\n{{url}}\nExpires {{expires}}',
  test: '🔔 StatusHawk test\nThis channel is connected: alerts for your monitors arrive here.\nSent {{time}}',
};

/** A channel's stored template: one string for every kind, one per kind, or none. */
export type StoredTemplate = string | Partial<Record<AlertKind, string>> | null | undefined;

/** The channel's own text for `kind`, or null when that kind sends the default message. */
export function templateFor(stored: StoredTemplate, kind: AlertKind): string | null {
  const t = typeof stored === 'string' ? stored : stored && typeof stored === 'object' ? stored[kind] : null;
  return typeof t === 'string' && t ? t : null;
}

/**
 * The template to store once `kind` has `text` (null: back to its default). A single string stays
 * in force for the other kinds, written out per kind; null when no kind has a text of its own.
 */
export function withKindTemplate(stored: StoredTemplate, kind: AlertKind, text: string | null): Partial<Record<AlertKind, string>> | null {
  const next: Partial<Record<AlertKind, string>> = {};
  for (const k of ALERT_KINDS) {
    const t = k === kind ? text : templateFor(stored, k);
    if (t) next[k] = t;
  }
  return Object.keys(next).length ? next : null;
}

export interface RenderResult {
  text: string;
  /** {{names}} that are not placeholders (shown as warnings, left as they are). */
  unknown: string[];
  /** placeholders used */
  used: Placeholder[];
}

const TOKEN = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/**
 * Fills the placeholders of `template` (`{{ name }}` also accepted). Unknown ones stay visible.
 * Same syntax as the notifier's (common/alert_template.h).
 */
export function renderTemplate(template: string, values: Partial<TemplateValues>): RenderResult {
  const unknown = new Set<string>();
  const used = new Set<Placeholder>();
  const text = template.replace(TOKEN, (whole, name: string) => {
    if ((PLACEHOLDERS as readonly string[]).includes(name)) {
      used.add(name as Placeholder);
      return values[name as Placeholder] ?? '';
    }
    unknown.add(name);
    return whole;
  });
  return { text, unknown: [...unknown], used: [...used] };
}

/** Longest template the api accepts (common/alert_template.h ALERT_TEMPLATE_MAX). */
export const TEMPLATE_MAX = 2048;

/** Telegram's limit for one message. */
export const TELEGRAM_MAX = 4096;
