/* metrics: see metrics.h. */
#include "runner/metrics.h"

#include <event2/buffer.h>
#include <stdatomic.h>

#define NBUCKETS 14

/* Seconds. Lateness is judged against a 1 s target, so the buckets are fine below it. */
static const double bounds[NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                        0.75,  1,    2,     5,    10,  30,   60};

struct histogram {
    atomic_uint_fast64_t buckets[NBUCKETS + 1]; /* the last one is +Inf */
    atomic_uint_fast64_t count;
    _Atomic double sum;
};

static struct {
    atomic_uint_fast64_t claimed;
    atomic_uint_fast64_t checks[3][2]; /* [type][up] */
    atomic_uint_fast64_t released;
    atomic_uint_fast64_t results_written;
    atomic_uint_fast64_t results_dropped;
    atomic_uint_fast64_t batches_ok, batches_failed;
    atomic_uint_fast64_t alerts_published, alerts_dropped, outbox_swept;
    atomic_uint_fast64_t anomalies;
    atomic_uint_fast64_t reconcile_ok, reconcile_failed, reconcile_repaired, reconcile_removed;
    atomic_uint_fast64_t maintenance_ok, maintenance_failed;
    struct histogram lateness;
    struct histogram flush;
    struct histogram reconcile;
} m;

static void observe(struct histogram *h, double v)
{
    int i = 0;
    double old;

    while (i < NBUCKETS && v > bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    old = atomic_load_explicit(&h->sum, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&h->sum, &old, old + v, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

static void inc(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_claimed(int monitors)
{
    inc(&m.claimed, (uint64_t)monitors);
}

void metrics_check_done(enum check_type type, int up, double lateness_s)
{
    inc(&m.checks[type][up ? 1 : 0], 1);
    observe(&m.lateness, lateness_s < 0 ? 0 : lateness_s);
}

void metrics_check_released(void)
{
    inc(&m.released, 1);
}

void metrics_batch(double seconds, int rows, int ok)
{
    if (ok) {
        inc(&m.batches_ok, 1);
        inc(&m.results_written, (uint64_t)rows);
        observe(&m.flush, seconds);
    } else {
        inc(&m.batches_failed, 1);
    }
}

void metrics_results_dropped(uint64_t n)
{
    inc(&m.results_dropped, n);
}

uint64_t metrics_results_dropped_total(void)
{
    return get(&m.results_dropped);
}

void metrics_get_totals(struct metrics_totals *t)
{
    t->checks = 0;
    for (int type = 0; type < 3; type++)
        t->checks += get(&m.checks[type][0]) + get(&m.checks[type][1]);
    t->released = get(&m.released);
    t->written = get(&m.results_written);
    t->dropped = get(&m.results_dropped);
    t->alerts = get(&m.alerts_published);
    t->alerts_dropped = get(&m.alerts_dropped);
}

void metrics_alert_published(void)
{
    inc(&m.alerts_published, 1);
}

void metrics_alerts_dropped(uint64_t n)
{
    inc(&m.alerts_dropped, n);
}

void metrics_outbox_swept(uint64_t n)
{
    inc(&m.outbox_swept, n);
}

void metrics_anomaly(void)
{
    inc(&m.anomalies, 1);
}

void metrics_reconcile(double seconds, int repaired, int removed, int ok)
{
    if (!ok) {
        inc(&m.reconcile_failed, 1);
        return;
    }
    inc(&m.reconcile_ok, 1);
    inc(&m.reconcile_repaired, (uint64_t)repaired);
    inc(&m.reconcile_removed, (uint64_t)removed);
    observe(&m.reconcile, seconds);
}

void metrics_maintenance(int ok)
{
    inc(ok ? &m.maintenance_ok : &m.maintenance_failed, 1);
}

static void render_histogram(struct evbuffer *out, const char *name, const char *help,
                             struct histogram *h)
{
    uint64_t cum = 0;

    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (int i = 0; i < NBUCKETS; i++) {
        cum += get(&h->buckets[i]);
        evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
                            (unsigned long long)cum);
    }
    cum += get(&h->buckets[NBUCKETS]);
    evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    evbuffer_add_printf(out, "%s_sum %.6f\n%s_count %llu\n", name,
                        atomic_load_explicit(&h->sum, memory_order_relaxed), name,
                        (unsigned long long)get(&h->count));
}

static void counter(struct evbuffer *out, const char *name, const char *help, uint64_t v)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
                        (unsigned long long)v);
}

static void gauge(struct evbuffer *out, const char *name, const char *help, long long v)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
}

