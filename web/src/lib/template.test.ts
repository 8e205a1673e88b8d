import { describe, expect, it } from 'vitest';
import { ALERT_KINDS, DEFAULT_TEMPLATES, PLACEHOLDERS, formatAlertTime, renderTemplate, sampleValues, templateFor, withKindTemplate } from './template';

const now = new Date('2026-11-24T10:15:30.123Z');

describe('renderTemplate', () => {
  it('fills every placeholder', () => {
    const tpl = PLACEHOLDERS.map((p) => `${p}={{${p}}}`).join(';');
    const r = renderTemplate(tpl, sampleValues('anomaly', 'Shop', 'https://shop.example.com', now));
    expect(r.text).toBe(
      'monitor=Shop;url=https://shop.example.com;status=SLOW;kind=anomaly;time=2026-11-24 10:15:30 UTC;latency_ms=1840;reason=;z=3.4;days_left=;status_code=;mean_ms=212;since=;duration=;expires=',
    );
    expect(r.unknown).toEqual([]);
    expect(r.used).toEqual([...PLACEHOLDERS]);
  });
  it('accepts spaces inside the braces and repeats', () => {
    expect(renderTemplate('{{ monitor }} / {{monitor}}', { monitor: 'A' }).text).toBe('A / A');
  });
  it('leaves unknown placeholders visible and reports them once', () => {
    const r = renderTemplate('{{nope}} {{monitor}} {{nope}}', { monitor: 'A' });
    expect(r.text).toBe('{{nope}} A {{nope}}');
    expect(r.unknown).toEqual(['nope']);
  });
  it('does not treat single braces or text as placeholders', () => {
    expect(renderTemplate('{monitor} {{}} {{1x}}', { monitor: 'A' }).text).toBe('{monitor} {{}} {{1x}}');
  });
  it('keeps HTML as text (escaping is the renderer of the message)', () => {
    expect(renderTemplate('<b>{{monitor}}</b>', { monitor: '<i>x</i>' }).text).toBe('<b><i>x</i></b>');
  });
});

describe('sampleValues and defaults', () => {
  it('down has a reason, its code and DOWN status; cert has days left and the date', () => {
    expect(sampleValues('down', 'S', 'u', now)).toMatchObject({
      status: 'DOWN',
      reason: 'status 503',
      status_code: '503',
      kind: 'down',
      since: '2026-11-24 10:14:30 UTC',
    });
    expect(sampleValues('cert_expiry', 'S', 'u', now)).toMatchObject({ days_left: '7', expires: '2026-12-01 10:15:30 UTC' });
  });
  it('times read as the notifier writes them', () => {
    expect(formatAlertTime(now)).toBe('2026-11-24 10:15:30 UTC');
  });
  it('every default template renders without unknown or empty placeholders', () => {
    for (const k of ALERT_KINDS) {
      const values = sampleValues(k, 'Shop', 'https://x', now);
      const r = renderTemplate(DEFAULT_TEMPLATES[k], values);
      expect(r.unknown).toEqual([]);
      expect(r.text).not.toMatch(/\{\{/);
      for (const p of r.used) expect(values[p], `${k}: {{${p}}}`).not.toBe('');
      if (k !== 'test') expect(r.text).toContain('Shop');
    }
  });
  it('the defaults read like the notifier\'s messages', () => {
    expect(renderTemplate(DEFAULT_TEMPLATES.up, sampleValues('up', 'Shop', 'https://x', now)).text).toBe(
      '✅ UP · Shop\nhttps://x\nDown for 42m 0s (since 2026-11-24 09:33:30 UTC)\nRecovered 2026-11-24 10:15:30 UTC',
    );
  });
});

describe('templates per kind', () => {
  it('reads a channel\'s text for a kind: a single string for all, an object per kind', () => {
    expect(templateFor('all {{kind}}', 'up')).toBe('all {{kind}}');
    expect(templateFor({ down: 'D' }, 'down')).toBe('D');
    expect(templateFor({ down: 'D' }, 'up')).toBeNull();
    expect(templateFor(null, 'down')).toBeNull();
    expect(templateFor('', 'down')).toBeNull();
  });
  it('changing one kind leaves the others as they were', () => {
    expect(withKindTemplate(null, 'down', 'D')).toEqual({ down: 'D' });
    expect(withKindTemplate({ down: 'D', up: 'U' }, 'up', 'U2')).toEqual({ down: 'D', up: 'U2' });
    // A single string kept every kind's text: it stays for the kinds not edited.
    expect(withKindTemplate('S', 'down', 'D')).toEqual({ down: 'D', up: 'S', anomaly: 'S', cert_expiry: 'S', test: 'S' });
  });
  it('back to the default: the kind goes, and no kind left means no template', () => {
    expect(withKindTemplate({ down: 'D', up: 'U' }, 'down', null)).toEqual({ up: 'U' });
    expect(withKindTemplate({ down: 'D' }, 'down', null)).toBeNull();
  });
});
