/* metrics: see metrics.h. Fixed arrays indexed by route and status code: no allocation
 * and no lock on the request path, only relaxed atomic increments. */
#include "api/metrics.h"

#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "api/request.h"
#include "api/router.h"
#include "common/redis.h"

#define MAX_ROUTES (METRICS_MAX_ROUTES + 1) /* the last slot: requests no route took */
#define MIN_STATUS 100
#define MAX_STATUS 599

/* Upper bounds of the latency buckets, in microseconds (Prometheus wants seconds). */
static const int64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                    100000, 250000, 500000, 1000000, 2500000, 5000000};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

static atomic_ullong requests[MAX_ROUTES][MAX_STATUS - MIN_STATUS + 1];
static atomic_ullong latency_buckets[MAX_ROUTES][NBUCKETS + 1]; /* last: +Inf */
static atomic_ullong latency_sum_us[MAX_ROUTES];
static atomic_ullong schedule_write_failures;

static int route_slot(int route_index)
{
    return (route_index < 0 || route_index >= MAX_ROUTES - 1) ? MAX_ROUTES - 1 : route_index;
}

void metrics_observe_request(int route_index, int status, int64_t duration_us)
{
    int slot = route_slot(route_index);
    size_t b = 0;

    if (status < MIN_STATUS || status > MAX_STATUS)
        status = 500;
    atomic_fetch_add_explicit(&requests[slot][status - MIN_STATUS], 1, memory_order_relaxed);
    while (b < NBUCKETS && duration_us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&latency_buckets[slot][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us[slot],
                              (unsigned long long)(duration_us > 0 ? duration_us : 0),
                              memory_order_relaxed);
}

void metrics_schedule_write_failed(void)
{
    atomic_fetch_add_explicit(&schedule_write_failures, 1, memory_order_relaxed);
}

static void route_labels(int slot, const char **method, const char **pattern)
{
    if (slot == MAX_ROUTES - 1 || (size_t)slot >= api_routes_count) {
        *method = "";
        *pattern = "other"; /* dashboard files and unknown paths */
    } else {
        *method = router_method_name(api_routes[slot].method);
        *pattern = api_routes[slot].pattern;
    }
}

static void write_requests(struct evbuffer *b)
{
    evbuffer_add_printf(b, "# HELP statushawk_api_requests_total HTTP requests answered.\n"
                           "# TYPE statushawk_api_requests_total counter\n");
    for (int slot = 0; slot < MAX_ROUTES; slot++) {
        const char *method, *pattern;
        route_labels(slot, &method, &pattern);
        for (int s = 0; s <= MAX_STATUS - MIN_STATUS; s++) {
            unsigned long long n = atomic_load_explicit(&requests[slot][s], memory_order_relaxed);
            if (n)
                evbuffer_add_printf(b,
                                    "statushawk_api_requests_total{method=\"%s\",route=\"%s\","
                                    "code=\"%d\"} %llu\n",
                                    method, pattern, s + MIN_STATUS, n);
        }
    }
}

static void write_latency(struct evbuffer *b)
{
    evbuffer_add_printf(b, "# HELP statushawk_api_request_duration_seconds Time to answer.\n"
                           "# TYPE statushawk_api_request_duration_seconds histogram\n");
    for (int slot = 0; slot < MAX_ROUTES; slot++) {
        unsigned long long cumulative = 0, counts[NBUCKETS + 1];
        const char *method, *pattern;

        for (size_t i = 0; i <= NBUCKETS; i++) {
            counts[i] = atomic_load_explicit(&latency_buckets[slot][i], memory_order_relaxed);
            cumulative += counts[i];
        }
        if (cumulative == 0)
            continue;
        route_labels(slot, &method, &pattern);
        cumulative = 0;
        for (size_t i = 0; i <= NBUCKETS; i++) {
            cumulative += counts[i];
            if (i < NBUCKETS)
                evbuffer_add_printf(b,
                                    "statushawk_api_request_duration_seconds_bucket{method=\"%s\","
                                    "route=\"%s\",le=\"%g\"} %llu\n",
                                    method, pattern, (double)bucket_us[i] / 1e6, cumulative);
            else
                evbuffer_add_printf(b,
                                    "statushawk_api_request_duration_seconds_bucket{method=\"%s\","
                                    "route=\"%s\",le=\"+Inf\"} %llu\n",
                                    method, pattern, cumulative);
        }
        evbuffer_add_printf(
            b,
            "statushawk_api_request_duration_seconds_sum{method=\"%s\",route=\"%s\"}"
            " %.6f\n"
            "statushawk_api_request_duration_seconds_count{method=\"%s\","
            "route=\"%s\"} %llu\n",
            method, pattern,
            (double)atomic_load_explicit(&latency_sum_us[slot], memory_order_relaxed) / 1e6, method,
            pattern, cumulative);
    }
}

/* A gauge read from Redis at scrape time; left out when Redis does not answer. */
static void write_redis_gauge(struct evbuffer *b, struct redis *redis, const char *name,
                              const char *help, const char *cmd, const char *prefix,
                              const char *key)
{
    char full[160];
    redisReply *reply;

    snprintf(full, sizeof(full), "%s%s", prefix, key);
    reply = redis_command(redis, "%s %s", cmd, full);
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
                            reply->integer);
    freeReplyObject(reply);
}

void metrics_handler(struct api_request *r)
{
    struct evbuffer *b = evbuffer_new();
    const char *prefix = r->worker->cfg->common.redis_prefix;

    if (!b) {
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    write_requests(b);
    write_latency(b);
    evbuffer_add_printf(b,
                        "# HELP statushawk_api_schedule_write_failures_total Schedule writes "
                        "Redis refused or missed (repaired by the reconciler).\n"
                        "# TYPE statushawk_api_schedule_write_failures_total counter\n"
                        "statushawk_api_schedule_write_failures_total %llu\n",
                        atomic_load_explicit(&schedule_write_failures, memory_order_relaxed));
    write_redis_gauge(b, r->worker->redis, "statushawk_schedule_size", "Monitors on the schedule.",
                      "ZCARD", prefix, "schedule");
    write_redis_gauge(b, r->worker->redis, "statushawk_alerts_stream_length",
                      "Entries in the alerts stream.", "XLEN", prefix, "alerts");
    write_redis_gauge(b, r->worker->redis, "statushawk_alerts_retry_size",
                      "Deliveries waiting for a retry.", "ZCARD", prefix, "alerts:retry");
    api_reply_buffer(r, 200, "text/plain; version=0.0.4; charset=utf-8", b);
    evbuffer_free(b);
}
