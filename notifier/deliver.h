/* deliver: one delivery is one alert to one channel — one notification_log row. This
 * module owns their life: it takes a delivery's attempt in the log before anything is
 * sent (a compare-and-set on the row's attempt count, so two notifiers that hold the same
 * alert never both send it), hands it to its provider, and records the outcome:
 *
 *   success                 status success, sent_at
 *   permanent failure       status failure and the error (403: the channel deactivated too)
 *   temporary failure       the error; the row stays pending and goes on <prefix>alerts:retry
 *                           with backoff (or Telegram's retry_after), until the attempts
 *                           reach NOTIFIER_MAX_ATTEMPTS: then failure
 *   chat migrated           every channel of the old chat id moves to the new one; the
 *                           message goes on the retry queue, due at once
 *
 * and only then releases the alert's stream entry (consume.h). Console and webhook
 * deliveries are sent as they come; Telegram ones queue per chat (tgqueue.h). */
#ifndef STATUSHAWK_NOTIFIER_DELIVER_H
#define STATUSHAWK_NOTIFIER_DELIVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct notifier;
struct job;

enum provider { PROVIDER_TELEGRAM, PROVIDER_CONSOLE, PROVIDER_WEBHOOK };

struct delivery {
    int64_t log_id;
    int64_t channel_id;
    enum provider provider;
    int attempts;   /* in the row: before the claim, what the claim expects; after, ours */
    int parts_sent; /* Telegram: parts of a long message already delivered */
    char kind[16];
    char *text;   /* the message (HTML for Telegram, plain otherwise) */
    char *line;   /* Telegram: its line in a digest */
    char *target; /* chat id, or webhook URL; NULL when the channel lacks it */
    char *secret; /* webhook signing secret, or NULL */
    char *body;   /* webhook: the JSON body */
    char alert_id[72];
    int64_t xadd_ms; /* for the latency histogram; 0 when unknown (retries) */
    struct job *job; /* the stream entry it belongs to; NULL when from the retry queue */
    struct delivery *next;
};

enum outcome_kind {
    OUTCOME_SUCCESS,
    OUTCOME_RETRY,    /* temporary: again later */
    OUTCOME_FAIL,     /* permanent */
    OUTCOME_BLOCKED,  /* permanent, and the channel is deactivated (Telegram 403) */
    OUTCOME_MIGRATED, /* the group became a supergroup: new_chat_id */
};

struct send_outcome {
    enum outcome_kind kind;
    int64_t retry_at_ms;  /* OUTCOME_RETRY: when (0 = by the backoff schedule) */
    char error[256];      /* for last_error */
    char new_chat_id[32]; /* OUTCOME_MIGRATED */
    int parts_sent;       /* OUTCOME_RETRY of a long message: parts delivered so far */
    const char *digest;   /* OUTCOME_SUCCESS of a digest: its text, kept in the payload */
};

struct deliver *deliver_new(struct notifier *n);
void deliver_free(struct deliver *dv);

/* Takes d: claims it and sends it (console, webhook) or queues it for its chat. */
void deliver_submit(struct deliver *dv, struct delivery *d);

/* Claims the attempt of every delivery in batch[0..n) (array borrowed, deliveries
 * taken). Those another attempt already took are finished here; cb gets the rest (a new
 * array it must free, possibly empty) after their rows record the attempt. */
typedef void (*deliver_claimed_fn)(struct delivery **won, size_t nwon, void *arg);
void deliver_claim(struct deliver *dv, struct delivery **batch, size_t n, deliver_claimed_fn cb,
                   void *arg);

/* Records the outcome of a claimed batch (array borrowed, deliveries taken). */
void deliver_complete(struct deliver *dv, struct delivery **batch, size_t n,
                      const struct send_outcome *o);

/* Shutdown: hands an unclaimed delivery to the retry queue, due at once, so another
 * notifier sends it without waiting for a take-over. Takes d. */
void deliver_requeue(struct deliver *dv, struct delivery *d);

/* Hands unclaimed deliveries (array borrowed, deliveries taken) to the notifier that owns
 * their chat (tgqueue.h): their payloads are kept in the log, so whoever sends them has
 * their text; their ids are pushed on list_key for the owner to take; and each goes on the
 * retry queue due at fallback_ms, so it is sent even if the owner never takes it (it died,
 * or let the chat go just before). Their stream entries are released once that is done. */
/* back runs exactly once: with the deliveries again (a new array; it takes them) when the
 * chat has no owner any more (own_key is gone: it let go meanwhile) and nothing was handed
 * over; else with NULL, 0 once they are handed over (or given up). */
typedef void (*deliver_back_fn)(struct delivery **items, size_t n, void *arg);
void deliver_handoff(struct deliver *dv, struct delivery **items, size_t n, const char *list_key,
                     const char *own_key, int64_t fallback_ms, deliver_back_fn back, void *arg);

/* Drops d without an outcome (its stream entry is then left for a take-over). Takes d. */
void deliver_abandon(struct deliver *dv, struct delivery *d);

/* A zeroed delivery, counted in deliver_count. NULL on out of memory. */
struct delivery *delivery_new(void);
void delivery_free(struct delivery *d);

/* The JSON kept in notification_log.payload for d: what is (or was) sent. New ref. */
json_t *delivery_payload(const struct delivery *d);

/* Deliveries alive, and whether any database or Redis work of this module is in flight. */
long deliver_count(const struct deliver *dv);
int deliver_idle(const struct deliver *dv);

/* Backoff before the attempt after `attempts` failed ones: the schedule's entry
 * (the last one repeating), spread by +-jitter_pct percent using rnd in [0, 1). */
int64_t deliver_backoff_ms(const int *schedule, int steps, int attempts, int jitter_pct,
                           double rnd);

#endif
