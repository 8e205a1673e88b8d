/* maintenance: see maintenance.h. */
#include "runner/maintenance.h"

#include <stdio.h>

#include "common/db.h"
#include "common/log.h"
#include "common/timeutil.h"

int maintenance_run(struct db *db, int retention_days)
{
    char keep[16], ahead[16], back[16];
    const char *p2[2] = {back, ahead}, *p1[1] = {keep};
    PGresult *res = NULL;
    int rc = 0;
    int64_t t0 = time_mono_us();

    snprintf(keep, sizeof(keep), "%d", retention_days);
    snprintf(ahead, sizeof(ahead), "%d", MAINTENANCE_DAYS_AHEAD);
    snprintf(back, sizeof(back), "%d", MAINTENANCE_DAYS_BACK);

    if (db_exec(db, &res, "SELECT sh_ensure_result_partitions($1::int, $2::int)", 2, p2) == DB_OK) {
        if (db_int64(res, 0, 0) > 0)
            log_info("maintenance: created %lld daily partitions of check_results",
                     (long long)db_int64(res, 0, 0));
    } else {
        log_warn("maintenance: creating partitions failed: %s", db_last_error(db));
        rc = -1;
    }
    PQclear(res);
    res = NULL;

    if (db_exec(db, &res, "SELECT sh_drop_result_partitions($1::int)", 1, p1) == DB_OK) {
        if (db_int64(res, 0, 0) > 0)
            log_info("maintenance: dropped %lld daily partitions older than %d days",
                     (long long)db_int64(res, 0, 0), retention_days);
    } else {
        log_warn("maintenance: retention failed: %s", db_last_error(db));
        rc = -1;
    }
    PQclear(res);
    res = NULL;

    /* The rollup arrives with migration 0003; a database without it has nothing to roll
     * up, and saying so once per pass at debug level is enough. */
    if (db_exec(db, &res,
                "SELECT to_regprocedure('sh_rollup_advance(interval,integer,timestamptz)')"
                " IS NOT NULL",
                0, NULL) == DB_OK &&
        db_bool(res, 0, 0)) {
        PQclear(res);
        res = NULL;
        if (db_exec(db, &res, "CALL sh_rollup_advance()", 0, NULL) == DB_OK) {
            const char *wm = db_text(res, 0, 0);
            log_debug("maintenance: rollup watermark at %s", wm ? wm : "-infinity");
        } else {
            log_warn("maintenance: advancing the rollup failed: %s", db_last_error(db));
            rc = -1;
        }
    } else {
        log_debug("maintenance: no sh_rollup_advance in this schema; no rollup to advance");
    }
    PQclear(res);
    log_debug("maintenance: pass done in %.1f ms", (double)(time_mono_us() - t0) / 1000.0);
    return rc;
}
