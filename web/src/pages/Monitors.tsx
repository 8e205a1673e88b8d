// Monitors: search, status filter, paginated table (cards on phones), add/edit, actions.
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../lib/api';
import { useMonitors } from '../lib/queries';
import { formatDateTime, formatInterval, formatRelative, shortUrl } from '../lib/format';
import type { MonitorStatus } from '../lib/types';
import { Button, Card, EmptyState, ErrorBox, Input, PageHeader, Pagination, Segmented, Skeleton, StatusBadge } from '../components/ui';
import { Modal } from '../components/dialog';
import MonitorForm from '../components/MonitorForm';
import MonitorActions from '../components/MonitorActions';
import Sparkline from '../components/Sparkline';
import { IconPlus, IconSearch } from '../components/icons';

const PAGE_SIZE = 10;
const FILTERS: { value: '' | MonitorStatus; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'UP', label: 'Up' },
  { value: 'DOWN', label: 'Down' },
  { value: 'PAUSED', label: 'Paused' },
  { value: 'PENDING', label: 'Pending' },
];

export default function Monitors() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const status = (params.get('status') || '') as '' | MonitorStatus;
  const search = params.get('q') || '';
  const [text, setText] = useState(search);
  const adding = params.get('new') === '1';

  const update = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };

  // Debounced search: the URL (and the query) follow the input after 250 ms.
  useEffect(() => {
    if (text === search) return;
    const t = setTimeout(() => update({ q: text, page: null }), 250);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);

  const q = useMonitors({ page, size: PAGE_SIZE, status, search });
  // Deleting the last monitor of the last page: step back a page.
  useEffect(() => {
    if (q.error instanceof ApiError && q.error.status === 404 && page > 1) update({ page: String(page - 1) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q.error, page]);

  const rows = q.data?.results || [];
  const filtered = !!(status || search);

  return (
    <div data-testid="monitors-page">
      <PageHeader
        title="Monitors"
        sub={q.data ? `${q.data.count} monitor${q.data.count === 1 ? '' : 's'}${filtered ? ' match' : ''}` : 'Loading…'}
        actions={
          <Button variant="primary" onClick={() => update({ new: '1' })} data-testid="add-monitor">
            <IconPlus size={16} /> Add monitor
          </Button>
        }
      />

      <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <div className="relative sm:w-80">
          <IconSearch size={16} className="pointer-events-none absolute left-3 top-1/2 -translate-y-1/2 text-muted" />
          <Input type="search" aria-label="Search monitors" placeholder="Search name or URL" value={text} onChange={(e) => setText(e.target.value)} className="pl-9" />
        </div>
        <div className="overflow-x-auto">
          <Segmented label="Filter by status" value={status} options={FILTERS} onChange={(v) => update({ status: v, page: null })} />
        </div>
      </div>

      <Card className="overflow-hidden">
        {q.error && !(q.error instanceof ApiError && q.error.status === 404) && <ErrorBox error={q.error} className="m-4" />}
        {q.isPending ? (
          <div className="space-y-4 p-5">
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} className="h-10 w-full" />
            ))}
          </div>
        ) : !rows.length ? (
          filtered ? (
            <EmptyState title="No monitors match">Try another search or status filter.</EmptyState>
          ) : (
            <EmptyState
              title="No monitors yet"
              action={
                <Button variant="primary" onClick={() => update({ new: '1' })}>
                  <IconPlus size={16} /> Add monitor
                </Button>
              }
            >
              Add an HTTP(S) URL or a TCP port to start monitoring it.
            </EmptyState>
          )
        ) : (
          <>
            {/* Table (md+) */}
            <table className="hidden w-full table-fixed text-sm md:table" data-testid="monitors-table">
              <colgroup>
                <col className="w-[38%]" />
                <col className="w-[12%]" />
                <col className="w-[18%]" />
                <col className="w-[13%]" />
                <col className="w-[19%]" />
              </colgroup>
              <thead className="border-b border-border bg-elev/60 text-left text-xs font-medium uppercase tracking-wide text-muted">
                <tr>
                  <th className="px-5 py-2.5 font-medium">Monitor</th>
                  <th className="px-3 py-2.5 font-medium">Status</th>
                  <th className="px-3 py-2.5 font-medium">Response time</th>
                  <th className="px-3 py-2.5 font-medium">Last check</th>
                  <th className="px-3 py-2.5 font-medium"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-border">
                {rows.map((m) => (
                  <tr key={m.id} className="group hover:bg-elev/50" data-monitor-id={m.id}>
                    <td className="max-w-0 px-5 py-3">
                      <Link to={`/monitors/${m.id}`} className="block min-w-0">
                        <span className="block truncate font-medium text-fg group-hover:text-accent">{m.name}</span>
                        <span className="block truncate text-xs text-muted">
                          <span className="mr-1.5 rounded bg-elev px-1 py-px font-mono text-[10px]">{m.monitor_type}</span>
                          {shortUrl(m.url)} · {formatInterval(m.interval)}
                        </span>
                      </Link>
                    </td>
                    <td className="px-3 py-3">
                      <StatusBadge status={m.status} />
                    </td>
                    <td className="px-3 py-3 text-muted">
                      <Sparkline id={m.id} enabled={m.status !== 'PENDING'} lastChecked={m.last_checked_at} />
                    </td>
                    <td className="tabular whitespace-nowrap px-3 py-3 text-muted" title={formatDateTime(m.last_checked_at)}>
                      {formatRelative(m.last_checked_at)}
                    </td>
                    <td className="px-3 py-3">
                      <div className="flex justify-end">
                        <MonitorActions monitor={m} compact />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {/* Cards (phones) */}
            <ul className="divide-y divide-border md:hidden">
              {rows.map((m) => (
                <li key={m.id} className="px-4 py-3" data-monitor-id={m.id}>
                  <div className="flex items-start justify-between gap-3">
                    <Link to={`/monitors/${m.id}`} className="min-w-0 flex-1">
                      <p className="truncate font-medium text-fg">{m.name}</p>
                      <p className="truncate text-xs text-muted">{shortUrl(m.url)}</p>
                    </Link>
                    <StatusBadge status={m.status} />
                  </div>
                  <div className="mt-2 flex items-center justify-between gap-2">
                    <div className="flex items-center gap-3 text-xs text-muted">
                      <Sparkline id={m.id} enabled={m.status !== 'PENDING'} lastChecked={m.last_checked_at} width={84} height={24} />
                      <span className="tabular">{formatRelative(m.last_checked_at)}</span>
                    </div>
                    <MonitorActions monitor={m} compact />
                  </div>
                </li>
              ))}
            </ul>
            <div className="border-t border-border">
              <Pagination page={page} count={q.data?.count || 0} size={PAGE_SIZE} onPage={(p) => update({ page: String(p) })} />
            </div>
          </>
        )}
      </Card>

      <Modal open={adding} onOpenChange={(o) => !o && update({ new: null })} title="Add a monitor" description="StatusHawk checks it within a second, then at the interval you choose." wide>
        <MonitorForm onDone={() => update({ new: null })} />
      </Modal>
    </div>
  );
}
