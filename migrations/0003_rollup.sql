-- StatusHawk schema, version 3: the statistics read path. The hourly rollup's watermark,
-- the small aggregates kept as rows are written, and one function per statistics query.
-- docs/architecture.md ("Statistics and the hourly rollup") explains the design; in short:
--   * check_rollup_hourly (0001) holds one row per monitor and UTC hour. Readers take the
--     hours before rollup_state.rolled_until (the watermark) from it and everything from
--     the watermark on from check_results, so each result is counted exactly once whether
--     or not the rollup has run.
--   * A result written (or deleted) for an hour that is already rolled up marks its
--     (monitor, hour) in rollup_marks; readers take a monitor's hours from its first mark
--     on from the raw rows, and the next advance rolls them up again.
--   * monitor_counts (per user: monitors by state) and check_user_minute/_hour (per user:
--     latency sums) are kept by triggers, so dashboard_stats reads ~150 small rows however
--     many monitors and results a user has.
--   * The queries live in functions here (sh_stats_*) rather than in the C code: PL/pgSQL
--     keeps each one's plan for the life of the connection, with check_results'
--     partitions pruned at execution. Planning the same statement afresh on every request
--     costs more than running it once there are a month of daily partitions.
-- Every hour and minute boundary here is UTC (date_trunc(..., 'UTC')), whatever the
-- session's TimeZone.

-- ---- The watermark -------------------------------------------------------------------

-- rolled_until: every hour before it is rolled up. pending_until (>= rolled_until): the
-- end of the hours an advance is rolling up now; results written or deleted below it are
-- marked. Both '-infinity' until the first advance.
CREATE TABLE rollup_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    rolled_until  timestamptz NOT NULL DEFAULT '-infinity',
    pending_until timestamptz NOT NULL DEFAULT '-infinity',
    CHECK (pending_until >= rolled_until)
);
INSERT INTO rollup_state DEFAULT VALUES;

-- (monitor, hour) pairs whose rollup row may be stale. Deliberately not unique: a writer
-- adds its own mark and the advance deletes exactly the marks it has rolled up again, so a
-- mark added meanwhile is never lost to a conflict.
CREATE TABLE rollup_marks (
    id          bigserial PRIMARY KEY,
    monitor_id  bigint NOT NULL,
    hour        timestamptz NOT NULL
);
CREATE INDEX rollup_marks_monitor_hour_idx ON rollup_marks (monitor_id, hour);

-- Writers of results hold this advisory lock shared from their trigger to their commit;
-- an advance holds it exclusively only while it moves pending_until. Afterwards every
-- result that commits has been written under the new pending_until (and marked if below
-- it), or was committed before the advance read the raw rows.
CREATE FUNCTION sh_rollup_lock_key() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 1397248597::bigint $$; -- "SHRU"

-- sh_iso (0001) is declared IMMUTABLE but calls to_char(), which is only STABLE, so the
-- planner never inlines it and every call goes through the SQL-function executor: 168
-- heatmap timestamps cost 0.39 ms that way, 0.22 ms inlined. STABLE is what it really is.
ALTER FUNCTION sh_iso(timestamptz) STABLE;

