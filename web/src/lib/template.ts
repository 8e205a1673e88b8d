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
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const PLACEHOLDER_HELP: Record<Placeholder, string> = {
  monitor: 'monitor name',
  url: 'monitored URL',
  status: 'UP or DOWN',
  kind: 'down, up, anomaly, cert_expiry or test',
  time: 'time of the event (UTC)',
  latency_ms: 'response time in ms',
  reason: 'why it failed (timeout, status 503, …)',
  z: 'Z-score of an anomaly',
  days_left: 'days until the certificate expires',
};

export type AlertKind = 'down' | 'up' | 'anomaly' | 'cert_expiry' | 'test';
export const ALERT_KINDS: AlertKind[] = ['down', 'up', 'anomaly', 'cert_expiry', 'test'];

export type TemplateValues = Record<Placeholder, string>;

/** Sample values for the preview of each kind of alert. */
export function sampleValues(kind: AlertKind, monitor = 'Shop', url = 'https://shop.example.com/health', now: Date = new Date()): TemplateValues {
  const base: TemplateValues = {
    monitor,
    url,
    status: 'UP',
    kind,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    latency_ms: '182',
    reason: '',
    z: '',
    days_left: '',
  };
  switch (kind) {
    case 'down':
      return { ...base, status: 'DOWN', latency_ms: '', reason: 'status 503' };
    case 'up':
      return { ...base, status: 'UP', latency_ms: '143' };
    case 'anomaly':
      return { ...base, latency_ms: '1840', z: '3.42' };
    case 'cert_expiry':
      return { ...base, days_left: '7' };
    case 'test':
      return { ...base, reason: 'test message from StatusHawk' };
  }
}

/** The notifier's built-in message per kind, used when a channel has no template of its own. */
export const DEFAULT_TEMPLATES: Record<AlertKind, string> = {
  down: 'DOWN: {{monitor}}\n{{url}}\nReason: {{reason}}\n{{time}}',
  up: 'UP again: {{monitor}}\n{{url}}\nResponse time: {{latency_ms}} ms\n{{time}}',
  anomaly: 'Slow response: {{monitor}} took {{latency_ms}} ms (z = {{z}})\n{{url}}\n{{time}}',
  cert_expiry: 'Certificate: {{monitor}} expires in {{days_left}} days\n{{url}}',
  test: 'StatusHawk test message for {{monitor}}',
};

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
