// Writes: monitors (create, edit, pause/resume, delete, check now) and channels.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from './api';
import type { Channel, Monitor } from './types';

function useInvalidateMonitors() {
  const qc = useQueryClient();
  return (id?: number) => {
    void qc.invalidateQueries({ queryKey: ['monitors'] });
    void qc.invalidateQueries({ queryKey: ['dashboard'] });
    void qc.invalidateQueries({ queryKey: ['leaderboard'] });
    if (id !== undefined) void qc.invalidateQueries({ queryKey: ['monitor', id] });
  };
}

export type MonitorInput = Partial<Omit<Monitor, 'id' | 'status' | 'created_at' | 'updated_at' | 'last_checked_at' | 'cert_expires_at'>>;

export function useSaveMonitor() {
  const inv = useInvalidateMonitors();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, data }: { id?: number; data: MonitorInput }) =>
      id ? api<Monitor>(`/monitors/${id}/`, { method: 'PATCH', body: data }) : api<Monitor>('/monitors/', { method: 'POST', body: data }),
    onSuccess: (m) => {
      qc.setQueryData(['monitor', m.id], m);
      inv(m.id);
    },
  });
}

export function usePauseMonitor() {
  const inv = useInvalidateMonitors();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, active }: { id: number; active: boolean }) => api<Monitor>(`/monitors/${id}/`, { method: 'PATCH', body: { is_active: active } }),
    onSuccess: (m) => {
      qc.setQueryData(['monitor', m.id], m);
      inv(m.id);
    },
  });
}

export function useDeleteMonitor() {
  const inv = useInvalidateMonitors();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api(`/monitors/${id}/`, { method: 'DELETE' }),
    onSuccess: (_r, id) => {
      qc.removeQueries({ queryKey: ['monitor', id] });
      inv();
    },
  });
}

export function useCheckNow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api(`/monitors/${id}/check/`, { method: 'POST', body: {} }),
    onSuccess: (_r, id) => {
      // The check runs within a second or two: refresh what shows its result.
      for (const delay of [1500, 4000]) {
        setTimeout(() => {
          void qc.invalidateQueries({ queryKey: ['monitor', id] });
          void qc.invalidateQueries({ queryKey: ['monitors'] });
          void qc.invalidateQueries({ queryKey: ['dashboard'] });
        }, delay);
      }
    },
  });
}

export function useCreateChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (data: { provider: string; name: string; config?: Record<string, unknown> }) => api<Channel>('/notifications/channels/', { method: 'POST', body: data }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['channels'] }),
  });
}

export function useUpdateChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, data }: { id: number; data: Record<string, unknown> }) => api<Channel>(`/notifications/channels/${id}/`, { method: 'PATCH', body: data }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['channels'] }),
  });
}

export function useDeleteChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api(`/notifications/channels/${id}/`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['channels'] }),
  });
}

export function useTestChannel() {
  return useMutation({
    mutationFn: (id: number) => api(`/notifications/channels/${id}/test/`, { method: 'POST', body: {} }),
  });
}
