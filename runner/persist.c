/* persist: see persist.h. */
#include "runner/persist.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "runner/metrics.h"
#include "runner/outbox.h"
#include "runner/pgconn.h"

#define NCOLS 13
#define NPARAMS (NCOLS + 1) /* the columns, then the outbox rows to delete */
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define DROP_LOG_EVERY_US (10 * 1000000LL)
/* The longest text one row adds to the arrays: numbers, and an error of
 * CHECK_ERROR_MAX characters that may double when escaped. */
#define ROW_TEXT_MAX (CHECK_ERROR_MAX * 2 + 512)

/* $1..$13: the result rows as arrays, one per column; $14: the alert_ids published since
 * the last batch, whose outbox rows go. Times travel as ms since the epoch. Returns the
 * alerts it wrote to the outbox (OUTBOX_COLUMNS). */
static const char batch_sql[] =
    "WITH r AS ("
    " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::float8[], $5::bool[],"
    "  $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::int[], $11::float8[],"
    "  $12::float8[], $13::float8[])"
    "  AS t(monitor_id, checked_ms, status_code, response_ms, is_up, error, confirmed,"
    "  since_ms, cert_ms, cert_level, an_mean, an_stdev, an_z)"
    "), locked AS MATERIALIZED ("
    " SELECT m.id, m.status, m.cert_expires_at, m.cert_alert_level FROM monitors m"
    " WHERE m.id IN (SELECT monitor_id FROM r) ORDER BY m.id FOR UPDATE"
    "), ins AS ("
    " INSERT INTO check_results (monitor_id, checked_at, status_code, response_time_ms, is_up,"
    "  error)"
    " SELECT r.monitor_id, to_timestamp(r.checked_ms / 1000.0), r.status_code, r.response_ms,"
    "  r.is_up, r.error FROM r JOIN locked l ON l.id = r.monitor_id"
    "), anom AS ("
    " INSERT INTO anomalies (monitor_id, created_at, response_time_ms, mean, stdev, z)"
    " SELECT r.monitor_id, to_timestamp(r.checked_ms / 1000.0), r.response_ms, r.an_mean,"
    "  r.an_stdev, r.an_z FROM r JOIN locked l ON l.id = r.monitor_id WHERE r.an_z IS NOT NULL"
    "), agg AS ("
    " SELECT monitor_id, max(checked_ms) AS last_ms,"
    "  (array_agg(confirmed ORDER BY checked_ms DESC) FILTER (WHERE confirmed IS NOT NULL))[1]"
    "   AS confirmed,"
    "  (array_agg(checked_ms ORDER BY checked_ms DESC) FILTER (WHERE confirmed IS NOT NULL))[1]"
    "   AS confirmed_ms,"
    "  (array_agg(coalesce(since_ms, checked_ms) ORDER BY checked_ms DESC)"
    "   FILTER (WHERE confirmed IS NOT NULL))[1] AS since_ms,"
    "  (array_agg(error ORDER BY checked_ms DESC) FILTER (WHERE confirmed IS NOT NULL))[1]"
    "   AS error,"
    "  (array_agg(status_code ORDER BY checked_ms DESC) FILTER (WHERE confirmed IS NOT NULL))[1]"
    "   AS status_code,"
    "  (array_agg(response_ms ORDER BY checked_ms DESC) FILTER (WHERE confirmed IS NOT NULL))[1]"
    "   AS response_ms,"
    "  (array_agg(cert_ms ORDER BY checked_ms DESC) FILTER (WHERE cert_ms IS NOT NULL))[1]"
    "   AS cert_ms,"
    "  (array_agg(cert_level ORDER BY checked_ms DESC) FILTER (WHERE cert_ms IS NOT NULL))[1]"
    "   AS cert_level,"
    "  (array_agg(checked_ms ORDER BY checked_ms DESC) FILTER (WHERE cert_ms IS NOT NULL))[1]"
    "   AS cert_checked_ms"
    " FROM r GROUP BY monitor_id"
    "), upd AS ("
    " UPDATE monitors m SET"
    "  last_checked_at = GREATEST(m.last_checked_at, to_timestamp(a.last_ms / 1000.0)),"
    "  status = CASE WHEN a.confirmed IS NOT NULL AND m.is_active"
    "   AND (m.last_checked_at IS NULL"
    "    OR to_timestamp(a.confirmed_ms / 1000.0) >= m.last_checked_at)"
    "   THEN a.confirmed ELSE m.status END,"
    "  cert_expires_at = CASE WHEN a.cert_ms IS NULL THEN m.cert_expires_at"
    "   ELSE to_timestamp(a.cert_ms / 1000.0) END,"
    "  cert_alert_level = CASE WHEN a.cert_ms IS NULL THEN m.cert_alert_level"
    "   WHEN m.cert_expires_at IS DISTINCT FROM to_timestamp(a.cert_ms / 1000.0)"
    "    THEN a.cert_level"
    "   WHEN a.cert_level IS NOT NULL AND (m.cert_alert_level IS NULL"
    "    OR a.cert_level < m.cert_alert_level) THEN a.cert_level"
    "   ELSE m.cert_alert_level END"
    " FROM agg a JOIN locked l ON l.id = a.monitor_id"
    " WHERE m.id = a.monitor_id"
    " RETURNING m.id, m.user_id, m.name, m.url, l.status AS old_status, m.status AS new_status,"
    "  a.confirmed_ms, a.since_ms, a.error, a.status_code, a.response_ms, a.cert_ms,"
    "  a.cert_level, a.cert_checked_ms, l.cert_expires_at AS old_cert,"
    "  l.cert_alert_level AS old_level"
    "), opened AS ("
    " INSERT INTO incidents (monitor_id, started_at, cause)"
    " SELECT u.id, to_timestamp(u.since_ms / 1000.0), left(coalesce(u.error, ''), 255)"
    " FROM upd u WHERE u.new_status = 'DOWN' AND u.old_status <> 'DOWN'"
    " ON CONFLICT (monitor_id) WHERE resolved_at IS NULL DO NOTHING"
    " RETURNING monitor_id, started_at"
    "), closed AS ("
    " UPDATE incidents i SET resolved_at = greatest(i.started_at,"
    "  to_timestamp(u.confirmed_ms / 1000.0))"
    " FROM upd u WHERE u.new_status = 'UP' AND u.old_status = 'DOWN'"
    "  AND i.monitor_id = u.id AND i.resolved_at IS NULL"
    " RETURNING i.monitor_id, i.started_at"
    "), c AS ("
    " SELECT u.*,"
    "  CASE WHEN u.new_status = 'DOWN' AND u.old_status <> 'DOWN' THEN 'down'"
    "   WHEN u.new_status = 'UP' AND u.old_status = 'DOWN' THEN 'up' END AS transition,"
    "  CASE WHEN u.cert_ms IS NOT NULL AND u.cert_level IS NOT NULL AND"
    "  (u.old_cert IS DISTINCT FROM to_timestamp(u.cert_ms / 1000.0) OR u.old_level IS NULL"
    "  OR u.cert_level < u.old_level) THEN u.cert_level END AS cert_alert FROM upd u"
    "), alerts AS ("
    " SELECT c.transition, c.id, c.user_id, c.name, c.url, c.old_status, c.new_status,"
    "  c.confirmed_ms, c.error, c.status_code, c.response_ms,"
    "  coalesce((SELECT sh_iso(o.started_at) FROM opened o WHERE o.monitor_id = c.id),"
    "   (SELECT sh_iso(x.started_at) FROM closed x WHERE x.monitor_id = c.id)),"
    "  NULL::int, NULL::bigint"
    " FROM c WHERE c.transition IS NOT NULL"
    " UNION ALL"
    " SELECT 'cert_expiry', c.id, c.user_id, c.name, c.url, c.old_status, c.new_status,"
    "  c.cert_checked_ms, NULL, NULL, NULL, NULL, c.cert_alert, c.cert_ms"
    " FROM c WHERE c.cert_alert IS NOT NULL"
    "), published AS ("
    " DELETE FROM alert_outbox WHERE alert_id = ANY($14::text[])"
    ")"
    " INSERT INTO alert_outbox (" OUTBOX_COLUMNS ")"
    " SELECT replace(gen_random_uuid()::text, '-', ''), a.* FROM alerts a"
    " RETURNING " OUTBOX_COLUMNS;

