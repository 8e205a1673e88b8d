/* stats_json: see stats_json.h. */
#include "api/stats_json.h"

#include <stdlib.h>

#include "common/db.h"

/* A reference that is never NULL: jansson returns NULL only when out of memory or for
 * invalid UTF-8, and the answer is better with a null there than without the field. */
static json_t *or_null(json_t *v)
{
    return v ? v : json_null();
}

json_t *stats_json_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return or_null(json_integer((json_int_t)db_int64(res, row, col)));
}

json_t *stats_json_real(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return or_null(json_real(strtod(PQgetvalue(res, row, col), NULL)));
}

json_t *stats_json_bool(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return json_boolean(db_bool(res, row, col));
}

json_t *stats_json_text(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return or_null(json_string(PQgetvalue(res, row, col)));
}

json_t *stats_json_history_item(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return or_null(json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o}", "id", stats_json_int(res, row, col), "status_code",
        stats_json_int(res, row, col + 1), "response_time_ms", stats_json_real(res, row, col + 2),
        "is_up", stats_json_bool(res, row, col + 3), "created_at",
        stats_json_text(res, row, col + 4), "error", stats_json_text(res, row, col + 5)));
}
