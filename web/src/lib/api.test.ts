import { describe, expect, it } from 'vitest';
import { flattenFieldErrors, qs, toApiError, unwrap } from './api';
import { normalizeLeaderboard, rankLeaderboard } from './leaderboard';
import { overviewCounts } from '../pages/overviewCounts';

describe('toApiError', () => {
  it('signup field errors in data', () => {
    const e = toApiError(400, { status: 'error', timestamp: 't', data: { email: ['user with this email already exists.'] } });
    expect(e.field('email')).toBe('user with this email already exists.');
    expect(e.status).toBe(400);
  });
  it('login errors in error.non_field_errors', () => {
    const e = toApiError(401, { status: 'error', data: null, error: { non_field_errors: ['Unable to log in with provided credentials.'] } });
    expect(e.message).toBe('Unable to log in with provided credentials.');
    expect(e.field('non_field_errors')).toBe('Unable to log in with provided credentials.');
  });
  it('DRF field errors at the top level, nested ones flattened', () => {
    const e = toApiError(400, { url: ['Enter a valid URL.'], config: { url: ['bad'] } });
    expect(e.field('url')).toBe('Enter a valid URL.');
    expect(e.field('config.url')).toBe('bad');
  });
  it('detail', () => {
    expect(toApiError(404, { detail: 'Not found.' }).message).toBe('Not found.');
    expect(toApiError(500, null).message).toBe('Request failed (HTTP 500)');
    expect(toApiError(0, null).message).toMatch(/reach/);
  });
  it('flattenFieldErrors keeps strings too', () => {
    expect(flattenFieldErrors({ a: 'x', b: ['y', 'z'] })).toEqual({ a: ['x'], b: ['y', 'z'] });
  });
});

describe('qs / unwrap', () => {
  it('skips empty values', () => {
    expect(qs({ page: 2, status: '', search: 'a b', x: undefined })).toBe('?page=2&search=a+b');
    expect(qs({})).toBe('');
  });
  it('unwraps the accounts envelope only', () => {
    expect(unwrap({ status: 'ok', data: { token: 't' } })).toEqual({ token: 't' });
    expect(unwrap({ id: 1 })).toEqual({ id: 1 });
  });
});

describe('leaderboard', () => {
  const rows = normalizeLeaderboard({
    results: [
      { id: 1, name: 'A', url: 'u', avg_ms: 100, p95_ms: 150, uptime_percentage: 99.5 },
      { monitor_id: 2, monitor_name: 'B', url: 'u', avg_response_time: 50, uptime: 100 },
      { id: 3, name: 'C', url: 'u', avg_ms: null, uptime_percentage: null },
    ],
  });
  it('normalizes field names', () => {
    expect(rows.map((r) => [r.id, r.name, r.avg_ms, r.uptime])).toEqual([
      [1, 'A', 100, 99.5],
      [2, 'B', 50, 100],
      [3, 'C', null, null],
    ]);
    expect(normalizeLeaderboard([{ id: 9, name: 'Z' }])[0].id).toBe(9);
    expect(normalizeLeaderboard(null)).toEqual([]);
  });
  it('ranks, missing values last', () => {
    expect(rankLeaderboard(rows, 'fastest').map((r) => r.name)).toEqual(['B', 'A', 'C']);
    expect(rankLeaderboard(rows, 'slowest').map((r) => r.name)).toEqual(['A', 'B', 'C']);
    expect(rankLeaderboard(rows, 'best').map((r) => r.name)).toEqual(['B', 'A', 'C']);
    expect(rankLeaderboard(rows, 'worst').map((r) => r.name)).toEqual(['A', 'B', 'C']);
  });
});

describe('overviewCounts', () => {
  it('derives paused and pending', () => {
    expect(overviewCounts({ total: 10, active: 8, up: 5, down: 1 })).toEqual({ up: 5, down: 1, paused: 2, pending: 2, total: 10 });
    expect(overviewCounts({ total: 0, active: 0, up: 0, down: 0 })).toEqual({ up: 0, down: 0, paused: 0, pending: 0, total: 0 });
  });
});
