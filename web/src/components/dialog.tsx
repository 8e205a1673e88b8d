// Modal dialogs on Radix primitives (focus trap, Escape, aria wiring).
import * as D from '@radix-ui/react-dialog';
import * as A from '@radix-ui/react-alert-dialog';
import type { ReactNode } from 'react';
import { Button, cx } from './ui';
import { IconX } from './icons';

const overlay = 'fixed inset-0 z-40 bg-slate-950/50 backdrop-blur-[2px] sh-fade';
const panel =
  'fixed z-50 bg-card text-fg shadow-2xl border border-border sh-fade focus:outline-none ' +
  'inset-x-0 bottom-0 max-h-[92dvh] rounded-t-2xl sm:inset-auto sm:left-1/2 sm:top-1/2 sm:-translate-x-1/2 sm:-translate-y-1/2 sm:rounded-2xl sm:max-h-[88vh] overflow-y-auto';

export function Modal({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className={overlay} />
        <D.Content className={cx(panel, wide ? 'sm:w-[min(44rem,94vw)]' : 'sm:w-[min(28rem,94vw)]')} aria-describedby={description ? undefined : undefined}>
          <div className="sticky top-0 z-10 flex items-start justify-between gap-4 border-b border-border bg-card px-5 py-4">
            <div>
              <D.Title className="text-base font-semibold">{title}</D.Title>
              {description ? (
                <D.Description className="mt-0.5 text-sm text-muted">{description}</D.Description>
              ) : (
                <D.Description className="sr-only">{typeof title === 'string' ? title : 'dialog'}</D.Description>
              )}
            </div>
            <D.Close asChild>
              <button className="rounded-md p-1 text-muted hover:bg-elev hover:text-fg cursor-pointer" aria-label="Close">
                <IconX size={18} />
              </button>
            </D.Close>
          </div>
          <div className="px-5 py-4">{children}</div>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}

export function Confirm({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  onConfirm,
  busy,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  title: ReactNode;
  description: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
}) {
  return (
    <A.Root open={open} onOpenChange={onOpenChange}>
      <A.Portal>
        <A.Overlay className={overlay} />
        <A.Content className={cx(panel, 'sm:w-[min(26rem,94vw)] p-5')}>
          <A.Title className="text-base font-semibold">{title}</A.Title>
          <A.Description className="mt-2 text-sm text-muted">{description}</A.Description>
          <div className="mt-5 flex justify-end gap-2">
            <A.Cancel asChild>
              <Button variant="secondary">Cancel</Button>
            </A.Cancel>
            <Button
              variant="danger"
              busy={busy}
              onClick={(e) => {
                e.preventDefault();
                onConfirm();
              }}
            >
              {confirmLabel}
            </Button>
          </div>
        </A.Content>
      </A.Portal>
    </A.Root>
  );
}
