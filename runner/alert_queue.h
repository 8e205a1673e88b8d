/* alert_queue: alerts on their way to the <prefix>alerts stream. An alert gets its
 * alert_id when it is queued, so a retried XADD carries the same id and the notifiers'
 * per-alert dedup holds. While Redis is away alerts wait here, bounded by
 * RUNNER_ALERT_QUEUE_MAX; beyond that, and whatever is left at exit, is dropped, counted
 * and logged. */
#ifndef STATUSHAWK_RUNNER_ALERT_QUEUE_H
#define STATUSHAWK_RUNNER_ALERT_QUEUE_H

#include <event2/event.h>

#include "common/alert.h"
#include "common/redis_async.h"

struct alert_queue;

struct alert_queue *alert_queue_new(struct event_base *base, struct redis_async *ra,
                                    const char *prefix, int max);
void alert_queue_free(struct alert_queue *q);

/* Queues a copy of a (a->alert_id is ignored: a fresh one is made; a->details gets a
 * new reference). 0, or -1 when it was dropped. */
int alert_queue_push(struct alert_queue *q, const struct alert *a);

/* Redis is back: send what waits. */
void alert_queue_kick(struct alert_queue *q);

/* Alerts queued or sent and not yet acknowledged. */
int alert_queue_pending(const struct alert_queue *q);

/* Drops (and counts) what is still queued, at exit. */
void alert_queue_abandon(struct alert_queue *q);

#endif
