/* stats: see stats.h. The figures are computed in SQL (migrations/0003_rollup.sql); this
 * file checks the parameters, calls the function and writes the JSON — as text
 * (api/json_out.h), so the rounded decimals go out as PostgreSQL printed them and a
 * 720-bucket heatmap costs no more to write than to compute. */
#include "api/stats.h"

#include <stdio.h>
#include <time.h>

#include "api/json_out.h"
#include "api/owned.h"
#include "api/request.h"
#include "api/stats_args.h"
#include "common/db.h"
#include "common/timeutil.h"

#define HEATMAP_DAYS_DEFAULT 7
#define HEATMAP_DAYS_MAX 30
#define LEADERBOARD_LIMIT_DEFAULT 10
#define LEADERBOARD_LIMIT_MAX 100
#define RECENT_FAILURES 5 /* API.md: "last 5 failed checks" */
#define HOUR_MS 3600000LL

/* Ceilings of the answers: 720 buckets of ~110 bytes; 100 leaderboard rows with names and
 * URLs of up to 255 and 2,048 characters, escaped (6 bytes a character at worst). */
#define HEATMAP_BODY_MAX (256 * 1024)
#define LEADERBOARD_BODY_MAX (2 * 1024 * 1024)
#define SMALL_BODY_MAX (128 * 1024)

#define ID_TEXT_SIZE 24 /* an int64 in decimal, sign and NUL included */

static void id_text(int64_t id, char out[ID_TEXT_SIZE])
{
    snprintf(out, ID_TEXT_SIZE, "%lld", (long long)id);
}

/* ---- result cells ------------------------------------------------------------------ */

static const char *cell(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void cell_int(struct json_out *o, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        json_out_null(o);
    else
        json_out_int(o, db_int64(res, row, col));
}

static void cell_bool(struct json_out *o, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        json_out_null(o);
    else
        json_out_bool(o, db_bool(res, row, col));
}

static void digits(char *p, int value, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* A whole UTC hour as time_format_iso prints it ("2026-11-24T10:00:00.000Z"), written by
 * hand: a heatmap prints up to 720 of them, and snprintf was most of its cost. */
static void put_hour(struct json_out *o, int64_t ms)
{
    char iso[TIME_ISO_BUFSZ] = "0000-00-00T00:00:00.000Z";
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms % HOUR_MS != 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 ||
        tm.tm_year + 1900 < 0) {
        time_format_iso(ms, iso); /* not reached for the hours of a heatmap */
    } else {
        digits(iso, tm.tm_year + 1900, 4);
        digits(iso + 5, tm.tm_mon + 1, 2);
        digits(iso + 8, tm.tm_mday, 2);
        digits(iso + 11, tm.tm_hour, 2);
    }
    json_out_string(o, iso);
}

/* ---- GET /monitors/{id}/stats ------------------------------------------------------ */

/* API.md's HistoryItem from the six columns starting at col, or null (no check). */
static void history_item(struct json_out *o, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        json_out_null(o);
        return;
    }
    json_out_object(o);
    json_out_key(o, "id");
    cell_int(o, res, row, col);
    json_out_key(o, "status_code");
    cell_int(o, res, row, col + 1);
    json_out_key(o, "response_time_ms");
    json_out_real_text(o, cell(res, row, col + 2));
    json_out_key(o, "is_up");
    cell_bool(o, res, row, col + 3);
    json_out_key(o, "created_at");
    json_out_string(o, cell(res, row, col + 4));
    json_out_key(o, "error");
    json_out_string(o, cell(res, row, col + 5));
    json_out_end_object(o);
}

void stats_summary(struct api_request *r)
{
    static const char sql[] = "SELECT total_checks, up_count, uptime_percentage,"
                              " avg_response_time, last_id, last_status_code,"
                              " last_response_time_ms, last_is_up, last_created_at, last_error"
                              " FROM sh_stats_summary($1, $2, $3)";
    json_t *errors = json_object();
    const struct stats_period *period = stats_args_period(r, errors);
    char id[ID_TEXT_SIZE], uid[ID_TEXT_SIZE];
    const char *params[3];
    PGresult *res;
    struct json_out o;
    int64_t total, up;

    if (stats_args_failed(r, errors))
        return;
    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    params[0] = id;
    params[1] = uid;
    params[2] = period->interval;
    if (!(res = owned_query(r, sql, 3, params)))
        return;
    total = db_int64(res, 0, 0);
    up = db_int64(res, 0, 1);
    json_out_init(&o, SMALL_BODY_MAX);
    json_out_object(&o);
    json_out_key(&o, "period");
    json_out_string(&o, period->name);
    json_out_key(&o, "total_checks");
    json_out_int(&o, total);
    json_out_key(&o, "up_count");
    json_out_int(&o, up);
    json_out_key(&o, "down_count");
    json_out_int(&o, total - up);
    json_out_key(&o, "uptime_percentage");
    json_out_real_text(&o, cell(res, 0, 2));
    json_out_key(&o, "avg_response_time");
    json_out_real_text(&o, cell(res, 0, 3));
    json_out_key(&o, "last_check");
    history_item(&o, res, 0, 4);
    json_out_end_object(&o);
    json_out_reply(r, 200, &o);
    PQclear(res);
}

