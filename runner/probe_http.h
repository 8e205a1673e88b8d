/* probe_http: HTTP(S) checks through libcurl's multi-socket interface on the runner's
 * libevent loop (the shape of curl's hiperfifo example): one easy handle per check from
 * a small pool, libcurl's sockets watched by libevent events, libcurl's timer by one
 * libevent timer. Every check uses a fresh connection (a check measures what a new
 * visitor gets) and the address actually connected to passes target_guard first, which
 * defeats DNS rebinding. */
#ifndef STATUSHAWK_RUNNER_PROBE_HTTP_H
#define STATUSHAWK_RUNNER_PROBE_HTTP_H

#include <event2/event.h>

#include "runner/check.h"
#include "runner/runner_config.h"

#define PROBE_HTTP_BODY_MAX (1024 * 1024) /* read at most this much of a body, then stop */

struct probe_http;

/* base and cfg are borrowed. NULL on failure (logged). */
struct probe_http *probe_http_new(struct event_base *base, const struct runner_config *cfg);
/* Aborts what is still running (without reporting it) and frees everything. */
void probe_http_free(struct probe_http *ph);

/* Starts c's check. Whatever happens, check_probe_done(c) follows exactly once (at once
 * when the check cannot even start, e.g. a malformed URL). */
void probe_http_start(struct probe_http *ph, struct check *c);

/* Stops c's check if it is still running: c->cancelled is set and check_probe_done
 * follows. */
void probe_http_cancel(struct probe_http *ph, struct check *c);

/* The short reason for a libcurl failure ("timeout", "dns", "connection refused",
 * "tls", ...), given the failing call's errno. Exposed for tests. */
const char *probe_http_reason(int curl_code, long os_errno);

#endif