-- The first hour boundary at or after t. STABLE like the date_trunc(..., zone) it calls,
-- so that it is inlined (see sh_iso above).
CREATE FUNCTION sh_hour_ceil(t timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN date_trunc('hour', t, 'UTC') = t THEN t
                      ELSE date_trunc('hour', t, 'UTC') + interval '1 hour' END $$;

-- Where a reader of p_monitor switches from the rollup to the raw rows, for a period whose
-- first whole hour is p_lo: the watermark, or the first marked hour if earlier, never
-- before p_lo. (PL/pgSQL, not SQL: a SQL function with a FROM clause is planned again on
-- every call from PL/pgSQL.)
CREATE FUNCTION sh_rollup_cut(p_monitor bigint, p_lo timestamptz) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    wm timestamptz := (SELECT s.rolled_until FROM rollup_state s);
    marked timestamptz := (SELECT min(k.hour) FROM rollup_marks k
                           WHERE k.monitor_id = p_monitor AND k.hour >= p_lo);
BEGIN
    RETURN greatest(p_lo, least(wm, coalesce(marked, 'infinity')));
END $$;

-- ---- Rolling up ----------------------------------------------------------------------

-- Latency sums are numeric: each float8 response time converts to one exact decimal, so a
-- sum is the same whichever order its rows are added in — an hour summed by the rollup and
-- the same hour summed from the raw rows give the same average to the last digit, even on
-- a tie at the rounding (floating-point sums differ in the last bit with the order).
ALTER TABLE check_rollup_hourly ALTER COLUMN sum_ms TYPE numeric USING sum_ms::numeric;

-- Rolls up every UTC hour that starts in [date_trunc('hour', p_from), p_to) from the raw
-- results of monitors that still exist, replacing what was there. Idempotent; returns the
-- number of (monitor, hour) rows written. Never moves the watermark, so it is safe on any
-- range at any time (readers ignore rollup rows from the watermark on).
CREATE FUNCTION sh_rollup_hours(p_from timestamptz, p_to timestamptz)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := date_trunc('hour', p_from, 'UTC');
    hi timestamptz := sh_hour_ceil(p_to);
    n bigint;
BEGIN
    IF hi <= lo THEN
        RETURN 0;
    END IF;
    INSERT INTO check_rollup_hourly AS r
        (monitor_id, hour, checks, up, sum_ms, timed, max_ms, p95_ms)
    SELECT c.monitor_id, date_trunc('hour', c.checked_at, 'UTC'), count(*),
           count(*) FILTER (WHERE c.is_up), coalesce(sum(c.response_time_ms::numeric), 0),
           count(c.response_time_ms), max(c.response_time_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY c.response_time_ms)
    FROM check_results c
    WHERE c.checked_at >= lo AND c.checked_at < hi
      AND EXISTS (SELECT 1 FROM monitors m WHERE m.id = c.monitor_id)
    GROUP BY 1, 2
    ON CONFLICT (monitor_id, hour) DO UPDATE
        SET checks = excluded.checks, up = excluded.up, sum_ms = excluded.sum_ms,
            timed = excluded.timed, max_ms = excluded.max_ms, p95_ms = excluded.p95_ms;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Rolls up the marked (monitor, hour) pairs before p_until again and deletes those marks
-- (only the ones it saw: a mark added meanwhile stays for the next run). A pair left with
-- no raw rows loses its rollup row. Returns the number of pairs.
CREATE FUNCTION sh_rollup_marked(p_until timestamptz)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    hours timestamptz[];
BEGIN
    WITH gone AS (
        DELETE FROM rollup_marks WHERE hour < p_until RETURNING monitor_id, hour
    )
    SELECT array_agg(d.monitor_id), array_agg(d.hour) INTO ids, hours
    FROM (SELECT DISTINCT monitor_id, hour FROM gone) d;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM check_rollup_hourly r
    USING unnest(ids, hours) AS p (monitor_id, hour)
    WHERE r.monitor_id = p.monitor_id AND r.hour = p.hour;
    INSERT INTO check_rollup_hourly AS r
        (monitor_id, hour, checks, up, sum_ms, timed, max_ms, p95_ms)
    SELECT c.monitor_id, p.hour, count(*), count(*) FILTER (WHERE c.is_up),
           coalesce(sum(c.response_time_ms::numeric), 0), count(c.response_time_ms),
           max(c.response_time_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY c.response_time_ms)
    FROM unnest(ids, hours) AS p (monitor_id, hour)
    JOIN check_results c ON c.monitor_id = p.monitor_id
                        AND c.checked_at >= p.hour AND c.checked_at < p.hour + interval '1 hour'
    WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = p.monitor_id)
    GROUP BY c.monitor_id, p.hour
    ON CONFLICT (monitor_id, hour) DO UPDATE
        SET checks = excluded.checks, up = excluded.up, sum_ms = excluded.sum_ms,
            timed = excluded.timed, max_ms = excluded.max_ms, p95_ms = excluded.p95_ms;
    RETURN cardinality(ids);
END $$;

-- The runner's maintenance runs `CALL sh_rollup_advance()` every few minutes, outside a
-- transaction block. It rolls up the hours from the watermark to the last hour that ended
-- at least p_lag ago, p_chunk_hours at a time, moving the watermark after each chunk, then
-- re-rolls hours marked since the last run and prunes check_user_minute and
-- check_user_hour (two days kept).
-- Each chunk is three short transactions: (1) under the exclusive lock only pending_until
-- moves; (2) the chunk is rolled up, no lock held; (3) its marked pairs are rolled up
-- again and the watermark moves. Writers of results wait only for step (1).
-- rolled_until returns the watermark reached. Safe to run concurrently (every move is a
-- greatest()), though one maintenance holder at a time is enough.
CREATE PROCEDURE sh_rollup_advance(p_lag interval DEFAULT '5 minutes',
                                   p_chunk_hours integer DEFAULT 24,
                                   INOUT rolled_until timestamptz DEFAULT NULL)
    LANGUAGE plpgsql AS $$