/* A growable text buffer with a hard ceiling. */
struct text {
    char *p;
    size_t len, cap, max;
    int overflow;
};

struct persist {
    struct event_base *base;
    const struct runner_config *cfg;
    struct pgconn *pg;
    persist_rows_fn on_rows;
    void *arg;

    struct result_row *rows; /* a ring of cfg->buffer_max rows */
    int cap, head, count;
    int in_flight; /* a batch statement is running */
    int sending;   /* rows [head, head + sending) are in it */
    int64_t send_started_us;

    /* Published alerts whose outbox rows the next batch deletes; [0, forget_sending) are
     * in the statement in flight. */
    char (*forget)[ALERT_ID_LEN + 1];
    int forget_cap, forget_n, forget_sending;

    struct event *timer; /* every batch interval */
    struct event *now;   /* "write now" from inside other callbacks */
    int backoff_ms;
    int64_t retry_at_us;

    uint64_t dropped_unlogged;
    int64_t drop_logged_us;
    struct text cols[NPARAMS];
};

/* ---- text ---- */

static void text_reset(struct text *t)
{
    t->len = 0;
    t->overflow = 0;
    if (t->p)
        t->p[0] = '\0';
}

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->overflow)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *np;
        while (cap < t->len + n + 1)
            cap *= 2;
        if (cap > t->max)
            cap = t->max; /* the ceiling itself is a valid size */
        if (cap < t->len + n + 1 || !(np = realloc(t->p, cap))) {
            t->overflow = 1;
            return;
        }
        t->p = np;
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(struct text *t, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        text_add(t, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* An array element: a double-quoted string with \ and " escaped. */
static void text_quoted(struct text *t, const char *s)
{
    text_add(t, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            text_add(t, "\\", 1);
        text_add(t, s, 1);
    }
    text_add(t, "\"", 1);
}

/* ---- the batch ---- */

static void build_arrays(struct persist *p, int n)
{
    for (int c = 0; c < NCOLS; c++) {
        text_reset(&p->cols[c]);
        text_add(&p->cols[c], "{", 1);
    }
    for (int i = 0; i < n; i++) {
        const struct result_row *r = &p->rows[(p->head + i) % p->cap];
        const char *sep = i ? "," : "";
        char conf[8];
        text_printf(&p->cols[0], "%s%lld", sep, (long long)r->monitor_id);
        text_printf(&p->cols[1], "%s%lld", sep, (long long)r->checked_ms);
        text_printf(&p->cols[2], "%s%d", sep, r->status_code);
        if (r->has_time)
            text_printf(&p->cols[3], "%s%.3f", sep, r->response_ms);
        else
            text_printf(&p->cols[3], "%sNULL", sep);
        text_printf(&p->cols[4], "%s%s", sep, r->is_up ? "t" : "f");
        text_add(&p->cols[5], sep, strlen(sep));
        if (r->error[0])
            text_quoted(&p->cols[5], r->error);
        else
            text_add(&p->cols[5], "NULL", 4);
        snprintf(conf, sizeof(conf), "%s",
                 r->confirmed == 'U'   ? "UP"
                 : r->confirmed == 'D' ? "DOWN"
                                       : "NULL");
        text_printf(&p->cols[6], "%s%s", sep, conf);
        if (r->since_ms)
            text_printf(&p->cols[7], "%s%lld", sep, (long long)r->since_ms);
        else
            text_printf(&p->cols[7], "%sNULL", sep);
        if (r->cert_ms)
            text_printf(&p->cols[8], "%s%lld", sep, (long long)r->cert_ms);
        else
            text_printf(&p->cols[8], "%sNULL", sep);
        if (r->cert_ms && r->cert_level)
            text_printf(&p->cols[9], "%s%d", sep, r->cert_level);
        else
            text_printf(&p->cols[9], "%sNULL", sep);
        if (r->anomaly) {
            text_printf(&p->cols[10], "%s%.6f", sep, r->an_mean);
            text_printf(&p->cols[11], "%s%.6f", sep, r->an_stdev);
            text_printf(&p->cols[12], "%s%.6f", sep, r->an_z);
        } else {
            for (int c = 10; c < 13; c++)
                text_printf(&p->cols[c], "%sNULL", sep);
        }
    }
    text_reset(&p->cols[NCOLS]);
    text_add(&p->cols[NCOLS], "{", 1);
    for (int i = 0; i < p->forget_n; i++) {
        text_add(&p->cols[NCOLS], i ? "," : "", i ? 1 : 0);
        text_add(&p->cols[NCOLS], p->forget[i], ALERT_ID_LEN);
    }
    for (int c = 0; c < NPARAMS; c++)
        text_add(&p->cols[c], "}", 1);
}

static void on_batch(PGresult *res, int ok, const char *err, void *arg);

static void send_batch(struct persist *p)
{
    const char *params[NPARAMS];
    int n;

    if (p->in_flight || (p->count == 0 && p->forget_n == 0) || !pgconn_idle(p->pg))
        return;
    if (p->retry_at_us && time_mono_us() < p->retry_at_us)
        return;
    n = p->count < p->cfg->batch_rows ? p->count : p->cfg->batch_rows;
    build_arrays(p, n);
    for (int c = 0; c < NPARAMS; c++) {
        if (p->cols[c].overflow) {
            /* Cannot happen with the reserved ceiling; if it did, retrying would not
             * help, so say so loudly. */
            log_error("persist: batch text over its ceiling; dropping %d results", n);
            metrics_results_dropped((uint64_t)n);
            p->head = (p->head + n) % p->cap;
            p->count -= n;
            return;
        }
        params[c] = p->cols[c].p;
    }
    if (pgconn_query(p->pg, batch_sql, NPARAMS, params, on_batch, p) != 0)
        return;
    p->in_flight = 1;
    p->sending = n;
    p->forget_sending = p->forget_n;
    p->send_started_us = time_mono_us();
}

static void on_batch(PGresult *res, int ok, const char *err, void *arg)
{
    struct persist *p = arg;
    int n = p->sending;
    int forgotten = p->forget_sending;
    double secs = (double)(time_mono_us() - p->send_started_us) / 1e6;

    p->in_flight = 0;
    p->sending = 0;
    p->forget_sending = 0;
    if (n > 0) /* not a batch that only empties the outbox */
        metrics_batch(secs, n, ok);
    if (!ok) {
        p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
        if (p->backoff_ms > BACKOFF_MAX_MS)
            p->backoff_ms = BACKOFF_MAX_MS;
        p->retry_at_us = time_mono_us() + (int64_t)p->backoff_ms * 1000;
        log_warn("persist: writing %d results (and forgetting %d published alerts) failed (%s); "
                 "%d buffered, retrying in %d ms",
                 n, forgotten, err, p->count, p->backoff_ms);
        return;
    }
    if (p->backoff_ms)
        log_info("persist: writing again; %d results buffered", p->count - n);
    p->backoff_ms = 0;
    p->retry_at_us = 0;
    p->head = (p->head + n) % p->cap;
    p->count -= n;
    p->forget_n -= forgotten;
    memmove(p->forget, p->forget + forgotten, (size_t)p->forget_n * sizeof(*p->forget));
    if (res && PQntuples(res) > 0 && p->on_rows)
        p->on_rows(res, p->arg);
    /* A backlog is written back to back, not one batch per interval. */
    if (p->count >= p->cfg->batch_rows || (p->count > 0 && p->count >= p->cap / 2))
        event_active(p->now, EV_TIMEOUT, 0);
}

static void report_drops(struct persist *p);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct persist *p = arg;

    send_batch(p);
    report_drops(p);
}

/* ---- interface ---- */

struct persist *persist_new(struct event_base *base, const struct runner_config *cfg,
                            struct pgconn *pg, persist_rows_fn on_rows, void *arg)
{
    struct persist *p = calloc(1, sizeof(*p));
    struct timeval tv = {cfg->batch_interval_ms / 1000, (cfg->batch_interval_ms % 1000) * 1000};

    if (!p)
        return NULL;
    p->base = base;
    p->cfg = cfg;
    p->pg = pg;
    p->on_rows = on_rows;
    p->arg = arg;
    p->cap = cfg->buffer_max;
    p->rows = calloc((size_t)p->cap, sizeof(*p->rows));
    for (int c = 0; c < NCOLS; c++)
        p->cols[c].max = (size_t)cfg->batch_rows * ROW_TEXT_MAX + 64;
    p->forget_cap = cfg->alert_queue_max;
    p->forget = calloc((size_t)p->forget_cap, sizeof(*p->forget));
    p->cols[NCOLS].max = (size_t)p->forget_cap * (ALERT_ID_LEN + 1) + 64;
    p->timer = event_new(base, -1, EV_PERSIST, on_tick, p);
    p->now = event_new(base, -1, 0, on_tick, p);
    if (!p->rows || !p->forget || !p->timer || !p->now || event_add(p->timer, &tv) != 0) {
        persist_free(p);
        return NULL;
    }
    return p;
}

void persist_free(struct persist *p)
{
    if (!p)
        return;
    if (p->timer)
        event_free(p->timer);
    if (p->now)
        event_free(p->now);
    for (int c = 0; c < NPARAMS; c++)
        free(p->cols[c].p);
    free(p->rows);
    free(p->forget);
    free(p);
}

static void report_drops(struct persist *p)
{
    if (p->dropped_unlogged && time_mono_us() - p->drop_logged_us > DROP_LOG_EVERY_US) {
        log_error("persist: the result buffer is full (%d rows): %llu result(s) dropped", p->cap,
                  (unsigned long long)p->dropped_unlogged);
        p->dropped_unlogged = 0;
        p->drop_logged_us = time_mono_us();
    }
}

int persist_add(struct persist *p, const struct result_row *row)
{
    if (p->count >= p->cap) {
        metrics_results_dropped(1);
        p->dropped_unlogged++;
        report_drops(p);
        return -1;
    }
    p->rows[(p->head + p->count) % p->cap] = *row;
    p->count++;
    if (p->count - p->sending >= p->cfg->batch_rows && !p->in_flight)
        event_active(p->now, EV_TIMEOUT, 0);
    return 0;
}

void persist_forget_alert(struct persist *p, const char *alert_id)
{
    if (strlen(alert_id) != ALERT_ID_LEN)
        return;
    if (p->forget_n >= p->forget_cap) {
        /* Harmless: the sweep publishes the row again under the same alert_id. */
        log_warn("persist: %d published alerts already wait to leave the outbox; alert %s "
                 "stays there and will be published again (delivered once)",
                 p->forget_n, alert_id);
        return;
    }
    memcpy(p->forget[p->forget_n++], alert_id, ALERT_ID_LEN + 1);
}

void persist_kick(struct persist *p)
{
    p->retry_at_us = 0;
    event_active(p->now, EV_TIMEOUT, 0);
}

int persist_pending(const struct persist *p)
{
    return p->count;
}

int persist_outbox_pending(const struct persist *p)
{
    return p->forget_n;
}

void persist_abandon(struct persist *p)
{
    if (p->count > 0) {
        log_error("persist: exiting with %d results not written to PostgreSQL; they are lost",
                  p->count);
        metrics_results_dropped((uint64_t)p->count);
    }
    if (p->forget_n > 0)
        log_warn("persist: exiting with %d published alerts still in the outbox; the sweep will "
                 "publish them again (delivered once)",
                 p->forget_n);
    p->head = 0;
    p->count = 0;
    p->sending = 0;
    p->forget_n = 0;
    p->forget_sending = 0;
}
