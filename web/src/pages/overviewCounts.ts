/** Paused and pending are not in dashboard_stats: derive them from total/active/up/down. */
export function overviewCounts(s: { total: number; active: number; up: number; down: number }) {
  return {
    up: s.up,
    down: s.down,
    paused: Math.max(0, s.total - s.active),
    pending: Math.max(0, s.active - s.up - s.down),
    total: s.total,
  };
}

