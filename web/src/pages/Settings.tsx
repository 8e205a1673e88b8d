// Settings: Telegram magic link, linked channels (test, remove), console/webhook channels,
// alert template editor with live preview, account.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../lib/api';
import { useAuth } from '../lib/auth';
import { useChannels, useMe, useTelegramLink } from '../lib/queries';
import { useCreateChannel, useDeleteChannel, useTestChannel, useUpdateChannel } from '../lib/mutations';
import { ALERT_KINDS, DEFAULT_TEMPLATES, PLACEHOLDERS, PLACEHOLDER_HELP, TELEGRAM_MAX, renderTemplate, sampleValues, TEMPLATE_MAX, templateFor, withKindTemplate, type AlertKind } from '../lib/template';
import { formatDateTime } from '../lib/format';
import type { Channel } from '../lib/types';
import { Badge, Button, Card, CardHeader, EmptyState, ErrorBox, Field, Input, PageHeader, Segmented, Select, Skeleton, Textarea, cx } from '../components/ui';
import { Confirm } from '../components/dialog';
import { IconLogout, IconSend, IconTrash } from '../components/icons';
import { toast } from '../components/toast';

const providerStyle: Record<string, string> = {
  telegram: 'bg-[#229ED9] text-white',
  webhook: 'bg-accent text-accent-fg',
  console: 'bg-paused text-white',
};

function ProviderIcon({ provider }: { provider: string }) {
  return (
    <span className={cx('grid size-9 shrink-0 place-items-center rounded-lg text-xs font-bold uppercase', providerStyle[provider] || 'bg-elev text-muted')} aria-hidden>
      {provider === 'telegram' ? (
        <svg viewBox="0 0 24 24" width="18" height="18" fill="currentColor">
          <path d="M21.5 4.2 2.9 11.4c-1.3.5-1.3 1.2-.2 1.5l4.8 1.5 1.8 5.6c.2.6.1.9.8.9.5 0 .7-.2 1-.5l2.3-2.2 4.8 3.5c.9.5 1.5.2 1.7-.8l3.1-14.7c.3-1.3-.5-1.9-1.5-1.5ZM8.6 14.1l9.9-6.2c.5-.3.9-.1.5.2l-8.4 7.6-.3 3.5-1.7-5.1Z" />
        </svg>
      ) : (
        provider.slice(0, 2)
      )}
    </span>
  );
}

function TelegramCard() {
  const q = useTelegramLink();
  const link = q.data?.link;
  const [copied, setCopied] = useState(false);
  const unavailable = q.error instanceof ApiError && (q.error.status === 503 || q.error.status === 404 || q.error.status === 501);
  return (
    <Card>
      <CardHeader title="Telegram alerts" sub="Instant DOWN, UP, anomaly and certificate alerts in a chat" />
      <div className="p-4 sm:p-5">
        <ol className="mb-4 space-y-1.5 text-sm text-muted">
          <li>
            <span className="font-medium text-fg">1.</span> Open the link below on a device with Telegram.
          </li>
          <li>
            <span className="font-medium text-fg">2.</span> Press <span className="font-medium text-fg">Start</span> in the chat with the bot.
          </li>
          <li>
            <span className="font-medium text-fg">3.</span> The chat appears under “Channels” — send it a test message.
          </li>
        </ol>
        {q.isPending ? (
          <Skeleton className="h-10" />
        ) : q.error ? (
          <ErrorBox error={unavailable ? 'Telegram is not configured on this server (TELEGRAM_BOT_NAME / TELEGRAM_BOT_TOKEN).' : q.error} />
        ) : (
          <div className="flex flex-col gap-2 sm:flex-row">
            <a
              href={link}
              target="_blank"
              rel="noreferrer noopener"
              className="inline-flex h-10 items-center justify-center gap-2 rounded-lg bg-[#229ED9] px-4 text-sm font-medium text-white shadow-sm hover:opacity-90"
              data-testid="telegram-link"
            >
              <IconSend size={16} /> Connect Telegram
            </a>
            <Button
              variant="secondary"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(link || '');
                  setCopied(true);
                  setTimeout(() => setCopied(false), 2000);
                } catch {
                  toast('Copy failed: select the link and copy it', 'error');
                }
              }}
            >
              {copied ? 'Copied' : 'Copy link'}
            </Button>
          </div>
        )}
        {link && (
          <p className="mt-3 break-all rounded-lg bg-elev px-3 py-2 font-mono text-xs text-muted" data-testid="telegram-link-text">
            {link}
          </p>
        )}
        <p className="mt-2 text-xs text-muted">The link is personal and valid for 10 minutes; a fresh one is fetched automatically.</p>
      </div>
    </Card>
  );
}

