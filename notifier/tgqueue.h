/* tgqueue: Telegram deliveries wait here, one queue per chat, for their turn under the
 * rate limits (ratelimit.h). Chats take turns in a FIFO; only the chat at its head asks
 * Redis for a place, so a thousand waiting chats cost one question at a time, not a
 * thousand. A chat whose own limit says wait sleeps on a timer and rejoins the FIFO's tail;
 * when the bot's limit says wait, the whole FIFO waits.
 *
 * When a chat's turn comes and NOTIFIER_DIGEST_MIN or more alerts are waiting for it (an
 * outage that took many monitors down at once), they go as one digest message (digest.h),
 * up to NOTIFIER_DIGEST_MAX per message; each alert is still claimed and logged on its own.
 * Messages to one chat go one at a time, in order. */
#ifndef STATUSHAWK_NOTIFIER_TGQUEUE_H
#define STATUSHAWK_NOTIFIER_TGQUEUE_H

struct notifier;
struct delivery;

struct tgqueue *tgqueue_new(struct notifier *n);
/* Deliveries still queued are dropped uncertain (left for a take-over). */
void tgqueue_free(struct tgqueue *q);

/* Takes d (a Telegram delivery). */
void tgqueue_push(struct tgqueue *q, struct delivery *d);

/* Shutdown: every delivery still waiting goes to the retry queue (deliver_requeue) for
 * another notifier; sends in flight finish. */
void tgqueue_stop(struct tgqueue *q);

long tgqueue_waiting(const struct tgqueue *q);
int tgqueue_idle(const struct tgqueue *q);

#endif