void metrics_render(struct evbuffer *out, const struct metrics_gauges *g)
{
    static const char *const types[] = {"HTTP", "TCP", "PING"};

    evbuffer_add_printf(out, "# HELP statushawk_runner_checks_total Checks finished, by monitor "
                             "type and outcome.\n# TYPE statushawk_runner_checks_total counter\n");
    for (int t = 0; t < 3; t++)
        for (int up = 1; up >= 0; up--)
            evbuffer_add_printf(
                out, "statushawk_runner_checks_total{type=\"%s\",outcome=\"%s\"} %llu\n", types[t],
                up ? "up" : "down", (unsigned long long)get(&m.checks[t][up]));
    counter(out, "statushawk_runner_checks_released_total",
            "Checks given back to the schedule unfinished (shutdown).", get(&m.released));
    counter(out, "statushawk_runner_monitors_claimed_total", "Monitors taken from the schedule.",
            get(&m.claimed));
    gauge(out, "statushawk_runner_inflight", "Checks claimed and not finished.", g->inflight);
    gauge(out, "statushawk_runner_inflight_max", "RUNNER_MAX_INFLIGHT.", g->max_inflight);
    render_histogram(out, "statushawk_runner_claim_lag_seconds",
                     "How late checks start against their due time.", &m.lateness);
    render_histogram(out, "statushawk_runner_batch_flush_seconds",
                     "Time to write one batch of results to PostgreSQL.", &m.flush);
    gauge(out, "statushawk_runner_buffer_results", "Results waiting to be written.",
          g->buffered_results);
    gauge(out, "statushawk_runner_buffer_max", "RUNNER_BUFFER_MAX.", g->buffer_max);
    counter(out, "statushawk_runner_results_written_total", "Results written to PostgreSQL.",
            get(&m.results_written));
    counter(out, "statushawk_runner_results_dropped_total",
            "Results lost because the buffer was full or the process had to exit.",
            get(&m.results_dropped));
    counter(out, "statushawk_runner_batches_total", "Batches written.", get(&m.batches_ok));
    counter(out, "statushawk_runner_batches_failed_total", "Batch writes that failed (retried).",
            get(&m.batches_failed));
    counter(out, "statushawk_runner_alerts_published_total", "Alerts added to the alert stream.",
            get(&m.alerts_published));
    counter(out, "statushawk_runner_alerts_dropped_total",
            "Alerts lost because the queue was full or the process had to exit.",
            get(&m.alerts_dropped));
    counter(out, "statushawk_runner_outbox_swept_total",
            "Alerts left unpublished by their runner that the outbox sweep published.",
            get(&m.outbox_swept));
    gauge(out, "statushawk_runner_alerts_queued", "Alerts waiting for Redis.", g->alerts_queued);
    counter(out, "statushawk_runner_anomalies_total", "Response times flagged as anomalies.",
            get(&m.anomalies));
    counter(out, "statushawk_runner_reconcile_runs_total", "Reconciler passes completed.",
            get(&m.reconcile_ok));
    counter(out, "statushawk_runner_reconcile_failures_total", "Reconciler passes that failed.",
            get(&m.reconcile_failed));
    counter(out, "statushawk_runner_reconcile_repaired_total",
            "Monitors put back on the schedule or given a fresh spec.", get(&m.reconcile_repaired));
    counter(out, "statushawk_runner_reconcile_removed_total",
            "Schedule entries and specs removed for monitors no longer active.",
            get(&m.reconcile_removed));
    render_histogram(out, "statushawk_runner_reconcile_seconds", "Duration of reconciler passes.",
                     &m.reconcile);
    counter(out, "statushawk_runner_maintenance_runs_total", "Maintenance passes completed.",
            get(&m.maintenance_ok));
    counter(out, "statushawk_runner_maintenance_failures_total", "Maintenance passes that failed.",
            get(&m.maintenance_failed));
    gauge(out, "statushawk_runner_postgres_up", "1 when the PostgreSQL connection is up.",
          g->pg_connected);
    gauge(out, "statushawk_runner_redis_up", "1 when the Redis connection is up.",
          g->redis_connected);
    gauge(out, "statushawk_runner_stopping", "1 once SIGTERM was received.", g->stopping);
}
