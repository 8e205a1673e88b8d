/* alert_queue: alerts on their way to the <prefix>alerts stream. Every alert has its
 * alert_id before it is queued, so a retried XADD carries the same id and the notifiers'
 * per-alert dedup holds. While Redis is away alerts wait here, bounded by
 * RUNNER_ALERT_QUEUE_MAX.
 *
 * Two sorts: an alert that comes with its alert_id is one from the outbox (outbox.h): once
 * it is on the stream on_published is told, and if it cannot be sent (queue full, exit)
 * nothing is lost, since its outbox row remains for the sweep. An alert without one (an
 * anomaly) gets a fresh id here; beyond the bound, or left at exit, it is dropped,
 * counted and logged. */
#ifndef STATUSHAWK_RUNNER_ALERT_QUEUE_H
#define STATUSHAWK_RUNNER_ALERT_QUEUE_H

#include <event2/event.h>

#include "common/alert.h"
#include "common/redis_async.h"

struct alert_queue;

/* An outbox alert is on the stream. */
typedef void (*alert_published_fn)(const char *alert_id, void *arg);

struct alert_queue *alert_queue_new(struct event_base *base, struct redis_async *ra,
                                    const char *prefix, int max, alert_published_fn on_published,
                                    void *arg);
void alert_queue_free(struct alert_queue *q);

/* Queues a copy of a (a->details gets a new reference), keeping a->alert_id when it is
 * set (an outbox alert) or giving it a fresh one. 0, or -1 when it was not queued. */
int alert_queue_push(struct alert_queue *q, const struct alert *a);

/* Redis is back: send what waits. */
void alert_queue_kick(struct alert_queue *q);

/* Alerts queued or sent and not yet acknowledged. */
int alert_queue_pending(const struct alert_queue *q);

/* Gives up on what is still queued, at exit: outbox alerts are left to the sweep, the
 * others dropped and counted. */
void alert_queue_abandon(struct alert_queue *q);

#endif
