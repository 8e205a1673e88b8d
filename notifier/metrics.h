/* metrics: the notifier's counters and its delivery latency histogram, for GET /metrics
 * in Prometheus text format. Relaxed atomics: the tg_poll worker thread counts too. */
#ifndef STATUSHAWK_NOTIFIER_METRICS_H
#define STATUSHAWK_NOTIFIER_METRICS_H

#include <stdint.h>

#include "notifier/strbuf.h"

enum metrics_provider { METRICS_TELEGRAM, METRICS_CONSOLE, METRICS_WEBHOOK, METRICS_NPROV };

enum metrics_counter {
    M_EVENTS_READ,    /* stream entries read with XREADGROUP */
    M_EVENTS_CLAIMED, /* entries taken over with XAUTOCLAIM */
    M_EVENTS_INVALID, /* entries that were not alerts (acknowledged and dropped) */
    M_EVENTS_ACKED,   /* XACKed */
    M_RATE_LIMITED,   /* a send had to wait for a rate limit */
    M_DIGESTS,        /* digest messages sent */
    M_DIGEST_ALERTS,  /* alerts delivered inside digests */
    M_CLAIMS_LOST,    /* deliveries another notifier had already taken */
    M_RETRIES_TAKEN,  /* deliveries taken from the retry queue */
    M_SWEPT,          /* stale pending rows put back on the retry queue */
    M_CHATS_MIGRATED, /* group chats moved to their supergroup */
    M_CHANNELS_DEACTIVATED,
    M_TG_UPDATES, /* getUpdates updates handled */
    M_TG_LINKED,  /* chats linked through /start in polling mode */
    M_HANDOFFS,   /* deliveries handed to the notifier owning their chat */
    M_NCOUNTERS
};

void metrics_count(enum metrics_counter c, uint64_t n);
void metrics_sent(enum metrics_provider p);
void metrics_failed(enum metrics_provider p);
void metrics_retried(enum metrics_provider p);

/* Delivery latency: from the alert's XADD (its stream id) to the provider's answer. */
void metrics_latency_ms(int64_t ms);

/* Gauges read when /metrics is rendered. */
struct metrics_gauges {
    long inflight;         /* events and deliveries in memory */
    long waiting_telegram; /* deliveries waiting for a chat's turn */
    long retry_queue;      /* <prefix>alerts:retry size, last seen */
    long stream_pending;   /* entries of the group not yet acknowledged, last seen */
    int tg_poll_holder;    /* this process holds the polling lock */
};

void metrics_render(struct strbuf *out, const struct metrics_gauges *g);

uint64_t metrics_get(enum metrics_counter c); /* for tests and logs */

#endif
