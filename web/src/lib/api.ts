// The one place that talks to the REST API. Everything goes through `api()`.
import type { FieldErrors } from './types';

/** Base URL of the API: relative by default, set VITE_API_BASE at build time to change it. */
export const API_BASE: string = (import.meta.env.VITE_API_BASE as string | undefined)?.replace(/\/+$/, '') || '/api/v1';

const TOKEN_KEY = 'sh.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: the token lives for this page only */
  }
}

/** An error answer of the API: status, a message for humans and DRF-style field errors. */
export class ApiError extends Error {
  status: number;
  fields: FieldErrors;
  body: unknown;
  constructor(status: number, message: string, fields: FieldErrors = {}, body: unknown = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fields = fields;
    this.body = body;
  }
  /** The messages of one field (also looks at nested keys such as `config.url`). */
  field(name: string): string | undefined {
    const v = this.fields[name];
    return v && v.length ? v.join(' ') : undefined;
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};
/** Called once per 401 from a protected route (the app sends the user to log in). */
export function setUnauthorizedHandler(fn: Unauthorized): void {
  onUnauthorized = fn;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Flattens `{"a":["x"],"config":{"url":["y"]}}` into `{"a":["x"],"config.url":["y"]}`. */
export function flattenFieldErrors(obj: unknown, prefix = ''): FieldErrors {
  const out: FieldErrors = {};
  if (!isRecord(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) out[key] = v.map((x) => String(x));
    else if (typeof v === 'string') out[key] = [v];
    else if (isRecord(v)) Object.assign(out, flattenFieldErrors(v, key));
  }
  return out;
}

/** Turns an error body of any of the API's shapes into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  let fields: FieldErrors = {};
  let message = '';
  if (isRecord(body)) {
    // {"status":"error","data":{field errors}} (signup) / {"error":{"non_field_errors":[..]}} (login)
    if (body.status === 'error') {
      fields = { ...flattenFieldErrors(body.data), ...flattenFieldErrors(body.error) };
    } else if (typeof body.detail === 'string') {
      message = body.detail;
    } else {
      fields = flattenFieldErrors(body);
    }
    if (typeof body.detail === 'string') message = body.detail;
  }
  if (!message && fields.non_field_errors) message = fields.non_field_errors.join(' ');
  if (!message && fields.detail) message = fields.detail.join(' ');
  if (!message) {
    const first = Object.entries(fields)[0];
    message = first ? `${first[0]}: ${first[1].join(' ')}` : `Request failed (HTTP ${status})`;
  }
  if (status === 0) message = 'Cannot reach the StatusHawk server.';
  return new ApiError(status, message, fields, body);
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Public routes (login, signup): a 401 there is a wrong password, not an expired session. */
  public?: boolean;
}

/** Calls `API_BASE + path`; resolves to the parsed JSON (null for 204), rejects with ApiError. */
export async function api<T = unknown>(path: string, opts: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token && !opts.public) headers.Authorization = `Token ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API_BASE + path, {
      method: opts.method || 'GET',
      headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw toApiError(0, null);
  }
  const text = res.status === 204 ? '' : await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text.slice(0, 200) };
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.public) {
      setToken(null);
      onUnauthorized();
    }
    throw toApiError(res.status, body);
  }
  return body as T;
}

/** Unwraps the `{"status":"ok","data":...}` envelope of the accounts routes. */
export function unwrap<T>(body: unknown): T {
  if (isRecord(body) && 'data' in body && 'status' in body) return body.data as T;
  return body as T;
}

/** `?a=1&b=x` from an object, skipping empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
