-- StatusHawk schema, version 1: the whole outline of DESIGN.md.
-- Timestamps are timestamptz; the API prints them through sh_iso().

-- ISO-8601 UTC with milliseconds and a Z, the API's one time format.
CREATE FUNCTION sh_iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Accounts ---------------------------------------------------------------------------

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    email       varchar(254) NOT NULL,
    -- Django's format: pbkdf2_sha256$<iterations>$<salt>$<base64 hash>
    password    varchar(256) NOT NULL,
    first_name  varchar(150) NOT NULL DEFAULT '',
    last_name   varchar(150) NOT NULL DEFAULT '',
    is_staff    boolean NOT NULL DEFAULT false,
    is_superuser boolean NOT NULL DEFAULT false,
    is_active   boolean NOT NULL DEFAULT true,
    date_joined timestamptz NOT NULL DEFAULT now(),
    last_login  timestamptz,
    CONSTRAINT users_email_lower CHECK (email = lower(email)),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Only the SHA-256 of a token is kept; the token itself is shown once, at login.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash    char(64) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_tokens_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Monitors ---------------------------------------------------------------------------

CREATE TABLE monitors (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              varchar(255) NOT NULL,
    url               varchar(2048) NOT NULL,
    monitor_type      varchar(8) NOT NULL DEFAULT 'HTTP'
                      CHECK (monitor_type IN ('HTTP', 'TCP', 'PING')),
    "interval"        integer NOT NULL DEFAULT 300 CHECK ("interval" BETWEEN 1 AND 86400),
    status            varchar(8) NOT NULL DEFAULT 'PENDING'
                      CHECK (status IN ('PENDING', 'UP', 'DOWN', 'PAUSED')),
    is_active         boolean NOT NULL DEFAULT true,
    method            varchar(10) NOT NULL DEFAULT 'GET',
    headers           jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(headers) = 'object'),
    body              text,
    expected_status   varchar(255) NOT NULL DEFAULT '200-299',
    timeout_ms        integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 100 AND 120000),
    follow_redirects  boolean NOT NULL DEFAULT true,
    verify_tls        boolean NOT NULL DEFAULT true,
    retries           smallint NOT NULL DEFAULT 1 CHECK (retries BETWEEN 0 AND 10),
    anomaly_threshold double precision NOT NULL DEFAULT 2.0
                      CHECK (anomaly_threshold > 0 AND anomaly_threshold <= 100),
    anomaly_window    integer NOT NULL DEFAULT 50 CHECK (anomaly_window BETWEEN 10 AND 1000),
    cert_expires_at   timestamptz,
    last_checked_at   timestamptz,
    -- Bumped on every change of what the runner must do; lets a runner drop stale specs.
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The list: one user's monitors, newest first.
CREATE INDEX monitors_user_created_idx ON monitors (user_id, created_at DESC, id DESC);
-- The reconciler walks the active ones.
CREATE INDEX monitors_active_idx ON monitors (id) WHERE is_active;

-- Check results: no foreign key to monitors, so that a runner's batch never fails whole
-- because one monitor was deleted meanwhile; deleting a monitor deletes its results in
-- the same transaction. Range-partitioned by day so retention drops whole partitions instead of
-- deleting rows. sh_ensure_result_partitions() creates the days ahead; the DEFAULT
-- partition catches anything outside them so an insert never fails for want of one.
CREATE TABLE check_results (
    id               bigserial,
    monitor_id       bigint NOT NULL,
    checked_at       timestamptz NOT NULL,
    status_code      integer NOT NULL DEFAULT 0,
    response_time_ms double precision,
    is_up            boolean NOT NULL,
    error            varchar(255),
    PRIMARY KEY (id, checked_at)
) PARTITION BY RANGE (checked_at);
CREATE INDEX check_results_monitor_time_idx ON check_results (monitor_id, checked_at DESC);
-- Recent failures across a user's monitors (dashboard_stats).
CREATE INDEX check_results_failures_idx ON check_results (monitor_id, checked_at DESC)
    WHERE NOT is_up;