DECLARE
    wm timestamptz;
    first timestamptz;
    target timestamptz;
    goal timestamptz;
BEGIN
    IF p_lag IS NULL OR p_lag < interval '0' OR p_chunk_hours IS NULL OR p_chunk_hours < 1 THEN
        RAISE EXCEPTION 'sh_rollup_advance: p_lag must be >= 0 and p_chunk_hours >= 1';
    END IF;
    LOOP
        goal := date_trunc('hour', now() - p_lag, 'UTC');
        SELECT s.rolled_until INTO wm FROM rollup_state s;
        EXIT WHEN wm >= goal;
        IF wm = '-infinity' THEN
            -- least() skips the NULL of an empty table.
            SELECT least(date_trunc('hour', min(checked_at), 'UTC'), goal) INTO first
            FROM check_results;
        ELSE
            first := wm;
        END IF;
        target := least(goal, first + p_chunk_hours * interval '1 hour');

        PERFORM pg_advisory_xact_lock(sh_rollup_lock_key());
        UPDATE rollup_state SET pending_until = greatest(pending_until, target);
        COMMIT;

        PERFORM sh_rollup_hours(first, target);
        COMMIT;

        PERFORM sh_rollup_marked(target);
        UPDATE rollup_state s SET rolled_until = greatest(s.rolled_until, target);
        COMMIT;
    END LOOP;
    PERFORM sh_rollup_marked(wm);
    DELETE FROM check_user_minute WHERE minute < now() - interval '2 days';
    DELETE FROM check_user_hour WHERE hour < now() - interval '2 days';
    DELETE FROM monitor_owner o
    WHERE NOT EXISTS (SELECT 1 FROM monitors m WHERE m.id = o.monitor_id);
    rolled_until := wm;
END $$;

-- ---- Aggregates kept by triggers -----------------------------------------------------

-- Which user a monitor belongs to, kept after the monitor is deleted (until the next
-- advance), so that deleting its results finds whose minutes to reduce in whichever order
-- the monitor and its results go.
CREATE TABLE monitor_owner (
    monitor_id  bigint PRIMARY KEY,
    user_id     bigint NOT NULL
);
INSERT INTO monitor_owner (monitor_id, user_id) SELECT id, user_id FROM monitors;

-- Per user and UTC minute, and per user and UTC hour: the response-time sums of results
-- written for the user's monitors (dashboard_stats' avg_latency: the minutes at both ends
-- of the 24 hours, the hours between, ~150 rows instead of 1,440). An hour row is the sum
-- of its minute rows; the same triggers write both. No foreign key: a runner's batch must
-- never fail because a user was deleted meanwhile; rows are pruned by age.
CREATE TABLE check_user_minute (
    user_id  bigint NOT NULL,
    minute   timestamptz NOT NULL,
    timed    bigint NOT NULL DEFAULT 0, -- results that have a response time
    sum_ms   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, minute)
);
CREATE TABLE check_user_hour (
    user_id  bigint NOT NULL,
    hour     timestamptz NOT NULL,
    timed    bigint NOT NULL DEFAULT 0,
    sum_ms   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, hour)
);

-- Per user: monitors in all, active, UP and DOWN (dashboard_stats).
CREATE TABLE monitor_counts (
    user_id  bigint PRIMARY KEY,
    total    bigint NOT NULL DEFAULT 0,
    active   bigint NOT NULL DEFAULT 0,
    up       bigint NOT NULL DEFAULT 0,
    down     bigint NOT NULL DEFAULT 0
);
INSERT INTO monitor_counts (user_id, total, active, up, down)
SELECT user_id, count(*), count(*) FILTER (WHERE is_active), count(*) FILTER (WHERE status = 'UP'),
       count(*) FILTER (WHERE status = 'DOWN')
FROM monitors GROUP BY user_id;

-- The last failures across all of a user's monitors, newest first (dashboard_stats).
CREATE INDEX check_results_failures_time_idx ON check_results (checked_at DESC) WHERE NOT is_up;

