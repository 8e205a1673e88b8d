/* metrics: the api's counters, exposed on GET /metrics in Prometheus text format.
 * Counters are process-wide atomics, so every worker thread updates them without locks. */
#ifndef STATUSHAWK_API_METRICS_H
#define STATUSHAWK_API_METRICS_H

#include <stdint.h>

struct api_request;

/* Routes beyond this many would share the "unmatched" series; server_run refuses. */
#define METRICS_MAX_ROUTES 127

/* One answered request: its route (index into api_routes, or -1 for none), status and
 * duration. Called by the request layer for every reply. */
void metrics_observe_request(int route_index, int status, int64_t duration_us);

/* A schedule write to Redis that failed (the reconciler will repair it). */
void metrics_schedule_write_failed(void);

/* GET /metrics */
void metrics_handler(struct api_request *r);

#endif
