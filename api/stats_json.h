/* stats_json: cells of the statistics queries' results as JSON values. A SQL NULL is
 * JSON null; numbers arrive as PostgreSQL's text (numeric rounded in SQL, so the value is
 * the decimal the database computed). Every function returns a new reference and never
 * NULL, so the result can go straight into json_object_set_new or json_pack's "o". */
#ifndef STATUSHAWK_API_STATS_JSON_H
#define STATUSHAWK_API_STATS_JSON_H

#include <jansson.h>
#include <libpq-fe.h>

json_t *stats_json_int(const PGresult *res, int row, int col);
json_t *stats_json_real(const PGresult *res, int row, int col);
json_t *stats_json_bool(const PGresult *res, int row, int col);
json_t *stats_json_text(const PGresult *res, int row, int col);

/* API.md's HistoryItem {"id","status_code","response_time_ms","is_up","created_at","error"}
 * from the six columns of row starting at col, in that order; JSON null when the id
 * column is NULL (no check). */
json_t *stats_json_history_item(const PGresult *res, int row, int col);

#endif