function ChannelRow({ ch }: { ch: Channel }) {
  const test = useTestChannel();
  const del = useDeleteChannel();
  const [confirm, setConfirm] = useState(false);
  const detail = ch.provider === 'webhook' && typeof ch.config?.url === 'string' ? ch.config.url : ch.provider === 'telegram' ? 'Telegram chat' : ch.provider === 'console' ? 'Logged by the notifier' : ch.provider;
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3 sm:px-5" data-channel-id={ch.id}>
      <ProviderIcon provider={ch.provider} />
      <div className="min-w-0 flex-1">
        <p className="flex items-center gap-2 truncate text-sm font-medium text-fg">
          {ch.name}
          {ch.is_active === false && <Badge>inactive</Badge>}
          {ch.config?.template ? <Badge tone="accent">custom template</Badge> : null}
        </p>
        <p className="truncate text-xs text-muted">
          {detail} · added {formatDateTime(ch.created_at)}
        </p>
      </div>
      <div className="flex gap-1.5">
        <Button
          size="sm"
          busy={test.isPending}
          onClick={() =>
            test.mutate(ch.id, {
              onSuccess: () => toast(`Test message sent to ${ch.name}`),
              onError: (e) => toast(e.message, 'error'),
            })
          }
        >
          {!test.isPending && <IconSend size={14} />} Test
        </Button>
        <Button size="sm" variant="ghost" aria-label={`Remove ${ch.name}`} className="hover:!text-down" onClick={() => setConfirm(true)}>
          <IconTrash size={16} />
        </Button>
      </div>
      <Confirm
        open={confirm}
        onOpenChange={setConfirm}
        title={`Remove “${ch.name}”?`}
        description="Alerts stop going to this channel. You can link it again at any time."
        confirmLabel="Remove channel"
        busy={del.isPending}
        onConfirm={() =>
          del.mutate(ch.id, {
            onSuccess: () => {
              setConfirm(false);
              toast(`${ch.name} removed`);
            },
            onError: (e) => toast(e.message, 'error'),
          })
        }
      />
    </li>
  );
}

function AddChannel() {
  const create = useCreateChannel();
  const [provider, setProvider] = useState<'webhook' | 'console'>('webhook');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const err = create.error instanceof ApiError ? create.error : null;
  const general = err && (err.field('non_field_errors') || err.field('detail') || err.field('provider') || (!Object.keys(err.fields).length ? err.message : ''));
  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      await create.mutateAsync({ provider, name: name.trim() || (provider === 'webhook' ? 'Webhook' : 'Console'), ...(provider === 'webhook' ? { config: { url: url.trim() } } : {}) });
      toast('Channel added');
      setName('');
      setUrl('');
      create.reset();
    } catch {
      /* inline */
    }
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-3 border-t border-border p-4 sm:p-5" noValidate>
      <p className="text-sm font-medium text-fg">Add a channel</p>
      {general && <ErrorBox error={general} />}
      <div className="grid gap-3 sm:grid-cols-[9rem_1fr]">
        <Field label="Type">
          {(a) => (
            <Select {...a} value={provider} onChange={(e) => setProvider(e.target.value as 'webhook' | 'console')}>
              <option value="webhook">Webhook</option>
              <option value="console">Console</option>
            </Select>
          )}
        </Field>
        <Field label="Name" error={err?.field('name')}>
          {(a) => <Input {...a} value={name} onChange={(e) => setName(e.target.value)} placeholder={provider === 'webhook' ? 'Ops webhook' : 'Console'} />}
        </Field>
      </div>
      {provider === 'webhook' && (
        <Field label="Webhook URL" error={err?.field('config.url') || err?.field('url') || err?.field('config')} hint="StatusHawk POSTs a JSON event to this URL for every alert.">
          {(a) => <Input {...a} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/statushawk" inputMode="url" />}
        </Field>
      )}
      <Button type="submit" variant="primary" className="self-start" busy={create.isPending}>
        Add channel
      </Button>
    </form>
  );
}