CREATE TABLE check_results_default PARTITION OF check_results DEFAULT;

-- Creates the daily partitions from today - days_back to today + days_ahead (UTC days).
CREATE FUNCTION sh_ensure_result_partitions(days_back integer, days_ahead integer)
    RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d date;
    created integer := 0;
    name text;
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back,
                                    (now() AT TIME ZONE 'UTC')::date + days_ahead,
                                    interval '1 day')::date
    LOOP
        name := 'check_results_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF check_results'
                           ' FOR VALUES FROM (%L) TO (%L)',
                           name, (d::timestamp AT TIME ZONE 'UTC'),
                           ((d + 1)::timestamp AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END $$;

-- Drops the daily partitions wholly older than keep_days.
CREATE FUNCTION sh_drop_result_partitions(keep_days integer)
    RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
    cutoff text := 'check_results_' ||
                   to_char((now() AT TIME ZONE 'UTC')::date - keep_days, 'YYYYMMDD');
BEGIN
    FOR part IN SELECT c.relname FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'check_results'::regclass
                  AND c.relname ~ '^check_results_[0-9]{8}$' AND c.relname < cutoff
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

SELECT sh_ensure_result_partitions(1, 7);

-- Hourly rollup feeding 7 d / 30 d statistics, the heatmap and the leaderboard.
CREATE TABLE check_rollup_hourly (
    monitor_id     bigint NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    hour           timestamptz NOT NULL,
    checks         integer NOT NULL,
    up             integer NOT NULL,
    sum_ms         double precision NOT NULL DEFAULT 0,
    timed          integer NOT NULL DEFAULT 0, -- checks that have a response time
    max_ms         double precision,
    p95_ms         double precision,
    PRIMARY KEY (monitor_id, hour)
);

CREATE TABLE incidents (
    id           bigserial PRIMARY KEY,
    monitor_id   bigint NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    started_at   timestamptz NOT NULL,
    resolved_at  timestamptz,
    cause        varchar(255) NOT NULL DEFAULT ''
);
CREATE INDEX incidents_monitor_idx ON incidents (monitor_id, started_at DESC);
-- At most one open incident per monitor.
CREATE UNIQUE INDEX incidents_open_idx ON incidents (monitor_id) WHERE resolved_at IS NULL;

CREATE TABLE anomalies (
    id               bigserial PRIMARY KEY,
    monitor_id       bigint NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    response_time_ms double precision NOT NULL,
    mean             double precision NOT NULL,
    stdev            double precision NOT NULL,
    z                double precision NOT NULL
);
CREATE INDEX anomalies_monitor_idx ON anomalies (monitor_id, created_at DESC);

-- Notifications ----------------------------------------------------------------------

CREATE TABLE notification_channels (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    varchar(16) NOT NULL CHECK (provider IN ('telegram', 'console', 'webhook')),
    name        varchar(255) NOT NULL,
    config      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_channels_user_idx ON notification_channels (user_id);
-- A Telegram chat is linked to a user once.
CREATE UNIQUE INDEX notification_channels_telegram_chat_idx
    ON notification_channels (user_id, (config ->> 'chat_id')) WHERE provider = 'telegram';

-- One row per (alert, channel): a redelivered alert finds its row and is not sent twice.
CREATE TABLE notification_log (
    id          bigserial PRIMARY KEY,
    alert_id    varchar(64) NOT NULL,
    channel_id  bigint NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    monitor_id  bigint REFERENCES monitors (id) ON DELETE SET NULL,
    kind        varchar(16) NOT NULL
                CHECK (kind IN ('down', 'up', 'anomaly', 'cert_expiry', 'test')),
    status      varchar(8) NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'success', 'failure')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    payload     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CONSTRAINT notification_log_alert_channel_key UNIQUE (alert_id, channel_id)
);
CREATE INDEX notification_log_channel_idx ON notification_log (channel_id, created_at DESC);