-- Results written: mark those below pending_until; add latencies to the owners' minutes
-- and hours. One statement-level trigger with a transition table, so a batch of 1,000
-- rows costs three short queries (four when it is late).
CREATE FUNCTION sh_check_results_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    pending timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(sh_rollup_lock_key());
    SELECT pending_until INTO pending FROM rollup_state;
    IF EXISTS (SELECT 1 FROM new_rows WHERE checked_at < pending) THEN
        INSERT INTO rollup_marks (monitor_id, hour)
        SELECT DISTINCT monitor_id, date_trunc('hour', checked_at, 'UTC')
        FROM new_rows WHERE checked_at < pending;
    END IF;
    -- One pass over the batch: per user and minute, then the hours from those minutes.
    -- Minutes then hours, each in key order, so that two batches for the same users cannot
    -- deadlock.
    -- The owner by a lookup per row, not a join: the planner would hash the whole of
    -- monitor_owner (all the monitors of every user) for a batch of 1,000 rows.
    WITH g AS MATERIALIZED (
        SELECT x.user_id, x.minute, count(*) AS timed, sum(x.ms) AS sum_ms
        FROM (SELECT (SELECT o.user_id FROM monitor_owner o
                      WHERE o.monitor_id = n.monitor_id) AS user_id,
                     date_trunc('minute', n.checked_at, 'UTC') AS minute,
                     n.response_time_ms::numeric AS ms
              FROM new_rows n WHERE n.response_time_ms IS NOT NULL) x
        WHERE x.user_id IS NOT NULL
        GROUP BY 1, 2
    ), minutes AS (
        INSERT INTO check_user_minute AS u (user_id, minute, timed, sum_ms)
        SELECT g.user_id, g.minute, g.timed, g.sum_ms FROM g ORDER BY 1, 2
        ON CONFLICT (user_id, minute) DO UPDATE
            SET timed = u.timed + excluded.timed, sum_ms = u.sum_ms + excluded.sum_ms
        RETURNING 1
    )
    INSERT INTO check_user_hour AS u (user_id, hour, timed, sum_ms)
    SELECT g.user_id, date_trunc('hour', g.minute, 'UTC'), sum(g.timed), sum(g.sum_ms)
    FROM g WHERE (SELECT count(*) FROM minutes) >= 0 -- the minutes are upserted first
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (user_id, hour) DO UPDATE
        SET timed = u.timed + excluded.timed, sum_ms = u.sum_ms + excluded.sum_ms;
    RETURN NULL;
END $$;

CREATE TRIGGER check_results_inserted
    AFTER INSERT ON check_results REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sh_check_results_inserted();

-- Results deleted (with their monitor): mark the rolled-up hours they were part of and
-- take their latencies out of the owners' minutes and hours.
CREATE FUNCTION sh_check_results_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    pending timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(sh_rollup_lock_key());
    SELECT pending_until INTO pending FROM rollup_state;
    INSERT INTO rollup_marks (monitor_id, hour)
    SELECT DISTINCT monitor_id, date_trunc('hour', checked_at, 'UTC')
    FROM old_rows WHERE checked_at < pending;
    UPDATE check_user_minute u
    SET timed = u.timed - g.timed, sum_ms = u.sum_ms - g.sum_ms
    FROM (SELECT o.user_id, date_trunc('minute', d.checked_at, 'UTC') AS minute,
                 count(*) AS timed, sum(d.response_time_ms::numeric) AS sum_ms
          FROM old_rows d JOIN monitor_owner o ON o.monitor_id = d.monitor_id
          WHERE d.response_time_ms IS NOT NULL
          GROUP BY 1, 2) g
    WHERE u.user_id = g.user_id AND u.minute = g.minute;
    UPDATE check_user_hour u
    SET timed = u.timed - g.timed, sum_ms = u.sum_ms - g.sum_ms
    FROM (SELECT o.user_id, date_trunc('hour', d.checked_at, 'UTC') AS hour,
                 count(*) AS timed, sum(d.response_time_ms::numeric) AS sum_ms
          FROM old_rows d JOIN monitor_owner o ON o.monitor_id = d.monitor_id
          WHERE d.response_time_ms IS NOT NULL
          GROUP BY 1, 2) g
    WHERE u.user_id = g.user_id AND u.hour = g.hour;
    RETURN NULL;
END $$;

CREATE TRIGGER check_results_deleted
    AFTER DELETE ON check_results REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sh_check_results_deleted();

