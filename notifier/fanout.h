/* fanout: from an alert event to its deliveries. For a batch of events, one statement
 * finds each user's active channels (or the one channel a test names), inserts the
 * notification_log rows (unique per alert and channel: a redelivered event finds its rows
 * and adds none) and returns every row with its status. Rows still pending become
 * deliveries, with the message rendered for the channel's provider and template; rows
 * already finished are skipped. */
#ifndef STATUSHAWK_NOTIFIER_FANOUT_H
#define STATUSHAWK_NOTIFIER_FANOUT_H

#include <jansson.h>

struct notifier;
struct job;
struct alert_event;
struct delivery;

struct fanout *fanout_new(struct notifier *n);
void fanout_free(struct fanout *f);

/* Queues j (its fan-out reference is the caller's, released when the fan-out is done). */
void fanout_submit(struct fanout *f, struct job *j);

/* 1 when no batch is queued or running. */
int fanout_idle(const struct fanout *f);

/* Fills d's provider fields for the channel (provider name, config JSON text) and renders
 * ev for it: text, digest line, webhook body. Also used for retries that lost their
 * payload. 0, or -1 on out of memory. An unknown provider or a missing chat id / url is
 * not an error here: the send fails with a clear message. */
int fanout_prepare(struct delivery *d, const char *provider, const json_t *config,
                   const struct alert_event *ev);

#endif
