/* metrics: the runner's counters and histograms, rendered in Prometheus text format on
 * GET /metrics. Process-wide and atomic (relaxed): the loop thread and the duty thread
 * both count, and a scrape never needs a lock. */
#ifndef STATUSHAWK_RUNNER_METRICS_H
#define STATUSHAWK_RUNNER_METRICS_H

#include <stdint.h>

#include "runner/spec.h"

struct evbuffer;

/* Values read from the live runner at scrape time. */
struct metrics_gauges {
    int inflight;
    int max_inflight;
    int buffered_results;
    int buffer_max;
    int alerts_queued;
    int pg_connected;
    int redis_connected;
    int stopping;
};

void metrics_claimed(int monitors);
/* A finished check: its type, outcome, and lateness (start - due) in seconds. */
void metrics_check_done(enum check_type type, int up, double lateness_s);
void metrics_check_released(void);
void metrics_batch(double seconds, int rows, int ok);
void metrics_results_dropped(uint64_t n);
void metrics_alert_published(void);
void metrics_alerts_dropped(uint64_t n);
/* Alerts the outbox sweep published for a runner that could not (outbox.h). */
void metrics_outbox_swept(uint64_t n);
void metrics_anomaly(void);
void metrics_reconcile(double seconds, int repaired, int removed, int ok);
void metrics_maintenance(int ok);

uint64_t metrics_results_dropped_total(void);

/* Totals for the exit summary. */
struct metrics_totals {
    uint64_t checks; /* finished, every type and outcome */
    uint64_t released;
    uint64_t written; /* results written to PostgreSQL */
    uint64_t dropped; /* results lost */
    uint64_t alerts;  /* published */
    uint64_t alerts_dropped;
};
void metrics_get_totals(struct metrics_totals *t);

void metrics_render(struct evbuffer *out, const struct metrics_gauges *g);

#endif
