/* owned: see owned.h. */
#include "api/owned.h"

#include "api/request.h"
#include "api/server.h"
#include "common/db.h"

PGresult *owned_query(struct api_request *r, const char *sql, int nparams,
                      const char *const *params)
{
    PGresult *res = NULL;
    enum db_status st = db_exec_prepared(r->worker->db, &res, sql, nparams, params);

    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return NULL;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        api_reply_detail(r, 404, "Not found.");
        return NULL;
    }
    return res;
}
