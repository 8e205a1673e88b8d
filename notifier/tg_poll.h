/* tg_poll: Telegram without a public URL. With TELEGRAM_MODE=polling (the default when a
 * bot token is set and no TELEGRAM_WEBHOOK_URL), the notifier holding the lease
 * <prefix>lock:tg-poll (SET NX PX, renewed every third of NOTIFIER_TG_LOCK_TTL; only one
 * notifier polls at a time) clears any webhook, long-polls getUpdates on the loop, and
 * hands each message to common/tg_start — the same linking the api's webhook does — on a
 * worker thread, since tg_start blocks on PostgreSQL and Redis. The getUpdates offset is
 * stored in PostgreSQL (telegram_poll_state) after each update is handled, so an update is
 * never handled twice across restarts or lease hand-overs; the replies ("Connected!") go
 * out after that.
 *
 * With TELEGRAM_MODE=webhook the lease holder registers TELEGRAM_WEBHOOK_URL (with
 * TELEGRAM_WEBHOOK_SECRET as the secret token) once at start, and polls nothing. */
#ifndef STATUSHAWK_NOTIFIER_TG_POLL_H
#define STATUSHAWK_NOTIFIER_TG_POLL_H

struct notifier;

/* NULL when Telegram is off (no token), or on failure (logged); check n->cfg first. */
struct tg_poll *tg_poll_new(struct notifier *n);
void tg_poll_free(struct tg_poll *p);

/* Try for the lease now (Redis just connected). */
void tg_poll_kick(struct tg_poll *p);

/* Shutdown: the poll in flight is cancelled, the batch being handled finishes, the lease
 * is released. */
void tg_poll_stop(struct tg_poll *p);
int tg_poll_idle(const struct tg_poll *p);

/* 1 while this process holds the lease. */
int tg_poll_holder(const struct tg_poll *p);

#endif
