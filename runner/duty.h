/* duty: the runner's singleton duties — the reconciler (reconcile.h, every
 * RUNNER_RECONCILE_INTERVAL seconds) with the alert outbox's sweep (outbox.h, every
 * second, under the same lease) and the database maintenance (maintenance.h) — on
 * a thread of their own with synchronous PostgreSQL and Redis connections, so their
 * large queries never delay a check on the loop.
 *
 * Each duty runs only in the runner holding its lease, <prefix>lock:reconcile or
 * <prefix>lock:maintenance (SET NX PX with a random token, renewed every second and
 * between pages, released at exit). Every runner's thread tries to take a free lease
 * once a second, so a dead holder is replaced within the lease time. A lease that was
 * just taken runs its duty at once: after a FLUSHALL or a Redis restart the lease is
 * gone with everything else, so the first runner to notice rebuilds the schedule within
 * a second or so, not an interval later. */
#ifndef STATUSHAWK_RUNNER_DUTY_H
#define STATUSHAWK_RUNNER_DUTY_H

#include "runner/runner_config.h"

#define DUTY_LEASE_MS 15000

struct duty;

/* Starts the thread. NULL (logged) on failure. cfg is borrowed. */
struct duty *duty_start(const struct runner_config *cfg);
/* Stops the thread (it finishes the page it is on), releases the leases it holds, and
 * frees everything — waiting at most wait_ms: a thread stuck in a query is left to the
 * process's exit (its leases expire). NULL is fine. */
void duty_stop(struct duty *d, int wait_ms);

#endif
