/* probe_tcp: TCP checks — a non-blocking connect to tcp://host:port on the runner's loop,
 * within the monitor's timeout. Each resolved address is tried in turn; an address that
 * target_guard refuses is never connected to. Up means a connection was established
 * (it is closed at once); the response time is the time to get there, look-up included. */
#ifndef STATUSHAWK_RUNNER_PROBE_TCP_H
#define STATUSHAWK_RUNNER_PROBE_TCP_H

#include <event2/dns.h>
#include <event2/event.h>

#include "runner/check.h"
#include "runner/runner_config.h"

struct probe_tcp;

struct probe_tcp *probe_tcp_new(struct event_base *base, struct evdns_base *dns,
                                const struct runner_config *cfg);
void probe_tcp_free(struct probe_tcp *pt);

/* As probe_http_start / probe_http_cancel. */
void probe_tcp_start(struct probe_tcp *pt, struct check *c);
void probe_tcp_cancel(struct probe_tcp *pt, struct check *c);

/* The short reason for a failed connect's errno. */
const char *probe_tcp_reason(int err);

#endif