/* ---- GET /monitors/{id}/heatmap ---------------------------------------------------- */

static void empty_bucket(struct json_out *o, int64_t hour_ms)
{
    json_out_object(o);
    json_out_key(o, "hour");
    put_hour(o, hour_ms);
    json_out_key(o, "avg_ms");
    json_out_null(o);
    json_out_key(o, "p95_ms");
    json_out_null(o);
    json_out_key(o, "checks");
    json_out_int(o, 0);
    json_out_key(o, "up");
    json_out_int(o, 0);
    json_out_end_object(o);
}

void stats_heatmap(struct api_request *r)
{
    /* Column 0: the current UTC hour (the last bucket), by the database's clock; then the
     * hours that had checks, in order. No row: not the caller's monitor; one row of NULLs
     * after column 0: no checks in the period. */
    static const char sql[] =
        "SELECT (extract(epoch FROM date_trunc('hour', now(), 'UTC')) * 1000)::bigint,"
        " h.hour_ms, h.checks, h.up, h.avg_ms, h.p95_ms"
        " FROM monitors m LEFT JOIN LATERAL sh_stats_heatmap(m.id, $3) h ON true"
        " WHERE m.id = $1 AND m.user_id = $2 ORDER BY h.hour_ms";
    json_t *errors = json_object();
    long days = stats_args_int(r, "days", HEATMAP_DAYS_DEFAULT, 1, HEATMAP_DAYS_MAX, errors);
    char id[ID_TEXT_SIZE], uid[ID_TEXT_SIZE], days_text[ID_TEXT_SIZE];
    const char *params[] = {id, uid, days_text};
    PGresult *res;
    struct json_out o;
    int64_t first_ms;
    int row = 0, rows;

    if (stats_args_failed(r, errors))
        return;
    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    id_text(days, days_text);
    if (!(res = owned_query(r, sql, 3, params)))
        return;
    rows = PQntuples(res);
    first_ms = db_int64(res, 0, 0) - (days * 24 - 1) * HOUR_MS;
    json_out_init(&o, HEATMAP_BODY_MAX);
    json_out_object(&o);
    json_out_key(&o, "buckets");
    json_out_array(&o);
    for (long i = 0; i < days * 24; i++) {
        int64_t hour_ms = first_ms + i * HOUR_MS;
        while (row < rows && (PQgetisnull(res, row, 1) || db_int64(res, row, 1) < hour_ms))
            row++;
        if (row == rows || db_int64(res, row, 1) != hour_ms) {
            empty_bucket(&o, hour_ms);
            continue;
        }
        json_out_object(&o);
        json_out_key(&o, "hour");
        put_hour(&o, hour_ms);
        json_out_key(&o, "avg_ms");
        json_out_real_text(&o, cell(res, row, 4));
        json_out_key(&o, "p95_ms");
        json_out_real_text(&o, cell(res, row, 5));
        json_out_key(&o, "checks");
        cell_int(&o, res, row, 2);
        json_out_key(&o, "up");
        cell_int(&o, res, row, 3);
        json_out_end_object(&o);
        row++;
    }
    json_out_end_array(&o);
    json_out_end_object(&o);
    json_out_reply(r, 200, &o);
    PQclear(res);
}

/* ---- GET /monitors/leaderboard ----------------------------------------------------- */

