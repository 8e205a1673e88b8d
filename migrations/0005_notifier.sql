-- The notifier's own state.

-- Telegram polling mode (no public webhook URL): the offset of getUpdates, per bot, so a
-- notifier that restarts or takes over the polling lock never handles an update twice.
-- Redis would not do: it is allowed to lose data, and an update handled twice links a
-- chat twice or answers twice.
CREATE TABLE telegram_poll_state (
    bot_id        bigint PRIMARY KEY,
    update_offset bigint NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The sweep for deliveries left pending with nothing left to finish them (the retry queue
-- lost with a Redis that restarted empty): old pending rows, found without a scan.
CREATE INDEX notification_log_pending_idx ON notification_log (updated_at)
    WHERE status = 'pending';