-- Monitors created or deleted: owners and counts. Statement-level, so creating many
-- monitors in one statement costs one update per user.
CREATE FUNCTION sh_monitors_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO monitor_owner (monitor_id, user_id)
    SELECT id, user_id FROM new_monitors
    ON CONFLICT (monitor_id) DO NOTHING;
    INSERT INTO monitor_counts AS c (user_id, total, active, up, down)
    SELECT user_id, count(*), count(*) FILTER (WHERE is_active),
           count(*) FILTER (WHERE status = 'UP'), count(*) FILTER (WHERE status = 'DOWN')
    FROM new_monitors GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE
        SET total = c.total + excluded.total, active = c.active + excluded.active,
            up = c.up + excluded.up, down = c.down + excluded.down;
    RETURN NULL;
END $$;

CREATE TRIGGER monitors_inserted
    AFTER INSERT ON monitors REFERENCING NEW TABLE AS new_monitors
    FOR EACH STATEMENT EXECUTE FUNCTION sh_monitors_inserted();

CREATE FUNCTION sh_monitors_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE monitor_counts c
    SET total = c.total - g.total, active = c.active - g.active, up = c.up - g.up,
        down = c.down - g.down
    FROM (SELECT user_id, count(*) AS total, count(*) FILTER (WHERE is_active) AS active,
                 count(*) FILTER (WHERE status = 'UP') AS up,
                 count(*) FILTER (WHERE status = 'DOWN') AS down
          FROM old_monitors GROUP BY user_id) g
    WHERE c.user_id = g.user_id;
    RETURN NULL;
END $$;

CREATE TRIGGER monitors_deleted
    AFTER DELETE ON monitors REFERENCING OLD TABLE AS old_monitors
    FOR EACH STATEMENT EXECUTE FUNCTION sh_monitors_deleted();

-- A monitor's state changed. Row-level with a WHEN clause, so the runner's updates of
-- last_checked_at (every check) never call it; a transition costs one row update.
CREATE FUNCTION sh_monitor_state_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE monitor_counts c
    SET active = c.active + (NEW.is_active::int - OLD.is_active::int),
        up = c.up + ((NEW.status = 'UP')::int - (OLD.status = 'UP')::int),
        down = c.down + ((NEW.status = 'DOWN')::int - (OLD.status = 'DOWN')::int)
    WHERE c.user_id = NEW.user_id;
    RETURN NULL;
END $$;

CREATE TRIGGER monitors_state_changed
    AFTER UPDATE OF status, is_active ON monitors
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION sh_monitor_state_changed();

-- ---- The statistics queries (the api calls these) ------------------------------------
-- Each returns no row when p_monitor is not p_user's (the api answers 404). Averages and
-- percentages are rounded to 2 places here, in numeric, from exact numeric sums (see
-- check_rollup_hourly.sum_ms above), half away from zero.
-- The ones reading check_results use a generic plan, kept for the connection: with a
-- daily partition per day of retention, planning afresh on each call costs more than the
-- query (sh_stats_summary over 99 partitions: 3.0 ms a call planned afresh, 0.55 ms with
-- the generic plan); the
-- partitions outside the period are pruned when it starts. (Only that one setting: each
-- SET clause is applied and undone on every call, and SET jit = off alone doubled the
-- cost. These plans stay far below jit_above_cost.)

-- Per-hour figures of p_monitor for the hours that meet [p_since, p_until): the rollup
-- for the whole hours before the cut, raw rows for the partial first hour and from the cut
-- on. Raw hours get the same p95 the rollup would store (percentile_cont), so a bucket
-- does not change when its hour is rolled up.
CREATE FUNCTION sh_stats_hours(p_monitor bigint, p_since timestamptz, p_until timestamptz)
    RETURNS TABLE (hour timestamptz, checks bigint, up bigint, sum_ms numeric,
                   timed bigint, p95_ms double precision)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    lo timestamptz := sh_hour_ceil(p_since);
    cut timestamptz := sh_rollup_cut(p_monitor, lo);
