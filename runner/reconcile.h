/* reconcile: one pass that makes the Redis schedule and specs match PostgreSQL's active
 * monitors, both ways (DESIGN.md, "Scheduling without a scheduler"). Synchronous: it runs
 * on the duty thread (duty.h), never on the check loop.
 *
 *   forward  every active monitor, in pages by id: a Lua script reports those missing
 *            from the schedule or whose spec is missing or of another version; their
 *            specs are rebuilt with MONITOR_SPEC_SQL and written. A monitor already on
 *            the schedule keeps its due time; one that is missing is due now — or, when
 *            many are missing at once (first start, Redis flushed or restarted), at now
 *            plus an offset from a hash of its id within one interval, so 100,000
 *            monitors do not all come due in the same second, yet each is checked
 *            within one interval.
 *   backward every id on the schedule and every spec key: those PostgreSQL does not have
 *            as active lose their schedule entry, spec, working state and latency window.
 *            Redis is read before PostgreSQL is asked, and the api writes PostgreSQL
 *            before Redis, so a monitor created meanwhile is never removed.
 */
#ifndef STATUSHAWK_RUNNER_RECONCILE_H
#define STATUSHAWK_RUNNER_RECONCILE_H

#include <stdint.h>

struct db;
struct redis;

#define RECONCILE_PAGE 1000
/* More monitors missing from the schedule than this: their due times are spread. */
#define RECONCILE_SPREAD_OVER 100

struct reconcile_stats {
    int active;   /* active monitors in PostgreSQL */
    int repaired; /* put back on the schedule or given a fresh spec */
    int removed;  /* taken off for not being active */
    int spread;   /* 1 when due times were spread over an interval */
};

/* Called between pages (keep a lock alive); a non-zero return stops the pass early. */
typedef int (*reconcile_tick_fn)(void *arg);

/* One pass. 0, or -1 when PostgreSQL or Redis failed (logged; the next pass retries). */
int reconcile_run(struct db *db, struct redis *redis, const char *prefix,
                  struct reconcile_stats *st, reconcile_tick_fn tick, void *arg);

/* Where a monitor missing from a crowded schedule is placed: now + a stable offset in
 * [0, interval). */
int64_t reconcile_spread_due(int64_t id, int interval_s, int64_t now_ms);

#endif
