/* maintenance: the database's housekeeping, run by whichever runner holds
 * <prefix>lock:maintenance (duty.h), every RUNNER_MAINTENANCE_INTERVAL seconds:
 *
 *   - daily partitions of check_results for the days ahead (sh_ensure_result_partitions),
 *     so results never pile up in the DEFAULT partition;
 *   - retention: partitions wholly older than STATUSHAWK_RETENTION_DAYS are dropped
 *     (sh_drop_result_partitions);
 *   - the hourly rollup's watermark moved forward (CALL sh_rollup_advance(), migration
 *     0003), when the schema has it.
 *
 * Synchronous, on the duty thread. */
#ifndef STATUSHAWK_RUNNER_MAINTENANCE_H
#define STATUSHAWK_RUNNER_MAINTENANCE_H

struct db;

#define MAINTENANCE_DAYS_AHEAD 7
#define MAINTENANCE_DAYS_BACK 1

/* One pass. 0, or -1 when a step failed (logged; the others still ran). */
int maintenance_run(struct db *db, int retention_days);

#endif