BEGIN
    RETURN QUERY
    SELECT r.hour, r.checks::bigint, r.up::bigint, r.sum_ms, r.timed::bigint, r.p95_ms
    FROM check_rollup_hourly r
    WHERE r.monitor_id = p_monitor AND r.hour >= lo AND r.hour < cut
    UNION ALL
    SELECT date_trunc('hour', c.checked_at, 'UTC'), count(*), count(*) FILTER (WHERE c.is_up),
           coalesce(sum(c.response_time_ms::numeric), 0), count(c.response_time_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY c.response_time_ms)
    FROM check_results c
    WHERE c.monitor_id = p_monitor AND c.checked_at >= p_since AND c.checked_at < lo
    GROUP BY 1
    UNION ALL
    SELECT date_trunc('hour', c.checked_at, 'UTC'), count(*), count(*) FILTER (WHERE c.is_up),
           coalesce(sum(c.response_time_ms::numeric), 0), count(c.response_time_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY c.response_time_ms)
    FROM check_results c
    WHERE c.monitor_id = p_monitor AND c.checked_at >= cut AND c.checked_at < p_until
    GROUP BY 1;
END $$;

-- GET /monitors/{id}/stats: counts, uptime and mean latency over [now - p_period, now]
-- (results stamped after now, from a runner's clock running ahead, count too) and the
-- latest check among them.
CREATE FUNCTION sh_stats_summary(p_monitor bigint, p_user bigint, p_period interval)
    RETURNS TABLE (total_checks bigint, up_count bigint, uptime_percentage numeric,
                   avg_response_time numeric, last_id bigint, last_status_code integer,
                   last_response_time_ms double precision, last_is_up boolean,
                   last_created_at text, last_error text)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    since timestamptz := now() - p_period;
    recent timestamptz := now() - interval '1 day';
    last record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM monitors m WHERE m.id = p_monitor AND m.user_id = p_user) THEN
        RETURN;
    END IF;
    -- The latest check: in the last day first (a few partitions), the rest of the period
    -- only when there is none there.
    SELECT c.id, c.status_code, c.response_time_ms, c.is_up, c.checked_at, c.error INTO last
    FROM check_results c
    WHERE c.monitor_id = p_monitor AND c.checked_at >= greatest(since, recent)
    ORDER BY c.checked_at DESC, c.id DESC LIMIT 1;
    IF NOT FOUND AND since < recent THEN
        SELECT c.id, c.status_code, c.response_time_ms, c.is_up, c.checked_at, c.error INTO last
        FROM check_results c
        WHERE c.monitor_id = p_monitor AND c.checked_at >= since AND c.checked_at < recent
        ORDER BY c.checked_at DESC, c.id DESC LIMIT 1;
    END IF;
    RETURN QUERY
    WITH t AS (
        SELECT coalesce(sum(h.checks), 0)::bigint AS checks, coalesce(sum(h.up), 0)::bigint AS up,
               sum(h.sum_ms) AS sum_ms, coalesce(sum(h.timed), 0) AS timed
        FROM sh_stats_hours(p_monitor, since, 'infinity') h
    )
    SELECT t.checks, t.up,
           CASE WHEN t.checks > 0 THEN round(100.0 * t.up / t.checks, 2) ELSE 0.0 END,
           CASE WHEN t.timed > 0 THEN round(t.sum_ms / t.timed, 2) ELSE 0.0 END,
           last.id, last.status_code, last.response_time_ms, last.is_up,
           sh_iso(last.checked_at), last.error::text
    FROM t;
END $$;

-- GET /monitors/{id}/heatmap: the hours that had checks among the current UTC hour and
-- the p_days * 24 - 1 before it, oldest first; the api writes the empty ones between and
-- checks that the monitor is the caller's (in the statement that calls this). The hour
-- comes as ms since the epoch; p95 goes through its shortest text (exact for a float8, and
-- far cheaper than float8 -> numeric, which formats 15 digits with printf).
CREATE FUNCTION sh_stats_heatmap(p_monitor bigint, p_days integer)
    RETURNS TABLE (hour_ms bigint, checks bigint, up bigint, avg_ms numeric, p95_ms numeric)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    last_hour timestamptz := date_trunc('hour', now(), 'UTC');
    first_hour timestamptz := last_hour - (p_days * 24 - 1) * interval '1 hour';
BEGIN
    RETURN QUERY
    SELECT (extract(epoch FROM h.hour) * 1000)::bigint, h.checks, h.up,
           round(h.sum_ms / nullif(h.timed, 0), 2), round(h.p95_ms::text::numeric, 2)
    FROM sh_stats_hours(p_monitor, first_hour, last_hour + interval '1 hour') h
    ORDER BY h.hour;
END $$;

