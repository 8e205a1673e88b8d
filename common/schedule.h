/* schedule: the monitors' places in Redis, shared by the api (which writes them when a
 * monitor is created, changed, paused, resumed or deleted) and the runner's reconciler
 * (which repairs them from PostgreSQL).
 *
 *   <prefix>schedule       ZSET   member = monitor id, score = next due time (ms)
 *   <prefix>monitor:<id>   STRING the check spec, JSON (below)
 *
 * The spec: {"id", "user_id", "name", "type" ("HTTP"|"TCP"|"PING"), "url", "method",
 * "headers" (object of strings), "body" (string|null), "timeout_ms", "expected_status",
 * "follow_redirects", "verify_tls", "retries", "interval" (s), "anomaly_threshold",
 * "anomaly_window", "version"} — built by PostgreSQL from the monitors row, with
 * MONITOR_SPEC_SQL, so the api and the reconciler cannot disagree on it. */
#ifndef STATUSHAWK_COMMON_SCHEDULE_H
#define STATUSHAWK_COMMON_SCHEDULE_H

#include <stdint.h>

struct redis;

/* A SQL expression giving the spec (as text) of the monitors row aliased "m". */
#define MONITOR_SPEC_SQL                                                                           \
    "json_build_object('id', m.id, 'user_id', m.user_id, 'name', m.name,"                          \
    " 'type', m.monitor_type, 'url', m.url, 'method', m.method, 'headers', m.headers,"             \
    " 'body', m.body, 'timeout_ms', m.timeout_ms, 'expected_status', m.expected_status,"           \
    " 'follow_redirects', m.follow_redirects, 'verify_tls', m.verify_tls,"                         \
    " 'retries', m.retries, 'interval', m.\"interval\","                                           \
    " 'anomaly_threshold', m.anomaly_threshold, 'anomaly_window', m.anomaly_window,"               \
    " 'version', m.version)::text"

/* Stores spec and sets the monitor due at due_ms, atomically. 0, or -1 when Redis is
 * unreachable or refuses (logged). */
int schedule_put(struct redis *redis, const char *prefix, int64_t id, const char *spec,
                 int64_t due_ms);

/* Removes the monitor from the schedule and deletes its spec, working state and latency
 * window. 0 or -1. */
int schedule_remove(struct redis *redis, const char *prefix, int64_t id);

/* Makes the monitor due at due_ms if it has a spec (is scheduled at all). Returns 1 when
 * it did, 0 when the monitor has no spec, -1 when Redis is unreachable. */
int schedule_due(struct redis *redis, const char *prefix, int64_t id, int64_t due_ms);

#endif
