/* stats_history: the paginated lists of stats.h — check history, incidents, anomalies.
 * Each is one statement returning the total and one page: at least one row when the
 * monitor is the caller's (item columns NULL when the page is empty), none otherwise. */
#include "api/stats.h"

#include <stdio.h>

#include "api/owned.h"
#include "api/paginate.h"
#include "api/request.h"
#include "api/stats_args.h"
#include "api/stats_json.h"
#include "common/db.h"

#define ID_TEXT_SIZE 24 /* an int64 in decimal, sign and NUL included */

/* Builds one item from row i of a page (its item columns start at column 1). */
typedef json_t *(*item_builder)(const PGresult *res, int i);

static void id_text(int64_t id, char out[ID_TEXT_SIZE])
{
    snprintf(out, ID_TEXT_SIZE, "%lld", (long long)id);
}

/* Runs sql with $1 monitor, $2 user, then extra (may be NULL), then limit and offset;
 * answers the page, 404 for a monitor that is not the caller's, or the database error. */
static void reply_page(struct api_request *r, const struct page *p, const char *sql,
                       const char *extra, item_builder build)
{
    char id[ID_TEXT_SIZE], uid[ID_TEXT_SIZE], limit[ID_TEXT_SIZE], offset[ID_TEXT_SIZE];
    const char *params[5];
    int n = 0;
    PGresult *res;
    json_t *results;

    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    id_text(p->size, limit);
    id_text(p->offset, offset);
    params[n++] = id;
    params[n++] = uid;
    if (extra)
        params[n++] = extra;
    params[n++] = limit;
    params[n++] = offset;
    if (!(res = owned_query(r, sql, n, params)))
        return;
    results = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        if (!PQgetisnull(res, i, 1))
            json_array_append_new(results, build(res, i));
    paginate_reply(r, p, db_int64(res, 0, 0), results);
    PQclear(res);
}

/* ---- GET /monitors/{id}/history ---------------------------------------------------- */

static json_t *history_item(const PGresult *res, int i)
{
    return stats_json_history_item(res, i, 1);
}

void stats_history(struct api_request *r)
{
    static const char sql[] = "SELECT total, id, status_code, response_time_ms, is_up,"
                              " created_at, error FROM sh_stats_history($1, $2, $3, $4, $5)";
    json_t *errors = json_object();
    const struct stats_period *period = stats_args_period(r, errors);
    struct page p;

    if (stats_args_failed(r, errors) || paginate_parse(r, &p) != 0)
        return;
    reply_page(r, &p, sql, period->interval, history_item);
}

/* ---- GET /monitors/{id}/incidents -------------------------------------------------- */

static json_t *incident_item(const PGresult *res, int i)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", stats_json_int(res, i, 1), "started_at",
                     stats_json_text(res, i, 2), "resolved_at", stats_json_text(res, i, 3),
                     "duration_s", stats_json_int(res, i, 4), "cause", stats_json_text(res, i, 5));
}

void stats_incidents(struct api_request *r)
{
    /* duration_s: whole seconds, up to now while the incident is open (never negative,
     * should a runner's clock have stamped started_at ahead of the database's). */
    static const char sql[] =
        "SELECT t.n, i.id, sh_iso(i.started_at), sh_iso(i.resolved_at),"
        " greatest(0, floor(extract(epoch FROM coalesce(i.resolved_at, now()) - i.started_at)))"
        "::bigint, i.cause"
        " FROM monitors m"
        " CROSS JOIN LATERAL (SELECT count(*) AS n FROM incidents WHERE monitor_id = m.id) t"
        " LEFT JOIN LATERAL (SELECT * FROM incidents WHERE monitor_id = m.id"
        "  ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4) i ON true"
        " WHERE m.id = $1 AND m.user_id = $2"
        " ORDER BY i.started_at DESC, i.id DESC";
    struct page p;

    if (paginate_parse(r, &p) != 0)
        return;
    reply_page(r, &p, sql, NULL, incident_item);
}

/* ---- GET /monitors/{id}/anomalies -------------------------------------------------- */

static json_t *anomaly_item(const PGresult *res, int i)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", stats_json_int(res, i, 1),
                     "created_at", stats_json_text(res, i, 2), "response_time_ms",
                     stats_json_real(res, i, 3), "mean", stats_json_real(res, i, 4), "stdev",
                     stats_json_real(res, i, 5), "z", stats_json_real(res, i, 6));
}

void stats_anomalies(struct api_request *r)
{
    static const char sql[] =
        "SELECT t.n, a.id, sh_iso(a.created_at), a.response_time_ms, a.mean, a.stdev, a.z"
        " FROM monitors m"
        " CROSS JOIN LATERAL (SELECT count(*) AS n FROM anomalies WHERE monitor_id = m.id) t"
        " LEFT JOIN LATERAL (SELECT * FROM anomalies WHERE monitor_id = m.id"
        "  ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4) a ON true"
        " WHERE m.id = $1 AND m.user_id = $2"
        " ORDER BY a.created_at DESC, a.id DESC";
    struct page p;

    if (paginate_parse(r, &p) != 0)
        return;
    reply_page(r, &p, sql, NULL, anomaly_item);
}
