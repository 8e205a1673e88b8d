// Shapes of the StatusHawk REST API (../shared/API.md). Only what the dashboard reads.

export type MonitorStatus = 'PENDING' | 'UP' | 'DOWN' | 'PAUSED';
export type MonitorType = 'HTTP' | 'TCP' | 'PING';
export type Period = '24h' | '7d' | '30d';

export interface User {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  is_staff?: boolean;
}

export interface Monitor {
  id: number;
  name: string;
  url: string;
  interval: number;
  monitor_type: MonitorType;
  status: MonitorStatus;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  last_checked_at: string | null;
  method?: string;
  headers?: Record<string, string> | null;
  body?: string | null;
  expected_status?: string;
  timeout_ms?: number;
  follow_redirects?: boolean;
  verify_tls?: boolean;
  retries?: number;
  anomaly_threshold?: number;
  anomaly_window?: number;
  cert_expires_at?: string | null;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface HistoryItem {
  id: number;
  status_code: number | null;
  response_time_ms: number | null;
  is_up: boolean;
  created_at: string;
  error?: string | null;
}

export interface MonitorStats {
  period: Period;
  total_checks: number;
  up_count: number;
  down_count: number;
  uptime_percentage: number;
  avg_response_time: number;
  last_check: HistoryItem | null;
}

export interface RecentFailure {
  id: number;
  monitor_name: string;
  url: string;
  code: number;
  created_at: string;
  reason: string;
  monitor_id?: number;
}

export interface DashboardStats {
  total: number;
  active: number;
  up: number;
  down: number;
  avg_latency: number | null;
  recent_failures: RecentFailure[];
}

export interface Incident {
  id: number;
  started_at: string;
  resolved_at: string | null;
  duration_s: number | null;
  cause: string | null;
}

export interface Anomaly {
  id: number;
  created_at: string;
  response_time_ms: number;
  mean: number;
  stdev: number;
  z: number;
}

export interface HeatmapBucket {
  hour: string;
  avg_ms: number | null;
  p95_ms?: number | null;
  checks: number;
  up?: number;
}

export interface LeaderboardEntry {
  id: number;
  name: string;
  url: string;
  status?: MonitorStatus;
  avg_ms: number | null;
  p95_ms: number | null;
  uptime: number | null;
  checks: number | null;
}

export interface Channel {
  id: number;
  provider: 'telegram' | 'console' | 'webhook' | string;
  name: string;
  created_at: string;
  is_active?: boolean;
  /** template: one string for every kind of alert, or one per kind (a kind left out: its default). */
  config?: { template?: string | Partial<Record<'down' | 'up' | 'anomaly' | 'cert_expiry' | 'test', string>> | null; url?: string; chat_id?: string; [k: string]: unknown } | null;
}

export type FieldErrors = Record<string, string[]>;
