/* runner: the hub of statushawk-runner's single event loop. It owns the connections
 * (Redis, PostgreSQL, DNS), the probes and the checks in flight, takes each check from
 * claim to completion, and runs the shutdown sequence:
 *
 *   SIGTERM -> stop claiming -> let the checks in flight finish (half of
 *   RUNNER_SHUTDOWN_TIMEOUT), release the rest -> write every buffered result and alert
 *   -> release the singleton locks -> exit 0.   A second signal exits at once. */
#ifndef STATUSHAWK_RUNNER_RUNNER_H
#define STATUSHAWK_RUNNER_RUNNER_H

#include <event2/event.h>
#include <stdint.h>

#include "runner/check.h"
#include "runner/runner_config.h"

struct runner {
    const struct runner_config *cfg;
    const char *prefix; /* Redis key prefix, borrowed from cfg */
    struct event_base *base;
    struct evdns_base *dns;
    struct redis_async *redis;
    struct claim *claim;
    struct probe_http *http;
    struct probe_tcp *tcp;
    struct probe_ping *ping;
    struct pgconn *pg;
    struct persist *persist;
    struct alert_queue *alerts;
    struct duty *duty;
    struct endpoint *endpoint;

    int inflight;                        /* checks claimed and not yet completed */
    struct check *checks;                /* all of them */
    struct check *done_head, *done_tail; /* probed, waiting for the loop to pick them up */
    struct event *reap_ev;               /* activated when done_head is not empty */

    int stopping;      /* SIGTERM seen */
    int cancelled_all; /* the checks still probing were stopped (half the timeout passed) */
    int exit_status;
    int64_t stop_started_us;
    struct event *sigterm, *sigint, *stop_timer;
};

/* Runs the runner until it is told to stop. Returns the process exit status. */
int runner_run(const struct runner_config *cfg);

/* Takes over c (its spec, window, state filled by the claim) and starts its probe. */
void runner_start_check(struct runner *r, struct check *c);

/* How many more checks may be claimed now (0 while stopping). */
int runner_free_capacity(const struct runner *r);

/* 1 when PostgreSQL and Redis are both connected. */
int runner_ready(const struct runner *r, int *pg_ok, int *redis_ok);

#endif
