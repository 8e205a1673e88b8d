/* check: one claimed monitor on its way through the runner — probe, decision, result
 * row, schedule update — and the outcome a probe fills in. A check is owned by the
 * runner (runner.c) from the claim until its schedule update is answered; a probe
 * borrows it while it runs and reports the end with check_probe_done. */
#ifndef STATUSHAWK_RUNNER_CHECK_H
#define STATUSHAWK_RUNNER_CHECK_H

#include <stdint.h>

#include "runner/anomaly.h"
#include "runner/decide.h"
#include "runner/spec.h"

#define CHECK_ERROR_MAX 96 /* a short reason: "timeout", "status 503", "tls", ... */

struct probe_result {
    int transport_ok;   /* a response (HTTP), a connection (TCP) or a reply (PING) */
    int status_code;    /* HTTP status; 0 otherwise */
    double response_ms; /* total time; valid when has_time */
    int has_time;
    char error[CHECK_ERROR_MAX]; /* "" when the check is up */
    int64_t cert_not_after_ms;   /* HTTPS: the peer certificate's expiry; 0 when unknown */
};

enum check_phase { CHECK_PROBING, CHECK_DONE, CHECK_COMPLETING };

struct runner;

struct check {
    struct runner *runner;
    struct check_spec *spec; /* owned */
    int64_t id;
    int64_t due_ms;   /* the schedule score when claimed */
    int64_t lease_ms; /* the score the claim set: the schedule update applies only if
                         it is still there (nobody rescheduled the monitor meanwhile) */
    struct mon_state state;
    int64_t anomaly_until_ms;
    double *window; /* owned: previous successful response times, newest first */
    int nwindow;

    int64_t started_ms; /* wall clock, when the probe started */
    int64_t started_us; /* monotonic */
    struct probe_result result;
    int cancelled;               /* the probe was stopped (shutdown): release, record nothing */
    struct anomaly_eval anomaly; /* of this check's response time */

    enum check_phase phase;
    void *probe;        /* the probe module's per-check data */
    struct check *prev; /* the runner's list of checks in flight */
    struct check *next;
    struct check *done_next; /* the runner's queue of probed checks */
};

/* Called by a probe, once, when the check's outcome is in c->result (or c->cancelled
 * is set). The runner picks it up on a later turn of the loop, never inside the
 * probe's callback, so the probe may still touch its own data after this call. */
void check_probe_done(struct check *c);

/* Sets c->result.error, formatted; marks the transport as failed. */
void check_fail(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
