import { describe, expect, it } from 'vitest';
import { ALERT_KINDS, DEFAULT_TEMPLATES, PLACEHOLDERS, renderTemplate, sampleValues } from './template';

const now = new Date('2026-11-24T10:15:30.123Z');

describe('renderTemplate', () => {
  it('fills every placeholder', () => {
    const tpl = PLACEHOLDERS.map((p) => `${p}={{${p}}}`).join(';');
    const r = renderTemplate(tpl, sampleValues('anomaly', 'Shop', 'https://shop.example.com', now));
    expect(r.text).toBe(
      'monitor=Shop;url=https://shop.example.com;status=UP;kind=anomaly;time=2026-11-24T10:15:30Z;latency_ms=1840;reason=;z=3.42;days_left=',
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
  it('down has a reason and DOWN status; cert has days left', () => {
    expect(sampleValues('down', 'S', 'u', now)).toMatchObject({ status: 'DOWN', reason: 'status 503', kind: 'down' });
    expect(sampleValues('cert_expiry', 'S', 'u', now).days_left).toBe('7');
  });
  it('every default template renders without unknown placeholders', () => {
    for (const k of ALERT_KINDS) {
      const r = renderTemplate(DEFAULT_TEMPLATES[k], sampleValues(k, 'Shop', 'https://x', now));
      expect(r.unknown).toEqual([]);
      expect(r.text).toContain('Shop');
      expect(r.text).not.toMatch(/\{\{/);
    }
  });
});
