/* claim: the runner's side of the Redis schedule (see DESIGN.md, "Scheduling without a
 * scheduler").
 *
 * - Claim: one Lua script takes up to K due monitors from <prefix>schedule, moves each
 *   to now + lease (its timeout + RUNNER_LEASE_MARGIN_MS) and returns, for each, its
 *   spec, working state and latency window. K is bounded by free capacity, so a slow
 *   runner takes less. A member without a spec is dropped from the schedule.
 * - Complete: after a check, one script sets the next due time (only if the score is
 *   still the lease this runner set: a change by the api or a re-claim after the lease
 *   ran out wins), writes the working state, pushes the latency sample and takes the
 *   anomaly-alert cooldown atomically.
 * - Release: a check given up (shutdown) is made due again at once.
 *
 * Pacing: a claim is sent when capacity frees up by a useful amount, or by a timer that
 * wakes at the earliest due time (at most CLAIM_POLL_MAX_MS away). */
#ifndef STATUSHAWK_RUNNER_CLAIM_H
#define STATUSHAWK_RUNNER_CLAIM_H

#include <stdint.h>

struct runner;
struct check;
struct claim;

struct claim *claim_new(struct runner *r);
void claim_free(struct claim *c);

/* (Re)loads the scripts' state after Redis (re)connects and claims at once. */
void claim_on_connect(struct claim *c);

/* Capacity was freed: claim if it is worth a round trip. */
void claim_kick(struct claim *c);

/* No more claims (shutdown). */
void claim_stop(struct claim *c);

/* What the complete script should write. */
struct claim_completion {
    int64_t next_due_ms;
    double latency_ms; /* pushed on the window when push_latency */
    int push_latency;
    int want_anomaly_alert; /* take the cooldown if it has run out */
    int64_t now_ms;
    int64_t cooldown_until_ms;
};

/* Called once with the script's answer: whether the anomaly cooldown was taken
 * (1), or not (0), or -1 when Redis did not answer. */
typedef void (*claim_complete_fn)(struct check *chk, int anomaly_alert, void *arg);

/* Sends the complete script for chk. 0, or -1 when Redis is away (fn never runs). */
int claim_complete(struct claim *c, struct check *chk, const struct claim_completion *cc,
                   claim_complete_fn fn, void *arg);

/* Makes chk's monitor due again at once (if its score is still our lease). Fire and
 * forget; fn (may be NULL) runs once when Redis answered or the connection was lost. */
int claim_release(struct claim *c, struct check *chk, claim_complete_fn fn, void *arg);

/* Claims sent and not answered yet (0 or 1). */
int claim_outstanding(const struct claim *c);

#endif
