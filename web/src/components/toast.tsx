// Minimal toasts: toast('Saved') from anywhere, <Toaster/> once in the layout.
import { useEffect, useState } from 'react';
import { cx } from './ui';

type Tone = 'info' | 'error';
interface Item {
  id: number;
  text: string;
  tone: Tone;
}
let seq = 0;
const listeners = new Set<(items: Item[]) => void>();
let items: Item[] = [];

function emit() {
  for (const l of listeners) l(items);
}

export function toast(text: string, tone: Tone = 'info'): void {
  const id = ++seq;
  items = [...items, { id, text, tone }].slice(-4);
  emit();
  setTimeout(() => {
    items = items.filter((i) => i.id !== id);
    emit();
  }, 3500);
}

export function Toaster() {
  const [list, setList] = useState<Item[]>(items);
  useEffect(() => {
    listeners.add(setList);
    return () => {
      listeners.delete(setList);
    };
  }, []);
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-20 z-[60] flex flex-col items-center gap-2 px-4 md:bottom-6" aria-live="polite" role="status">
      {list.map((t) => (
        <div
          key={t.id}
          className={cx(
            'sh-fade pointer-events-auto rounded-lg px-4 py-2.5 text-sm font-medium shadow-lg',
            t.tone === 'error' ? 'bg-down text-white' : 'bg-fg text-surface',
          )}
        >
          {t.text}
        </div>
      ))}
    </div>
  );
}
