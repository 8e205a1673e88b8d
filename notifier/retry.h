/* retry: the retry queue <prefix>alerts:retry, a ZSET of notification_log ids scored by
 * when each is due (ms since the epoch). Every notifier polls it: one Lua script takes the
 * due members and pushes their scores a lease (NOTIFIER_RETRY_LEASE) into the future, so a
 * notifier that dies with a retry in hand loses nothing — the member comes due again. The
 * row is read back from PostgreSQL (its status, attempts, the payload kept at the first
 * attempt, and the channel as it is now: a migrated chat id, a deactivated channel) and
 * delivered like a new one; finishing it removes the member.
 *
 * A sweep puts back on the queue any pending row untouched for NOTIFIER_SWEEP_AFTER that
 * nothing else will finish (a Redis that restarted empty lost its queue and stream). */
#ifndef STATUSHAWK_NOTIFIER_RETRY_H
#define STATUSHAWK_NOTIFIER_RETRY_H

#include <stddef.h>
#include <stdint.h>

struct notifier;
struct delivery;

struct retryq *retryq_new(struct notifier *n);
void retryq_free(struct retryq *r);
void retryq_stop(struct retryq *r);
int retryq_idle(const struct retryq *r);
/* The queue's size as last seen (for /metrics). */
long retryq_depth(const struct retryq *r);

/* Reads the log rows ids[0..n) back as deliveries, the way a retry does (rows no longer
 * pending are dropped, exhausted ones failed). fn gets a new array of the deliveries (it
 * takes them; the array is freed after it returns), or NULL, 0 when the database did not
 * answer. 0, or -1 when the read could not start (fn does not run). */
typedef void (*retryq_loaded_fn)(struct delivery **d, size_t n, void *arg);
int retryq_load(struct retryq *r, const int64_t *ids, size_t n, retryq_loaded_fn fn, void *arg);

#endif
