import { describe, expect, it } from 'vitest';
import { daysLeft, failureReason, formatDuration, formatInterval, formatMs, formatPercent, formatRelative, shortUrl, formatCount } from './format';

describe('formatMs', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [NaN, '—'],
    [-1, '—'],
    [0, '0.0 ms'],
    [4.26, '4.3 ms'],
    [123.456, '123 ms'],
    [999.4, '999 ms'],
    [1534, '1.53 s'],
    [12345, '12.3 s'],
  ])('%s -> %s', (v, out) => expect(formatMs(v as number)).toBe(out));
});

describe('formatPercent', () => {
  it('rounds to 2 places and clamps the ends', () => {
    expect(formatPercent(99.8612)).toBe('99.86%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(50, 0)).toBe('50%');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [200, '3m 20s'],
    [3600, '1h'],
    [7500, '2h 5m'],
    [86400 * 3 + 3600 * 4, '3d 4h'],
    [86400, '1d'],
    [-5, '—'],
    [null, '—'],
  ])('%s -> %s', (v, out) => expect(formatDuration(v as number)).toBe(out));
});

describe('formatInterval', () => {
  it('speaks seconds, minutes and hours', () => {
    expect(formatInterval(10)).toBe('every 10s');
    expect(formatInterval(300)).toBe('every 5 min');
    expect(formatInterval(3600)).toBe('every 1 h');
    expect(formatInterval(90)).toBe('every 1m 30s');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  it('past and future', () => {
    expect(formatRelative('2026-11-24T10:00:00Z', now)).toBe('just now');
    expect(formatRelative('2026-11-24T09:59:30Z', now)).toBe('30s ago');
    expect(formatRelative('2026-11-24T09:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-11-24T07:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-11-22T10:00:00Z', now)).toBe('2 d ago');
    expect(formatRelative('2026-11-24T10:05:00Z', now)).toBe('in 5 min');
  });
  it('missing or bad input', () => {
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative('nonsense', now)).toBe('—');
  });
});

describe('daysLeft', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  it('floors whole days, negative when expired', () => {
    expect(daysLeft('2026-12-01T10:00:00Z', now)).toBe(7);
    expect(daysLeft('2026-12-01T09:59:59Z', now)).toBe(6);
    expect(daysLeft('2026-11-23T10:00:00Z', now)).toBe(-1);
    expect(daysLeft(null, now)).toBeNull();
    expect(daysLeft('x', now)).toBeNull();
  });
});

describe('misc', () => {
  it('shortUrl strips the scheme and a trailing slash', () => {
    expect(shortUrl('https://shop.example.com/')).toBe('shop.example.com');
    expect(shortUrl('tcp://db:5432')).toBe('db:5432');
  });
  it('failureReason prefers the API error, then the status code', () => {
    expect(failureReason({ is_up: true, error: null, status_code: 200 })).toBe('');
    expect(failureReason({ is_up: false, error: 'timeout', status_code: 0 })).toBe('timeout');
    expect(failureReason({ is_up: false, error: null, status_code: 503 })).toBe('status 503');
    expect(failureReason({ is_up: false })).toBe('failed');
  });
  it('formatCount', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('—');
  });
});