void stats_leaderboard(struct api_request *r)
{
    static const char sql[] = "SELECT rank, id, name, url, status, checks, uptime_percentage,"
                              " avg_ms, p95_ms FROM sh_stats_leaderboard($1, $2, $3, $4)";
    static const char *const orders[] = {"latency", "uptime", NULL};
    json_t *errors = json_object();
    const struct stats_period *period = stats_args_period(r, errors);
    const char *by = stats_args_choice(r, "by", orders, errors);
    long limit =
        stats_args_int(r, "limit", LEADERBOARD_LIMIT_DEFAULT, 1, LEADERBOARD_LIMIT_MAX, errors);
    char uid[ID_TEXT_SIZE], hours[ID_TEXT_SIZE], limit_text[ID_TEXT_SIZE];
    const char *params[] = {uid, hours, by, limit_text};
    PGresult *res = NULL;
    struct json_out o;
    enum db_status st;

    if (stats_args_failed(r, errors))
        return;
    id_text(r->user.id, uid);
    id_text(period->hours, hours);
    id_text(limit, limit_text);
    st = db_exec_prepared(r->worker->db, &res, sql, 4, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        goto out;
    }
    json_out_init(&o, LEADERBOARD_BODY_MAX);
    json_out_object(&o);
    json_out_key(&o, "period");
    json_out_string(&o, period->name);
    json_out_key(&o, "by");
    json_out_string(&o, by);
    json_out_key(&o, "results");
    json_out_array(&o);
    for (int i = 0; i < PQntuples(res); i++) {
        json_out_object(&o);
        json_out_key(&o, "rank");
        cell_int(&o, res, i, 0);
        json_out_key(&o, "id");
        cell_int(&o, res, i, 1);
        json_out_key(&o, "name");
        json_out_string(&o, cell(res, i, 2));
        json_out_key(&o, "url");
        json_out_string(&o, cell(res, i, 3));
        json_out_key(&o, "status");
        json_out_string(&o, cell(res, i, 4));
        json_out_key(&o, "checks");
        cell_int(&o, res, i, 5);
        json_out_key(&o, "uptime_percentage");
        json_out_real_text(&o, cell(res, i, 6));
        json_out_key(&o, "avg_ms");
        json_out_real_text(&o, cell(res, i, 7));
        json_out_key(&o, "p95_ms");
        json_out_real_text(&o, cell(res, i, 8));
        json_out_end_object(&o);
    }
    json_out_end_array(&o);
    json_out_end_object(&o);
    json_out_reply(r, 200, &o);
out:
    PQclear(res);
}

/* ---- GET /monitors/dashboard_stats ------------------------------------------------- */

/* API.md: "Timeout" when no HTTP status came back (code 0), else "<code> Error". */
static void failure_reason(struct json_out *o, const PGresult *res, int row, int col)
{
    char reason[32];
    int64_t code = db_int64(res, row, col);

    if (code == 0) {
        json_out_string(o, "Timeout");
        return;
    }
    snprintf(reason, sizeof(reason), "%lld Error", (long long)code);
    json_out_string(o, reason);
}

void stats_dashboard(struct api_request *r)
{
    /* The counts come once, repeated on each failure's row (or on one row of NULLs). */
    static const char sql[] =
        "SELECT d.total, d.active, d.up, d.down, d.avg_latency,"
        " f.id, f.monitor_id, f.monitor_name, f.url, f.code, f.created_at"
        " FROM sh_stats_dashboard($1) d LEFT JOIN LATERAL sh_stats_failures($1, $2) f ON true";
    char uid[ID_TEXT_SIZE], limit[ID_TEXT_SIZE];
    const char *params[] = {uid, limit};
    PGresult *res = NULL;
    struct json_out o;
    enum db_status st;

    id_text(r->user.id, uid);
    id_text(RECENT_FAILURES, limit);
    st = db_exec_prepared(r->worker->db, &res, sql, 2, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        goto out;
    }
    if (PQntuples(res) == 0) { /* the LEFT JOIN always yields a row */
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    json_out_init(&o, SMALL_BODY_MAX);
    json_out_object(&o);
    json_out_key(&o, "total");
    cell_int(&o, res, 0, 0);
    json_out_key(&o, "active");
    cell_int(&o, res, 0, 1);
    json_out_key(&o, "up");
    cell_int(&o, res, 0, 2);
    json_out_key(&o, "down");
    cell_int(&o, res, 0, 3);
    json_out_key(&o, "avg_latency");
    json_out_real_text(&o, cell(res, 0, 4));
    json_out_key(&o, "recent_failures");
    json_out_array(&o);
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 5))
            continue;
        json_out_object(&o);
        json_out_key(&o, "id");
        cell_int(&o, res, i, 5);
        json_out_key(&o, "monitor_id");
        cell_int(&o, res, i, 6);
        json_out_key(&o, "monitor_name");
        json_out_string(&o, cell(res, i, 7));
        json_out_key(&o, "url");
        json_out_string(&o, cell(res, i, 8));
        json_out_key(&o, "code");
        cell_int(&o, res, i, 9);
        json_out_key(&o, "created_at");
        json_out_string(&o, cell(res, i, 10));
        json_out_key(&o, "reason");
        failure_reason(&o, res, i, 9);
        json_out_end_object(&o);
    }
    json_out_end_array(&o);
    json_out_end_object(&o);
    json_out_reply(r, 200, &o);
out:
    PQclear(res);
}
