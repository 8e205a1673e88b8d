-- statushawk-runner: the transactional outbox of alerts. The batch statement that changes a
-- monitor's status (or crosses a certificate level) writes the alert it calls for here, in
-- the same transaction; the runner then puts it on the stream and deletes the row with its
-- next batch. A runner that dies between the commit and the XADD leaves the row behind,
-- and the reconciler's holder publishes it (same alert_id, so the notifiers' per-alert
-- dedup holds) once it is older than a grace period. The columns are what the alert is
-- built from (runner/outbox.h).
CREATE TABLE alert_outbox (
    alert_id text PRIMARY KEY CHECK (alert_id ~ '^[0-9a-f]{32}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL CHECK (kind IN ('down', 'up', 'cert_expiry')),
    monitor_id bigint NOT NULL,
    user_id bigint NOT NULL,
    monitor_name text NOT NULL,
    url text NOT NULL,
    old_status text,
    new_status text,
    at_ms bigint NOT NULL,
    error text,
    status_code integer,
    response_ms double precision,
    incident_started text,
    cert_level integer,
    cert_ms bigint
);

CREATE INDEX alert_outbox_created_at ON alert_outbox (created_at);