-- GET /monitors/leaderboard: p_user's monitors that have checks in the current UTC hour
-- and the p_hours - 1 before it (the heatmap's buckets), ranked by mean latency (p_by
-- 'latency', fastest first) or by uptime ('uptime', highest first), ties broken by the
-- other figure and then the id. p95_ms is the 95th percentile of the monitor's hourly
-- p95 values: percentiles do not add up, and an exact p95 over the whole period would
-- need every raw row of every monitor. Set-based over all the user's monitors; a custom
-- plan (the monitors may be 1 or 10,000), no JIT, more sort memory than the default.
CREATE FUNCTION sh_stats_leaderboard(p_user bigint, p_hours integer, p_by text,
                                     p_limit integer)
    RETURNS TABLE (rank bigint, id bigint, name text, url text, status text, checks bigint,
                   uptime_percentage numeric, avg_ms numeric, p95_ms numeric)
    LANGUAGE plpgsql STABLE
    SET jit = off SET work_mem = '32MB' AS $$
#variable_conflict use_column
DECLARE
    last_hour timestamptz := date_trunc('hour', now(), 'UTC');
    first_hour timestamptz := last_hour - (p_hours - 1) * interval '1 hour';
    until timestamptz := last_hour + interval '1 hour';
    wm timestamptz := (SELECT s.rolled_until FROM rollup_state s);
    -- No monitor's cut is earlier: a constant bound the planner can prune partitions with.
    low_cut timestamptz := greatest(first_hour, least(wm, coalesce(
        (SELECT min(k.hour) FROM rollup_marks k WHERE k.hour >= first_hour), 'infinity')));
BEGIN
    RETURN QUERY
    WITH mon AS MATERIALIZED (
        -- sh_rollup_cut() for every monitor at once.
        SELECT m.id, greatest(first_hour, least(wm, coalesce(k.first, 'infinity'))) AS cut
        FROM monitors m
        LEFT JOIN (SELECT k.monitor_id, min(k.hour) AS first FROM rollup_marks k
                   WHERE k.hour >= first_hour GROUP BY k.monitor_id) k ON k.monitor_id = m.id
        WHERE m.user_id = p_user
    ), hours AS (
        SELECT r.monitor_id, r.checks::bigint AS checks, r.up::bigint AS up, r.sum_ms,
               r.timed::bigint AS timed, r.p95_ms
        FROM mon JOIN check_rollup_hourly r
             ON r.monitor_id = mon.id AND r.hour >= first_hour AND r.hour < mon.cut
        UNION ALL
        SELECT c.monitor_id, count(*), count(*) FILTER (WHERE c.is_up),
               coalesce(sum(c.response_time_ms::numeric), 0), count(c.response_time_ms),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY c.response_time_ms)
        FROM mon JOIN check_results c ON c.monitor_id = mon.id AND c.checked_at >= mon.cut
        WHERE c.checked_at >= low_cut AND c.checked_at < until
        GROUP BY c.monitor_id, date_trunc('hour', c.checked_at, 'UTC')
    ), per AS (
        SELECT h.monitor_id, sum(h.checks)::bigint AS checks,
               round(100.0 * sum(h.up) / sum(h.checks), 2) AS uptime,
               round(sum(h.sum_ms) / nullif(sum(h.timed), 0), 2) AS avg_ms,
               round((percentile_cont(0.95) WITHIN GROUP (ORDER BY h.p95_ms))::text::numeric, 2)
                   AS p95_ms
        FROM hours h GROUP BY h.monitor_id HAVING sum(h.checks) > 0
    )
    SELECT row_number() OVER w, m.id, m.name::text, m.url::text, m.status::text, per.checks,
           per.uptime, per.avg_ms, per.p95_ms
    FROM per JOIN monitors m ON m.id = per.monitor_id
    WINDOW w AS (ORDER BY CASE WHEN p_by = 'uptime' THEN -per.uptime END NULLS LAST,
                          per.avg_ms NULLS LAST, -per.uptime, m.id)
    ORDER BY 1
    LIMIT p_limit;
END $$;

