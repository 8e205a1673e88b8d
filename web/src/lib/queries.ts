// TanStack Query hooks for every API route the dashboard uses.
import { keepPreviousData, useQuery, useQueries } from '@tanstack/react-query';
import { api, qs, unwrap } from './api';
import { normalizeLeaderboard } from './leaderboard';
import type {
  Anomaly,
  Channel,
  DashboardStats,
  HeatmapBucket,
  HistoryItem,
  Incident,
  Monitor,
  MonitorStats,
  MonitorStatus,
  Page,
  Period,
  User,
} from './types';

/** Polling intervals (ms). */
export const POLL = { fast: 10_000, normal: 20_000, slow: 60_000 };

export const keys = {
  me: ['me'] as const,
  dashboard: ['dashboard'] as const,
  monitors: (p: object) => ['monitors', p] as const,
  monitor: (id: number) => ['monitor', id] as const,
  stats: (id: number, period: Period) => ['monitor', id, 'stats', period] as const,
  history: (id: number, p: object) => ['monitor', id, 'history', p] as const,
  incidents: (id: number, p: object) => ['monitor', id, 'incidents', p] as const,
  anomalies: (id: number) => ['monitor', id, 'anomalies'] as const,
  heatmap: (id: number, days: number) => ['monitor', id, 'heatmap', days] as const,
  leaderboard: (period: Period, by: string) => ['leaderboard', period, by] as const,
  channels: ['channels'] as const,
  telegramLink: ['telegram-link'] as const,
};

export function useMe(enabled = true) {
  return useQuery({
    queryKey: keys.me,
    queryFn: async () => unwrap<User>(await api('/accounts/me')),
    enabled,
    staleTime: 5 * 60_000,
  });
}

export function useDashboard() {
  return useQuery({
    queryKey: keys.dashboard,
    queryFn: () => api<DashboardStats>('/monitors/dashboard_stats/'),
    refetchInterval: POLL.fast,
  });
}

export interface MonitorListParams {
  page?: number;
  size?: number;
  status?: MonitorStatus | '';
  search?: string;
}

export function monitorsPath(p: MonitorListParams): string {
  return `/monitors/${qs({ page: p.page, size: p.size, status: p.status, search: p.search })}`;
}

export function useMonitors(p: MonitorListParams, poll = POLL.fast) {
  return useQuery({
    queryKey: keys.monitors(p),
    queryFn: () => api<Page<Monitor>>(monitorsPath(p)),
    refetchInterval: poll,
    placeholderData: keepPreviousData,
  });
}

export function useMonitor(id: number) {
  return useQuery({
    queryKey: keys.monitor(id),
    queryFn: () => api<Monitor>(`/monitors/${id}/`),
    refetchInterval: POLL.fast,
  });
}

export function useMonitorStats(id: number) {
  const periods: Period[] = ['24h', '7d', '30d'];
  return useQueries({
    queries: periods.map((period) => ({
      queryKey: keys.stats(id, period),
      queryFn: () => api<MonitorStats>(`/monitors/${id}/stats/${qs({ period })}`),
      refetchInterval: period === '24h' ? POLL.fast : POLL.slow,
    })),
  });
}

export function useHistory(id: number, period: Period, page: number, size = 20) {
  return useQuery({
    queryKey: keys.history(id, { period, page, size }),
    queryFn: () => api<Page<HistoryItem>>(`/monitors/${id}/history/${qs({ period, page, size })}`),
    refetchInterval: page === 1 ? POLL.fast : false,
    placeholderData: keepPreviousData,
  });
}

/** Up to `maxPages` pages of 100 checks, newest first (for the response-time chart). */
export async function fetchHistoryPoints(id: number, period: Period, maxPages: number): Promise<{ items: HistoryItem[]; total: number }> {
  const first = await api<Page<HistoryItem>>(`/monitors/${id}/history/${qs({ period, page: 1, size: 100 })}`);
  const pages = Math.min(maxPages, Math.ceil(first.count / 100));
  const rest = await Promise.all(
    Array.from({ length: Math.max(0, pages - 1) }, (_, i) =>
      api<Page<HistoryItem>>(`/monitors/${id}/history/${qs({ period, page: i + 2, size: 100 })}`).catch(() => null),
    ),
  );
  const items = [...first.results];
  for (const r of rest) if (r) items.push(...r.results);
  return { items, total: first.count };
}

export function useHistoryPoints(id: number, period: Period, maxPages = 10, enabled = true) {
  return useQuery({
    queryKey: ['monitor', id, 'history-points', period, maxPages],
    queryFn: () => fetchHistoryPoints(id, period, maxPages),
    refetchInterval: POLL.normal,
    enabled,
    placeholderData: keepPreviousData,
  });
}

/** The last checks of one monitor, for the sparkline of the monitors table. */
export function useSparkline(id: number, enabled: boolean, lastChecked?: string | null) {
  return useQuery({
    // A new check seen in the list (last_checked_at moved) refetches the line at once.
    queryKey: ['monitor', id, 'spark', lastChecked ?? null],
    placeholderData: keepPreviousData,
    queryFn: () => api<Page<HistoryItem>>(`/monitors/${id}/history/${qs({ period: '24h', page: 1, size: 30 })}`),
    refetchInterval: POLL.normal,
    enabled,
    staleTime: 5_000,
  });
}

export function useIncidents(id: number, page = 1, size = 10) {
  return useQuery({
    queryKey: keys.incidents(id, { page, size }),
    queryFn: () => api<Page<Incident>>(`/monitors/${id}/incidents/${qs({ page, size })}`),
    refetchInterval: POLL.normal,
    placeholderData: keepPreviousData,
  });
}

export function useAnomalies(id: number) {
  return useQuery({
    queryKey: keys.anomalies(id),
    queryFn: () => api<Page<Anomaly>>(`/monitors/${id}/anomalies/${qs({ page: 1, size: 100 })}`),
    refetchInterval: POLL.normal,
  });
}

export function useHeatmap(id: number, days: number, enabled = true) {
  return useQuery({
    queryKey: keys.heatmap(id, days),
    queryFn: () => api<{ buckets: HeatmapBucket[] }>(`/monitors/${id}/heatmap/${qs({ days })}`),
    refetchInterval: POLL.slow,
    enabled,
  });
}

export function useLeaderboard(period: Period, by: 'latency' | 'uptime') {
  return useQuery({
    queryKey: keys.leaderboard(period, by),
    queryFn: async () => normalizeLeaderboard(await api(`/monitors/leaderboard/${qs({ period, by })}`)),
    refetchInterval: POLL.slow,
    placeholderData: keepPreviousData,
  });
}

export function useChannels() {
  return useQuery({
    queryKey: keys.channels,
    queryFn: async () => {
      const body = await api<Channel[] | Page<Channel>>('/notifications/channels/');
      return Array.isArray(body) ? body : body.results;
    },
    refetchInterval: POLL.normal,
  });
}

export function useTelegramLink() {
  return useQuery({
    queryKey: keys.telegramLink,
    queryFn: () => api<{ link: string }>('/notifications/telegram-link/'),
    // The token inside is valid for 600 s: fetch a fresh one well before.
    refetchInterval: 5 * 60_000,
    staleTime: 4 * 60_000,
    retry: false,
  });
}
