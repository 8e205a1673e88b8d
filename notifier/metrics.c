/* metrics: see metrics.h. */
#include "notifier/metrics.h"

#include <stdatomic.h>

static atomic_ullong counters[M_NCOUNTERS];
static atomic_ullong sent[METRICS_NPROV], failed[METRICS_NPROV], retried[METRICS_NPROV];

/* Upper bounds in milliseconds; alerts are judged in hundreds of ms (the target is a p99
 * under 500 ms from the confirming check) up to the minutes a backoff can take. */
static const int64_t bucket_ms[] = {25,   50,    100,   250,   500,    1000,   2500,
                                    5000, 10000, 30000, 60000, 300000, 1800000};
#define NBUCKETS (sizeof(bucket_ms) / sizeof(bucket_ms[0]))
static atomic_ullong lat_buckets[NBUCKETS + 1];
static atomic_ullong lat_sum_ms, lat_count;

static const char *const provider_names[METRICS_NPROV] = {"telegram", "console", "webhook"};

static const struct {
    const char *name;
    const char *help;
} counter_info[M_NCOUNTERS] = {
    [M_EVENTS_READ] = {"statushawk_notifier_events_read_total",
                       "Alert events read from the stream"},
    [M_EVENTS_CLAIMED] = {"statushawk_notifier_events_claimed_total",
                          "Alert events taken over from a silent notifier (XAUTOCLAIM)"},
    [M_EVENTS_INVALID] = {"statushawk_notifier_events_invalid_total",
                          "Stream entries that were not valid alerts (dropped)"},
    [M_EVENTS_ACKED] = {"statushawk_notifier_events_acked_total", "Alert events acknowledged"},
    [M_RATE_LIMITED] = {"statushawk_notifier_rate_limited_total",
                        "Telegram sends delayed by a rate limit"},
    [M_DIGESTS] = {"statushawk_notifier_digests_total", "Digest messages sent"},
    [M_DIGEST_ALERTS] = {"statushawk_notifier_digest_alerts_total",
                         "Alerts delivered as part of a digest"},
    [M_CLAIMS_LOST] = {"statushawk_notifier_claims_lost_total",
                       "Deliveries already taken by another attempt"},
    [M_RETRIES_TAKEN] = {"statushawk_notifier_retries_taken_total",
                         "Deliveries taken from the retry queue"},
    [M_SWEPT] = {"statushawk_notifier_swept_total",
                 "Stale pending deliveries put back on the retry queue"},
    [M_CHATS_MIGRATED] = {"statushawk_notifier_chats_migrated_total",
                          "Telegram groups moved to their supergroup"},
    [M_CHANNELS_DEACTIVATED] = {"statushawk_notifier_channels_deactivated_total",
                                "Channels deactivated because the bot was blocked"},
    [M_TG_UPDATES] = {"statushawk_notifier_telegram_updates_total",
                      "Telegram updates handled in polling mode"},
    [M_TG_LINKED] = {"statushawk_notifier_telegram_linked_total",
                     "Telegram chats linked through /start in polling mode"},
    [M_HANDOFFS] = {"statushawk_notifier_handoffs_total",
                    "Telegram deliveries handed to the notifier that owns their chat"},
};

void metrics_count(enum metrics_counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

uint64_t metrics_get(enum metrics_counter c)
{
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_sent(enum metrics_provider p)
{
    atomic_fetch_add_explicit(&sent[p], 1, memory_order_relaxed);
}

void metrics_failed(enum metrics_provider p)
{
    atomic_fetch_add_explicit(&failed[p], 1, memory_order_relaxed);
}

void metrics_retried(enum metrics_provider p)
{
    atomic_fetch_add_explicit(&retried[p], 1, memory_order_relaxed);
}

void metrics_latency_ms(int64_t ms)
{
    size_t b = 0;
    if (ms < 0)
        ms = 0;
    while (b < NBUCKETS && ms > bucket_ms[b])
        b++;
    atomic_fetch_add_explicit(&lat_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&lat_sum_ms, (unsigned long long)ms, memory_order_relaxed);
    atomic_fetch_add_explicit(&lat_count, 1, memory_order_relaxed);
}

static unsigned long long load(atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void per_provider(struct strbuf *out, const char *name, const char *help,
                         atomic_ullong *values)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (int p = 0; p < METRICS_NPROV; p++)
        strbuf_printf(out, "%s{provider=\"%s\"} %llu\n", name, provider_names[p], load(&values[p]));
}

void metrics_render(struct strbuf *out, const struct metrics_gauges *g)
{
    unsigned long long cum = 0;

    per_provider(out, "statushawk_notifier_sent_total", "Deliveries that succeeded", sent);
    per_provider(out, "statushawk_notifier_failed_total",
                 "Deliveries that failed for good (logged as failure)", failed);
    per_provider(out, "statushawk_notifier_retried_total",
                 "Delivery attempts that failed and were queued for another", retried);
    for (int c = 0; c < M_NCOUNTERS; c++)
        strbuf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[c].name,
                      counter_info[c].help, counter_info[c].name, counter_info[c].name,
                      load(&counters[c]));

    strbuf_puts(out, "# HELP statushawk_notifier_delivery_latency_seconds From the alert's "
                     "XADD to the provider's answer\n"
                     "# TYPE statushawk_notifier_delivery_latency_seconds histogram\n");
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += load(&lat_buckets[b]);
        strbuf_printf(out, "statushawk_notifier_delivery_latency_seconds_bucket{le=\"%g\"} %llu\n",
                      (double)bucket_ms[b] / 1000.0, cum);
    }
    cum += load(&lat_buckets[NBUCKETS]);
    strbuf_printf(out,
                  "statushawk_notifier_delivery_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "statushawk_notifier_delivery_latency_seconds_sum %.3f\n"
                  "statushawk_notifier_delivery_latency_seconds_count %llu\n",
                  cum, (double)load(&lat_sum_ms) / 1000.0, load(&lat_count));

    strbuf_printf(out,
                  "# HELP statushawk_notifier_pending Alert events and deliveries this process "
                  "holds\n# TYPE statushawk_notifier_pending gauge\n"
                  "statushawk_notifier_pending %ld\n"
                  "# HELP statushawk_notifier_waiting_telegram Deliveries waiting for their "
                  "chat's turn\n# TYPE statushawk_notifier_waiting_telegram gauge\n"
                  "statushawk_notifier_waiting_telegram %ld\n"
                  "# HELP statushawk_notifier_retry_queue Deliveries on the retry queue (all "
                  "notifiers)\n# TYPE statushawk_notifier_retry_queue gauge\n"
                  "statushawk_notifier_retry_queue %ld\n"
                  "# HELP statushawk_notifier_stream_pending Alert events read but not yet "
                  "acknowledged (all notifiers)\n# TYPE statushawk_notifier_stream_pending gauge\n"
                  "statushawk_notifier_stream_pending %ld\n"
                  "# HELP statushawk_notifier_telegram_poll_holder 1 when this process "
                  "long-polls Telegram\n# TYPE statushawk_notifier_telegram_poll_holder gauge\n"
                  "statushawk_notifier_telegram_poll_holder %d\n",
                  g->inflight, g->waiting_telegram, g->retry_queue, g->stream_pending,
                  g->tg_poll_holder);
}
