// The actions on one monitor: check now, pause/resume, edit, delete (with confirmation).
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useCheckNow, useDeleteMonitor, usePauseMonitor } from '../lib/mutations';
import type { Monitor } from '../lib/types';
import { Button } from './ui';
import { Confirm, Modal } from './dialog';
import MonitorForm from './MonitorForm';
import { IconEdit, IconPause, IconPlay, IconRefresh, IconTrash } from './icons';
import { toast } from './toast';

export default function MonitorActions({ monitor, compact, afterDelete }: { monitor: Monitor; compact?: boolean; afterDelete?: string }) {
  const [edit, setEdit] = useState(false);
  const [del, setDel] = useState(false);
  const pause = usePauseMonitor();
  const check = useCheckNow();
  const remove = useDeleteMonitor();
  const navigate = useNavigate();
  const size = compact ? 'sm' : 'md';
  const label = (s: string) => (compact ? <span className="sr-only">{s}</span> : s);

  return (
    <div className={compact ? 'flex items-center gap-0.5' : 'flex flex-wrap items-center gap-1.5'}>
      <Button
        size={size}
        variant={compact ? 'ghost' : 'secondary'}
        title="Check now"
        aria-label={compact ? `Check ${monitor.name} now` : undefined}
        disabled={!monitor.is_active}
        busy={check.isPending}
        onClick={() =>
          check.mutate(monitor.id, {
            onSuccess: () => toast(`Checking ${monitor.name} now`),
            onError: (e) => toast(e.message, 'error'),
          })
        }
      >
        {!check.isPending && <IconRefresh size={16} />}
        {label('Check now')}
      </Button>
      <Button
        size={size}
        variant={compact ? 'ghost' : 'secondary'}
        title={monitor.is_active ? 'Pause' : 'Resume'}
        aria-label={compact ? `${monitor.is_active ? 'Pause' : 'Resume'} ${monitor.name}` : undefined}
        busy={pause.isPending}
        data-testid={monitor.is_active ? 'pause' : 'resume'}
        onClick={() =>
          pause.mutate(
            { id: monitor.id, active: !monitor.is_active },
            {
              onSuccess: (m) => toast(m.is_active ? `${m.name} resumed` : `${m.name} paused`),
              onError: (e) => toast(e.message, 'error'),
            },
          )
        }
      >
        {!pause.isPending && (monitor.is_active ? <IconPause size={16} /> : <IconPlay size={16} />)}
        {label(monitor.is_active ? 'Pause' : 'Resume')}
      </Button>
      <Button size={size} variant={compact ? 'ghost' : 'secondary'} title="Edit" aria-label={compact ? `Edit ${monitor.name}` : undefined} onClick={() => setEdit(true)}>
        <IconEdit size={16} />
        {label('Edit')}
      </Button>
      <Button
        size={size}
        variant="ghost"
        title="Delete"
        aria-label={`Delete ${monitor.name}`}
        className="hover:!text-down"
        onClick={() => setDel(true)}
      >
        <IconTrash size={16} />
      </Button>
      <Modal open={edit} onOpenChange={setEdit} title={`Edit ${monitor.name}`} wide>
        <MonitorForm monitor={monitor} onDone={() => setEdit(false)} />
      </Modal>
      <Confirm
        open={del}
        onOpenChange={setDel}
        title={`Delete “${monitor.name}”?`}
        description="The monitor stops being checked and its whole history, incidents and statistics are deleted. This cannot be undone."
        confirmLabel="Delete monitor"
        busy={remove.isPending}
        onConfirm={() =>
          remove.mutate(monitor.id, {
            onSuccess: () => {
              setDel(false);
              toast(`${monitor.name} deleted`);
              if (afterDelete) navigate(afterDelete);
            },
            onError: (e) => toast(e.message, 'error'),
          })
        }
      />
    </div>
  );
}
