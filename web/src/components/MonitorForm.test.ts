import { describe, expect, it } from 'vitest';
import { defaultTimeout, toPayload } from './MonitorForm';

const base = {
  name: ' Shop ',
  monitor_type: 'HTTP' as const,
  url: ' https://shop.example.com/health ',
  interval: '60',
  is_active: true,
  method: 'POST',
  headers: [
    { key: 'X-Key', value: 'v' },
    { key: ' ', value: 'ignored' },
  ],
  body: '{"a":1}',
  expected_status: '200-299 ',
  timeout_ms: '5000',
  follow_redirects: false,
  verify_tls: true,
  retries: '2',
  anomaly_threshold: '2.5',
  anomaly_window: '50',
};

describe('monitor form payload', () => {
  it('trims, converts numbers, drops empty headers', () => {
    expect(toPayload(base)).toEqual({
      name: 'Shop',
      monitor_type: 'HTTP',
      url: 'https://shop.example.com/health',
      interval: 60,
      is_active: true,
      timeout_ms: 5000,
      retries: 2,
      anomaly_threshold: 2.5,
      anomaly_window: 50,
      method: 'POST',
      headers: { 'X-Key': 'v' },
      body: '{"a":1}',
      expected_status: '200-299',
      follow_redirects: false,
      verify_tls: true,
    });
  });
  it('sends what does not parse as typed, so the API names the field', () => {
    expect(toPayload({ ...base, interval: 'soon' }).interval).toBe('soon');
  });
  it('TCP monitors carry no HTTP options; an empty body is null', () => {
    const p = toPayload({ ...base, monitor_type: 'TCP', url: 'tcp://db:5432' }) as Record<string, unknown>;
    expect(p.method).toBeUndefined();
    expect(p.headers).toBeUndefined();
    expect(toPayload({ ...base, body: '' }).body).toBeNull();
  });
  it('default timeout stays below short intervals', () => {
    expect(defaultTimeout(10)).toBe(5000);
    expect(defaultTimeout(1)).toBe(1000);
    expect(defaultTimeout(60)).toBe(10000);
    expect(defaultTimeout(NaN)).toBe(10000);
  });
});