-- GET /monitors/{id}/history: the number of checks in [now - p_period, now] and one page
-- of them, newest first. One row with NULL item columns when the page is empty.
CREATE FUNCTION sh_stats_history(p_monitor bigint, p_user bigint, p_period interval,
                                 p_limit integer, p_offset bigint)
    RETURNS TABLE (total bigint, id bigint, status_code integer,
                   response_time_ms double precision, is_up boolean, created_at text,
                   error text)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    since timestamptz := now() - p_period;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM monitors m WHERE m.id = p_monitor AND m.user_id = p_user) THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT t.n, p.id, p.status_code, p.response_time_ms, p.is_up, sh_iso(p.checked_at),
           p.error::text
    FROM (SELECT count(*) AS n FROM check_results c
          WHERE c.monitor_id = p_monitor AND c.checked_at >= since) t
    LEFT JOIN LATERAL (
        SELECT c.id, c.status_code, c.response_time_ms, c.is_up, c.checked_at, c.error
        FROM check_results c
        WHERE c.monitor_id = p_monitor AND c.checked_at >= since
        ORDER BY c.checked_at DESC, c.id DESC
        LIMIT p_limit OFFSET p_offset
    ) p ON true
    ORDER BY p.checked_at DESC, p.id DESC;
END $$;

-- GET /monitors/dashboard_stats, counts and latency: p_user's monitors by state, and the
-- mean response time of their results from the start of the minute 24 hours ago on: the
-- minutes up to the next whole hour, the whole hours, the minutes of the current hour.
CREATE FUNCTION sh_stats_dashboard(p_user bigint)
    RETURNS TABLE (total bigint, active bigint, up bigint, down bigint, avg_latency numeric)
    LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    -- Variables, not expressions in the WHERE clauses, so they are computed once.
    since timestamptz := date_trunc('minute', now() - interval '24 hours', 'UTC');
    hours_from timestamptz := sh_hour_ceil(since);
    hours_to timestamptz := date_trunc('hour', now(), 'UTC');
    latency numeric;
BEGIN
    SELECT round(sum(x.sum_ms) / nullif(sum(x.timed), 0), 2) INTO latency
    FROM (SELECT u.sum_ms, u.timed FROM check_user_minute u
          WHERE u.user_id = p_user AND u.minute >= since AND u.minute < hours_from
          UNION ALL
          SELECT h.sum_ms, h.timed FROM check_user_hour h
          WHERE h.user_id = p_user AND h.hour >= hours_from AND h.hour < hours_to
          UNION ALL
          SELECT u.sum_ms, u.timed FROM check_user_minute u
          WHERE u.user_id = p_user AND u.minute >= hours_to) x;
    RETURN QUERY
    SELECT coalesce(c.total, 0), coalesce(c.active, 0), coalesce(c.up, 0), coalesce(c.down, 0),
           coalesce(latency, 0.0)
    FROM (SELECT 1) AS one LEFT JOIN monitor_counts c ON c.user_id = p_user;
END $$;

-- GET /monitors/dashboard_stats, recent failures: p_user's last p_limit failed checks.
-- First among the newest failures of all users of the last day, in time order (fast
-- whenever this user has recent ones: if p_limit of theirs are among them, no older
-- failure of theirs can be newer; the day bound keeps the scan to a few partitions); when
-- fewer are found there, from each of the user's monitors' own failures.
CREATE FUNCTION sh_stats_failures(p_user bigint, p_limit integer)
    RETURNS TABLE (id bigint, monitor_id bigint, monitor_name text, url text, code integer,
                   created_at text)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    scan_limit constant integer := 2000;
    found integer;
BEGIN
    RETURN QUERY
    SELECT f.id, f.monitor_id, m.name::text, m.url::text, f.status_code, sh_iso(f.checked_at)
    FROM (SELECT c.id, c.monitor_id, c.status_code, c.checked_at FROM check_results c
          WHERE NOT c.is_up AND c.checked_at >= now() - interval '1 day'
          ORDER BY c.checked_at DESC, c.id DESC LIMIT scan_limit) f
    JOIN monitors m ON m.id = f.monitor_id
    WHERE m.user_id = p_user
    ORDER BY f.checked_at DESC, f.id DESC
    LIMIT p_limit;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found >= p_limit THEN
        RETURN;
    END IF;
    -- The rows already returned are the first ones of this list.
    RETURN QUERY
    SELECT f.id, f.monitor_id, m.name::text, m.url::text, f.status_code, sh_iso(f.checked_at)
    FROM monitors m
    CROSS JOIN LATERAL (SELECT c.id, c.monitor_id, c.status_code, c.checked_at
                        FROM check_results c
                        WHERE c.monitor_id = m.id AND NOT c.is_up
                        ORDER BY c.checked_at DESC, c.id DESC LIMIT p_limit) f
    WHERE m.user_id = p_user
    ORDER BY f.checked_at DESC, f.id DESC
    LIMIT p_limit - found
    OFFSET found;
END $$;