function ChannelsCard() {
  const q = useChannels();
  const list = q.data || [];
  return (
    <Card>
      <CardHeader title="Channels" sub="Where your alerts go" action={q.data ? <Badge>{list.length}</Badge> : null} />
      {q.error ? (
        <ErrorBox error={q.error} className="m-4" />
      ) : q.isPending ? (
        <div className="space-y-3 p-5">
          <Skeleton className="h-10" />
        </div>
      ) : !list.length ? (
        <EmptyState title="No channels yet">Connect Telegram above, or add a webhook or console channel below.</EmptyState>
      ) : (
        <ul className="divide-y divide-border" data-testid="channels">
          {list.map((c) => (
            <ChannelRow key={c.id} ch={c} />
          ))}
        </ul>
      )}
      <AddChannel />
    </Card>
  );
}

function TemplateEditor() {
  const q = useChannels();
  const update = useUpdateChannel();
  const channels = q.data || [];
  const [channelId, setChannelId] = useState<number | null>(null);
  const [kind, setKind] = useState<AlertKind>('down');
  const [text, setText] = useState(DEFAULT_TEMPLATES.down);
  const [dirty, setDirty] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const channel = channels.find((c) => c.id === channelId) || channels[0];

  const stored = channel?.config?.template;
  const kindLabel = kind.replace('_', ' ');
  const custom = templateFor(stored, kind) !== null;

  // Load the chosen channel's template for this kind (or the default) unless the user is editing.
  useEffect(() => {
    if (dirty) return;
    setText(templateFor(stored, kind) ?? DEFAULT_TEMPLATES[kind]);
  }, [channel?.id, stored, kind, dirty]);

  const preview = useMemo(() => renderTemplate(text, sampleValues(kind)), [text, kind]);

  function insert(name: string) {
    const el = ref.current;
    const token = `{{${name}}}`;
    if (!el) {
      setText((t) => t + token);
      return;
    }
    const s = el.selectionStart ?? text.length;
    const e = el.selectionEnd ?? text.length;
    const next = text.slice(0, s) + token + text.slice(e);
    setText(next);
    setDirty(true);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(s + token.length, s + token.length);
    });
  }

  async function save(template: string | null) {
    if (!channel) return;
    try {
      await update.mutateAsync({ id: channel.id, data: { config: { template: withKindTemplate(stored, kind, template) } } });
      setDirty(false);
      toast(template ? `${channel.name}: ${kindLabel} template saved` : `${channel.name}: ${kindLabel} alerts use the default message again`);
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  }

  function chooseKind(k: AlertKind) {
    // Each kind has its own text: show the one chosen (unsaved edits of the other are dropped).
    setKind(k);
    setText(templateFor(stored, k) ?? DEFAULT_TEMPLATES[k]);
    setDirty(false);
  }

  const err = update.error instanceof ApiError ? update.error : null;
  return (
    <Card>
      <CardHeader title="Alert templates" sub="The message a channel sends for each kind of alert; the preview updates as you type" />
      <div className="grid gap-5 p-4 sm:p-5 lg:grid-cols-2">
        <div className="flex min-w-0 flex-col gap-3">
          <div className="flex flex-wrap items-end gap-3">
            <Field label="Channel" className="min-w-40 flex-1">
              {(a) => (
                <Select
                  {...a}
                  value={channel?.id ?? ''}
                  disabled={!channels.length}
                  onChange={(e) => {
                    setChannelId(Number(e.target.value));
                    setDirty(false);
                  }}
                >
                  {!channels.length && <option value="">No channels yet</option>}
                  {channels.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
          <div>
            <p className="mb-1.5 text-sm font-medium text-fg">Alert kind</p>
            <div className="overflow-x-auto">
              <Segmented label="Alert kind" value={kind} options={ALERT_KINDS.map((k) => ({ value: k, label: k.replace('_', ' ') }))} onChange={chooseKind} />
            </div>
          </div>
          <Field label="Template" error={err?.field('config.template') || err?.field('template') || err?.field('config')}>
            {(a) => (
              <Textarea
                {...a}
                ref={ref}
                rows={7}
                value={text}
                onChange={(e) => {
                  setText(e.target.value);
                  setDirty(true);
                }}
                data-testid="template-input"
                spellCheck={false}
                maxLength={TEMPLATE_MAX}
              />
            )}
          </Field>
          <div>
            <p className="mb-1.5 text-xs font-medium text-muted">Insert a placeholder</p>
            <div className="flex flex-wrap gap-1.5">
              {PLACEHOLDERS.map((p) => (
                <button
                  key={p}
                  type="button"
                  onClick={() => insert(p)}
                  title={PLACEHOLDER_HELP[p]}
                  className="rounded-md border border-border bg-elev px-1.5 py-0.5 font-mono text-xs text-fg hover:border-accent hover:text-accent cursor-pointer"
                >
                  {`{{${p}}}`}
                </button>
              ))}
            </div>
          </div>
          <div className="flex flex-wrap gap-2 pt-1">
            <Button variant="primary" disabled={!channel || !text.trim() || preview.unknown.length > 0} busy={update.isPending} onClick={() => void save(text)}>
              Save template
            </Button>
            <Button
              variant="ghost"
              disabled={!channel || !custom}
              onClick={() => {
                setText(DEFAULT_TEMPLATES[kind]);
                setDirty(false);
                void save(null);
              }}
            >
              Use default
            </Button>
          </div>
        </div>
        <div className="flex min-w-0 flex-col gap-3">
          <p className="text-sm font-medium text-fg">Preview</p>
          <div className="rounded-2xl bg-[#e6ebee] p-4 dark:bg-[#0e1621]">
            <div className="max-w-[92%] rounded-2xl rounded-tl-sm bg-white px-3.5 py-2.5 text-sm text-slate-900 shadow-sm dark:bg-[#182533] dark:text-slate-100">
              <p className="mb-1 text-xs font-semibold text-[#229ED9]">StatusHawk</p>
              <p className="whitespace-pre-wrap break-words" data-testid="template-preview">
                {preview.text || <span className="italic opacity-60">(empty message)</span>}
              </p>
            </div>
          </div>
          {preview.unknown.length > 0 && (
            <p className="text-xs text-warn" role="status">
              Unknown placeholder{preview.unknown.length > 1 ? 's' : ''}: {preview.unknown.map((u) => `{{${u}}}`).join(', ')} — the server refuses templates with unknown placeholders.
            </p>
          )}
          <p className={cx('text-xs', preview.text.length > TELEGRAM_MAX ? 'text-down' : 'text-muted')}>
            Template {text.length} / {TEMPLATE_MAX} characters · message {preview.text.length} / {TELEGRAM_MAX} (Telegram's limit; longer messages are cut).
          </p>
          <p className="text-xs text-muted" data-testid="template-scope">
            {channel && custom ? `${channel.name} sends this text for ${kindLabel} alerts.` : `${kindLabel[0].toUpperCase()}${kindLabel.slice(1)} alerts${channel ? ` of ${channel.name}` : ''} use the default message (shown as a template to start from).`}{' '}
            Each kind of alert has its own template; placeholders that do not apply to a kind are left empty.
          </p>
        </div>
      </div>
    </Card>
  );
}

function AccountCard() {
  const me = useMe();
  const { logout } = useAuth();
  return (
    <Card>
      <CardHeader title="Account" />
      <div className="flex flex-wrap items-center justify-between gap-3 p-4 sm:p-5">
        <div className="min-w-0">
          <p className="truncate text-sm font-medium text-fg">{me.data ? [me.data.first_name, me.data.last_name].filter(Boolean).join(' ') || me.data.email : '…'}</p>
          <p className="truncate text-xs text-muted">{me.data?.email}</p>
        </div>
        <Button onClick={() => void logout()} data-testid="logout">
          <IconLogout size={16} /> Log out
        </Button>
      </div>
    </Card>
  );
}

export default function Settings() {
  return (
    <div data-testid="settings-page">
      <PageHeader title="Settings" sub="Alerts, channels and your account." />
      <div className="grid gap-6 lg:grid-cols-2 [&>*]:min-w-0">
        <TelegramCard />
        <ChannelsCard />
        <div className="lg:col-span-2">
          <TemplateEditor />
        </div>
        <div className="lg:col-span-2">
          <AccountCard />
        </div>
      </div>
    </div>
  );
}
